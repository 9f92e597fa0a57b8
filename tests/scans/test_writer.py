"""The buffered scan writer: exactly once through database failures, bots left out, nothing
lost at shutdown, and the buffer's order kept."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from tests.analytics.test_analytics_reference import analytics_settings, random_scans
from tests.conftest import Account
from tests.links.linkkit import create_link, new_account, running, scalar
from tests.support.waiting import eventually, loop_turns
from xqr.app import XqrApp
from xqr.config import Settings
from xqr.context import AppContext
from xqr.core.clock import clock

NOW = datetime(2026, 3, 20, 12, tzinfo=UTC)
TABLES = (
    "scan_events",
    "scan_rollups",
    "scan_breakdowns",
    "scan_totals",
    "scan_dimensions",
    "scan_visitors",
)


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return analytics_settings(db_url, tmp_path / "data")


async def _fail_inserts(ctx: AppContext, table: str) -> None:
    """Make every insert into `table` fail, as a broken disk or a lost connection would."""
    async with ctx.engine.begin() as conn:
        if ctx.settings.is_sqlite:
            await conn.execute(
                text(
                    f"CREATE TRIGGER fail_{table} BEFORE INSERT ON {table} "
                    "BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
                )
            )
        else:
            await conn.execute(
                text(
                    "CREATE OR REPLACE FUNCTION xqr_fail() RETURNS trigger AS $$ "
                    "BEGIN RAISE EXCEPTION 'injected failure'; END $$ LANGUAGE plpgsql"
                )
            )
            await conn.execute(
                text(
                    f"CREATE TRIGGER fail_{table} BEFORE INSERT ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION xqr_fail()"
                )
            )


async def _recover(ctx: AppContext, table: str) -> None:
    async with ctx.engine.begin() as conn:
        suffix = "" if ctx.settings.is_sqlite else f" ON {table}"
        await conn.execute(text(f"DROP TRIGGER fail_{table}{suffix}"))


async def _counts(ctx: AppContext) -> dict[str, int]:
    counts = {table: int(await scalar(ctx, f"SELECT COUNT(*) FROM {table}")) for table in TABLES}
    counts["rolled_up"] = int(await scalar(ctx, "SELECT COALESCE(SUM(scans), 0) FROM scan_rollups"))
    counts["link_counters"] = int(
        await scalar(ctx, "SELECT COALESCE(SUM(scan_count), 0) FROM links")
    )
    return counts


async def _links(client: httpx.AsyncClient, account: Account, n: int = 5) -> list[str]:
    return [(await create_link(client, account))["id"] for _ in range(n)]


@pytest.mark.parametrize("table", ["scan_events", "scan_dimensions"])
async def test_a_failed_batch_leaves_nothing_behind_and_is_written_once_after_recovery(
    app: XqrApp, client: httpx.AsyncClient, account: Account, table: str
) -> None:
    clock.freeze(NOW)
    scans = random_scans(
        account.workspace_id, await _links(client, account), count=500, days=3, seed=3
    )
    writer, buffer = app.ctx.parts.scan_writer, app.ctx.parts.scan_buffer
    await _fail_inserts(app.ctx, table)
    for scan in scans:
        buffer.add(scan)
    with pytest.raises(Exception, match="injected failure"):
        await writer.flush()
    assert len(buffer) == len(scans)  # all back in the buffer, in order
    assert (await _counts(app.ctx))["scan_events"] == 0
    assert (await _counts(app.ctx))["link_counters"] == 0

    await _recover(app.ctx, table)
    await writer.flush()
    counts = await _counts(app.ctx)
    stored = writer.written
    assert 0 < stored == len(scans) - writer.skipped_bots
    assert counts["scan_events"] == stored
    assert counts["rolled_up"] == stored
    assert counts["link_counters"] == stored
    assert len(buffer) == 0


async def test_the_background_writer_retries_until_the_database_recovers(
    db_url: str, tmp_path: Path
) -> None:
    clock.freeze(NOW)
    settings = analytics_settings(db_url, tmp_path / "data", scan_flush_interval_ms=20)
    async with running(settings) as (app, client):
        account = await new_account(app)
        scans = random_scans(
            account.workspace_id, await _links(client, account), count=300, days=1, seed=4
        )
        writer, buffer = app.ctx.parts.scan_writer, app.ctx.parts.scan_buffer
        await _fail_inserts(app.ctx, "scan_visitors")
        for scan in scans:
            buffer.add(scan)
        await eventually(lambda: writer.failures >= 2, "two failed attempts")
        assert (await _counts(app.ctx))["scan_events"] == 0
        await _recover(app.ctx, "scan_visitors")
        await eventually(lambda: writer.written + writer.skipped_bots == len(scans), "all written")
        counts = await _counts(app.ctx)
    assert counts["scan_events"] == counts["rolled_up"] == counts["link_counters"]
    assert counts["scan_events"] == len(scans) - writer.skipped_bots


async def test_shutdown_writes_everything_still_buffered(db_url: str, tmp_path: Path) -> None:
    clock.freeze(NOW)
    settings = analytics_settings(db_url, tmp_path / "data")  # the interval is an hour
    async with running(settings) as (app, client):
        account = await new_account(app)
        scans = random_scans(
            account.workspace_id, await _links(client, account), count=250, days=1, seed=5
        )
        buffer = app.ctx.parts.scan_buffer
        for scan in scans[:50]:  # fewer than a batch: nothing wakes the writer
            buffer.add(scan)
        await loop_turns()  # a woken writer would have taken them from the buffer by now
        assert len(buffer) == 50
        assert int(await scalar(app.ctx, "SELECT COUNT(*) FROM scan_events")) == 0
        for scan in scans[50:]:
            buffer.add(scan)
        writer = app.ctx.parts.scan_writer
    # the lifespan has ended: the writer stopped after flushing
    assert len(buffer) == 0
    async with running(settings) as (again, _):
        stored = int(await scalar(again.ctx, "SELECT COUNT(*) FROM scan_events"))
    assert stored == writer.written == len(scans) - writer.skipped_bots


async def test_bots_are_redirected_but_never_stored(
    app: XqrApp, client: httpx.AsyncClient, account: Account
) -> None:
    clock.freeze(NOW)
    link = await create_link(client, account)
    bots = [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "curl/8.5.0",
        "",
    ]
    for agent in bots:
        response = await client.get(f"/{link['short_code']}", headers={"User-Agent": agent})
        assert response.status_code == 302
    person = {
        "User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"
    }
    assert (await client.get(f"/{link['short_code']}", headers=person)).status_code == 302
    writer = app.ctx.parts.scan_writer
    await writer.flush()
    assert writer.skipped_bots == len(bots)
    counts = await _counts(app.ctx)
    assert counts["scan_events"] == counts["rolled_up"] == counts["link_counters"] == 1


async def test_concurrent_flushes_keep_the_buffer_order(
    app: XqrApp, client: httpx.AsyncClient, account: Account
) -> None:
    """A test's flush racing the background writer must not reorder scans."""
    clock.freeze(NOW)
    scans = random_scans(
        account.workspace_id, await _links(client, account), count=2500, days=2, seed=6
    )
    writer, buffer = app.ctx.parts.scan_writer, app.ctx.parts.scan_buffer
    for scan in scans:
        buffer.add(scan)
    await asyncio.gather(writer.flush(), writer.flush())
    rows = await _event_times(app.ctx)
    assert rows == sorted(rows)


