"""Analytics of a workspace, one of its links, or a bio page: totals, series, breakdowns.

Everything reads the rollups of `xqr.scans` through `xqr.scans.rollups`; periods, time
zones and buckets are defined in `xqr.analytics.periods`. Bio pages call `page_stats`.
"""

from __future__ import annotations

import bisect
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from xqr.analytics.countries import country_name
from xqr.analytics.periods import (
    GRANULARITIES,
    MAX_HOURLY_DAYS,
    PERIOD_DAYS,
    Window,
    change,
    day_edge,
    local_midnight,
    percentages,
    window,
    zone,
)
from xqr.analytics.schemas import (
    Change,
    CountryShare,
    DevicesOut,
    LinkStatsOut,
    NamedShare,
    Point,
    PreviousPeriod,
    SummaryOut,
    TopLinkOut,
    TrendPoint,
)
from xqr.core.clock import utcnow
from xqr.core.errors import validation_error
from xqr.links.service import get_link, get_links, label_link_ids, link_view
from xqr.scans import labels, rollups
from xqr.scans.aggregate import LABEL_KIND, label_scope
from xqr.workspaces.tenant import Tenant

DEFAULT_PERIOD = "30d"
CUSTOM_PERIOD = "custom"  # a range of local days given by `start` and `end`
MAX_CUSTOM_DAYS = 3_660
UTC_ZONE = ZoneInfo("UTC")
TOP_COUNTRIES = 10
MAX_TOP_LINKS = 100
TOTAL_GRAINS = ("w", "d", "h")  # scan_totals has weekly rows too (top links over months)


@dataclass(frozen=True)
class Query:
    """The validated query parameters every analytics call shares.

    `period` is one of `PERIOD_DAYS`, or `custom` with the local days `start`…`end`
    (both included)."""

    period: str = DEFAULT_PERIOD
    tz: ZoneInfo = UTC_ZONE
    granularity: str = "day"
    start: date | None = None
    end: date | None = None

    @classmethod
    def parse(
        cls,
        period: str | None = None,
        timezone: str | None = None,
        granularity: str | None = None,
        *,
        start: date | None = None,
        end: date | None = None,
    ) -> Query:
        custom = start is not None or end is not None
        period = CUSTOM_PERIOD if custom else period or DEFAULT_PERIOD
        if not custom and period not in PERIOD_DAYS:
            raise validation_error("period", f"must be one of {', '.join(PERIOD_DAYS)}")
        if custom:
            if start is None or end is None:
                raise validation_error("period", "a custom period needs both start and end")
            if end < start:
                raise validation_error("period.end", "must not be before start")
            if (end - start).days + 1 > MAX_CUSTOM_DAYS:
                raise validation_error("period", f"at most {MAX_CUSTOM_DAYS} days")
        granularity = granularity or "day"
        if granularity not in GRANULARITIES:
            raise validation_error("granularity", "must be hour or day")
        days = (end - start).days + 1 if start and end else PERIOD_DAYS.get(period)
        if granularity == "hour" and (days is None or days > MAX_HOURLY_DAYS):
            raise validation_error(
                "granularity",
                f"hour granularity is available for periods of up to {MAX_HOURLY_DAYS} days "
                "(7d, 30d); use day",
            )
        try:
            tz = zone(timezone or "UTC")
        except ValueError as exc:
            raise validation_error("timezone", f"{exc} (e.g. Europe/Berlin)") from None
        return cls(period, tz, granularity, start, end)

    @property
    def timezone(self) -> str:
        return str(self.tz.key)


# --- scopes: what is counted -------------------------------------------------------------------


Series = dict[datetime, tuple[int, int]]  # bucket → (scans, unique visitors)


class Scope(Protocol):
    async def first_scan(self, session: AsyncSession) -> datetime | None: ...

    async def totals(self, session: AsyncSession, w: Window) -> tuple[int, int]: ...

    async def series(
        self, session: AsyncSession, grain: str, start: datetime, end: datetime
    ) -> Series: ...

    async def breakdowns(
        self, session: AsyncSession, dims: Sequence[str], w: Window
    ) -> dict[str, dict[str, int]]: ...


