"""Charts of a report as SVG, drawn on the server (pure): the same markup in the HTML view
and in the PDF, with no script. Each has a <title> and the report's table beside it as its
text alternative."""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class Chart:
    """`line` (series over time, labels are the buckets) or `bar` (one series, largest first,
    labels are the bars')."""

    type: str
    title: str
    labels: list[str]
    series: dict[str, list[int]]


WIDTH, HEIGHT = 720, 260
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 56, 16, 16, 40
COLOURS = ("#2563eb", "#db2777", "#059669")
BAR_HEIGHT, BAR_GAP, LABEL_WIDTH = 18, 8, 160


def render_chart(chart: Chart) -> str:
    return _bars(chart) if chart.type == "bar" else _lines(chart)


def _nice_max(value: int) -> int:
    """A round axis maximum at or above `value`."""
    if value <= 5:
        return 5
    magnitude = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 2.5, 5, 10):
        top = int(step * magnitude)
        if top >= value:
            return top
    return value


def _lines(chart: Chart) -> str:
    top = _nice_max(max((max(values, default=0) for values in chart.series.values()), default=0))
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    count = max(len(chart.labels), 1)

    def x(i: int) -> float:
        return PAD_LEFT + (plot_w * i / (count - 1) if count > 1 else plot_w / 2)

    def y(value: int) -> float:
        return PAD_TOP + plot_h - plot_h * value / top

    parts = [_open(chart.title, WIDTH, HEIGHT)]
    for fraction in (0, 0.5, 1):
        value = int(top * fraction)
        parts.append(
            f'<line x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" y1="{y(value):.1f}" '
            f'y2="{y(value):.1f}" stroke="#e5e7eb"/>'
            f'<text x="{PAD_LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end" '
            f'font-size="11" fill="#4b5563">{value:,}</text>'
        )
    for i in sorted({0, count // 2, count - 1}):
        if i < len(chart.labels):
            parts.append(
                f'<text x="{x(i):.1f}" y="{HEIGHT - PAD_BOTTOM + 16}" text-anchor="middle" '
                f'font-size="11" fill="#4b5563">{escape(chart.labels[i])}</text>'
            )
    for n, (name, values) in enumerate(chart.series.items()):
        colour = COLOURS[n % len(COLOURS)]
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>'
        )
        legend_x = PAD_LEFT + n * 150
        parts.append(
            f'<rect x="{legend_x}" y="{HEIGHT - 14}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{legend_x + 14}" y="{HEIGHT - 5}" font-size="11" fill="#111827">'
            f"{escape(name)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _bars(chart: Chart) -> str:
    values = next(iter(chart.series.values()), [])
    top = max(values, default=0) or 1
    height = PAD_TOP + max(len(values), 1) * (BAR_HEIGHT + BAR_GAP) + 8
    plot_w = WIDTH - LABEL_WIDTH - 80
    parts = [_open(chart.title, WIDTH, height)]
    if not values:
        parts.append(
            f'<text x="{WIDTH / 2}" y="{height / 2 + 4}" text-anchor="middle" font-size="12" '
            'fill="#4b5563">No scans in this period</text>'
        )
    for i, (label, value) in enumerate(zip(chart.labels, values, strict=True)):
        y = PAD_TOP + i * (BAR_HEIGHT + BAR_GAP)
        width = max(plot_w * value / top, 1)
        shown = label if len(label) <= 24 else label[:23] + "…"
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 13}" text-anchor="end" font-size="12" '
            f'fill="#111827">{escape(shown)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width:.1f}" height="{BAR_HEIGHT}" '
            f'fill="{COLOURS[0]}"/>'
            f'<text x="{LABEL_WIDTH + width + 6:.1f}" y="{y + 13}" font-size="12" '
            f'fill="#111827">{value:,}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _open(title: str, width: int, height: int) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>"
    )
