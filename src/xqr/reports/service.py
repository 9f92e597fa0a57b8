"""Reports and their runs: the rules behind `/v1/reports`, and what a dashboard calls.

Every function takes the workspace as a `Tenant` (or its id) and a session, and never
commits: the caller's unit of work does. Running is queued here and done by the worker
(`xqr.reports.worker`).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from xqr.analytics.periods import zone
from xqr.analytics.service import CUSTOM_PERIOD, Query
from xqr.core.clock import utcnow
from xqr.core.errors import ApiError, not_found, validation_error, validation_failed
from xqr.core.text import plain_text_problem
from xqr.db.engine import on_commit
from xqr.links.service import MAX_LABEL_LENGTH, MAX_LABELS, get_links
from xqr.reports import repository, wakeup
from xqr.reports.models import Report, ReportRun
from xqr.reports.schedule import Schedule, ScheduleError
from xqr.reports.schemas import (
    DateRange,
    DateRangeOut,
    ReportCreate,
    ReportOut,
    ReportUpdate,
    RunFileOut,
    RunOut,
    ScheduleIn,
    ScheduleOut,
)
from xqr.reports.signing import download_signature
from xqr.workspaces.service import hold_limits
from xqr.workspaces.tenant import Tenant

MAX_NAME = 200
MAX_LINK_IDS = 100
MAX_RECIPIENTS = 20
# Finished runs kept per report (with their files); older ones are deleted as new ones end.
RUNS_KEPT = 50
_EMAIL = re.compile(r"[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\"]+")


def parse_id(value: str, what: str) -> uuid.UUID:
    """A path id; a malformed one is simply not found."""
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        raise not_found(what) from None


# --- checks ----------------------------------------------------------------------------------


def _name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= MAX_NAME:
        raise validation_error("name", f"must be 1–{MAX_NAME} characters")
    if problem := plain_text_problem(name):
        raise validation_error("name", problem)
    return name


def _period(period: str | DateRange) -> tuple[str, DateRange | None]:
    if isinstance(period, DateRange):
        return CUSTOM_PERIOD, period
    return period, None


def _query(period: str, dates: DateRange | None, timezone: str, granularity: str) -> None:
    """The same checks as the analytics API's (period, time zone, granularity)."""
    start, end = (dates.start, dates.end) if dates else (None, None)
    Query.parse(None if dates else period, timezone, granularity, start=start, end=end)


async def _link_ids(session: AsyncSession, tenant: Tenant, given: list[str] | None) -> list[str]:
    """Distinct ids of the workspace's links; another workspace's id is as unknown as none."""
    if not given:
        return []
    if len(given) > MAX_LINK_IDS:
        raise validation_error("link_ids", f"at most {MAX_LINK_IDS} links")
    ids: list[uuid.UUID] = []
    for index, value in enumerate(given):
        try:
            parsed = uuid.UUID(value)
        except (ValueError, AttributeError, TypeError):
            raise validation_error(f"link_ids[{index}]", "must be a link id") from None
        if parsed not in ids:
            ids.append(parsed)
    found = await get_links(session, tenant, ids)
    for index, link_id in enumerate(ids):
        if link_id not in found:
            raise validation_error(f"link_ids[{index}]", "no such link in this workspace")
    return [str(link_id) for link_id in ids]


def _labels(given: list[str] | None) -> list[str]:
    cleaned: list[str] = []
    for index, label in enumerate(given or []):
        label = label.strip()
        if not 1 <= len(label) <= MAX_LABEL_LENGTH:
            raise validation_error(f"labels[{index}]", f"must be 1–{MAX_LABEL_LENGTH} characters")
        if problem := plain_text_problem(label):
            raise validation_error(f"labels[{index}]", problem)
        if label not in cleaned:
            cleaned.append(label)
    if len(cleaned) > MAX_LABELS:
        raise validation_error("labels", f"at most {MAX_LABELS} labels")
    return cleaned


def _recipients(given: list[str] | None) -> list[str]:
    cleaned: list[str] = []
    for index, address in enumerate(given or []):
        address = address.strip()
        if len(address) > 254 or not _EMAIL.fullmatch(address):
            raise validation_error(f"recipients[{index}]", "must be an email address")
        if address.lower() not in (a.lower() for a in cleaned):
            cleaned.append(address)
    if len(cleaned) > MAX_RECIPIENTS:
        raise validation_error("recipients", f"at most {MAX_RECIPIENTS} addresses")
    return cleaned


def _schedule(given: ScheduleIn | None) -> Schedule | None:
    if given is None:
        return None
    try:
        return Schedule.parse(given.model_dump(exclude_none=True))
    except ScheduleError as exc:
        raise validation_error(exc.field, exc.message) from None


