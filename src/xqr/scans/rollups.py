"""Reading the scan rollups: the queries analytics (`xqr.analytics.service`) asks.

They live beside the tables they read (`aggregate.py` decides what the rows hold, the writer
stores them), so the rollups' layout stays this domain's own.

Every query takes a window as rollup ranges (`Window.ranges()`: whole UTC days from the daily
rows, the edge hours from the hourly rows), so its cost grows with the days asked for, not
with the scans in them.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, Subquery, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from xqr.scans.models import ScanBreakdown, ScanDimension, ScanRollup, ScanTotal

Ranges = Sequence[tuple[str, datetime, datetime]]

# Core columns, not ORM attributes: the rows are plain tuples, and the ORM's row loading would
# cost more than the queries themselves (thousands of hourly rows for a time zone's days).
_dimensions = ScanDimension.__table__.c
_totals = ScanTotal.__table__.c
_rollups = ScanRollup.__table__.c
_breakdowns = ScanBreakdown.__table__.c

# The dimensions of a target's breakdowns and their `scan_rollups` columns.
FACT_COLUMNS = {
    "country": _rollups.country,
    "device": _rollups.device_type,
    "browser": _rollups.browser,
    "os": _rollups.os,
    "source": _rollups.source,
}


def _over_ranges(query: Any, grain: Any, bucket: Any, ranges: Ranges) -> Subquery:
    """`query`'s rows in each range, as one UNION ALL: each part is an index range scan (an OR
    of the ranges would make SQLite read every row of the key prefix instead)."""
    parts = [query.where(grain == g, bucket >= lo, bucket < hi) for g, lo, hi in ranges]
    return union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()


# --- a workspace: scan_dimensions ------------------------------------------------------------


async def dimension_counts(
    session: AsyncSession,
    workspace_id: uuid.UUID,
    kind: str,
    dims: Sequence[str],
    ranges: Ranges,
) -> dict[str, dict[str, int]]:
    """Scans per value of each dimension over the ranges (one query for all of them)."""
    d = _dimensions
    parts = [
        select(d.dim, d.value, d.scans).where(
            d.workspace_id == workspace_id,
            d.kind == kind,
            d.dim == dim,
            d.grain == grain,
            d.bucket >= lo,
            d.bucket < hi,
        )
        for dim in dims  # a part per dimension and range: each one index range scan
        for grain, lo, hi in ranges
    ]
    rows = union_all(*parts).subquery()
    result = await session.execute(
        select(rows.c.dim, rows.c.value, func.sum(rows.c.scans)).group_by(rows.c.dim, rows.c.value)
    )
    counts: dict[str, dict[str, int]] = {dim: {} for dim in dims}
    for dim, value, n in result.all():
        counts[str(dim)][str(value)] = int(n)
    return counts


async def dimension_series(
    session: AsyncSession,
    workspace_id: uuid.UUID,
    kind: str,
    dims: Sequence[str],
    grain: str,
    start: datetime,
    end: datetime,
) -> dict[str, dict[datetime, int]]:
    """Each dimension's scans (for `total` and `visitors`: all of them) per bucket."""
    d = _dimensions
    series: dict[str, dict[datetime, int]] = {dim: {} for dim in dims}
    rows = await session.execute(
        select(d.dim, d.bucket, func.sum(d.scans))
        .where(
            d.workspace_id == workspace_id,
            d.kind == kind,
            d.dim.in_(list(dims)),
            d.grain == grain,
            d.bucket >= start,
            d.bucket < end,
        )
        .group_by(d.dim, d.bucket)
    )
    for dim, bucket, n in rows.all():
        series[str(dim)][bucket] = int(n)
    return series


async def first_workspace_scan(
    session: AsyncSession, workspace_id: uuid.UUID, kind: str
) -> datetime | None:
    d = _dimensions
    found: datetime | None = await session.scalar(
        select(func.min(d.bucket)).where(
            d.workspace_id == workspace_id, d.kind == kind, d.dim == "total", d.grain == "h"
        )
    )
    return found


# --- targets: scan_totals --------------------------------------------------------------------


async def target_ranking(
    session: AsyncSession, workspace_id: uuid.UUID, kind: str, ranges: Ranges
) -> list[tuple[uuid.UUID, int]]:
    """(target, scans) of every target of the kind with scans in the ranges, most first."""
    t = _totals
    query = select(t.target_id, t.scans).where(t.workspace_id == workspace_id, t.kind == kind)
    rows = _over_ranges(query, t.grain, t.bucket, ranges)
    scans = func.sum(rows.c.scans)
    result = await session.execute(
        select(rows.c.target_id, scans)
        .group_by(rows.c.target_id)
        .having(scans > 0)
        .order_by(scans.desc(), rows.c.target_id)
    )
    return [(target, int(n)) for target, n in result.all()]