async def test_under_sustained_load_one_transaction_starts_per_interval(
    db_url: str, tmp_path: Path
) -> None:
    """An idle writer writes a full batch at once; more batches arriving right after wait for
    the interval since that transaction started, and shutdown writes them without waiting."""
    clock.freeze(NOW)
    settings = analytics_settings(
        db_url, tmp_path / "data", scan_flush_interval_ms=5_000
    ).model_copy(update={"scan_batch_size": 10})
    async with running(settings) as (app, client):
        account = await new_account(app)
        scans = random_scans(
            account.workspace_id, await _links(client, account), count=35, days=1, seed=8
        )
        writer, buffer = app.ctx.parts.scan_writer, app.ctx.parts.scan_buffer
        for scan in scans[:10]:
            buffer.add(scan)
        # the first batch wakes the idle writer
        await eventually(lambda: writer.written + writer.skipped_bots == 10, "a first batch")
        assert len(scans) > 20
        for scan in scans[10:]:
            buffer.add(scan)  # more batches
        await loop_turns()  # a writer that did not wait would have taken them by now
        assert len(buffer) == len(scans) - 10  # the interval has not passed
        assert writer.written + writer.skipped_bots == 10
        await writer.stop()
        assert writer.written + writer.skipped_bots == len(scans)
        assert len(buffer) == 0