@dataclass(frozen=True)
class WorkspaceScope:
    """Every target of one kind in a workspace (all its links, say)."""

    workspace_id: uuid.UUID
    kind: str = "link"

    async def first_scan(self, session: AsyncSession) -> datetime | None:
        return await rollups.first_workspace_scan(session, self.workspace_id, self.kind)

    async def totals(self, session: AsyncSession, w: Window) -> tuple[int, int]:
        found = await self.breakdowns(session, ("total", "visitors"), w)
        return sum(found["total"].values()), sum(found["visitors"].values())

    async def series(
        self, session: AsyncSession, grain: str, start: datetime, end: datetime
    ) -> Series:
        found = await rollups.dimension_series(
            session, self.workspace_id, self.kind, ("total", "visitors"), grain, start, end
        )
        scans, visitors = found["total"], found["visitors"]
        return {b: (scans.get(b, 0), visitors.get(b, 0)) for b in scans.keys() | visitors.keys()}

    async def breakdowns(
        self, session: AsyncSession, dims: Sequence[str], w: Window
    ) -> dict[str, dict[str, int]]:
        return await rollups.dimension_counts(
            session, self.workspace_id, self.kind, dims, w.ranges()
        )


@dataclass(frozen=True)
class TargetScope:
    """One link, one bio page, or a few targets counted together (a bio page's links)."""

    target_ids: tuple[uuid.UUID, ...]

    async def first_scan(self, session: AsyncSession) -> datetime | None:
        return await rollups.first_target_scan(session, self.target_ids)

    async def totals(self, session: AsyncSession, w: Window) -> tuple[int, int]:
        found = await rollups.target_totals(session, self.target_ids, w.ranges(TOTAL_GRAINS))
        return sum(n for n, _ in found.values()), sum(v for _, v in found.values())

    async def series(
        self, session: AsyncSession, grain: str, start: datetime, end: datetime
    ) -> Series:
        return await rollups.target_series(session, self.target_ids, grain, start, end)

    async def breakdowns(
        self, session: AsyncSession, dims: Sequence[str], w: Window
    ) -> dict[str, dict[str, int]]:
        found = await rollups.breakdown_counts(session, self.target_ids, w.ranges())
        return {dim: found[dim] for dim in dims}


# --- building blocks ---------------------------------------------------------------------------


async def _window(session: AsyncSession, scope: Scope, query: Query) -> Window:
    if query.start is not None and query.end is not None:
        return Window(query.start, query.end, query.tz)
    first = await scope.first_scan(session) if query.period == "all" else None
    return window(query.period, query.tz, utcnow(), first)


async def _daily(session: AsyncSession, scope: Scope, w: Window) -> dict[date, tuple[int, int]]:
    """(scans, unique visitors) per local day of the window."""
    days: dict[date, tuple[int, int]] = {}
    if w.utc_aligned:
        series = await scope.series(session, "d", w.start, w.end)
        day_of = {bucket: bucket.date() for bucket in series}
    else:
        series = await scope.series(session, "h", w.start, w.end)
        day_of = _local_days(w, series)
    for bucket, (scans, visitors) in series.items():
        day = day_of[bucket]
        n, v = days.get(day, (0, 0))
        days[day] = (n + scans, v + visitors)
    return days


def _local_days(w: Window, hours: Iterable[datetime]) -> dict[datetime, date]:
    """The local day of each hour, by where it falls among the days' edges (a time zone
    conversion per hour would cost more than the query)."""
    days = w.day_list()
    edges = [day_edge(day, w.tz) for day in days]
    return {hour: days[bisect.bisect_right(edges, hour) - 1] for hour in hours}


async def _points(
    session: AsyncSession, scope: Scope, w: Window, granularity: str
) -> list[tuple[datetime, int, int]]:
    """Zero-filled (bucket start, scans, visitors): the window's hours up to now, or its days."""
    if granularity == "hour":
        series = await scope.series(session, "h", w.start, w.end)
        return [(hour, *series.get(hour, (0, 0))) for hour in w.hours(until=utcnow())]
    days = await _daily(session, scope, w)
    return [(local_midnight(day, w.tz), *days.get(day, (0, 0))) for day in w.day_list()]


