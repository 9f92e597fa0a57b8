"""Report tools: list_reports, create_report, run_report, get_report_run."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from mcp.server import MCPServer
from mcp.types import CallToolResult
from pydantic import BaseModel, ConfigDict, Field

from xqr.client import AsyncXQR
from xqr.mcp.hints import CREATE, READ
from xqr.mcp.results import page_result, respond
from xqr.mcp.schemas import Id, Labels, Limit, Offset, Period

MAX_RECIPIENTS = 20
MAX_LINK_IDS = 100

Kind = Annotated[
    Literal["summary", "timeseries", "geography", "devices", "top_links", "links"],
    Field(
        description="summary (KPIs), timeseries (scans per hour or day), geography "
        "(countries), devices (device types, browsers, OS), top_links (the 100 most scanned), "
        "links (every link with its scans and unique visitors)."
    ),
]
ReportId = Annotated[Id, Field(description="The report's id (from create_report/list_reports).")]
RunId = Annotated[Id, Field(description="The run's id (from run_report).")]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DateRange(_Input):
    start: date = Field(description="First local day counted (YYYY-MM-DD).")
    end: date = Field(description="Last local day counted, included.")


class Schedule(_Input):
    frequency: Literal["daily", "weekly", "monthly"]
    hour: int = Field(8, ge=0, le=23, description="Hour in the report's time zone.")
    weekday: (
        Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] | None
    ) = Field(None, description="Weekly only.")
    day: int | None = Field(
        None, ge=1, le=31, description="Monthly only; short months use their last day."
    )


def register(server: MCPServer, client: AsyncXQR) -> None:
    @server.tool(
        title="List reports",
        description="Saved analytics reports of the workspace (definition, schedule, next "
        "run), newest first. Paginated: pass the returned next_offset as offset.",
        annotations=READ,
    )
    async def list_reports(limit: Limit = 50, offset: Offset = 0) -> CallToolResult:
        return await respond(client.reports.list(limit=limit, offset=offset), page_result)

    @server.tool(
        title="Create report",
        description="Save an analytics report: what to count (kind), the period, optional "
        "link or label filters, time zone, file format (csv, json, pdf), an optional schedule "
        "and email recipients. Run it with run_report.",
        annotations=CREATE,
    )
    async def create_report(
        name: Annotated[str, Field(min_length=1, max_length=200)],
        kind: Kind,
        period: Period | DateRange = "30d",
        timezone: Annotated[str, Field(min_length=1, max_length=64)] = "UTC",
        granularity: Literal["hour", "day"] = "day",
        link_ids: Annotated[list[Id], Field(max_length=MAX_LINK_IDS)] | None = None,
        labels: Labels | None = None,
        format: Literal["csv", "json", "pdf"] = "csv",
        schedule: Schedule | None = None,
        recipients: Annotated[list[str], Field(max_length=MAX_RECIPIENTS)] | None = None,
    ) -> CallToolResult:
        fields: dict[str, Any] = {
            "period": period.model_dump(mode="json") if isinstance(period, DateRange) else period,
            "timezone": timezone,
            "granularity": granularity,
            "format": format,
        }
        if link_ids:
            fields["link_ids"] = link_ids
        if labels:
            fields["labels"] = labels
        if schedule is not None:
            fields["schedule"] = schedule.model_dump(exclude_none=True)
        if recipients:
            fields["recipients"] = recipients
        return await respond(client.reports.create(name, kind, **fields))

    @server.tool(
        title="Run report",
        description="Queue a run of a saved report now; answers with the run (status "
        "queued). Poll get_report_run until it is completed or failed.",
        annotations=CREATE,
    )
    async def run_report(report_id: ReportId) -> CallToolResult:
        return await respond(client.reports.run(report_id))

    @server.tool(
        title="Get report run",
        description="One report run: status (queued, running, completed, failed), row count, "
        "error, and once completed the file's name, type and size with a signed download_url "
        "that needs no API key until it expires.",
        annotations=READ,
    )
    async def get_report_run(run_id: RunId) -> CallToolResult:
        return await respond(client.reports.get_run(run_id))
