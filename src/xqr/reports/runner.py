"""Making one claimed run: query, render, email, then record the result and emit its event.

Reads go through the read sessions (on SQLite they never take the write lock); the result
is written in one short transaction, fenced by the claim's token: a worker whose lease was
taken over (it hung past it) drops its result instead of overwriting the new holder's.
The email goes out before that write, so a worker that dies in between leaves the run to be
made and sent again: email is sent at least once, like webhooks.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from xqr.config import Settings
from xqr.core.clock import utcnow
from xqr.core.errors import ApiError
from xqr.reports import repository
from xqr.reports.content import ReportContent, ReportFailure, build_content
from xqr.reports.formats import RenderedFile, render_file
from xqr.reports.mailer import (
    Attachment,
    MailError,
    SmtpServer,
    build_message,
    send,
    sender_address,
)
from xqr.reports.models import Report, ReportRun
from xqr.reports.service import RUNS_KEPT, DownloadLinks, report_view, run_view
from xqr.webhooks.outbox import emit
from xqr.workspaces.plans import Plan
from xqr.workspaces.service import get_workspace, tenant_for

logger = logging.getLogger("xqr.reports")

MAX_ATTEMPTS = 3
INTERRUPTED = (
    "The run was interrupted {n} times (its worker stopped or crashed while making it). "
    "Run the report again; if this repeats, check the worker's logs."
)
INTERNAL = "The report could not be made because of an internal error (logged on the server)."


@dataclass(frozen=True)
class RunContext:
    """What making runs needs from the settings, read once."""

    short_base: str
    public_url: str
    links: DownloadLinks
    smtp: SmtpServer | None
    smtp_problem: str | None  # XQR_SMTP_URL is set but malformed
    sender: str
    max_attachment: int

    @classmethod
    def from_settings(cls, settings: Settings) -> RunContext:
        smtp, problem = None, None
        if settings.smtp_url:
            try:
                smtp = SmtpServer.from_url(settings.smtp_url)
            except ValueError as exc:
                problem = str(exc)
        return cls(
            short_base=settings.short_base,
            public_url=settings.public_url,
            links=download_links(settings),
            smtp=smtp,
            smtp_problem=problem,
            sender=sender_address(settings.smtp_from, settings.public_url),
            max_attachment=settings.report_email_max_attachment_bytes,
        )


def download_links(settings: Settings) -> DownloadLinks:
    return DownloadLinks(
        base_url=settings.public_url,
        secret=settings.secret,
        ttl=timedelta(seconds=settings.report_download_url_ttl_seconds),
    )


@dataclass
class Outcome:
    status: str  # completed | failed
    content: ReportContent | None = None
    file: RenderedFile | None = None
    error: str | None = None
    email_status: str | None = None
    email_error: str | None = None


async def execute(
    run: ReportRun,
    *,
    sessionmaker: async_sessionmaker[AsyncSession],
    read_sessionmaker: async_sessionmaker[AsyncSession],
    plans: dict[str, Plan],
    context: RunContext,
) -> str:
    """Make a run claimed with `run.lease_token`; returns its final status, or `lost` when
    its lease was taken over or the report deleted meanwhile."""
    token = run.lease_token
    assert token is not None
    async with read_sessionmaker() as session:
        report = await repository.report_by_id(session, run.report_id)
        if report is None:
            return "lost"
        if run.attempts > MAX_ATTEMPTS:
            outcome = Outcome("failed", error=INTERRUPTED.format(n=run.attempts - 1))
        else:
            outcome = await _make(session, report, run, plans, context)
    if outcome.status == "completed" and report.recipients:
        await _email(report, run, outcome, context)
    return await _record(sessionmaker, report, run.id, token, outcome, context)


async def _make(
    session: AsyncSession,
    report: Report,
    run: ReportRun,
    plans: dict[str, Plan],
    context: RunContext,
) -> Outcome:
    try:
        tenant = tenant_for(await get_workspace(session, report.workspace_id), plans)
        content = await build_content(session, tenant, report, context.short_base)
        view = report_view(report).model_dump(mode="json")
        file = await asyncio.to_thread(render_file, content, report.format, view)
    except ReportFailure as exc:
        return Outcome("failed", error=str(exc))
    except ApiError as exc:  # a definition the analytics refuse now (a retired time zone)
        return Outcome("failed", error=exc.message)
    except Exception:
        logger.exception("report run %s of report %s failed", run.id, report.id)
        return Outcome("failed", error=INTERNAL)
    return Outcome("completed", content=content, file=file)


async def _email(report: Report, run: ReportRun, outcome: Outcome, context: RunContext) -> None:
    if context.smtp is None:
        outcome.email_status = "not_configured"
        outcome.email_error = context.smtp_problem or "XQR_SMTP_URL is not set on this server."
        return
    assert outcome.file is not None and outcome.content is not None
    run.filename = outcome.file.filename
    url, expires = context.links.url(run)
    attach = len(outcome.file.content) <= context.max_attachment
    lines = [
        f"{report.name}: {outcome.content.subtitle}, {outcome.content.period_label} "
        f"({outcome.content.timezone}).",
        f"Rows: {len(outcome.content.rows):,}.",
        "",
        "The file is attached." if attach else "The file is too large to attach.",
        f"Download it until {expires:%Y-%m-%d %H:%M} UTC: {url}",
        "",
        f"Sent by xQR ({context.public_url}) to the recipients of this report.",
    ]
    message = build_message(
        sender=context.sender,
        recipients=list(report.recipients),
        subject=f"{report.name} — {outcome.content.period_label}",
        text="\n".join(lines),
        attachment=Attachment(
            outcome.file.filename, outcome.file.content_type, outcome.file.content
        )
        if attach
        else None,
    )
    try:
        await send(context.smtp, message)
        outcome.email_status = "sent"
    except MailError as exc:
        logger.warning("report run %s: email not sent: %s", run.id, exc)
        outcome.email_status, outcome.email_error = "failed", str(exc)


async def _record(
    sessionmaker: async_sessionmaker[AsyncSession],
    report: Report,
    run_id: uuid.UUID,
    token: str,
    outcome: Outcome,
    context: RunContext,
) -> str:
    async with sessionmaker() as session:
        run = await repository.held_run(session, run_id, token)
        if run is None:
            logger.warning("report run %s: lease taken over; its result is dropped", run_id)
            return "lost"
        now = utcnow()
        run.status = outcome.status
        run.finished_at = now
        run.updated_at = now
        run.lease_until = None
        run.error = outcome.error
        run.email_status, run.email_error = outcome.email_status, outcome.email_error
        if outcome.content is not None:
            run.data_start, run.data_end = outcome.content.start, outcome.content.end
        if outcome.file is not None and outcome.content is not None:
            run.row_count = len(outcome.content.rows)
            run.filename = outcome.file.filename
            run.content_type = outcome.file.content_type
            run.size = len(outcome.file.content)
            repository.add_file(session, run.id, outcome.file.content)
        await session.flush()
        await emit(
            session, report.workspace_id, f"report.{outcome.status}", _payload(report, run, context)
        )
        await repository.prune_runs(session, report.id, RUNS_KEPT)
        await session.commit()
    logger.info("report run %s %s", run_id, outcome.status)
    return outcome.status


def _payload(report: Report, run: ReportRun, context: RunContext) -> dict[str, Any]:
    """`report.completed` / `report.failed`: the report, the run, and for a completed run a
    signed download URL that expires."""
    view = run_view(run, context.links)
    return {
        "report": report_view(report).model_dump(mode="json"),
        "run": view.model_dump(mode="json"),
        "download_url": view.download_url,
        "download_url_expires_at": view.model_dump(mode="json")["download_url_expires_at"],
    }
