"""Reports: saved analytics reports, their schedule, running one now, and the run history
with downloads. Viewers read and download; members and above create, edit, run and delete."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from xqr.context import DbSession, ReadSession
from xqr.core.errors import ApiError
from xqr.dashboard.session import Me, SignedIn
from xqr.dashboard.web import (
    PREFIX,
    checked_form,
    ctx_of,
    field_errors,
    flash,
    redirect,
    render,
    text,
)
from xqr.reports import service as reports
from xqr.reports.content import build_content
from xqr.reports.downloads import file_response
from xqr.reports.formats import render_html, report_css
from xqr.reports.schedule import WEEKDAYS
from xqr.reports.schemas import ReportOut

router = APIRouter(prefix="/reports")
PAGE = f"{PREFIX}/reports"
REPORTS_PER_PAGE = 50
RUNS_PER_PAGE = 20

KIND_LABELS = {
    "summary": "Summary (scans, visitors, countries, devices)",
    "timeseries": "Scans over time",
    "geography": "Countries",
    "devices": "Devices, browsers and operating systems",
    "top_links": "Top 100 links",
    "links": "Every link with its counts",
}
PERIOD_LABELS = {
    "7d": "Last 7 days",
    "30d": "Last 30 days",
    "90d": "Last 90 days",
    "all": "All time",
    "custom": "Fixed dates",
}
FORMAT_LABELS = {"csv": "CSV (spreadsheets)", "json": "JSON (programs)", "pdf": "PDF (people)"}
FREQUENCY_LABELS = {"": "Not scheduled", "daily": "Daily", "weekly": "Weekly", "monthly": "Monthly"}
GRANULARITY_LABELS = {"day": "Per day", "hour": "Per hour (periods up to 31 days)"}
_LIST_SPLIT = re.compile(r"[,;\s]+")
# API field paths → the form's field names, for showing errors beside the right input.
_FORM_FIELDS = {
    "schedule.frequency": "frequency",
    "schedule.hour": "hour",
    "schedule.weekday": "weekday",
    "schedule.day": "day",
}


def _offset(request: Request) -> int:
    raw = request.query_params.get("offset", "0")
    return min(int(raw), 10_000_000) if raw.isdigit() else 0


def describe_period(report: ReportOut) -> str:
    if isinstance(report.period, str):
        return PERIOD_LABELS[report.period]
    return f"{report.period.start:%-d %b %Y} – {report.period.end:%-d %b %Y}"


def describe_schedule(report: ReportOut) -> str:
    schedule = report.schedule
    if schedule is None:
        return "Not scheduled"
    at = f"{schedule.hour:02d}:00 ({report.timezone})"
    if schedule.frequency == "weekly":
        return f"Every {(schedule.weekday or 'monday').capitalize()} at {at}"
    if schedule.frequency == "monthly":
        return f"Monthly on day {schedule.day} at {at}"
    return f"Daily at {at}"


# --- the form ------------------------------------------------------------------------


def _blank(me: Me) -> dict[str, Any]:
    return {
        "name": "",
        "kind": "summary",
        "period": "30d",
        "start": "",
        "end": "",
        "timezone": me.timezone,
        "granularity": "day",
        "labels": "",
        "format": "csv",
        "frequency": "",
        "weekday": "monday",
        "day": "1",
        "hour": "8",
        "recipients": "",
    }


def _from_report(report: ReportOut) -> dict[str, Any]:
    custom = not isinstance(report.period, str)
    schedule = report.schedule
    return {
        "name": report.name,
        "kind": report.kind,
        "period": "custom" if custom else report.period,
        "start": "" if isinstance(report.period, str) else report.period.start.isoformat(),
        "end": "" if isinstance(report.period, str) else report.period.end.isoformat(),
        "timezone": report.timezone,
        "granularity": report.granularity,
        "labels": ", ".join(report.labels),
        "format": report.format,
        "frequency": schedule.frequency if schedule else "",
        "weekday": (schedule.weekday if schedule else None) or "monday",
        "day": str((schedule.day if schedule else None) or 1),
        "hour": str(schedule.hour if schedule else 8),
        "recipients": ", ".join(report.recipients),
    }


def _values(form: FormData) -> dict[str, Any]:
    names = ("name", "kind", "period", "start", "end", "timezone", "granularity", "format")
    values: dict[str, Any] = {name: text(form, name, limit=300).strip() for name in names}
    values["labels"] = text(form, "labels", limit=1000)
    values["recipients"] = text(form, "recipients", limit=6000)
    for name in ("frequency", "weekday", "day", "hour"):
        values[name] = text(form, name, limit=20).strip()
    return values


def _number(value: str) -> int | str:
    return int(value) if value.isdigit() else value


def _body(values: dict[str, Any]) -> dict[str, Any]:
    """The API body the form's values stand for."""
    period: Any = values["period"]
    if period == "custom":
        period = {"start": values["start"] or None, "end": values["end"] or None}
    schedule: dict[str, Any] | None = None
    if values["frequency"]:
        schedule = {"frequency": values["frequency"], "hour": _number(values["hour"] or "8")}
        if values["frequency"] == "weekly":
            schedule["weekday"] = values["weekday"] or "monday"
        if values["frequency"] == "monthly":
            schedule["day"] = _number(values["day"] or "1")
    return {
        "name": values["name"],
        "kind": values["kind"],
        "period": period,
        "timezone": values["timezone"] or "UTC",
        "granularity": values["granularity"] or "day",
        "labels": [label for label in values["labels"].split(",") if label.strip()],
        "format": values["format"],
        "schedule": schedule,
        "recipients": [a for a in _LIST_SPLIT.split(values["recipients"]) if a],
    }


