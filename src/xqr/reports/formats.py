"""A run's file from its content: CSV, JSON, or a PDF of the report's HTML view."""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib.resources import files
from typing import Any

import jinja2

from xqr.core.clock import isoformat
from xqr.links.csvcells import join_labels, protect_cell
from xqr.reports.charts import render_chart
from xqr.reports.content import ReportContent, ReportFailure

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "pdf": "application/pdf",
}
# Rows in the HTML view and so in the PDF: a table of 100,000 links would be thousands of
# pages, and WeasyPrint lays out a few dozen table rows a second on a small machine
# (bench/reports.py); CSV and JSON carry every row.
MAX_HTML_ROWS = 500
# Columns for programs, left out of the view for people (the CSV and JSON have them).
HIDDEN_IN_VIEW = frozenset({"id", "short_url", "enabled", "created_at"})
NUMERIC = frozenset(
    {"value", "scans", "unique_visitors", "percentage", "rank", "row_count"},
)
PDF_UNAVAILABLE = (
    "PDF rendering is unavailable on this server: WeasyPrint could not be loaded ({reason}). "
    "Install WeasyPrint and its system libraries (Pango), or choose the csv or json format."
)


@dataclass(frozen=True)
class RenderedFile:
    content: bytes
    content_type: str
    filename: str


def render_file(content: ReportContent, fmt: str, report: dict[str, Any]) -> RenderedFile:
    """The run's file. Blocking (PDF layout takes a while): run it in a thread."""
    if fmt == "csv":
        body = render_csv(content)
    elif fmt == "json":
        body = render_json(content, report)
    else:
        body = render_pdf(render_html(content))
    return RenderedFile(body, CONTENT_TYPES[fmt], filename_for(content, fmt))


def filename_for(content: ReportContent, fmt: str) -> str:
    """`{name}-{day}.{ext}` in ASCII letters, digits and dashes."""
    ascii_name = unicodedata.normalize("NFKD", content.title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_name).strip("-").lower()[:80] or "report"
    return f"{slug}-{content.generated_at.date().isoformat()}.{fmt}"


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return protect_cell(join_labels([str(item) for item in value]))
    if isinstance(value, str):
        return protect_cell(value)  # never a formula in a spreadsheet
    if value is None:
        return ""
    return value


def render_csv(content: ReportContent) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(content.columns)
    writer.writerows([_cell(value) for value in row] for row in content.rows)
    return out.getvalue().encode()


def render_json(content: ReportContent, report: dict[str, Any]) -> bytes:
    document = {
        "report": report,
        "period": {
            "label": content.period_label,
            "timezone": content.timezone,
            "start": isoformat(content.start),
            "end": isoformat(content.end),
        },
        "generated_at": isoformat(content.generated_at),
        "notes": content.notes,
        "data": content.data,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


@cache
def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("xqr.reports", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def _shown(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M")


@cache
def report_css() -> str:
    """The stylesheet of the HTML view."""
    return (files("xqr.reports") / "templates" / "report.css").read_text()


def render_html(
    content: ReportContent,
    *,
    max_rows: int = MAX_HTML_ROWS,
    stylesheet: str | None = None,
    back: str | None = None,
) -> str:
    """The report's HTML view (the PDF is this page): title, period, highlights, the chart
    as SVG and the table, every value escaped. The stylesheet is inlined unless a URL of it
    is given (`stylesheet`, for pages whose policy forbids inline styles); `back` adds a link
    back to where the view was opened from."""
    shown = [n for n, column in enumerate(content.columns) if column not in HIDDEN_IN_VIEW]
    columns = [content.columns[n] for n in shown]
    rows = [[_html_cell(row[n]) for n in shown] for row in content.rows[:max_rows]]
    return (
        _templates()
        .get_template("report.html.j2")
        .render(
            content=content,
            stylesheet=stylesheet,
            css=report_css(),
            back=back,
            columns=columns,
            rows=rows,
            shown=len(rows),
            numeric=NUMERIC,
            chart_svg=render_chart(content.chart) if content.chart else "",
            start=_shown(content.start),
            end=_shown(content.end),
            generated=_shown(content.generated_at) + " UTC",
        )
    )


def _html_cell(value: Any) -> Any:
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    return "" if value is None else value


def render_pdf(html: str) -> bytes:
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: Pango or another library is missing
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise ReportFailure(PDF_UNAVAILABLE.format(reason=reason)) from None
    pdf: bytes = weasyprint.HTML(string=html).write_pdf()
    return pdf
