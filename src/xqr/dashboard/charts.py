"""Charts drawn on the server as SVG (pure geometry; the analytics templates write the SVG):
a time series and a world map coloured by scans.

No script draws them, so they show without JavaScript and under the dashboard's CSP; colours
are SVG attributes (inline styles are not allowed). Each chart has a table beside it on the
page, which is its text alternative.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from xqr.dashboard import world_map

# Light to dark blue (the dashboard's primary); 0 scans is the neutral grey.
MAP_STEPS = ("#dbe5fb", "#a9c0f3", "#7096e6", "#3d6bd9", "#1f4fd1", "#14348c")
MAP_EMPTY = "#eceff3"


@dataclass(frozen=True)
class SeriesPoint:
    at: datetime
    scans: int
    visitors: int


def nice_ceiling(value: int) -> int:
    """The smallest 1, 2, 2.5 or 5 × 10ⁿ at or above `value` (at least 4, so the axis's five
    lines are whole numbers): the y axis top."""
    if value <= 4:
        return 4
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        top = step * magnitude
        if top >= value:
            return math.ceil(top)
    return 10 * magnitude


def _label(at: datetime, tz: ZoneInfo, hourly: bool) -> str:
    local = at.astimezone(tz)
    return f"{local:%H:%M}" if hourly else f"{local.day} {local:%b}"


@dataclass(frozen=True)
class TimeChart:
    """A time series' geometry in SVG user units; the template draws it."""

    width: int
    height: int
    left: int
    right: int
    baseline: float
    grid: list[tuple[float, str]]  # (y, label)
    ticks: list[tuple[float, str, str, bool]]  # (x, text-anchor, label, minor)
    scans: str  # polyline points
    visitors: str
    area: str  # polygon points under the scans line


def time_series(points: Sequence[SeriesPoint], tz: ZoneInfo, hourly: bool) -> TimeChart:
    """Scans (line and area) and unique visitors (dashed line) per bucket."""
    width, height = 720, 240
    left, right, top, bottom = 60, 16, 14, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = nice_ceiling(max([p.scans for p in points] + [p.visitors for p in points] + [0]))
    count = max(len(points), 1)
    baseline = top + plot_h

    def x(i: int) -> float:
        return round(left + (plot_w * i / (count - 1) if count > 1 else plot_w / 2), 1)

    def y(value: float) -> float:
        return round(baseline - plot_h * value / peak, 1)

    grid = []
    for i in range(5):
        value = peak * i / 4
        grid.append((y(value), f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"))
    ticks = []
    if points:
        step = max(1, math.ceil(count / 6))
        for n, i in enumerate(range(0, count, step)):
            if i == 0 or count - 1 - i >= step / 2:  # keep clear of the last label
                anchor = "start" if i == 0 else "middle"
                ticks.append((x(i), anchor, _label(points[i].at, tz, hourly), n % 2 == 1))
        if count > 1:
            ticks.append((x(count - 1), "end", _label(points[-1].at, tz, hourly), False))
    scans = " ".join(f"{x(i)},{y(p.scans)}" for i, p in enumerate(points))
    visitors = " ".join(f"{x(i)},{y(p.visitors)}" for i, p in enumerate(points))
    area = f"{x(0)},{baseline} {scans} {x(count - 1)},{baseline}" if points else ""
    return TimeChart(width, height, left, right, baseline, grid, ticks, scans, visitors, area)


def map_colour(scans: int, peak: int) -> str:
    """A country's fill: steps of the share of the busiest country, on a square-root scale
    (a few big countries would otherwise leave everyone else the palest blue)."""
    if scans <= 0 or peak <= 0:
        return MAP_EMPTY
    step = math.ceil(math.sqrt(scans / peak) * len(MAP_STEPS)) - 1
    return MAP_STEPS[min(max(step, 0), len(MAP_STEPS) - 1)]


@dataclass(frozen=True)
class Country:
    code: str
    name: str
    outline: str  # SVG path data
    fill: str
    scans: int


WORLD_SIZE = (world_map.WIDTH, world_map.HEIGHT)


def world(scans_by_country: dict[str, int], names: dict[str, str]) -> list[Country]:
    """Every country's outline with its fill for its scans."""
    peak = max(scans_by_country.values(), default=0)
    return [
        Country(
            code,
            names.get(code, code),
            outline,
            map_colour(scans_by_country.get(code, 0), peak),
            scans_by_country.get(code, 0),
        )
        for code, outline in world_map.PATHS.items()
    ]


def legend() -> list[tuple[str, str]]:
    """(colour, label) of the map's steps, for the legend under it."""
    count = len(MAP_STEPS)
    shown = [(MAP_EMPTY, "none")]
    for i, colour in enumerate(MAP_STEPS):
        low, high = (i / count) ** 2 * 100, ((i + 1) / count) ** 2 * 100
        shown.append((colour, f"{low:.0f}–{high:.0f}%"))
    return shown
