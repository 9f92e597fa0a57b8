"""Turn enriched scans into rollup increments and visitor keys (pure)."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from xqr.core.clock import isoformat

RollupKey = tuple[
    uuid.UUID, str, str, str, datetime, str
]  # target, kind, grain, dim, bucket, value
VisitorKey = tuple[uuid.UUID, str, datetime, str]  # target, kind, day, visitor hash


@dataclass(frozen=True, slots=True)
class EnrichedScan:
    occurred_at: datetime
    workspace_id: uuid.UUID
    kind: str
    target_id: uuid.UUID
    parent_id: uuid.UUID | None
    country: str
    device_type: str
    browser: str
    os: str
    referrer_host: str | None
    source: str
    visitor_hash: str

    def webhook_details(self) -> dict[str, Any]:
        """The scan as `link.scanned` describes it."""
        return {
            "scanned_at": isoformat(self.occurred_at),
            "country": self.country,
            "device_type": self.device_type,
            "browser": self.browser,
            "os": self.os,
            "referrer_host": self.referrer_host,
            "source": self.source,
        }

    @property
    def targets(self) -> tuple[uuid.UUID, ...]:
        """Where the scan counts: itself, its parent (a bio page for a click), the workspace."""
        if self.parent_id is None:
            return (self.target_id, self.workspace_id)
        return (self.target_id, self.parent_id, self.workspace_id)


def hour_of(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def day_of(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def buckets(moment: datetime) -> tuple[tuple[str, datetime], tuple[str, datetime]]:
    return (("h", hour_of(moment)), ("d", day_of(moment)))


def rollup_increments(
    scans: list[EnrichedScan],
) -> tuple[Counter[RollupKey], dict[uuid.UUID, uuid.UUID]]:
    """Counts per rollup key, and the workspace of every target."""
    # Collapse identical facets first: a batch has far fewer distinct facets than scans.
    facets = Counter(
        (
            s.targets,
            s.workspace_id,
            s.kind,
            hour_of(s.occurred_at),
            s.country,
            s.device_type,
            s.browser,
            s.os,
            s.source,
        )
        for s in scans
    )
    counts: Counter[RollupKey] = Counter()
    workspace_of: dict[uuid.UUID, uuid.UUID] = {}
    for (targets, workspace, kind, hour, country, device, browser, os, source), n in facets.items():
        day = day_of(hour)
        dims = (
            ("total", ""),
            ("country", country),
            ("device", device),
            ("browser", browser),
            ("os", os),
            ("source", source),
        )
        for target in targets:
            workspace_of[target] = workspace
            for dim, value in dims:
                counts[(target, kind, "h", dim, hour, value)] += n
                counts[(target, kind, "d", dim, day, value)] += n
    return counts, workspace_of


def visitor_keys(scans: list[EnrichedScan]) -> dict[VisitorKey, datetime]:
    """Each (target, kind, day, visitor) of the batch with the time it was first seen."""
    first_seen: dict[VisitorKey, datetime] = {}
    for scan in scans:
        day = day_of(scan.occurred_at)
        for target in scan.targets:
            key = (target, scan.kind, day, scan.visitor_hash)
            if key not in first_seen or scan.occurred_at < first_seen[key]:
                first_seen[key] = scan.occurred_at
    return first_seen


def visitor_increments(new_visitors: dict[VisitorKey, datetime]) -> Counter[RollupKey]:
    counts: Counter[RollupKey] = Counter()
    for (target, kind, _day, _hash), seen in new_visitors.items():
        for grain, bucket in buckets(seen):
            counts[(target, kind, grain, "visitors", bucket, "")] += 1
    return counts