def _shares(counts: dict[str, int], total: int) -> list[tuple[str, int, float]]:
    """(value, scans, percentage of total), most scans first."""
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ordered = [(value, n) for value, n in ordered if n > 0]
    shares = percentages([n for _, n in ordered], total)
    return [(value, n, p) for (value, n), p in zip(ordered, shares, strict=True)]


def _named(counts: dict[str, int], total: int) -> list[NamedShare]:
    return [NamedShare(name=v, scans=n, percentage=p) for v, n, p in _shares(counts, total)]


def _countries(counts: dict[str, int], total: int) -> list[CountryShare]:
    return [
        CountryShare(country=country_name(code), country_code=code, scans=n, percentage=p)
        for code, n, p in _shares(counts, total)
    ]


def _window_view(w: Window, query: Query) -> dict[str, Any]:
    """The window fields every answer starts with (`WindowOut`'s)."""
    return {"period": query.period, "timezone": query.timezone, "start": w.start, "end": w.end}


def _devices(found: dict[str, dict[str, int]], total: int) -> DevicesOut:
    return DevicesOut(
        device_types=_named(found["device"], total),
        browsers=_named(found["browser"], total),
        os=_named(found["os"], total),
    )


async def label_counted_whole(session: AsyncSession, tenant: Tenant, label: str) -> bool:
    """Whether a label's figures come from its own rollup rows (all its links, however many)
    rather than from its links counted one by one."""
    return await labels.rollups_ready(session, tenant.workspace_id, label)


async def _scope(
    session: AsyncSession,
    tenant: Tenant,
    link_id: str | None,
    link_ids: Sequence[uuid.UUID] | None = None,
    label: str | None = None,
) -> Scope:
    """The whole workspace, one link (`link_id`), or a selection of its links counted
    together (`link_ids`, already known to be the workspace's).

    `label`: the selection is that label's links, so its own rollup rows answer when they are
    up to date (`xqr.scans.labels`); else its links are counted one by one."""
    if label is not None and await label_counted_whole(session, tenant, label):
        return WorkspaceScope(label_scope(tenant.workspace_id, label), LABEL_KIND)
    if link_ids is not None:
        return TargetScope(tuple(link_ids))
    if link_id is None:
        return WorkspaceScope(tenant.workspace_id)
    link = await get_link(session, tenant, link_id)
    return TargetScope((link.id,))


# --- the endpoints' services -------------------------------------------------------------------


async def summary(
    session: AsyncSession,
    tenant: Tenant,
    query: Query,
    *,
    link_ids: Sequence[uuid.UUID] | None = None,
    label: str | None = None,
) -> SummaryOut:
    """Totals, unique visitors, top countries and devices, a daily trend, the previous period.

    `link_ids`: only these links of the workspace, counted together (`label`: they are that
    label's links, whose own rollups answer when they are up to date)."""
    scope = await _scope(session, tenant, None, link_ids, label)
    w = await _window(session, scope, query)
    if isinstance(scope, WorkspaceScope):  # totals and breakdowns in one query
        found = await scope.breakdowns(session, ("total", "visitors", "country", "device"), w)
        scans, visitors = sum(found["total"].values()), sum(found["visitors"].values())
    else:
        found = await scope.breakdowns(session, ("country", "device"), w)
        scans, visitors = await scope.totals(session, w)
    countries = _countries(found["country"], scans)
    devices = _named(found["device"], scans)
    trend = await _points(session, scope, w, "day")
    previous: PreviousPeriod | None = None
    changes: Change | None = None
    if query.period != "all":
        before = w.previous()
        previous_scans, previous_visitors = await scope.totals(session, before)
        previous = PreviousPeriod(
            start=before.start,
            end=before.end,
            total_scans=previous_scans,
            unique_visitors=previous_visitors,
        )
        changes = Change(
            total_scans=change(scans, previous_scans),
            unique_visitors=change(visitors, previous_visitors),
        )
    return SummaryOut(
        **_window_view(w, query),
        total_scans=scans,
        unique_visitors=visitors,
        top_countries=countries[:TOP_COUNTRIES],
        top_devices=devices,
        trend=[TrendPoint(timestamp=at, scans=n, unique_visitors=v) for at, n, v in trend],
        previous=previous,
        change=changes,
    )