def _reschedule(report: Report, now: datetime) -> None:
    """Set the next slot from the report's schedule and time zone (none without one)."""
    if report.schedule is None:
        report.next_run_at = None
        return
    schedule = Schedule.parse(report.schedule)
    report.next_run_at = schedule.next_slot(zone(report.timezone), now)


def parse_create(raw: dict[str, Any]) -> ReportCreate:
    """A new report from plain values (the dashboard's form), validated as the API's body."""
    try:
        return ReportCreate.model_validate(raw)
    except ValidationError as exc:
        raise validation_failed([dict(e) for e in exc.errors()]) from exc


def parse_update(raw: dict[str, Any]) -> ReportUpdate:
    """A change of a report from plain values, validated as the API's body."""
    try:
        return ReportUpdate.model_validate(raw)
    except ValidationError as exc:
        raise validation_failed([dict(e) for e in exc.errors()]) from exc


# --- reports ---------------------------------------------------------------------------------


async def count_reports(session: AsyncSession, workspace_id: uuid.UUID) -> int:
    return await repository.count_reports(session, workspace_id)


async def create_report(session: AsyncSession, tenant: Tenant, body: ReportCreate) -> Report:
    """A new saved report; counts against the plan's `reports` limit."""
    await hold_limits(session, tenant)
    tenant.ensure_within("reports", await count_reports(session, tenant.workspace_id))
    period, dates = _period(body.period)
    _query(period, dates, body.timezone, body.granularity)
    schedule = _schedule(body.schedule)
    now = utcnow()
    report = Report(
        workspace_id=tenant.workspace_id,
        name=_name(body.name),
        kind=body.kind,
        period=period,
        period_start=dates.start if dates else None,
        period_end=dates.end if dates else None,
        granularity=body.granularity,
        link_ids=await _link_ids(session, tenant, body.link_ids),
        labels=_labels(body.labels),
        timezone=body.timezone,
        format=body.format,
        schedule=schedule.as_dict() if schedule else None,
        recipients=_recipients(body.recipients),
        created_at=now,
        updated_at=now,
    )
    _reschedule(report, now)
    session.add(report)
    await session.flush()
    return report


async def list_reports(
    session: AsyncSession, tenant: Tenant, *, limit: int, offset: int
) -> tuple[Sequence[Report], int]:
    """The workspace's reports, newest first, and how many there are."""
    return await repository.list_reports(session, tenant.workspace_id, limit, offset)


async def get_report(session: AsyncSession, tenant: Tenant, report_id: str) -> Report:
    report = await repository.get_report(
        session, tenant.workspace_id, parse_id(report_id, "Report")
    )
    if report is None:
        raise not_found("Report")
    return report


async def update_report(
    session: AsyncSession, tenant: Tenant, report_id: str, body: ReportUpdate
) -> Report:
    """Change the given fields; a new schedule or time zone moves the next run."""
    report = await get_report(session, tenant, report_id)
    given = body.model_fields_set
    for field in ("name", "kind", "period", "timezone", "granularity", "format"):
        if field in given and getattr(body, field) is None:
            raise validation_error(field, "must not be null")
    if "name" in given:
        report.name = _name(body.name or "")
    if "kind" in given and body.kind is not None:
        report.kind = body.kind
    if "period" in given and body.period is not None:
        period, dates = _period(body.period)
        report.period = period
        report.period_start = dates.start if dates else None
        report.period_end = dates.end if dates else None
    if "timezone" in given and body.timezone is not None:
        report.timezone = body.timezone
    if "granularity" in given and body.granularity is not None:
        report.granularity = body.granularity
    dates = (
        DateRange(start=report.period_start, end=report.period_end)
        if report.period_start is not None and report.period_end is not None
        else None
    )
    _query(report.period, dates, report.timezone, report.granularity)
    if "format" in given and body.format is not None:
        report.format = body.format
    if "link_ids" in given:
        report.link_ids = await _link_ids(session, tenant, body.link_ids)
    if "labels" in given:
        report.labels = _labels(body.labels)
    if "recipients" in given:
        report.recipients = _recipients(body.recipients)
    if "schedule" in given:
        schedule = _schedule(body.schedule)
        report.schedule = schedule.as_dict() if schedule else None
    now = utcnow()
    if given & {"schedule", "timezone"}:
        _reschedule(report, now)
    report.updated_at = now
    await session.flush()
    return report


async def delete_report(session: AsyncSession, tenant: Tenant, report_id: str) -> None:
    """Delete the report with its runs and their files."""
    report = await get_report(session, tenant, report_id)
    await repository.delete_report(session, report.id)


# --- runs ------------------------------------------------------------------------------------


