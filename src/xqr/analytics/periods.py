"""Periods, time zones and buckets of the analytics queries (pure).

A period of N days is the N calendar days ending today in the requested time zone, today
included; `all` runs from the day of the first scan to today. Rollups are hourly (and daily
in UTC), so a window is a range of whole UTC hours: each UTC hour belongs to the local day in
which it begins. In a zone whose offset is not a whole number of hours (Asia/Kolkata +05:30,
Asia/Kathmandu +05:45) a local day therefore runs from the first whole UTC hour after its
local midnight (00:30 in Kolkata) to the first one after the next midnight: every window edge
is the local midnight rounded up to the next whole UTC hour.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PERIOD_DAYS: dict[str, int | None] = {"7d": 7, "30d": 30, "90d": 90, "all": None}
GRANULARITIES = ("hour", "day")
MAX_HOURLY_DAYS = 31  # hour granularity: at most this many days of buckets (7d, 30d)

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
# Zones whose offset is always zero: their local days are UTC days, so daily rollups serve them.
UTC_ZONES = frozenset(
    {"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Universal", "Universal", "Etc/Zulu", "Zulu"}
    | {"GMT", "Etc/GMT", "Etc/GMT0", "Etc/GMT+0", "Etc/GMT-0", "GMT0", "GMT+0", "GMT-0"}
    | {"Etc/Greenwich", "Greenwich"}
)


def zone(name: str) -> ZoneInfo:
    """An IANA time zone; ValueError for a name that is not one."""
    if not name or len(name) > 64 or name.startswith(("/", ".")) or ".." in name:
        raise ValueError(f"{name!r} is not an IANA time zone name")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"{name!r} is not an IANA time zone name") from None


def hour_floor(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def hour_ceil(moment: datetime) -> datetime:
    floor = hour_floor(moment)
    return floor if floor == moment else floor + HOUR


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The instant a local day begins (zoneinfo resolves a midnight in a DST gap forward)."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def day_edge(day: date, tz: ZoneInfo) -> datetime:
    """Where a local day's hours begin: its midnight rounded up to a whole UTC hour."""
    return hour_ceil(local_midnight(day, tz))


def local_day(hour: datetime, tz: ZoneInfo) -> date:
    """The local day an hour-long bucket belongs to: the one in which it begins."""
    return hour.astimezone(tz).date()


@dataclass(frozen=True)
class Window:
    """The local days `first`…`last` of a period as UTC hours [start, end)."""

    first: date
    last: date
    tz: ZoneInfo

    @property
    def start(self) -> datetime:
        return day_edge(self.first, self.tz)

    @property
    def end(self) -> datetime:
        return day_edge(self.last + DAY, self.tz)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> Window:
        """The same number of days just before this window."""
        return Window(self.first - timedelta(days=self.days), self.first - DAY, self.tz)

    def day_list(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range(self.days)]

    @property
    def utc_aligned(self) -> bool:
        """Local days are UTC days (the zone never leaves offset zero)."""
        return str(self.tz.key) in UTC_ZONES

    def ranges(self, grains: Sequence[str] = ("d", "h")) -> list[tuple[str, datetime, datetime]]:
        """The window as rollup ranges (grain, from, to), coarsest first: the whole ISO weeks
        (`w`) and UTC days (`d`) it covers, and the hours (`h`) left at its edges."""
        return _split(self.start, self.end, tuple(grains))

    def hours(self, until: datetime | None = None) -> Iterator[datetime]:
        """Every UTC hour of the window (up to and including the hour of `until`)."""
        at, end = self.start, self.end
        if until is not None:
            end = min(end, hour_floor(until) + HOUR)
        while at < end:
            yield at
            at += HOUR


def _floor(moment: datetime, grain: str) -> datetime:
    day = moment.replace(hour=0)
    return day - timedelta(days=day.weekday()) if grain == "w" else day


def _ceil(moment: datetime, grain: str) -> datetime:
    floor = _floor(moment, grain)
    if floor == moment:
        return floor
    return floor + (timedelta(weeks=1) if grain == "w" else DAY)


def _split(
    start: datetime, end: datetime, grains: tuple[str, ...]
) -> list[tuple[str, datetime, datetime]]:
    if start >= end or not grains:
        return []
    grain, finer = grains[0], grains[1:]
    if grain == "h":
        return [("h", start, end)]
    lo, hi = _ceil(start, grain), _floor(end, grain)
    if lo >= hi:
        return _split(start, end, finer)
    return [(grain, lo, hi), *_split(start, lo, finer), *_split(hi, end, finer)]


def window(period: str, tz: ZoneInfo, now: datetime, first_scan: datetime | None) -> Window:
    """The window of `period` ending today in `tz`; `all` starts on the day of `first_scan`."""
    today = now.astimezone(tz).date()
    days = PERIOD_DAYS[period]
    if days is None:
        first = local_day(first_scan, tz) if first_scan is not None else today
        return Window(min(first, today), today, tz)
    return Window(today - timedelta(days=days - 1), today, tz)


def percentages(counts: list[int], total: int) -> list[float]:
    """Each count's share of `total` in percent, to 2 decimals, summing to exactly 100 when
    the counts make up the total (largest remainder: each share is its exact value rounded up
    or down by less than 0.01)."""
    if total <= 0:
        return [0.0 for _ in counts]
    exact = [count * 10_000 / total for count in counts]  # in hundredths of a percent
    floors = [int(x) for x in exact]
    if sum(counts) == total:
        left = 10_000 - sum(floors)
        order = sorted(range(len(counts)), key=lambda i: exact[i] - floors[i], reverse=True)
        for i in order[:left]:
            floors[i] += 1
    else:
        floors = [round(x) for x in exact]
    return [f / 100 for f in floors]


def change(current: int, previous: int) -> float | None:
    """The change from `previous` to `current` in percent (None when previous is zero)."""
    if previous == 0:
        return None
    return round((current - previous) * 100 / previous, 2)