async def timeseries(
    session: AsyncSession,
    tenant: Tenant,
    query: Query,
    link_id: str | None = None,
    *,
    link_ids: Sequence[uuid.UUID] | None = None,
    label: str | None = None,
) -> list[Point]:
    """Zero-filled `{timestamp, scans}` per hour or local day of the period."""
    scope = await _scope(session, tenant, link_id, link_ids, label)
    w = await _window(session, scope, query)
    points = await _points(session, scope, w, query.granularity)
    return [Point(timestamp=at, scans=n) for at, n, _ in points]


async def geography(
    session: AsyncSession,
    tenant: Tenant,
    query: Query,
    link_id: str | None = None,
    *,
    link_ids: Sequence[uuid.UUID] | None = None,
    label: str | None = None,
) -> list[CountryShare]:
    """Scans per visitor country, most first, with each country's share of the period."""
    scope = await _scope(session, tenant, link_id, link_ids, label)
    w = await _window(session, scope, query)
    counts = (await scope.breakdowns(session, ("country",), w))["country"]
    return _countries(counts, sum(counts.values()))


async def devices(
    session: AsyncSession,
    tenant: Tenant,
    query: Query,
    link_id: str | None = None,
    *,
    link_ids: Sequence[uuid.UUID] | None = None,
    label: str | None = None,
) -> DevicesOut:
    """Scans by device type, browser and operating system."""
    scope = await _scope(session, tenant, link_id, link_ids, label)
    w = await _window(session, scope, query)
    found = await scope.breakdowns(session, ("device", "browser", "os"), w)
    return _devices(found, sum(found["device"].values()))


async def top_links(
    session: AsyncSession, tenant: Tenant, query: Query, short_base: str, limit: int = 10
) -> list[TopLinkOut]:
    """The links with the most scans in the period (links with none are left out)."""
    if not 1 <= limit <= MAX_TOP_LINKS:
        raise validation_error("limit", f"must be 1–{MAX_TOP_LINKS}")
    scope = WorkspaceScope(tenant.workspace_id)
    w = await _window(session, scope, query)
    ranking = await rollups.target_ranking(
        session, tenant.workspace_id, "link", w.ranges(TOTAL_GRAINS)
    )
    found: list[TopLinkOut] = []
    # Deleted links keep their scans in the rollups but are left out here; fetch a few more
    # than asked, and again further down the ranking in the rare case that was not enough.
    for start in range(0, len(ranking), limit + 10):
        page = ranking[start : start + limit + 10]
        links = await get_links(session, tenant, [link_id for link_id, _ in page])
        for link_id, scans in page:
            if link_id in links:
                view = link_view(links[link_id], short_base)
                found.append(TopLinkOut(**dict(view), scans=scans))
                if len(found) == limit:
                    return found
    return found


async def link_counts(
    session: AsyncSession, tenant: Tenant, query: Query
) -> dict[uuid.UUID, tuple[int, int]]:
    """(scans, unique visitors) in the period of every link of the workspace that has scans
    in it (deleted links included: the caller matches them to links). The same rollup rows
    and window as `top_links`, so the counts agree with it."""
    scope = WorkspaceScope(tenant.workspace_id)
    w = await _window(session, scope, query)
    return await rollups.target_counts(session, tenant.workspace_id, "link", w.ranges(TOTAL_GRAINS))


async def period_window(session: AsyncSession, tenant: Tenant, query: Query) -> Window:
    """The UTC hours the workspace-wide answers to `query` count (`start`, `end`)."""
    return await _window(session, WorkspaceScope(tenant.workspace_id), query)