async def run_report(session: AsyncSession, tenant: Tenant, report_id: str) -> ReportRun:
    """Queue a run now; the worker makes it. CONFLICT while one queued by hand is unfinished."""
    report = await get_report(session, tenant, report_id)
    pending = await repository.unfinished_manual_run(session, report.id)
    if pending is not None:
        raise ApiError(
            "CONFLICT",
            f"Run {pending.id} of this report is {pending.status}; wait for it to finish.",
        )
    now = utcnow()
    run = ReportRun(
        report_id=report.id,
        workspace_id=tenant.workspace_id,
        trigger="manual",
        status="queued",
        created_at=now,
        updated_at=now,
    )
    session.add(run)
    await session.flush()
    on_commit(session, wakeup.wake_workers)
    return run


async def list_runs(
    session: AsyncSession, tenant: Tenant, report_id: str, *, limit: int, offset: int
) -> tuple[Sequence[ReportRun], int]:
    """A report's runs, newest first."""
    report = await get_report(session, tenant, report_id)
    return await repository.list_runs(session, report.id, limit, offset)


async def latest_runs(
    session: AsyncSession, tenant: Tenant, report_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, ReportRun]:
    """The newest run of each of these reports of the workspace (none: not in the answer)."""
    return await repository.latest_runs(session, tenant.workspace_id, report_ids)


async def get_run(session: AsyncSession, tenant: Tenant, run_id: str) -> ReportRun:
    run = await repository.get_run(session, tenant.workspace_id, parse_id(run_id, "Run"))
    if run is None:
        raise not_found("Run")
    return run


async def run_file(session: AsyncSession, tenant: Tenant, run_id: str) -> tuple[ReportRun, bytes]:
    """A completed run and its file; CONFLICT before it has completed."""
    run = await get_run(session, tenant, run_id)
    return run, await _file_of(session, run)


async def signed_file(session: AsyncSession, run_id: uuid.UUID) -> tuple[ReportRun, bytes]:
    """The file behind a signed download URL (the signature was checked by the caller)."""
    run = await repository.run_by_id(session, run_id)
    if run is None:
        raise not_found("Run")
    return run, await _file_of(session, run)


async def _file_of(session: AsyncSession, run: ReportRun) -> bytes:
    if run.status != "completed":
        raise ApiError("CONFLICT", f"This run is {run.status}; only a completed run has a file.")
    content = await repository.file_of(session, run.id)
    if content is None:
        raise not_found("Run file")
    return content


# --- views -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DownloadLinks:
    """Makes the signed, expiring download URLs of completed runs."""

    base_url: str
    secret: bytes
    ttl: timedelta

    def url(self, run: ReportRun, now: datetime | None = None) -> tuple[str, datetime]:
        expires = (now or utcnow()) + self.ttl
        stamp = int(expires.timestamp())
        signature = download_signature(self.secret, str(run.id), stamp)
        name = run.filename or "report"
        return (
            f"{self.base_url}/_reports/{run.id}/{name}?expires={stamp}&signature={signature}",
            expires.replace(microsecond=0),
        )


def report_view(report: Report) -> ReportOut:
    """The report object of the API (and of report.* webhook payloads)."""
    period: Any = report.period
    if report.period == CUSTOM_PERIOD:
        assert report.period_start is not None and report.period_end is not None
        period = DateRangeOut(start=report.period_start, end=report.period_end)
    schedule = None
    if report.schedule is not None:
        parsed = Schedule.parse(report.schedule)
        schedule = ScheduleOut(
            frequency=parsed.frequency,  # type: ignore[arg-type]
            hour=parsed.hour,
            weekday=parsed.weekday,  # type: ignore[arg-type]
            day=parsed.day,
        )
    return ReportOut(
        id=report.id,
        name=report.name,
        kind=report.kind,  # type: ignore[arg-type]
        period=period,
        timezone=report.timezone,
        granularity=report.granularity,  # type: ignore[arg-type]
        link_ids=list(report.link_ids or []),
        labels=list(report.labels or []),
        format=report.format,  # type: ignore[arg-type]
        schedule=schedule,
        recipients=list(report.recipients or []),
        next_run_at=report.next_run_at,
        created_at=report.created_at,
        updated_at=report.updated_at,
    )


def run_view(run: ReportRun, links: DownloadLinks) -> RunOut:
    """The run object of the API; a completed run carries a fresh signed download URL."""
    file = None
    url: str | None = None
    expires: datetime | None = None
    if run.status == "completed" and run.filename and run.content_type and run.size is not None:
        file = RunFileOut(filename=run.filename, content_type=run.content_type, size=run.size)
        url, expires = links.url(run)
    return RunOut(
        id=run.id,
        report_id=run.report_id,
        status=run.status,  # type: ignore[arg-type]
        trigger=run.trigger,  # type: ignore[arg-type]
        scheduled_for=run.slot,
        created_at=run.created_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        period_start=run.data_start,
        period_end=run.data_end,
        row_count=run.row_count,
        error=run.error,
        file=file,
        download_url=url,
        download_url_expires_at=expires,
        email_status=run.email_status,  # type: ignore[arg-type]
        email_error=run.email_error,
    )
