"""What a run contains: the analytics answer for the report's definition, as a table.

Every number comes from `xqr.analytics.service`, the calls behind `/api/v1/analytics/*`, so a
report and the API agree for the same period. Formats (CSV, JSON, PDF) are drawn from this.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from xqr.analytics import service as analytics
from xqr.core.clock import isoformat, utcnow
from xqr.links.service import (
    all_link_records,
    domain_base,
    get_links,
    link_view,
    list_links,
    short_url,
)
from xqr.reports.charts import Chart
from xqr.reports.models import Report
from xqr.workspaces.tenant import Tenant

TOP_LINKS = 100  # the analytics API's largest top-links answer
# Links counted together for summary, timeseries, geography and devices: each is a bound
# parameter of the queries, and the databases take some tens of thousands per statement.
MAX_SELECTED_LINKS = 1_000
CHART_ITEMS = 10
TOP_COLUMNS = ("rank", "id", "short_code", "short_url", "destination", "labels", "scans")

KIND_TITLES = {
    "summary": "Summary",
    "timeseries": "Scans over time",
    "geography": "Countries",
    "devices": "Devices, browsers and operating systems",
    "top_links": "Top links",
    "links": "Links",
}


class LinkRecord(Protocol):
    """What a report reads of a link (the links service's objects or its listing rows)."""

    id: uuid.UUID
    code: str
    domain_key: str
    destination: str
    labels: list[str]
    enabled: bool
    created_at: datetime


class ReportFailure(Exception):
    """The run cannot be made; the message is shown to the user as the run's error."""


@dataclass
class ReportContent:
    title: str
    kind: str
    period_label: str
    timezone: str
    start: datetime
    end: datetime
    generated_at: datetime
    columns: list[str]
    rows: list[list[Any]]
    data: Any  # JSON-ready: the analytics answer as the API gives it
    highlights: list[tuple[str, str]] = field(default_factory=list)
    chart: Chart | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def subtitle(self) -> str:
        return KIND_TITLES[self.kind]


def query_of(report: Report) -> analytics.Query:
    """The analytics query of a report (its fields were validated when it was saved)."""
    if report.period == analytics.CUSTOM_PERIOD:
        return analytics.Query.parse(
            None,
            report.timezone,
            report.granularity,
            start=report.period_start,
            end=report.period_end,
        )
    return analytics.Query.parse(report.period, report.timezone, report.granularity)


def period_label(report: Report) -> str:
    if report.period == analytics.CUSTOM_PERIOD:
        assert report.period_start is not None and report.period_end is not None
        return f"{report.period_start.isoformat()} to {report.period_end.isoformat()}"
    if report.period == "all":
        return "All time"
    return f"Last {report.period.removesuffix('d')} days"


async def build_content(
    session: AsyncSession, tenant: Tenant, report: Report, short_base: str
) -> ReportContent:
    """Query the analytics for `report` and lay the answer out as a table."""
    query = query_of(report)
    window = await analytics.period_window(session, tenant, query)
    content = ReportContent(
        title=report.name,
        kind=report.kind,
        period_label=period_label(report),
        timezone=report.timezone,
        start=window.start,
        end=window.end,
        generated_at=utcnow(),
        columns=[],
        rows=[],
        data=None,
    )
    if report.kind in ("links", "top_links"):
        await _links(session, tenant, report, query, short_base, content)
        return content
    selected = await _selection(session, tenant, report, content)
    builders = {
        "summary": _summary,
        "timeseries": _timeseries,
        "geography": _geography,
        "devices": _devices,
    }
    await builders[report.kind](session, tenant, query, selected, content)
    return content


# --- filters ---------------------------------------------------------------------------------


def _filtered(report: Report) -> bool:
    return bool(report.link_ids or report.labels)


def _matches(link: LinkRecord, report: Report, wanted_ids: set[uuid.UUID]) -> bool:
    if report.link_ids and link.id not in wanted_ids:
        return False
    return not report.labels or any(label in (link.labels or []) for label in report.labels)


def _wanted_ids(report: Report) -> set[uuid.UUID]:
    return {uuid.UUID(link_id) for link_id in report.link_ids or []}


async def _selection(
    session: AsyncSession, tenant: Tenant, report: Report, content: ReportContent
) -> list[uuid.UUID] | None:
    """The links the filters select (None: no filter, the whole workspace)."""
    if not _filtered(report):
        return None
    wanted = _wanted_ids(report)
    candidates: list[LinkRecord]
    if report.link_ids:
        candidates = list((await get_links(session, tenant, list(wanted))).values())
        missing = len(wanted) - len(candidates)
        if missing:
            content.notes.append(f"{missing} of the selected links no longer exist.")
    else:
        found: dict[uuid.UUID, LinkRecord] = {}
        for label in report.labels:
            rows, _ = await list_links(
                session, tenant, label=label, search=None, limit=MAX_SELECTED_LINKS + 1, offset=0
            )
            found.update((link.id, link) for link in rows)
        candidates = list(found.values())
    selected = [link.id for link in candidates if _matches(link, report, wanted)]
    if len(selected) > MAX_SELECTED_LINKS:
        raise ReportFailure(
            f"The filters select more than {MAX_SELECTED_LINKS:,} links, the most a "
            f"{report.kind} report counts together. Narrow the filters, or use a links report "
            "(one row per link, any number of links)."
        )
    if not selected:
        content.notes.append("The filters select no links: every count is zero.")
    content.notes.append(f"Counting {len(selected):,} selected links together.")
    return selected


# --- kinds -----------------------------------------------------------------------------------


async def _summary(
    session: AsyncSession,
    tenant: Tenant,
    query: analytics.Query,
    selected: Sequence[uuid.UUID] | None,
    content: ReportContent,
) -> None:
    answer = await analytics.summary(session, tenant, query, link_ids=selected)
    content.data = answer.model_dump(mode="json")
    change = answer.change
    rows: list[list[Any]] = [
        ["total_scans", answer.total_scans],
        ["unique_visitors", answer.unique_visitors],
    ]
    if answer.previous is not None and change is not None:
        rows += [
            ["previous_total_scans", answer.previous.total_scans],
            ["previous_unique_visitors", answer.previous.unique_visitors],
            ["change_total_scans_percent", _blank(change.total_scans)],
            ["change_unique_visitors_percent", _blank(change.unique_visitors)],
        ]
    rows += [[f"country:{c.country_code}", c.scans] for c in answer.top_countries]
    rows += [[f"device:{d.name}", d.scans] for d in answer.top_devices]
    content.columns = ["metric", "value"]
    content.rows = rows
    content.highlights = [
        ("Scans", f"{answer.total_scans:,}"),
        ("Unique visitors", f"{answer.unique_visitors:,}"),
    ]
    if change is not None and change.total_scans is not None:
        content.highlights.append(("Change in scans", f"{change.total_scans:+.2f}%"))
    content.chart = Chart(
        "line",
        "Scans and unique visitors per day",
        [_day(p.timestamp, query) for p in answer.trend],
        {
            "Scans": [p.scans for p in answer.trend],
            "Unique visitors": [p.unique_visitors for p in answer.trend],
        },
    )


async def _timeseries(
    session: AsyncSession,
    tenant: Tenant,
    query: analytics.Query,
    selected: Sequence[uuid.UUID] | None,
    content: ReportContent,
) -> None:
    points = await analytics.timeseries(session, tenant, query, link_ids=selected)
    content.data = [p.model_dump(mode="json") for p in points]
    content.columns = ["timestamp", "scans"]
    content.rows = [[isoformat(p.timestamp), p.scans] for p in points]
    content.highlights = [("Scans", f"{sum(p.scans for p in points):,}")]
    labels = [
        _day(p.timestamp, query) if query.granularity == "day" else isoformat(p.timestamp) or ""
        for p in points
    ]
    content.chart = Chart(
        "line", f"Scans per {query.granularity}", labels, {"Scans": [p.scans for p in points]}
    )


async def _geography(
    session: AsyncSession,
    tenant: Tenant,
    query: analytics.Query,
    selected: Sequence[uuid.UUID] | None,
    content: ReportContent,
) -> None:
    countries = await analytics.geography(session, tenant, query, link_ids=selected)
    content.data = [c.model_dump(mode="json") for c in countries]
    content.columns = ["country", "country_code", "scans", "percentage"]
    content.rows = [[c.country, c.country_code, c.scans, c.percentage] for c in countries]
    content.highlights = [
        ("Scans", f"{sum(c.scans for c in countries):,}"),
        ("Countries", f"{len(countries):,}"),
    ]
    top = countries[:CHART_ITEMS]
    content.chart = Chart(
        "bar", "Scans by country", [c.country for c in top], {"Scans": [c.scans for c in top]}
    )


async def _devices(
    session: AsyncSession,
    tenant: Tenant,
    query: analytics.Query,
    selected: Sequence[uuid.UUID] | None,
    content: ReportContent,
) -> None:
    found = await analytics.devices(session, tenant, query, link_ids=selected)
    content.data = found.model_dump(mode="json")
    content.columns = ["dimension", "name", "scans", "percentage"]
    groups = (("device_type", found.device_types), ("browser", found.browsers), ("os", found.os))
    content.rows = [
        [dimension, share.name, share.scans, share.percentage]
        for dimension, shares in groups
        for share in shares
    ]
    content.highlights = [("Scans", f"{sum(s.scans for s in found.device_types):,}")]
    content.chart = Chart(
        "bar",
        "Scans by device type",
        [s.name for s in found.device_types],
        {"Scans": [s.scans for s in found.device_types]},
    )


async def _links(
    session: AsyncSession,
    tenant: Tenant,
    report: Report,
    query: analytics.Query,
    short_base: str,
    content: ReportContent,
) -> None:
    """links: every (selected) link with its scans and unique visitors, most scanned first.
    top_links: the most scanned of them, as `/analytics/top-links` lists them."""
    if report.kind == "top_links" and not _filtered(report):
        top = await analytics.top_links(session, tenant, query, short_base, TOP_LINKS)
        content.data = [entry.model_dump(mode="json") for entry in top]
        content.columns = list(TOP_COLUMNS)
        content.rows = [
            [rank] + [content.data[rank - 1][column] for column in TOP_COLUMNS[1:]]
            for rank in range(1, len(top) + 1)
        ]
        _links_summary(content, [(entry.short_code, entry.scans) for entry in top])
        return
    counts = await analytics.link_counts(session, tenant, query)
    wanted = _wanted_ids(report)
    records = await all_link_records(session, tenant)
    links: list[LinkRecord] = [link for link in records if _matches(link, report, wanted)]
    ranked = sorted(
        links, key=lambda link: (-counts.get(link.id, (0, 0))[0], link.created_at, link.code)
    )
    if report.kind == "top_links":
        ranked = [link for link in ranked if counts.get(link.id, (0, 0))[0] > 0][:TOP_LINKS]
        whole = await get_links(session, tenant, [link.id for link in ranked])
        content.columns = list(TOP_COLUMNS)
        content.rows = []
        content.data = []
        for rank, link in enumerate(ranked, start=1):
            view = link_view(whole[link.id], short_base).model_dump(mode="json")
            view["scans"] = counts[link.id][0]
            content.data.append(view)
            content.rows.append([rank] + [view[column] for column in TOP_COLUMNS[1:]])
    else:
        content.columns = ["id", "short_code", "short_url", "destination", "labels"]
        content.columns += ["enabled", "created_at", "scans", "unique_visitors"]
        content.rows = []
        content.data = []
        for link in ranked:
            scans, visitors = counts.get(link.id, (0, 0))
            record = {
                "id": str(link.id),
                "short_code": link.code,
                "short_url": short_url(link.code, domain_base(link.domain_key, short_base)),
                "destination": link.destination,
                "labels": list(link.labels or []),
                "enabled": link.enabled,
                "created_at": isoformat(link.created_at),
                "scans": scans,
                "unique_visitors": visitors,
            }
            content.data.append(record)
            content.rows.append([record[column] for column in content.columns])
    _links_summary(content, [(link.code, counts.get(link.id, (0, 0))[0]) for link in ranked])


def _links_summary(content: ReportContent, ranked: list[tuple[str, int]]) -> None:
    content.highlights = [
        ("Links", f"{len(ranked):,}"),
        ("Scans", f"{sum(scans for _, scans in ranked):,}"),
    ]
    top = [(code, scans) for code, scans in ranked[:CHART_ITEMS] if scans > 0]
    content.chart = Chart(
        "bar", "Most scanned links", [code for code, _ in top], {"Scans": [s for _, s in top]}
    )


def _blank(value: float | None) -> float | str:
    return "" if value is None else value


def _day(at: datetime, query: analytics.Query) -> str:
    local: date = at.astimezone(query.tz).date()
    return local.isoformat()