async def link_stats(
    session: AsyncSession, tenant: Tenant, query: Query, short_base: str, link_id: str
) -> LinkStatsOut:
    """One link with its totals, unique visitors, timeseries, geography, devices, sources."""
    link = await get_link(session, tenant, link_id)
    scope = TargetScope((link.id,))
    w = await _window(session, scope, query)
    scans, visitors = await scope.totals(session, w)
    points = await _points(session, scope, w, query.granularity)
    found = await scope.breakdowns(session, ("country", "device", "browser", "os", "source"), w)
    return LinkStatsOut(
        link=link_view(link, short_base),
        **_window_view(w, query),
        total_scans=scans,
        unique_visitors=visitors,
        timeseries=[Point(timestamp=at, scans=n) for at, n, _ in points],
        geography=_countries(found["country"], scans),
        devices=_devices(found, scans),
        sources=[
            NamedShare(name=name, scans=n, percentage=p)
            for name, n, p in _with_zeroes(found["source"], ("qr", "direct"), scans)
        ],
    )


def _with_zeroes(
    counts: dict[str, int], names: Sequence[str], total: int
) -> list[tuple[str, int, float]]:
    """Shares of fixed names in that order, zeroes included."""
    values = [counts.get(name, 0) for name in names]
    return list(zip(names, values, percentages(values, total), strict=True))


# --- for bio pages -----------------------------------------------------------------------------


async def page_stats(
    session: AsyncSession,
    workspace_id: uuid.UUID,
    page_id: uuid.UUID,
    link_ids: Sequence[uuid.UUID],
    query: Query | None = None,
) -> dict[str, Any]:
    """A bio page's views, unique visitors, clicks per link and a daily series.

    Counts the page's `bio_view` scans (target = the page) and its links' `bio_click` scans
    (target = a bio link). The caller checks that the page belongs to `workspace_id`.
    """
    query = query or Query()
    views_scope = TargetScope((page_id,))
    w = await _window(session, views_scope, query)
    views, visitors = await views_scope.totals(session, w)
    clicks = (
        await rollups.target_totals(session, link_ids, w.ranges(TOTAL_GRAINS)) if link_ids else {}
    )
    total_clicks = sum(n for n, _ in clicks.values())
    view_days = await _points(session, views_scope, w, "day")
    click_days = (
        await _points(session, TargetScope(tuple(link_ids)), w, "day")
        if link_ids
        else [(at, 0, 0) for at, _, _ in view_days]
    )
    return {
        **_window_view(w, query),
        "views": views,
        "unique_visitors": visitors,
        "clicks": total_clicks,
        "ctr": _ratio(total_clicks, views),
        "links": [
            {
                "id": str(link_id),
                "clicks": clicks.get(link_id, (0, 0))[0],
                "ctr": _ratio(clicks.get(link_id, (0, 0))[0], views),
            }
            for link_id in link_ids
        ],
        "timeseries": [
            {"timestamp": at, "views": n, "unique_visitors": v, "clicks": c}
            for (at, n, v), (_, c, _) in zip(view_days, click_days, strict=True)
        ],
    }


def _ratio(part: int, whole: int) -> float:
    """`part / whole` in percent, 2 decimals (0 when nothing was viewed)."""
    return round(part * 100 / whole, 2) if whole else 0.0


# --- for the dashboard -------------------------------------------------------------------------

MAX_FILTER_LINKS = 10_000  # links a dashboard filter counts together (a label's, at most)
# Above this many, a label's links are counted from the workspace's per-link sums.
FEW_LINKS = 500


async def trend(
    session: AsyncSession,
    tenant: Tenant,
    query: Query,
    link_id: str | None = None,
    *,
    link_ids: Sequence[uuid.UUID] | None = None,
    label: str | None = None,
) -> list[TrendPoint]:
    """`timeseries` with each bucket's unique visitors (by hour: visitors first seen that day
    in that hour)."""
    scope = await _scope(session, tenant, link_id, link_ids, label)
    w = await _window(session, scope, query)
    points = await _points(session, scope, w, query.granularity)
    return [TrendPoint(timestamp=at, scans=n, unique_visitors=v) for at, n, v in points]


