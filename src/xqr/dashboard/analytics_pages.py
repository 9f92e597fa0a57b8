"""Analytics: the workspace's overview (period, filters by label and link), a link's own page
with its routing rules, and a CSV of every chart. Every number comes from the analytics
service calls that `/api/v1/analytics/*` answers with."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass, replace
from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from xqr.analytics import service as analytics
from xqr.analytics.countries import COUNTRY_NAMES
from xqr.analytics.periods import change, percentages
from xqr.context import ReadSession
from xqr.core.errors import ApiError, validation_error
from xqr.dashboard import charts
from xqr.dashboard.session import Me, SignedIn
from xqr.dashboard.web import PREFIX, ctx_of, not_found, render
from xqr.links import service as links
from xqr.links.csvcells import protect_cell

router = APIRouter(prefix="/analytics")
PAGE = f"{PREFIX}/analytics"
PERIODS = [("7d", "7 days"), ("30d", "30 days"), ("90d", "90 days"), ("all", "All time")]
TOP_LINKS = 10
CHARTS = ("timeseries", "countries", "devices", "browsers", "os", "sources", "top-links", "rules")


@dataclass(frozen=True)
class View:
    """What the page shows, as its URL says it: period (or a custom range), bucket size, and
    the label or link it is narrowed to."""

    period: str = "30d"
    start: str = ""
    end: str = ""
    granularity: str = "day"
    label: str = ""
    link: str = ""

    @classmethod
    def of(cls, request: Request) -> View:
        params = request.query_params

        def value(name: str, limit: int = 64) -> str:
            raw = params.get(name, "")
            return raw.strip()[:limit]

        period = value("period") or "30d"
        start, end = value("start", 10), value("end", 10)
        if start or end:
            period = "custom"
        return cls(
            period=period,
            start=start,
            end=end,
            granularity=value("granularity") or "day",
            label=value("label", 50),
            link=value("link", 36),
        )

    def query(self, **changes: str) -> str:
        values = {**self.__dict__, **changes}
        if values["period"] != "custom":
            values["start"] = values["end"] = ""
        defaults = View().__dict__
        kept = {k: v for k, v in values.items() if v and (v != defaults[k] or k == "period")}
        if kept.get("period") == "custom":
            del kept["period"]
        return urlencode(kept)

    def parsed(self, timezone: str) -> analytics.Query:
        """The service's query; a clear VALIDATION_ERROR for what it cannot read."""
        if self.period == "custom":
            return analytics.Query.parse(
                None,
                timezone,
                self.granularity,
                start=_day(self.start, "start"),
                end=_day(self.end, "end"),
            )
        return analytics.Query.parse(self.period, timezone, self.granularity)


