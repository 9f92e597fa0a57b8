"""Turn a batch of enriched scans into rollup rows and visitor keys (pure)."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

from xqr.core.clock import isoformat

# target, hour, country, device type, browser, os, source
FactKey = tuple[uuid.UUID, datetime, str, str, str, str, str]
# target, UTC day, dimension, value
BreakdownKey = tuple[uuid.UUID, date, str, str]
# workspace, kind, grain, bucket, target
TotalKey = tuple[uuid.UUID, str, str, datetime, uuid.UUID]
# workspace, kind, dim, grain, bucket, value
DimensionKey = tuple[uuid.UUID, str, str, str, datetime, str]
# UTC day, visitor id, scope (a target or the workspace), kind
VisitorKey = tuple[date, int, uuid.UUID, str]
# Visitor-days known to be stored, per UTC day: (visitor id, scope's UUID as an int, kind)
StoredVisitors = Mapping[date, Collection[tuple[int, int, str]]]

_SIGN = 1 << 63
# The kind of a label's `scan_dimensions` rows (their workspace column holds `label_scope`).
LABEL_KIND = "label"
_LABEL_NAMESPACE = uuid.UUID("5b0c7f2e-3a52-4c8e-9d0e-6c1f0a7d2b91")


class EnrichedScan(NamedTuple):
    """A counted scan as stored (a named tuple: built once per scan, so it must be cheap)."""

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
    expired: bool = False
    rule: int | None = None  # see RawScan.rule

    def webhook_details(self) -> dict[str, Any]:
        """The scan as `link.scanned` describes it (`expired` only when it was)."""
        details: dict[str, Any] = {
            "scanned_at": isoformat(self.occurred_at),
            "country": self.country,
            "device_type": self.device_type,
            "browser": self.browser,
            "os": self.os,
            "referrer_host": self.referrer_host,
            "source": self.source,
        }
        if self.expired:
            details["expired"] = True
        return details


def label_scope(workspace_id: uuid.UUID, label: str) -> uuid.UUID:
    """The id a label's rollup rows are kept under (one per workspace and label)."""
    return uuid.uuid5(_LABEL_NAMESPACE, f"{workspace_id.hex}:{label}")


