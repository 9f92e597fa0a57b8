"""A brute-force reference for the analytics numbers, computed from the raw `scan_events`,
plus the helpers the analytics tests share (writing scans through the real writer).

The reference follows the definitions in docs/analytics.md directly, one event at a time,
without the rollups or `xqr.analytics.periods`:

- an event belongs to the local day (in the requested zone) in which its UTC hour begins;
- a period of N days is the N local days ending with today's; `all` starts with the local
  day of the scope's first event;
- a unique visitor is a (visitor hash, UTC day) pair, counted in the period that holds the
  first event of that pair (within the scope: the workspace's links, or one link).
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.links.linkkit import quiet_settings
from xqr.app import XqrApp
from xqr.config import Settings
from xqr.context import AppContext
from xqr.scans.buffer import RawScan
from xqr.scans.models import ScanEvent
from xqr.scans.synthetic import SyntheticTraffic

PERIODS = {"7d": 7, "30d": 30, "90d": 90, "all": None}
# A frozen "now" 12 days after the US switched to daylight saving time (2026-03-08).
NOW = datetime(2026, 3, 20, 15, 37, 12, 500_000, tzinfo=UTC)
ZONES = ("UTC", "America/New_York", "Asia/Kolkata")


def analytics_settings(db_url: str, data_dir: Path, **overrides: Any) -> Settings:
    """Scans are written only when a test flushes, in transactions of up to 20×100 scans."""
    return quiet_settings(db_url, data_dir, scan_batch_size=100, **overrides)


async def write_scans(app: XqrApp, scans: list[RawScan]) -> None:
    """Buffer scans as the redirect path does, then let the writer flush them all."""
    buffer = app.ctx.parts.scan_buffer
    for scan in scans:
        buffer.add(scan)
    await app.ctx.parts.scan_writer.flush()


async def stored_events(ctx: AppContext, workspace_id: str) -> list[ScanEvent]:
    async with ctx.sessionmaker() as session:
        rows = await session.scalars(
            select(ScanEvent).where(ScanEvent.workspace_id == uuid.UUID(workspace_id))
        )
        return list(rows.all())


def edge_instants(now: datetime, zones: tuple[str, ...] = ZONES) -> list[datetime]:
    """Instants at and around the period edges of every zone: local midnights of the first
    days of 7d/30d/90d and of the periods before them, their whole UTC hours, 1 µs either side."""
    found: set[datetime] = set()
    for name in zones:
        tz = ZoneInfo(name)
        today = now.astimezone(tz).date()
        for days in (7, 30, 90):
            for first in (today - timedelta(days=days - 1), today - timedelta(days=2 * days - 1)):
                midnight = datetime.combine(first, time(0), tzinfo=tz).astimezone(UTC)
                whole = midnight.replace(minute=0, second=0, microsecond=0)
                for at in (midnight, whole, whole + timedelta(hours=1)):
                    for delta in (timedelta(0), timedelta(microseconds=-1), timedelta(seconds=1)):
                        found.add(at + delta)
        found.add(datetime.combine(today, time(0), tzinfo=tz).astimezone(UTC))
    return sorted(at for at in found if at <= now)


def random_scans(
    workspace_id: str,
    link_ids: list[str],
    *,
    count: int,
    days: int,
    seed: int,
    now: datetime = NOW,
) -> list[RawScan]:
    """`count` realistic scans at random times over `days` days before `now`, plus scans at
    the period edges; repeat visitors, a few bots; in time order."""
    rnd = random.Random(seed)
    span = days * 86_400
    times = [now - timedelta(seconds=rnd.random() * span) for _ in range(count)]
    times += edge_instants(now)
    times.sort()
    traffic = SyntheticTraffic(
        uuid.UUID(workspace_id),
        [uuid.UUID(i) for i in link_ids],
        seed=seed,
        bot_share=0.05,
        visitors=max(20, count // 8),
    )
    return traffic.at_times(times)


# --- the reference ---------------------------------------------------------------------------


def hour_of(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def local_day(at: datetime, tz: ZoneInfo) -> date:
    return hour_of(at).astimezone(tz).date()


@dataclass
class Reference:
    """Brute-force numbers for one scope (a list of raw events) and one period and zone."""

    events: list[ScanEvent]
    period: str
    tz: ZoneInfo
    now: datetime = NOW

    def __post_init__(self) -> None:
        today = self.now.astimezone(self.tz).date()
        n = PERIODS[self.period]
        if n is None:
            first = min((local_day(e.occurred_at, self.tz) for e in self.events), default=today)
            n = (today - first).days + 1
        self.first, self.last, self.length = today - timedelta(days=n - 1), today, n

    def in_days(self, first: date, last: date) -> list[ScanEvent]:
        return [e for e in self.events if first <= local_day(e.occurred_at, self.tz) <= last]

    @property
    def selected(self) -> list[ScanEvent]:
        return self.in_days(self.first, self.last)

    @property
    def previous(self) -> list[ScanEvent]:
        return self.in_days(
            self.first - timedelta(days=self.length), self.first - timedelta(days=1)
        )

    def first_visits(self) -> list[ScanEvent]:
        """The first event of every (visitor, UTC day) of the scope."""
        first: dict[tuple[str, date], ScanEvent] = {}
        for e in sorted(self.events, key=lambda e: e.occurred_at):
            first.setdefault((e.visitor_hash, e.occurred_at.astimezone(UTC).date()), e)
        return list(first.values())

    def visitors_in(self, first: date, last: date) -> int:
        return sum(
            1 for e in self.first_visits() if first <= local_day(e.occurred_at, self.tz) <= last
        )

    @property
    def previous_unique_visitors(self) -> int:
        return self.visitors_in(
            self.first - timedelta(days=self.length), self.first - timedelta(days=1)
        )

    @property
    def total(self) -> int:
        return len(self.selected)

    @property
    def unique_visitors(self) -> int:
        return self.visitors_in(self.first, self.last)

    def counts(self, attribute: str) -> Counter[str]:
        return Counter(str(getattr(e, attribute)) for e in self.selected)

    def daily(self) -> list[tuple[datetime, int, int]]:
        """(local midnight, scans, unique visitors) for every day of the period."""
        scans = Counter(local_day(e.occurred_at, self.tz) for e in self.selected)
        visitors = Counter(local_day(e.occurred_at, self.tz) for e in self.first_visits())
        out = []
        for i in range(self.length):
            day = self.first + timedelta(days=i)
            midnight = datetime.combine(day, time(0), tzinfo=self.tz).astimezone(UTC)
            out.append((midnight, scans[day], visitors[day]))
        return out

    def hourly(self) -> list[tuple[datetime, int]]:
        """(UTC hour, scans) from the first hour of the period to the current hour."""
        hours = Counter(hour_of(e.occurred_at) for e in self.selected)
        midnight = datetime.combine(self.first, time(0), tzinfo=self.tz).astimezone(UTC)
        at = hour_of(midnight)
        if at < midnight:
            at += timedelta(hours=1)
        out = []
        while at <= hour_of(self.now):
            out.append((at, hours[at]))
            at += timedelta(hours=1)
        return out


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def shares_ok(items: list[dict[str, Any]], total: int) -> None:
    """Percentages sum to 100 (± 0.1) and each is within 0.01 of the exact share."""
    if not items:
        return
    assert abs(sum(i["percentage"] for i in items) - 100) <= 0.1
    for item in items:
        assert abs(item["percentage"] - item["scans"] * 100 / total) <= 0.01 + 1e-9


# --- the reference's own checks --------------------------------------------------------------


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return analytics_settings(db_url, tmp_path / "data")


def _event(at: datetime, visitor: str = "v") -> ScanEvent:
    return ScanEvent(occurred_at=at, visitor_hash=visitor)


def test_reference_puts_a_kolkata_midnight_scan_in_the_day_its_utc_hour_begins() -> None:
    tz = ZoneInfo("Asia/Kolkata")
    midnight = datetime(2026, 3, 20, 18, 30, tzinfo=UTC)  # 00:00 on 21 March in Kolkata
    assert local_day(midnight, tz) == date(2026, 3, 20)  # its hour began at 23:30
    assert local_day(midnight + timedelta(minutes=30), tz) == date(2026, 3, 21)


def test_reference_counts_a_visitor_once_a_utc_day_where_the_first_scan_falls() -> None:
    day = datetime(2026, 3, 18, 10, tzinfo=UTC)
    events = [_event(day), _event(day + timedelta(hours=3)), _event(day + timedelta(days=1))]
    ref = Reference(events, "7d", ZoneInfo("UTC"))
    assert ref.unique_visitors == 2
    assert [v for _, _, v in ref.daily()][-4:-1] == [0, 1, 1]