@pytest.mark.parametrize(
    ("count", "chunk"), [(1, 250), (50, 250), (51, 250), (299, 250), (299, 33)]
)
async def test_every_batch_size_stores_each_event_once_in_order(
    app: XqrApp,
    client: httpx.AsyncClient,
    account: Account,
    count: int,
    chunk: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Events go in as multi-row statements; a batch of any size (whole statements, a short
    last one, or only that), converted in slices of any size, stores each counted scan once,
    in the buffer's order."""
    from xqr.scans import repository
    from xqr.scans.enrichment import parse_user_agent

    monkeypatch.setattr(repository, "CHUNK", chunk)
    clock.freeze(NOW)
    links = await _links(client, account)
    scans = random_scans(account.workspace_id, links, count=330, days=2, seed=12)
    people = [s for s in scans if not parse_user_agent(s.user_agent).is_bot]
    batch = people[:count]
    writer, buffer = app.ctx.parts.scan_writer, app.ctx.parts.scan_buffer
    for scan in batch:
        buffer.add(scan)
    await writer.flush()
    assert writer.written == count
    stored = [_as_utc(at) for at in await _event_times(app.ctx)]
    assert stored == [s.occurred_at for s in batch]


async def _event_times(ctx: AppContext) -> list[Any]:
    async with ctx.engine.connect() as conn:
        result = await conn.execute(text("SELECT occurred_at FROM scan_events ORDER BY id"))
        return [r[0] for r in result.all()]


async def test_pruning_removes_old_raw_events_but_keeps_the_rollups(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock.freeze(NOW)
    monkeypatch.setattr("xqr.scans.writer.PRUNE_EVERY", timedelta(0))  # not hourly: at once
    settings = analytics_settings(
        db_url, tmp_path / "data", scan_retention_days=30, scan_flush_interval_ms=20
    )
    async with running(settings) as (app, client):
        account = await new_account(app)
        links = await _links(client, account)
        scans = random_scans(account.workspace_id, links, count=400, days=60, seed=10)
        for scan in scans:
            app.ctx.parts.scan_buffer.add(scan)
        writer = app.ctx.parts.scan_writer
        await eventually(lambda: writer.written + writer.skipped_bots == len(scans), "all written")
        cutoff = NOW - timedelta(days=30)

        async def pruned() -> bool:
            old = "SELECT COUNT(*) FROM scan_events WHERE occurred_at < :c"
            return not await scalar(app.ctx, old, c=_param(app, cutoff))

        # the writer prunes after a flush once retention is set
        await eventually(pruned, "old events pruned")
        counts = await _counts(app.ctx)
        summary = await client.get(
            "/api/v1/analytics/summary", params={"period": "all"}, headers=account.headers
        )
    kept = sum(1 for s in scans if s.occurred_at >= cutoff)
    assert 0 < counts["scan_events"] <= kept
    assert counts["rolled_up"] == writer.written  # the rollups still count every scan
    assert summary.json()["data"]["total_scans"] == writer.written


async def test_pruning_walks_events_in_stored_order_past_late_ones(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Events have no time index: pruning walks them in the order they were stored, a chunk
    at a time, deletes the old ones, and ends at the first chunk with nothing to delete."""
    from xqr.scans import repository
    from xqr.scans.retention import prune

    clock.freeze(NOW)
    monkeypatch.setattr(repository, "PRUNE_CHUNK", 4)
    async with running(analytics_settings(db_url, tmp_path / "data")) as (app, client):
        account = await new_account(app)
        links = await _links(client, account)
        old, new = NOW - timedelta(days=40), NOW - timedelta(days=1)
        # Stored order: old events with a newer one among them (a clock that ran ahead, say),
        # two chunks of recent events, then two old events written late.
        moments = [old] * 3 + [new] + [old] * 6 + [new] * 8 + [old] * 2
        template = random_scans(account.workspace_id, links, count=1, days=1, seed=3)[0]
        writer, buffer = app.ctx.parts.scan_writer, app.ctx.parts.scan_buffer
        for i, at in enumerate(moments):
            buffer.add(replace(template, occurred_at=at + timedelta(seconds=i)))
        await writer.flush()
        removed = await prune(app.ctx.sessionmaker, NOW - timedelta(days=30))
        kept = await _event_times(app.ctx)
    assert removed == 9  # the first three chunks; the fourth holds only recent events
    expected = [new + timedelta(seconds=3)] + [new + timedelta(seconds=i) for i in range(10, 18)]
    expected += [old + timedelta(seconds=18), old + timedelta(seconds=19)]  # reached later
    assert [_as_utc(at) for at in kept] == expected


def _as_utc(value: Any) -> datetime:
    """A stored `occurred_at` read back with raw SQL (SQLite gives its text)."""
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _param(app: XqrApp, at: datetime) -> Any:
    return at.replace(tzinfo=None).isoformat(" ") if app.ctx.settings.is_sqlite else at


async def test_two_writers_count_a_visitor_once_a_day(
    app: XqrApp, client: httpx.AsyncClient, account: Account
) -> None:
    """Each server process remembers the visitors it stored; one stored by another process
    (or before a restart) is still recognised by the database."""
    from xqr.scans.buffer import ScanBuffer
    from xqr.scans.writer import ScanWriter

    clock.freeze(NOW)
    link = await create_link(client, account)
    first = app.ctx.parts.scan_writer
    second = ScanWriter(
        ScanBuffer(100), app.ctx.sessionmaker, secret=app.ctx.settings.secret, interval=3600
    )
    people = random_scans(account.workspace_id, [link["id"]], count=40, days=1, seed=13)
    people = [s for s in people if "bot" not in s.user_agent.lower()][:3]

    async def write(writer: Any, scan: Any, minutes: int) -> None:
        writer.buffer.add(replace(scan, occurred_at=NOW - timedelta(hours=3, minutes=-minutes)))
        await writer.flush()

    await write(first, people[0], 0)  # first process: X
    await write(second, people[0], 1)  # second process: X again
    await write(second, people[1], 2)  # second process: Y
    await write(first, people[1], 3)  # first process (memory warm, Y unknown to it): Y again
    await write(first, people[2], 4)  # first process: Z
    summary = await client.get(
        "/api/v1/analytics/summary", params={"period": "7d"}, headers=account.headers
    )
    stats = await client.get(
        f"/api/v1/analytics/links/{link['id']}", params={"period": "7d"}, headers=account.headers
    )
    assert summary.json()["data"]["total_scans"] == 5
    assert summary.json()["data"]["unique_visitors"] == 3
    assert stats.json()["data"]["unique_visitors"] == 3
    assert int(await scalar(app.ctx, "SELECT COUNT(*) FROM scan_visitors")) == 6
