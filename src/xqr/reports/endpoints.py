"""`/v1/reports`: saved reports, running them, their runs and files."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from xqr.context import Ctx, DbSession, ReadSession
from xqr.core.envelope import Envelope, ListEnvelope, no_content
from xqr.core.openapi import error_responses
from xqr.core.pagination import Pagination
from xqr.reports import service
from xqr.reports.auth import ReportsRead, ReportsWrite, ReportsWriteAnalytics
from xqr.reports.downloads import file_response
from xqr.reports.schemas import ReportCreate, ReportOut, ReportUpdate, RunOut

router = APIRouter(prefix="/reports", tags=["Reports"])


@router.post("", summary="Create report", status_code=201)
async def create_report(
    request: Request, body: ReportCreate, principal: ReportsWriteAnalytics, session: DbSession
) -> Envelope[ReportOut]:
    """Save a report: what to count, the period, filters, format, an optional schedule and
    recipients. Scopes: `reports:write` and `analytics:read`. Counts against the plan's
    `reports` limit."""
    report = await service.create_report(session, principal.tenant, body)
    data = service.report_view(report)
    await session.commit()
    return Envelope[ReportOut].of(request, data)


@router.get("", summary="List reports")
async def list_reports(
    request: Request, principal: ReportsRead, session: ReadSession, pagination: Pagination
) -> ListEnvelope[ReportOut]:
    """The workspace's reports, newest first. Scope: `reports:read`."""
    rows, total = await service.list_reports(
        session, principal.tenant, limit=pagination.limit, offset=pagination.offset
    )
    return ListEnvelope[ReportOut].of(
        request,
        [service.report_view(report) for report in rows],
        total=total,
        limit=pagination.limit,
        offset=pagination.offset,
    )


@router.get("/runs/{run_id}", summary="Get report run")
async def get_run(
    request: Request, run_id: str, principal: ReportsRead, session: ReadSession, ctx: Ctx
) -> Envelope[RunOut]:
    """One run: its status, times, row count, and once completed its file with a signed
    `download_url` that needs no key until it expires. Scope: `reports:read`."""
    run = await service.get_run(session, principal.tenant, run_id)
    return Envelope[RunOut].of(request, service.run_view(run, ctx.parts.report_downloads))


@router.get(
    "/runs/{run_id}/download",
    summary="Download report run",
    responses={
        200: {
            "description": "The file, with its name in `Content-Disposition`.",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/json": {"schema": {"type": "string"}},
                "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            },
        },
        **error_responses(409),
    },
    response_class=Response,
)
async def download_run(run_id: str, principal: ReportsRead, session: ReadSession) -> Response:
    """The completed run's file (CSV, JSON or PDF). 409 CONFLICT while the run is queued or
    running, or when it failed. Scope: `reports:read`."""
    run, content = await service.run_file(session, principal.tenant, run_id)
    return file_response(run, content)


@router.get("/{report_id}", summary="Get report")
async def get_report(
    request: Request, report_id: str, principal: ReportsRead, session: ReadSession
) -> Envelope[ReportOut]:
    """One report. Scope: `reports:read`."""
    report = await service.get_report(session, principal.tenant, report_id)
    return Envelope[ReportOut].of(request, service.report_view(report))


@router.patch("/{report_id}", summary="Update report")
async def update_report(
    request: Request,
    report_id: str,
    body: ReportUpdate,
    principal: ReportsWriteAnalytics,
    session: DbSession,
) -> Envelope[ReportOut]:
    """Change any field; `schedule: null` removes the schedule, and a new schedule or time
    zone moves `next_run_at`. Scopes: `reports:write` and `analytics:read`."""
    report = await service.update_report(session, principal.tenant, report_id, body)
    data = service.report_view(report)
    await session.commit()
    return Envelope[ReportOut].of(request, data)


@router.delete("/{report_id}", summary="Delete report", status_code=204)
async def delete_report(report_id: str, principal: ReportsWrite, session: DbSession) -> Response:
    """Delete the report with its runs and their files. Scope: `reports:write`."""
    await service.delete_report(session, principal.tenant, report_id)
    await session.commit()
    return no_content()


@router.post(
    "/{report_id}/runs",
    summary="Run report",
    status_code=202,
    responses=error_responses(409),
)
async def run_report(
    request: Request,
    report_id: str,
    principal: ReportsWriteAnalytics,
    session: DbSession,
    ctx: Ctx,
) -> Envelope[RunOut]:
    """Queue a run now and answer with it (status `queued`); a background worker makes it.
    Poll `GET /reports/runs/{run_id}` or subscribe to `report.completed`. 409 CONFLICT while
    an earlier run queued this way is unfinished. Scopes: `reports:write` and
    `analytics:read`."""
    run = await service.run_report(session, principal.tenant, report_id)
    data = service.run_view(run, ctx.parts.report_downloads)
    await session.commit()
    return Envelope[RunOut].of(request, data)


@router.get("/{report_id}/runs", summary="List report runs")
async def list_runs(
    request: Request,
    report_id: str,
    principal: ReportsRead,
    session: ReadSession,
    pagination: Pagination,
    ctx: Ctx,
) -> ListEnvelope[RunOut]:
    """A report's runs, newest first (the 50 latest finished ones are kept). Scope:
    `reports:read`."""
    rows, total = await service.list_runs(
        session, principal.tenant, report_id, limit=pagination.limit, offset=pagination.offset
    )
    links = ctx.parts.report_downloads
    return ListEnvelope[RunOut].of(
        request,
        [service.run_view(run, links) for run in rows],
        total=total,
        limit=pagination.limit,
        offset=pagination.offset,
    )