def day_of(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def week_of(moment: datetime) -> datetime:
    """The Monday 00:00 UTC that starts the ISO week of `moment`."""
    return day_of(moment) - timedelta(days=moment.weekday())


def visitor_id(visitor_hash: str) -> int:
    """The first 64 bits of a hex visitor hash as a signed BIGINT (collisions ~n²/2⁶⁵ a day)."""
    return int(visitor_hash[:16], 16) - _SIGN


@dataclass(frozen=True, slots=True)
class Target:
    workspace_id: uuid.UUID
    kind: str
    parent_id: uuid.UUID | None


HOUR = timedelta(hours=1)
# Work between two points where a caller may yield to the event loop (~0.5 ms of Python).
SLICE = 250

Steps = Iterator[None]  # a computation that yields where its caller may pause


def run_steps(steps: Steps) -> None:
    """Run a stepped computation to its end without pausing (tests, scripts)."""
    for _ in steps:
        pass


def _add(counts: dict[Any, int], key: Any, n: int) -> None:
    counts[key] = counts.get(key, 0) + n


class Rollups:
    """Everything one batch adds to the rollups, computed from its scans in steps.

    `add` runs per scan and does as little as it can: one count per (target, hour, facets)
    and one visitor key per scope. Breakdowns, totals (hourly, daily, weekly) and dimension
    counts are then derived from those collapsed hourly facts. Each method is a generator
    that yields every `SLICE` items, so the writer can give the event loop a turn between.

    Inside, targets and workspaces are small ints: hashing a `uuid.UUID` runs Python code,
    and a dict key holding one is hashed on every lookup. Scans of a link share its UUID
    object, so they are interned by object identity first (the objects stay referenced by
    the batch, so identities stay unique).

    `stored` names visitor-days already stored (the writer's memory of what it committed):
    most scans of a busy day are a visitor's repeat, and such a visitor-day is neither
    collected nor looked up again, since it cannot be new.
    """

    def __init__(self, stored: StoredVisitors | None = None) -> None:
        self._stored: StoredVisitors = stored or {}
        self.targets: dict[uuid.UUID, Target] = {}
        self.visitors: list[VisitorKey] = []
        # Rows to add to: facts, breakdowns and dimension counts (key, scans); totals (key,
        # scans, visitors).
        self.facts: list[tuple[FactKey, int]] = []
        self.breakdowns: list[tuple[BreakdownKey, int]] = []
        self.totals: list[tuple[TotalKey, int, int]] = []
        self.dimensions: list[tuple[DimensionKey, int]] = []
        self._uuids: list[uuid.UUID] = []
        self._refs: dict[uuid.UUID, int] = {}
        self._by_identity: dict[int, int] = {}
        self._held: list[uuid.UUID] = []
        self._info: dict[int, tuple[int, str]] = {}  # target → (workspace, kind)
        self._hourly: Counter[tuple[int, datetime, str, str, str, str, str]] = Counter()
        self._visitor_ids: dict[str, int] = {}
        self._first_seen: dict[tuple[date, int, int, str], datetime] = {}
        self._new: dict[tuple[int, str, datetime], int] = {}
        self._rules: dict[tuple[int, date, int], int] = {}  # (target, UTC day, rule) → scans

    def _ref(self, value: uuid.UUID) -> int:
        ref = self._refs.get(value)
        if ref is None:
            ref = self._refs[value] = len(self._uuids)
            self._uuids.append(value)
        self._by_identity[id(value)] = ref
        self._held.append(value)
        return ref

    def add(self, scans: Sequence[EnrichedScan]) -> Steps:
        first_seen, info, visitor_ids = self._first_seen, self._info, self._visitor_ids
        by_identity, ref_of, stored_days = self._by_identity, self._ref, self._stored
        rules = self._rules
        # Hourly fact keys are counted at the end, in C (`Counter.update` of a list).
        keys: list[tuple[int, datetime, str, str, str, str, str]] = []
        add_key = keys.append
        hour = next_hour = datetime.min.replace(tzinfo=UTC)
        day = hour.date()
        stored: Collection[tuple[int, int, str]] = ()
        for start in range(0, len(scans), SLICE):
            for (
                at,
                workspace,
                kind,
                target,
                parent,
                country,
                device,
                browser,
                os,
                _,
                source,
                hash_,
                _expired,
                rule,
            ) in scans[start : start + SLICE]:
                if not hour <= at < next_hour:  # scans come in time order: recompute rarely
                    hour = at.replace(minute=0, second=0, microsecond=0)
                    next_hour = hour + HOUR
                    day = hour.date()
                    stored = stored_days.get(day, ())
                t = by_identity.get(id(target))
                if t is None:
                    t = ref_of(target)
                    if t not in info:
                        info[t] = (ref_of(workspace), kind)
                        self.targets[target] = Target(workspace, kind, parent)
                w = by_identity.get(id(workspace))
                if w is None:
                    w = ref_of(workspace)
                add_key((t, hour, country, device, browser, os, source))
                if rule is not None:
                    rule_key = (t, day, rule)
                    rules[rule_key] = rules.get(rule_key, 0) + 1
                visitor = visitor_ids.get(hash_)
                if visitor is None:
                    visitor = visitor_ids[hash_] = visitor_id(hash_)
                # the hour of each visitor's first scan of the day, per target and workspace,
                # unless that visitor-day is stored already
                if not stored or (visitor, target.int, kind) not in stored:
                    seen_key = (day, visitor, t, kind)
                    if first_seen.setdefault(seen_key, hour) > hour:
                        first_seen[seen_key] = hour
                if not stored or (visitor, workspace.int, kind) not in stored:
                    seen_key = (day, visitor, w, kind)
                    if first_seen.setdefault(seen_key, hour) > hour:
                        first_seen[seen_key] = hour
            self._hourly.update(keys)
            keys.clear()
            yield

    def collect_visitors(self) -> Steps:
        """Fill `visitors`: every (day, visitor, scope, kind) of the batch not known to be
        stored."""
        uuids = self._uuids
        for index, (day, visitor, scope, kind) in enumerate(self._first_seen):
            self.visitors.append((day, visitor, uuids[scope], kind))
            if index % SLICE == SLICE - 1:
                yield

    def count_new_visitors(self, new: Sequence[VisitorKey]) -> Steps:
        """Count the visitor rows the database did not have yet, in their first hour."""
        refs, first_seen, counts = self._refs, self._first_seen, self._new
        for index, (day, visitor, scope, kind) in enumerate(new):
            ref = refs[scope]
            _add(counts, (ref, kind, first_seen[(day, visitor, ref, kind)]), 1)
            if index % SLICE == SLICE - 1:
                yield

    def derive(self, labels: Mapping[uuid.UUID, Sequence[uuid.UUID]] | None = None) -> Steps:
        """Fill `facts`, `breakdowns`, `totals` and `dimensions` from the hourly facts and the
        new visitors.

        `labels` gives a link's label scopes (`label_scope`): each one's `scan_dimensions`
        rows (kind `label`) get the link's scans and new visitors, as a workspace's get those
        of all its links."""
        uuids, info = self._uuids, self._info
        scopes_of: dict[int, list[int]] = {
            self._refs[target]: [self._ref(scope) for scope in scopes]
            for target, scopes in (labels or {}).items()
            if scopes and target in self._refs
        }
        days: dict[datetime, datetime] = {}  # hour → its day (datetime.replace is slow)

        def day_for(hour: datetime) -> datetime:
            day = days.get(hour)
            if day is None:
                day = days[hour] = day_of(hour)
            return day

        facts = self.facts
        daily: dict[tuple[int, date, str, str], int] = {}
        dates: dict[datetime, date] = {}
        hourly_totals: dict[tuple[int, datetime], list[int]] = {}
        hourly_dims: dict[tuple[int, str, str, datetime, str], int] = {}
        for index, ((t, hour, country, device, browser, os, source), n) in enumerate(
            self._hourly.items()
        ):
            facts.append(((uuids[t], hour, country, device, browser, os, source), n))
            on = dates.get(hour)
            if on is None:
                on = dates[hour] = hour.date()
            w, kind = info[t]
            for dim, value in (
                ("country", country),
                ("device", device),
                ("browser", browser),
                ("os", os),
                ("source", source),
            ):
                key = (t, on, dim, value)
                daily[key] = daily.get(key, 0) + n
                dim_key = (w, kind, dim, hour, value)
                hourly_dims[dim_key] = hourly_dims.get(dim_key, 0) + n
                for scope in scopes_of.get(t, ()):
                    _add(hourly_dims, (scope, LABEL_KIND, dim, hour, value), n)
            _add(hourly_dims, (w, kind, "total", hour, ""), n)
            for scope in scopes_of.get(t, ()):
                _add(hourly_dims, (scope, LABEL_KIND, "total", hour, ""), n)
            row = hourly_totals.get((t, hour))
            if row is None:
                hourly_totals[(t, hour)] = [n, 0]
            else:
                row[0] += n
            if index % SLICE == SLICE - 1:
                yield
        for index, ((t, on, dim, value), n) in enumerate(daily.items()):
            self.breakdowns.append(((uuids[t], on, dim, value), n))
            if index % SLICE == SLICE - 1:
                yield
        # Scans per routing rule, by UTC day only (the hourly facts do not carry the rule).
        for (t, on, rule), n in self._rules.items():
            self.breakdowns.append(((uuids[t], on, "rule", str(rule)), n))
        for (scope, kind, hour), n in self._new.items():
            if scope in info:
                hourly_totals.setdefault((scope, hour), [0, 0])[1] += n
                for label in scopes_of.get(scope, ()):
                    _add(hourly_dims, (label, LABEL_KIND, "visitors", hour, ""), n)
            else:  # the workspace
                _add(hourly_dims, (scope, kind, "visitors", hour, ""), n)
        yield
        coarser: dict[tuple[int, str, datetime], list[int]] = {}
        weeks: dict[datetime, datetime] = {}
        for index, ((t, hour), (scans, visitors)) in enumerate(hourly_totals.items()):
            w, kind = info[t]
            self.totals.append(((uuids[w], kind, "h", hour, uuids[t]), scans, visitors))
            day = day_for(hour)
            week = weeks.get(day)
            if week is None:
                week = weeks[day] = week_of(day)
            for grain, bucket in (("d", day), ("w", week)):
                row = coarser.setdefault((t, grain, bucket), [0, 0])
                row[0] += scans
                row[1] += visitors
            if index % SLICE == SLICE - 1:
                yield
        for (t, grain, bucket), (scans, visitors) in coarser.items():
            w, kind = info[t]
            self.totals.append(((uuids[w], kind, grain, bucket, uuids[t]), scans, visitors))
        yield
        daily_dims: dict[tuple[int, str, str, datetime, str], int] = {}
        for index, ((w, kind, dim, hour, value), n) in enumerate(hourly_dims.items()):
            self.dimensions.append(((uuids[w], kind, dim, "h", hour, value), n))
            _add(daily_dims, (w, kind, dim, day_for(hour), value), n)
            if index % SLICE == SLICE - 1:
                yield
        for (w, kind, dim, day, value), n in daily_dims.items():
            self.dimensions.append(((uuids[w], kind, dim, "d", day, value), n))