async def links_scanned(
    session: AsyncSession,
    tenant: Tenant,
    query: Query,
    *,
    link_ids: Sequence[uuid.UUID] | None = None,
    label: str | None = None,
) -> tuple[int, int | None]:
    """How many links (deleted ones included) were scanned in the period, and in the period
    before (None for `all`)."""
    scope = await _scope(session, tenant, None, link_ids, label)
    w = await _window(session, scope, query)

    async def count(window: Window) -> int:
        ranges = window.ranges(TOTAL_GRAINS)
        if link_ids is None:
            return len(await rollups.target_ranking(session, tenant.workspace_id, "link", ranges))
        found = await rollups.target_totals(session, link_ids, ranges) if link_ids else {}
        return sum(1 for n, _ in found.values() if n > 0)

    previous = None if query.period == "all" else await count(w.previous())
    return await count(w), previous


async def ranked_links(
    session: AsyncSession,
    tenant: Tenant,
    query: Query,
    short_base: str,
    link_ids: Sequence[uuid.UUID],
    limit: int = 10,
    *,
    label: str | None = None,
) -> list[TopLinkOut]:
    """`top_links` among the given links of the workspace (`label`: they are its links)."""
    scope = await _scope(session, tenant, None, link_ids, label)
    w = await _window(session, scope, query)
    found = await rollups.target_totals(session, link_ids, w.ranges(TOTAL_GRAINS))
    return await _ranked(session, tenant, short_base, found, limit)


async def link_activity(
    session: AsyncSession,
    tenant: Tenant,
    query: Query,
    short_base: str,
    link_ids: Sequence[uuid.UUID],
    limit: int = 10,
    *,
    label: str | None = None,
) -> tuple[int, int | None, list[TopLinkOut]]:
    """Among the given links: how many were scanned in the period and in the one before
    (None for `all`), and the most scanned (`links_scanned` and `ranked_links` in one read
    per period). With `label` and more than `FEW_LINKS` of them, all the label's links are
    counted (the ids given may be only the first of them)."""
    scope = await _scope(session, tenant, None, link_ids, label)
    w = await _window(session, scope, query)

    async def counts(window: Window) -> dict[uuid.UUID, tuple[int, int]]:
        ranges = window.ranges(TOTAL_GRAINS)
        if label is not None and len(link_ids) > FEW_LINKS:
            # the workspace's per-link sums, kept if the link has the label: one pass over the
            # period's rows, not an index lookup per link
            members = label_link_ids(tenant.workspace_id, label)
            return await rollups.target_counts(
                session, tenant.workspace_id, "link", ranges, among=members
            )
        return await rollups.target_totals(session, link_ids, ranges) if link_ids else {}

    found = await counts(w)
    before = None
    if query.period != "all":
        before = sum(1 for n, _ in (await counts(w.previous())).values() if n > 0)
    top = await _ranked(session, tenant, short_base, found, limit)
    return sum(1 for n, _ in found.values() if n > 0), before, top


async def _ranked(
    session: AsyncSession,
    tenant: Tenant,
    short_base: str,
    found: dict[uuid.UUID, tuple[int, int]],
    limit: int,
) -> list[TopLinkOut]:
    ranking = sorted(
        ((target, n) for target, (n, _) in found.items() if n > 0),
        key=lambda item: (-item[1], str(item[0])),
    )[:limit]
    links = await get_links(session, tenant, [target for target, _ in ranking])
    return [
        TopLinkOut(**dict(link_view(links[target], short_base)), scans=n)
        for target, n in ranking
        if target in links
    ]


async def rule_counts(
    session: AsyncSession, tenant: Tenant, query: Query, link_id: str
) -> dict[str, int] | None:
    """Scans per routing rule of a link (`"1"` is its first rule as listed, `"0"` its own
    destination when no rule matched), by the UTC days the period touches; None for a link
    without rules."""
    link = await get_link(session, tenant, link_id)
    if not link.routing_rules:
        return None
    scope = TargetScope((link.id,))
    w = await _window(session, scope, query)
    first, last = w.start.date(), (w.end - timedelta(microseconds=1)).date()
    return await rollups.day_breakdown(session, link.id, "rule", first, last)