def _form_errors(exc: ApiError) -> tuple[dict[str, str], str]:
    found, summary = field_errors(exc)
    errors: dict[str, str] = {}
    for path, message in found.items():
        name = _FORM_FIELDS.get(path, path.split("[")[0])
        if name.startswith("period"):
            name = "end" if "end" in name else "start" if "start" in name else "period"
        errors.setdefault(name, message)
    return errors, summary


def _form_page(
    request: Request,
    me: Me,
    *,
    report: ReportOut | None = None,
    values: dict[str, Any],
    status: int = 200,
    errors: dict[str, str] | None = None,
    error: str = "",
) -> Response:
    return render(
        request,
        "reports/form.html.j2",
        status=status,
        me=me,
        section="reports",
        report=report,
        values=values,
        errors=errors or {},
        error=error,
        kinds=list(KIND_LABELS.items()),
        periods=list(PERIOD_LABELS.items()),
        formats=list(FORMAT_LABELS.items()),
        frequencies=list(FREQUENCY_LABELS.items()),
        granularities=list(GRANULARITY_LABELS.items()),
        weekdays=[(day, day.capitalize()) for day in WEEKDAYS],
        hours=[(str(h), f"{h:02d}:00") for h in range(24)],
        days=[(str(d), str(d)) for d in range(1, 32)],
    )


# --- pages ---------------------------------------------------------------------------


@router.get("")
async def reports_page(request: Request, me: SignedIn, session: ReadSession) -> Response:
    offset = _offset(request)
    rows, total = await reports.list_reports(
        session, me.tenant, limit=REPORTS_PER_PAGE, offset=offset
    )
    latest = await reports.latest_runs(session, me.tenant, [r.id for r in rows])
    return render(
        request,
        "reports/list.html.j2",
        me=me,
        section="reports",
        reports=[
            {
                "report": reports.report_view(row),
                "period": describe_period(reports.report_view(row)),
                "schedule": describe_schedule(reports.report_view(row)),
                "last": latest.get(row.id),
            }
            for row in rows
        ],
        kinds=KIND_LABELS,
        paging={"total": total, "limit": REPORTS_PER_PAGE, "offset": offset},
    )


@router.get("/new")
async def new_report_page(request: Request, me: SignedIn) -> Response:
    me.require("member", "create reports")
    return _form_page(request, me, values=_blank(me))


@router.post("")
async def create_report(request: Request, me: SignedIn, session: DbSession) -> Response:
    form = await checked_form(request, me.csrf_token)
    me.require("member", "create reports")
    values = _values(form)
    try:
        report = await reports.create_report(
            session, me.tenant, reports.parse_create(_body(values))
        )
    except ApiError as exc:
        await session.rollback()
        errors, summary = _form_errors(exc)
        return _form_page(
            request, me, values=values, status=exc.status, errors=errors, error=summary
        )
    await session.commit()
    return flash(request, redirect(f"{PAGE}/{report.id}"), f"Report “{report.name}” saved.")