def _day(raw: str, name: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise validation_error(name, "must be a day written as YYYY-MM-DD") from None


@dataclass(frozen=True)
class Narrowed:
    """The links a view counts: all (None), a label's, or one link."""

    link_ids: list[uuid.UUID] | None = None
    link_view: Any = None  # the one link, when the view is a link's
    note: str = ""
    label: str | None = None  # the label whose links these are


async def _narrowed(request: Request, session: ReadSession, me: Me, view: View) -> Narrowed:
    if view.link:
        link = await links.get_link(session, me.tenant, view.link)
        short_base = ctx_of(request).settings.short_base
        return Narrowed([link.id], links.link_view(link, short_base))
    if view.label:
        limit = analytics.MAX_FILTER_LINKS
        ids = await links.link_ids_with_label(session, me.tenant, view.label, limit + 1)
        note = ""
        if len(ids) > limit:
            ids = ids[:limit]
            if not await analytics.label_counted_whole(session, me.tenant, view.label):
                note = f"Only the first {limit:,} links with this label are counted."
        return Narrowed(ids, note=note, label=view.label)
    return Narrowed()


async def _figures(
    request: Request, session: ReadSession, me: Me, query: analytics.Query, narrowed: Narrowed
) -> dict[str, Any]:
    """Everything the overview shows, from the analytics service."""
    ids, label = narrowed.link_ids, narrowed.label
    short_base = ctx_of(request).settings.short_base
    summary = await analytics.summary(session, me.tenant, query, link_ids=ids, label=label)
    if ids is None:
        scanned, scanned_before = await analytics.links_scanned(session, me.tenant, query)
        top = await analytics.top_links(session, me.tenant, query, short_base, TOP_LINKS)
    else:
        scanned, scanned_before, top = await analytics.link_activity(
            session, me.tenant, query, short_base, ids, TOP_LINKS, label=label
        )
    # By day, the summary's trend is the time series (same call, so not asked twice).
    series = (
        summary.trend
        if query.granularity == "day"
        else await analytics.trend(session, me.tenant, query, link_ids=ids, label=label)
    )
    countries = await analytics.geography(session, me.tenant, query, link_ids=ids, label=label)
    devices = await analytics.devices(session, me.tenant, query, link_ids=ids, label=label)
    return {
        "summary": summary,
        "links_scanned": scanned,
        "links_scanned_change": (
            change(scanned, scanned_before) if scanned_before is not None else None
        ),
        "links_scanned_before": scanned_before,
        "series": series,
        "countries": countries,
        "devices": devices,
        "top_links": top,
    }


def _chart_context(query: analytics.Query, figures: dict[str, Any]) -> dict[str, Any]:
    series = [
        charts.SeriesPoint(p.timestamp, p.scans, p.unique_visitors) for p in figures["series"]
    ]
    by_country = {c.country_code: c.scans for c in figures["countries"]}
    return {
        "time_chart": charts.time_series(series, query.tz, query.granularity == "hour"),
        "world": charts.world(by_country, COUNTRY_NAMES),
        "world_size": charts.WORLD_SIZE,
        "legend": charts.legend(),
        "peak": max(series, key=lambda p: p.scans) if series else None,
    }


FIELD_NAMES = {
    "period": "The period",
    "period.end": "The end of the range",
    "start": "The start date",
    "end": "The end date",
    "granularity": "Hourly buckets",
}


def _problem(exc: ApiError) -> str:
    """A refused view in words: which part, and why."""
    detail = (exc.details or [{}])[0]
    field = str(detail.get("field", ""))
    if field in FIELD_NAMES:
        return f"{FIELD_NAMES[field]}: {detail.get('message', '')}."
    return exc.message


def _page_data(me: Me, view: View) -> tuple[View, analytics.Query, str]:
    """The view's query. Hours over a long period fall back to days; any other refused view
    to the last 30 days; with the reason to show either way."""
    try:
        return view, view.parsed(me.timezone), ""
    except ApiError as exc:
        problem = _problem(exc)
        fallback = replace(view, granularity="day")
        if view.granularity != "day":
            try:
                return fallback, fallback.parsed(me.timezone), problem + " Showing days instead."
            except ApiError:
                pass
        fallback = replace(view, period="30d", start="", end="", granularity="day")
        return fallback, fallback.parsed(me.timezone), problem + " Showing the last 30 days."


@router.get("")
async def overview(request: Request, me: SignedIn, session: ReadSession) -> Response:
    view, query, problem = _page_data(me, View.of(request))
    narrowed = await _narrowed(request, session, me, view)
    figures = await _figures(request, session, me, query, narrowed)
    labels = await links.labels_in_use(session, me.tenant)
    return render(
        request,
        "analytics/overview.html.j2",
        status=400 if problem else 200,
        me=me,
        section="analytics",
        view=view,
        asked=View.of(request),
        problem=problem,
        query=query,
        periods=PERIODS,
        labels=labels,
        narrowed=narrowed,
        **figures,
        **_chart_context(query, figures),
    )


def _rule_rows(link: Any, counted: dict[str, int] | None) -> list[dict[str, Any]]:
    """Each routing rule with its conditions in words, configured share, scans and actual
    share of the scans counted by rule (the last row: no rule matched)."""
    counts = counted or {}
    total = sum(counts.values())
    rows = []
    for index, rule in enumerate(link.routing_rules or [], start=1):
        conditions = rule.conditions
        said = []
        if conditions.countries:
            verb = "not in" if conditions.country_mode == "exclude" else "in"
            said.append(f"visitor {verb} {', '.join(conditions.countries)}")
        if conditions.device_types:
            said.append(" or ".join(conditions.device_types))
        if conditions.hours is not None:
            said.append(f"{conditions.hours.start}–{conditions.hours.end}")
        if conditions.percentage is not None:
            said.append(f"{conditions.percentage}% of visitors")
        rows.append(
            {
                "index": index,
                "destination": rule.destination,
                "conditions": "; ".join(said) or "every visitor",
                "percentage": conditions.percentage,
            }
        )
    if rows:
        rows.append(
            {
                "index": None,
                "destination": link.destination,
                "conditions": "no rule matched",
                "percentage": None,
            }
        )
    keys = [str(row["index"] or 0) for row in rows]
    shares = percentages([counts.get(key, 0) for key in keys], total)
    for row, key, share in zip(rows, keys, shares, strict=True):
        row["scans"] = counts.get(key, 0) if counted is not None else None
        row["actual"] = share if total else None
    return rows


@router.get("/links/{link_id}")
async def link_page(request: Request, link_id: str, me: SignedIn, session: ReadSession) -> Response:
    asked = View.of(request)
    view, query, problem = _page_data(me, replace(asked, link=link_id))
    short_base = ctx_of(request).settings.short_base
    try:
        stats = await analytics.link_stats(session, me.tenant, query, short_base, link_id)
    except ApiError as exc:
        if exc.status == 404:
            raise not_found("link") from None
        raise
    narrowed = Narrowed([stats.link.id], stats.link)
    summary = await analytics.summary(session, me.tenant, query, link_ids=narrowed.link_ids)
    series = await analytics.trend(session, me.tenant, query, link_ids=narrowed.link_ids)
    figures: dict[str, Any] = {
        "summary": summary,
        "series": series,
        "countries": stats.geography,
        "devices": stats.devices,
    }
    rules = await analytics.rule_counts(session, me.tenant, query, link_id)
    return render(
        request,
        "analytics/link.html.j2",
        status=400 if problem else 200,
        me=me,
        section="analytics",
        view=view,
        asked=asked,
        problem=problem,
        query=query,
        periods=PERIODS,
        stats=stats,
        link=stats.link,
        rules=_rule_rows(stats.link, rules),
        rules_counted=rules is not None,
        **figures,
        **_chart_context(query, figures),
    )


# --- CSV downloads ------------------------------------------------------------------------------


def _csv(rows: list[list[Any]], filename: str) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([protect_cell(v) if isinstance(v, str) else v for v in row])
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _shares(header: str, items: list[Any]) -> list[list[Any]]:
    return [[header, "scans", "percentage"], *[[i.name, i.scans, i.percentage] for i in items]]


@router.get("/{chart}.csv")
async def chart_csv(request: Request, chart: str, me: SignedIn, session: ReadSession) -> Response:
    if chart not in CHARTS:
        raise not_found("chart")
    view = View.of(request)
    query = view.parsed(me.timezone)
    narrowed = await _narrowed(request, session, me, view)
    ids, label = narrowed.link_ids, narrowed.label
    rows: list[list[Any]]
    if chart == "timeseries":
        points = await analytics.trend(session, me.tenant, query, link_ids=ids, label=label)
        rows = [["timestamp", "scans", "unique_visitors"]]
        rows += [[p.timestamp.isoformat(), p.scans, p.unique_visitors] for p in points]
    elif chart == "countries":
        countries = await analytics.geography(session, me.tenant, query, link_ids=ids, label=label)
        rows = [["country_code", "country", "scans", "percentage"]]
        rows += [[c.country_code, c.country, c.scans, c.percentage] for c in countries]
    elif chart in ("devices", "browsers", "os"):
        found = await analytics.devices(session, me.tenant, query, link_ids=ids, label=label)
        items = {"devices": found.device_types, "browsers": found.browsers, "os": found.os}
        rows = _shares(
            {"devices": "device_type", "browsers": "browser", "os": "os"}[chart], items[chart]
        )
    elif chart == "sources":
        if not view.link:
            raise not_found("chart")
        stats = await analytics.link_stats(
            session, me.tenant, query, ctx_of(request).settings.short_base, view.link
        )
        rows = _shares("source", stats.sources)
    elif chart == "rules":
        if not view.link:
            raise not_found("chart")
        link = narrowed.link_view
        counted = await analytics.rule_counts(session, me.tenant, query, view.link)
        rows = [["rule", "destination", "conditions", "configured_percentage", "scans"]]
        rows += [
            [r["index"], r["destination"], r["conditions"], r["percentage"], r["scans"]]
            for r in _rule_rows(link, counted)
        ]
    else:
        short_base = ctx_of(request).settings.short_base
        if ids is None:
            top = await analytics.top_links(session, me.tenant, query, short_base, 100)
        else:
            top = await analytics.ranked_links(
                session, me.tenant, query, short_base, ids, 100, label=label
            )
        rows = [["id", "short_url", "destination", "scans"]]
        rows += [[str(t.id), t.short_url, t.destination, t.scans] for t in top]
    return _csv(rows, f"xqr-{chart}-{query.period}.csv")
