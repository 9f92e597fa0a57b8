"""Turn enriched scans into rollup increments and visitor keys (pure)."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

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
    counts: Counter[RollupKey] = Counter()
    workspace_of: dict[uuid.UUID, uuid.UUID] = {}
    for scan in scans:
        dims = (
            ("total", ""),
            ("country", scan.country),
            ("device", scan.device_type),
            ("browser", scan.browser),
            ("os", scan.os),
            ("source", scan.source),
        )
        for target in scan.targets:
            workspace_of[target] = scan.workspace_id
            for grain, bucket in buckets(scan.occurred_at):
                for dim, value in dims:
                    counts[(target, scan.kind, grain, dim, bucket, value)] += 1
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