async def _detail(
    request: Request, me: Me, session: ReadSession, report_id: str, template: str
) -> Response:
    report = reports.report_view(await reports.get_report(session, me.tenant, report_id))
    offset = _offset(request)
    rows, total = await reports.list_runs(
        session, me.tenant, report_id, limit=RUNS_PER_PAGE, offset=offset
    )
    return render(
        request,
        template,
        me=me,
        section="reports",
        report=report,
        period=describe_period(report),
        schedule=describe_schedule(report),
        kinds=KIND_LABELS,
        runs=rows,
        paging={"total": total, "limit": RUNS_PER_PAGE, "offset": offset},
        confirm=request.query_params.get("confirm", ""),
    )


@router.get("/runs/{run_id}/download")
async def download_run(
    request: Request, run_id: str, me: SignedIn, session: ReadSession
) -> Response:
    """A completed run's file, for anyone who may read the workspace's reports."""
    run, content = await reports.run_file(session, me.tenant, run_id)
    return file_response(run, content)


@router.get("/view.css")
async def view_stylesheet() -> Response:
    """The report view's stylesheet (the dashboard's policy allows no inline styles)."""
    return Response(
        report_css(), media_type="text/css", headers={"Cache-Control": "private, max-age=3600"}
    )


@router.get("/{report_id}/view")
async def report_view_page(
    request: Request, report_id: str, me: SignedIn, session: ReadSession
) -> Response:
    """The report as it would be made now: the same HTML its PDF is printed from."""
    report = await reports.get_report(session, me.tenant, report_id)
    content = await build_content(session, me.tenant, report, ctx_of(request).settings.short_base)
    html = render_html(content, stylesheet=f"{PAGE}/view.css", back=f"{PAGE}/{report.id}")
    return HTMLResponse(html)


@router.get("/{report_id}")
async def report_page(
    request: Request, report_id: str, me: SignedIn, session: ReadSession
) -> Response:
    return await _detail(request, me, session, report_id, "reports/detail.html.j2")


@router.get("/{report_id}/runs")
async def runs_fragment(
    request: Request, report_id: str, me: SignedIn, session: ReadSession
) -> Response:
    """The run history alone: the page polls it (htmx) while a run is queued or running."""
    return await _detail(request, me, session, report_id, "reports/_runs.html.j2")


@router.get("/{report_id}/edit")
async def edit_report_page(
    request: Request, report_id: str, me: SignedIn, session: ReadSession
) -> Response:
    me.require("member", "edit reports")
    report = reports.report_view(await reports.get_report(session, me.tenant, report_id))
    return _form_page(request, me, report=report, values=_from_report(report))


@router.post("/{report_id}")
async def update_report(
    request: Request, report_id: str, me: SignedIn, session: DbSession
) -> Response:
    form = await checked_form(request, me.csrf_token)
    me.require("member", "edit reports")
    report = reports.report_view(await reports.get_report(session, me.tenant, report_id))
    values = _values(form)
    try:
        changed = await reports.update_report(
            session, me.tenant, report_id, reports.parse_update(_body(values))
        )
    except ApiError as exc:
        await session.rollback()
        errors, summary = _form_errors(exc)
        return _form_page(
            request,
            me,
            report=report,
            values=values,
            status=exc.status,
            errors=errors,
            error=summary,
        )
    await session.commit()
    return flash(request, redirect(f"{PAGE}/{changed.id}"), "Report saved.")


@router.post("/{report_id}/run")
async def run_report(
    request: Request, report_id: str, me: SignedIn, session: DbSession
) -> Response:
    await checked_form(request, me.csrf_token)
    me.require("member", "run reports")
    try:
        await reports.run_report(session, me.tenant, report_id)
    except ApiError as exc:
        if exc.code != "CONFLICT":
            raise
        await session.rollback()
        return flash(request, redirect(f"{PAGE}/{report_id}"), exc.message, "error")
    await session.commit()
    return flash(
        request,
        redirect(f"{PAGE}/{report_id}#runs"),
        "Run queued. It appears below and can be downloaded once it has completed.",
    )


@router.post("/{report_id}/delete")
async def delete_report(
    request: Request, report_id: str, me: SignedIn, session: DbSession
) -> Response:
    await checked_form(request, me.csrf_token)
    me.require("member", "delete reports")
    report = await reports.get_report(session, me.tenant, report_id)
    name = report.name
    await reports.delete_report(session, me.tenant, report_id)
    await session.commit()
    return flash(request, redirect(PAGE), f"Report “{name}” deleted with its runs.")