async def target_counts(
    session: AsyncSession,
    workspace_id: uuid.UUID,
    kind: str,
    ranges: Ranges,
    among: Select[uuid.UUID] | None = None,
) -> dict[uuid.UUID, tuple[int, int]]:
    """(scans, visitors) of every target of the kind with rows in the ranges; `among`: only
    the targets that query of ids gives (applied to the per-target sums, so it is looked up
    once per target with scans, not once per row)."""
    t = _totals
    query = select(t.target_id, t.scans, t.visitors).where(
        t.workspace_id == workspace_id, t.kind == kind
    )
    rows = _over_ranges(query, t.grain, t.bucket, ranges)
    sums = (
        select(
            rows.c.target_id,
            func.sum(rows.c.scans).label("n"),
            func.sum(rows.c.visitors).label("v"),
        )
        .group_by(rows.c.target_id)
        .subquery()
    )
    counted = select(sums.c.target_id, sums.c.n, sums.c.v)
    if among is not None:
        members = among.subquery()
        counted = counted.join(members, members.c[0] == sums.c.target_id)
    result = await session.execute(counted)
    return {target: (int(n), int(v)) for target, n, v in result.all()}


async def target_totals(
    session: AsyncSession, target_ids: Sequence[uuid.UUID], ranges: Ranges
) -> dict[uuid.UUID, tuple[int, int]]:
    """(scans, visitors) per target over the ranges."""
    t = _totals
    query = select(t.target_id, t.scans, t.visitors).where(t.target_id.in_(list(target_ids)))
    rows = _over_ranges(query, t.grain, t.bucket, ranges)
    result = await session.execute(
        select(rows.c.target_id, func.sum(rows.c.scans), func.sum(rows.c.visitors)).group_by(
            rows.c.target_id
        )
    )
    return {target: (int(n), int(v)) for target, n, v in result.all()}


async def target_series(
    session: AsyncSession,
    target_ids: Sequence[uuid.UUID],
    grain: str,
    start: datetime,
    end: datetime,
) -> dict[datetime, tuple[int, int]]:
    """(scans, visitors) of the targets together per bucket."""
    t = _totals
    rows = await session.execute(
        select(t.bucket, func.sum(t.scans), func.sum(t.visitors))
        .where(
            t.target_id.in_(list(target_ids)),
            t.grain == grain,
            t.bucket >= start,
            t.bucket < end,
        )
        .group_by(t.bucket)
    )
    return {bucket: (int(n), int(v)) for bucket, n, v in rows.all()}


async def first_target_scan(
    session: AsyncSession, target_ids: Sequence[uuid.UUID]
) -> datetime | None:
    t = _totals
    found: datetime | None = await session.scalar(
        select(func.min(t.bucket)).where(t.target_id.in_(list(target_ids)), t.grain == "h")
    )
    return found


# --- one target's facets: scan_rollups -------------------------------------------------------


async def breakdown_counts(
    session: AsyncSession, target_ids: Sequence[uuid.UUID], ranges: Ranges
) -> dict[str, dict[str, int]]:
    """The targets' scans per value of each dimension (country, device, browser, os, source):
    whole UTC days from `scan_breakdowns`, hours from the hourly `scan_rollups`."""
    ids = list(target_ids)
    b, r = _breakdowns, _rollups
    parts: list[Any] = []
    for grain, lo, hi in ranges:
        if grain == "d":
            parts.append(
                select(b.dim, b.value, b.scans).where(
                    b.target_id.in_(ids),
                    b.day >= lo.date(),
                    b.day < hi.date(),
                    b.dim.in_(list(FACT_COLUMNS)),
                )
            )
            continue
        for dim, column in FACT_COLUMNS.items():
            parts.append(
                select(literal(dim).label("dim"), column.label("value"), r.scans).where(
                    r.target_id.in_(ids), r.hour >= lo, r.hour < hi
                )
            )
    counts: dict[str, dict[str, int]] = {dim: {} for dim in FACT_COLUMNS}
    if not parts:
        return counts
    rows = union_all(*parts).subquery()
    result = await session.execute(
        select(rows.c.dim, rows.c.value, func.sum(rows.c.scans)).group_by(rows.c.dim, rows.c.value)
    )
    for dim, value, n in result.all():
        counts[str(dim)][str(value)] = int(n)
    return counts


async def day_breakdown(
    session: AsyncSession, target_id: uuid.UUID, dim: str, first: date, last: date
) -> dict[str, int]:
    """A target's scans per value of one dimension over whole UTC days `first`…`last`."""
    b = _breakdowns
    result = await session.execute(
        select(b.value, func.sum(b.scans))
        .where(b.target_id == target_id, b.day >= first, b.day <= last, b.dim == dim)
        .group_by(b.value)
    )
    return {str(value): int(n) for value, n in result.all()}
