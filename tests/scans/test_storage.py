"""Every rollup row agrees with the raw events it was built from, and `Rollups` (pure) adds up."""

from __future__ import annotations

import hashlib
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.analytics.test_analytics_reference import (
    analytics_settings,
    random_scans,
    stored_events,
    write_scans,
)
from tests.conftest import Account
from tests.links.linkkit import create_link
from xqr.app import XqrApp
from xqr.config import Settings
from xqr.core.clock import clock
from xqr.scans.aggregate import EnrichedScan, Rollups, run_steps, visitor_id
from xqr.scans.models import ScanBreakdown, ScanDimension, ScanRollup, ScanTotal, ScanVisitor

NOW = datetime(2026, 3, 20, 12, tzinfo=UTC)


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return analytics_settings(db_url, tmp_path / "data")


def hour(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def day(at: datetime) -> datetime:
    return hour(at).replace(hour=0)


def buckets(at: datetime) -> list[tuple[str, datetime]]:
    """Hour, UTC day and ISO week (from Monday) of an instant."""
    return [("h", hour(at)), ("d", day(at)), ("w", day(at) - timedelta(days=day(at).weekday()))]


async def rows(app: XqrApp, model: Any) -> list[Any]:
    async with app.ctx.sessionmaker() as session:
        return list((await session.scalars(select(model))).all())


async def test_rollup_tables_hold_exactly_what_the_raw_events_say(
    app: XqrApp, client: httpx.AsyncClient, account: Account
) -> None:
    clock.freeze(NOW)
    links = [(await create_link(client, account))["id"] for _ in range(4)]
    await write_scans(app, random_scans(account.workspace_id, links, count=1200, days=4, seed=11))
    events = await stored_events(app.ctx, account.workspace_id)
    workspace = uuid.UUID(account.workspace_id)

    facts: Counter[tuple[Any, ...]] = Counter()
    breakdowns: Counter[tuple[Any, ...]] = Counter()
    for e in events:
        facets = (e.country, e.device_type, e.browser, e.os, e.source)
        facts[(e.target_id, hour(e.occurred_at), *facets)] += 1
        for dim, value in zip(
            ("country", "device", "browser", "os", "source"), facets, strict=True
        ):
            breakdowns[(e.target_id, e.occurred_at.date(), dim, value)] += 1
    stored = {
        (r.target_id, r.hour, r.country, r.device_type, r.browser, r.os, r.source): r.scans
        for r in await rows(app, ScanRollup)
    }
    assert stored == dict(facts)
    stored = {(r.target_id, r.day, r.dim, r.value): r.scans for r in await rows(app, ScanBreakdown)}
    assert stored == dict(breakdowns)

    first_visit: dict[tuple[Any, ...], datetime] = {}
    for e in sorted(events, key=lambda e: e.occurred_at):
        for scope in (e.target_id, workspace):
            first_visit.setdefault((scope, e.occurred_at.date(), e.visitor_hash), e.occurred_at)
    assert {(v.scope_id, v.day, v.kind) for v in await rows(app, ScanVisitor)} == {
        (scope, d, "link") for scope, d, _ in first_visit
    }
    assert len(await rows(app, ScanVisitor)) == len(first_visit)

    totals: Counter[tuple[Any, ...]] = Counter()
    for e in events:
        for grain, bucket in buckets(e.occurred_at):
            totals[(e.target_id, grain, bucket, "scans")] += 1
    for (scope, _, _), at in first_visit.items():
        if scope != workspace:
            for grain, bucket in buckets(at):
                totals[(scope, grain, bucket, "visitors")] += 1
    stored_totals: Counter[tuple[Any, ...]] = Counter()
    for r in await rows(app, ScanTotal):
        assert r.workspace_id == workspace and r.kind == "link" and r.parent_id is None
        stored_totals[(r.target_id, r.grain, r.bucket, "scans")] += r.scans
        stored_totals[(r.target_id, r.grain, r.bucket, "visitors")] += r.visitors
    assert +stored_totals == +totals

    dims: Counter[tuple[Any, ...]] = Counter()
    for e in events:
        for grain, bucket in (("h", hour(e.occurred_at)), ("d", day(e.occurred_at))):
            dims[("total", grain, bucket, "")] += 1
            dims[("country", grain, bucket, e.country)] += 1
            dims[("device", grain, bucket, e.device_type)] += 1
            dims[("browser", grain, bucket, e.browser)] += 1
            dims[("os", grain, bucket, e.os)] += 1
            dims[("source", grain, bucket, e.source)] += 1
    for (scope, _, _), at in first_visit.items():
        if scope == workspace:
            dims[("visitors", "h", hour(at), "")] += 1
            dims[("visitors", "d", day(at), "")] += 1
    stored_dims = {
        (r.dim, r.grain, r.bucket, r.value): r.scans
        for r in await rows(app, ScanDimension)
        if r.workspace_id == workspace
    }
    assert stored_dims == dict(dims)


async def test_raw_events_store_no_ip_only_a_daily_visitor_hash(
    app: XqrApp, client: httpx.AsyncClient, account: Account
) -> None:
    clock.freeze(NOW)
    link = await create_link(client, account)
    scans = random_scans(account.workspace_id, [link["id"]], count=20, days=1, seed=12)
    await write_scans(app, scans)
    events = await stored_events(app.ctx, account.workspace_id)
    ips = {s.ip for s in scans}
    for event in events:
        values = [str(v) for v in vars(event).values()]
        assert not any(ip in value for ip in ips for value in values)
        assert len(event.visitor_hash) == 64


# --- Rollups, pure ---------------------------------------------------------------------------

WORKSPACES = [uuid.UUID(int=i) for i in (1, 2)]
TARGETS = [uuid.UUID(int=i) for i in range(10, 16)]
START = datetime(2026, 3, 1, tzinfo=UTC)

scan_strategy = st.builds(
    lambda minutes, target, country, device, source, visitor: EnrichedScan(
        START + timedelta(minutes=minutes),
        WORKSPACES[target % 2],
        "link",
        TARGETS[target],
        None,
        country,
        device,
        "Browser",
        "OS",
        None,
        source,
        hashlib.sha256(b"%d" % visitor).hexdigest(),
    ),
    st.integers(0, 3 * 24 * 60),
    st.integers(0, len(TARGETS) - 1),
    st.sampled_from(["US", "DE", "XX"]),
    st.sampled_from(["mobile", "desktop", "tablet"]),
    st.sampled_from(["qr", "direct"]),
    st.integers(0, 20),
)


@hypothesis_settings(max_examples=60, deadline=None)
@given(st.lists(scan_strategy, max_size=200))
def test_rollups_add_up_to_the_scans_at_every_grain(scans: list[EnrichedScan]) -> None:
    scans.sort(key=lambda s: s.occurred_at)
    rollups = Rollups()
    run_steps(rollups.add(scans))
    run_steps(rollups.collect_visitors())
    run_steps(rollups.count_new_visitors(rollups.visitors))  # as if all were new
    run_steps(rollups.derive())
    assert sum(n for _, n in rollups.facts) == len(scans)
    for dim in ("country", "device", "browser", "os", "source"):
        assert sum(n for key, n in rollups.breakdowns if key[2] == dim) == len(scans)
    for grain in ("h", "d", "w"):
        assert sum(n for key, n, _ in rollups.totals if key[2] == grain) == len(scans)
    for grain in ("h", "d"):
        for dim in ("total", "country", "device", "browser", "os", "source"):
            assert sum(n for key, n in rollups.dimensions if key[2:4] == (dim, grain)) == len(scans)
    distinct_visits = {(s.target_id, s.occurred_at.date(), s.visitor_hash) for s in scans}
    assert sum(v for key, _, v in rollups.totals if key[2] == "d") == len(distinct_visits)
    per_workspace = {(s.workspace_id, s.occurred_at.date(), s.visitor_hash) for s in scans}
    assert sum(n for key, n in rollups.dimensions if key[2:4] == ("visitors", "d")) == len(
        per_workspace
    )
    assert {(d, v) for d, v, *_ in rollups.visitors} == {
        (s.occurred_at.date(), visitor_id(s.visitor_hash)) for s in scans
    }


def test_a_visitor_counts_in_the_hour_of_their_first_scan_of_the_day() -> None:
    at = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    scans = [
        EnrichedScan(at + timedelta(hours=h), WORKSPACES[0], "link", TARGETS[0], None,
                     "US", "mobile", "B", "O", None, "qr", "ab" * 32)
        for h in (0, 2, 10)
    ]  # fmt: skip
    rollups = Rollups()
    run_steps(rollups.add(scans))
    run_steps(rollups.collect_visitors())
    run_steps(rollups.count_new_visitors(rollups.visitors))
    run_steps(rollups.derive())
    visitors = {(key[2], key[3]): v for key, _, v in rollups.totals if v}
    assert visitors == {
        ("h", datetime(2026, 3, 1, 9, tzinfo=UTC)): 1,
        ("d", datetime(2026, 3, 1, tzinfo=UTC)): 1,
        ("w", datetime(2026, 2, 23, tzinfo=UTC)): 1,  # the Monday of that week
    }
    assert date(2026, 3, 1) in {d for d, *_ in rollups.visitors}


def test_visitor_days_known_to_be_stored_are_not_collected_again() -> None:
    """Scans still count in full; only the visitor-days the writer knows it stored (here:
    the first visitor on the link) drop out of the keys to store and of the new visitors."""
    at = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    regular, newcomer = "ab" * 32, "cd" * 32
    scans = [
        EnrichedScan(at + timedelta(minutes=m), WORKSPACES[0], "link", TARGETS[0], None,
                     "US", "mobile", "B", "O", None, "qr", hash_)
        for m, hash_ in ((0, regular), (5, newcomer), (9, regular))
    ]  # fmt: skip
    stored = {date(2026, 3, 1): {(visitor_id(regular), TARGETS[0].int, "link")}}
    rollups = Rollups(stored)
    run_steps(rollups.add(scans))
    run_steps(rollups.collect_visitors())
    assert sorted((v, scope) for _, v, scope, _ in rollups.visitors) == sorted(
        [
            (visitor_id(regular), WORKSPACES[0]),  # the workspace's key was not stored
            (visitor_id(newcomer), TARGETS[0]),
            (visitor_id(newcomer), WORKSPACES[0]),
        ]
    )
    run_steps(rollups.count_new_visitors(rollups.visitors))
    run_steps(rollups.derive())
    assert [(n, v) for key, n, v in rollups.totals if key[2] == "d"] == [(3, 1)]
