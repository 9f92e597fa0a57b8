"""Report queries, and the workers' claims on runs and schedule slots.

Claims work as the webhook dispatcher's (see `xqr.webhooks.repository`): PostgreSQL locks
candidate rows with `FOR UPDATE SKIP LOCKED`; SQLite has one writer at a time (write
transactions begin IMMEDIATE), so a select then an update in one transaction is exclusive.
The UPDATE repeats the claimable condition, and every later write is fenced by the claim's
token, so a worker whose lease was taken over cannot overwrite the new holder's work.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from xqr.db.engine import dialect_name
from xqr.reports.models import Report, ReportFile, ReportRun

# --- reports ---------------------------------------------------------------------------------


async def count_reports(session: AsyncSession, workspace_id: uuid.UUID) -> int:
    query = select(func.count()).select_from(Report).where(Report.workspace_id == workspace_id)
    return int(await session.scalar(query) or 0)


async def list_reports(
    session: AsyncSession, workspace_id: uuid.UUID, limit: int, offset: int
) -> tuple[Sequence[Report], int]:
    rows = await session.scalars(
        select(Report)
        .where(Report.workspace_id == workspace_id)
        .order_by(Report.created_at.desc(), Report.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return rows.all(), await count_reports(session, workspace_id)


async def get_report(
    session: AsyncSession, workspace_id: uuid.UUID, report_id: uuid.UUID
) -> Report | None:
    return await session.scalar(
        select(Report).where(Report.id == report_id, Report.workspace_id == workspace_id)
    )


async def report_by_id(session: AsyncSession, report_id: uuid.UUID) -> Report | None:
    return await session.get(Report, report_id)


async def delete_report(session: AsyncSession, report_id: uuid.UUID) -> None:
    # Runs and their files go with it (ON DELETE CASCADE).
    await session.execute(delete(Report).where(Report.id == report_id))


# --- runs ------------------------------------------------------------------------------------


async def list_runs(
    session: AsyncSession, report_id: uuid.UUID, limit: int, offset: int
) -> tuple[Sequence[ReportRun], int]:
    where = ReportRun.report_id == report_id
    total = await session.scalar(select(func.count()).select_from(ReportRun).where(where))
    rows = await session.scalars(
        select(ReportRun)
        .where(where)
        .order_by(ReportRun.created_at.desc(), ReportRun.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return rows.all(), int(total or 0)


async def get_run(
    session: AsyncSession, workspace_id: uuid.UUID, run_id: uuid.UUID
) -> ReportRun | None:
    return await session.scalar(
        select(ReportRun).where(ReportRun.id == run_id, ReportRun.workspace_id == workspace_id)
    )


async def latest_runs(
    session: AsyncSession, workspace_id: uuid.UUID, report_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, ReportRun]:
    if not report_ids:
        return {}
    newest = (
        select(ReportRun.report_id, func.max(ReportRun.created_at).label("at"))
        .where(ReportRun.workspace_id == workspace_id, ReportRun.report_id.in_(report_ids))
        .group_by(ReportRun.report_id)
        .subquery()
    )
    rows = await session.scalars(
        select(ReportRun)
        .join(
            newest,
            and_(ReportRun.report_id == newest.c.report_id, ReportRun.created_at == newest.c.at),
        )
        .order_by(ReportRun.id.desc())
    )
    found: dict[uuid.UUID, ReportRun] = {}
    for run in rows.all():
        found.setdefault(run.report_id, run)
    return found


async def run_by_id(session: AsyncSession, run_id: uuid.UUID) -> ReportRun | None:
    return await session.get(ReportRun, run_id)


async def unfinished_manual_run(session: AsyncSession, report_id: uuid.UUID) -> ReportRun | None:
    return await session.scalar(
        select(ReportRun)
        .where(
            ReportRun.report_id == report_id,
            ReportRun.trigger == "manual",
            ReportRun.status.in_(("queued", "running")),
        )
        .limit(1)
    )


async def file_of(session: AsyncSession, run_id: uuid.UUID) -> bytes | None:
    found: bytes | None = await session.scalar(
        select(ReportFile.content).where(ReportFile.run_id == run_id)
    )
    return found


async def prune_runs(session: AsyncSession, report_id: uuid.UUID, keep: int) -> int:
    """Delete the finished runs of a report beyond its `keep` newest (files go with them)."""
    kept = (
        select(ReportRun.id)
        .where(ReportRun.report_id == report_id)
        .order_by(ReportRun.created_at.desc(), ReportRun.id.desc())
        .limit(keep)
    )
    result = await session.execute(
        delete(ReportRun).where(
            ReportRun.report_id == report_id,
            ReportRun.status.in_(("completed", "failed")),
            ReportRun.id.not_in(kept.scalar_subquery()),
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


# --- the scheduler ---------------------------------------------------------------------------


async def due_reports(session: AsyncSession, now: datetime, limit: int) -> Sequence[Report]:
    """Reports whose next slot has come, oldest slot first; locked on PostgreSQL (another
    worker passes over them)."""
    query = (
        select(Report)
        .where(Report.next_run_at.is_not(None), Report.next_run_at <= now)
        .order_by(Report.next_run_at)
        .limit(limit)
    )
    if dialect_name(session) == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return (await session.scalars(query)).all()


async def next_slot_at(session: AsyncSession) -> datetime | None:
    found: datetime | None = await session.scalar(select(func.min(Report.next_run_at)))
    return found


async def queue_slot(
    session: AsyncSession, report: Report, slot: datetime, following: datetime, now: datetime
) -> ReportRun | None:
    """Queue the run of `report` for `slot` and move its schedule on to `following`; None
    when another worker queued that slot first (the unique (report, slot) says so)."""
    moved = await session.execute(
        update(Report)
        .where(Report.id == report.id, Report.next_run_at == slot)
        .values(next_run_at=following)
    )
    if not getattr(moved, "rowcount", 0):
        return None
    run = ReportRun(
        report_id=report.id,
        workspace_id=report.workspace_id,
        trigger="schedule",
        slot=slot,
        status="queued",
        created_at=now,
        updated_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(run)
            await session.flush()
    except IntegrityError:
        return None
    return run


# --- claims ----------------------------------------------------------------------------------


def _claimable(now: datetime) -> ColumnElement[bool]:
    """Queued, or running under a lease that ran out (its worker died or hung)."""
    return or_(
        ReportRun.status == "queued",
        and_(ReportRun.status == "running", ReportRun.lease_until < now),
    )


async def claim_run(
    session: AsyncSession, *, now: datetime, lease_until: datetime, token: str
) -> ReportRun | None:
    """Lease the oldest claimable run to `token`."""
    query = select(ReportRun.id).where(_claimable(now)).order_by(ReportRun.created_at).limit(1)
    if dialect_name(session) == "postgresql":
        query = query.with_for_update(skip_locked=True)
    run_id = await session.scalar(query)
    if run_id is None:
        return None
    result = await session.execute(
        update(ReportRun)
        .where(ReportRun.id == run_id, _claimable(now))
        .values(
            status="running",
            lease_until=lease_until,
            lease_token=token,
            attempts=ReportRun.attempts + 1,
            started_at=func.coalesce(ReportRun.started_at, now),
            updated_at=now,
        )
        .returning(ReportRun.id)
    )
    if result.scalar() is None:
        return None
    run = await session.get(ReportRun, run_id, populate_existing=True)
    return run


async def next_claimable_at(session: AsyncSession, now: datetime) -> datetime | None:
    """`now` when a run is queued; else when the earliest running lease runs out."""
    queued = await session.scalar(select(ReportRun.id).where(ReportRun.status == "queued").limit(1))
    if queued is not None:
        return now
    found: datetime | None = await session.scalar(
        select(func.min(ReportRun.lease_until)).where(ReportRun.status == "running")
    )
    return found


async def extend_lease(
    session: AsyncSession, run_id: uuid.UUID, token: str, lease_until: datetime
) -> bool:
    """Renew a lease still held by `token`; False when it was taken over."""
    result = await session.execute(
        update(ReportRun)
        .where(ReportRun.id == run_id, ReportRun.lease_token == token)
        .values(lease_until=lease_until)
    )
    return bool(getattr(result, "rowcount", 0))


async def held_run(session: AsyncSession, run_id: uuid.UUID, token: str) -> ReportRun | None:
    """The run, if `token` still holds it (locked on PostgreSQL for the final write)."""
    query = select(ReportRun).where(ReportRun.id == run_id, ReportRun.lease_token == token)
    if dialect_name(session) == "postgresql":
        query = query.with_for_update()
    return await session.scalar(query.execution_options(populate_existing=True))


def add_file(session: AsyncSession, run_id: uuid.UUID, content: bytes) -> None:
    session.add(ReportFile(run_id=run_id, content=content))


async def release_run(session: AsyncSession, run_id: uuid.UUID, token: str) -> None:
    """Give back a run this worker stopped making: queued again at once, for any worker (the
    claim still counts as an attempt)."""
    await session.execute(
        update(ReportRun)
        .where(
            ReportRun.id == run_id,
            ReportRun.lease_token == token,
            ReportRun.status == "running",
        )
        .values(status="queued", lease_until=None, lease_token=None)
    )
