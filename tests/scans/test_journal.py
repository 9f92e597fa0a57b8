"""The scan journal: records survive as written, a torn tail is cut, replay stores each scan once,
a backlog over the memory cap is read back in order, and a full journal drops and counts."""

from __future__ import annotations

import shutil
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.analytics.test_analytics_reference import analytics_settings
from tests.links.linkkit import create_link, new_account, running
from tests.support.waiting import eventually
from xqr.config import Settings
from xqr.scans.buffer import RawScan, ScanBuffer
from xqr.scans.journal import ScanJournal, decode, encode, read_records
from xqr.scans.visitors import VisitorMemory
from xqr.scans.writer import ScanWriter

BROWSER = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Safari/605.1.15"
)


def _scan(
    n: int = 0, target: uuid.UUID | None = None, workspace: uuid.UUID | None = None
) -> RawScan:
    return RawScan(
        datetime(2026, 3, 20, 12, 0, 0, 123456 + n, tzinfo=UTC),
        workspace or uuid.uuid4(),
        "link",
        target or uuid.uuid4(),
        None,
        f"203.0.113.{n % 250}",
        BROWSER,
        f"https://s{n}.example/",
        None,
        n % 2 == 0,
    )


def _journal(folder: Path, max_bytes: int = 1 << 30) -> ScanJournal:
    journal = ScanJournal(folder, max_bytes=max_bytes, fsync_interval=1.0)
    journal.open()
    return journal


def test_a_record_reads_back_as_the_scan_written() -> None:
    scans = [
        _scan(1),
        replace(_scan(2), parent_id=uuid.uuid4(), kind="bio_link", country_header="DE"),
        replace(_scan(3), referer=None, user_agent="Ünïcode 🚀 agent", ip="2001:db8::1"),
        replace(_scan(4), user_agent="", referer=""),
        replace(_scan(5), expired=True),
        replace(_scan(6), expired=True, rule=3),
        replace(_scan(7), rule=0),
    ]
    for scan in scans:
        payloads = [payload for _end, payload in read_records(encode(scan))]
        assert [decode(p) for p in payloads] == [scan]


def test_a_torn_record_ends_its_segment_and_is_removed(tmp_path: Path) -> None:
    journal = _journal(tmp_path)
    for n in range(3):
        assert journal.append(_scan(n))
    segment = journal.segments[-1].path
    journal.close()
    whole = segment.read_bytes()
    segment.write_bytes(whole + encode(_scan(9))[:-7])  # a machine crash mid-write

    again = _journal(tmp_path)
    first, after = 1, 4
    assert (again.segments[0].first, again.next_seq) == (first, after)
    assert [s.referer for s in again.read(1, 10)] == [f"https://s{n}.example/" for n in range(3)]
    assert segment.read_bytes() == whole


def test_a_second_process_takes_a_slot_of_its_own(tmp_path: Path) -> None:
    one, two = _journal(tmp_path), _journal(tmp_path)
    assert one.folder != two.folder
    assert one.journal_id != two.journal_id
    one.close()
    three = _journal(tmp_path)  # the slot `one` held is free again, and so is its identity
    assert (three.folder, three.journal_id) == (one.folder, one.journal_id)


def test_a_backlog_over_the_memory_cap_is_read_back_from_the_journal_in_order(
    tmp_path: Path,
) -> None:
    journal = _journal(tmp_path)
    buffer = ScanBuffer(10, journal=journal, max_items=5)
    scans = [_scan(n) for n in range(23)]
    for scan in scans:
        buffer.add(scan)
    assert (buffer.in_memory, len(buffer)) == (5, 23)
    taken: list[RawScan] = []
    while batch := buffer.take():
        taken.extend(batch)
    assert taken == scans
    assert buffer.head == 24


def test_a_full_journal_drops_and_counts_scans_and_keeps_none_of_them(tmp_path: Path) -> None:
    journal = _journal(tmp_path, max_bytes=4096)
    buffer = ScanBuffer(1000, journal=journal)
    for n in range(40):
        buffer.add(_scan(n))
    assert journal.dropped > 0
    assert journal.appended + journal.dropped == 40
    assert len(buffer) == journal.appended
    assert journal.bytes <= 4096
    assert "XQR_SCAN_JOURNAL_MAX_BYTES" in journal.drop_reason


def test_the_visitor_memory_stays_under_its_cap() -> None:
    memory = VisitorMemory(max_keys=100)
    for day in (20, 21):
        keys = [(datetime(2026, 3, day).date(), n, uuid.uuid4(), "link") for n in range(150)]
        memory.remember(keys)
        for _ in memory.learn():
            pass
        assert len(memory) <= 100


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return analytics_settings(db_url, tmp_path / "data")


async def test_replay_after_a_crash_stores_each_scan_exactly_once(
    settings: Settings, tmp_path: Path
) -> None:
    async with running(settings) as (app, client):
        account = await new_account(app)
        link = await create_link(client, account)
        ctx = app.ctx
        target, workspace = uuid.UUID(link["id"]), uuid.UUID(account.workspace_id)
        folder = tmp_path / "journal"

        def process() -> tuple[ScanJournal, ScanBuffer, ScanWriter]:
            journal = _journal(folder)
            first, after = journal.segments[0].first, journal.next_seq
            buffer = ScanBuffer(10, journal=journal)
            buffer.head, buffer.spilled = first, after - first
            writer = ScanWriter(
                buffer, ctx.sessionmaker, secret=b"s", interval=3600, journal=journal
            )
            return journal, buffer, writer

        journal, buffer, writer = process()
        for n in range(10):
            buffer.add(_scan(n, target, workspace))
        kept = tmp_path / "before-storing"
        shutil.copytree(folder, kept)  # the journal as a crash right after the commit leaves it
        await writer.flush()
        for n in range(10, 30):
            buffer.add(_scan(n, target, workspace))
        journal.close()  # the process dies: 20 scans journaled, not stored
        shutil.copytree(kept, folder, dirs_exist_ok=True)  # and the stored 10 not yet deleted

        journal, buffer, writer = process()
        assert len(buffer) == 30
        await writer.flush()
        journal.close()
        async with ctx.engine.connect() as conn:
            hosts = [
                row[0] for row in await conn.execute(text("SELECT referrer_host FROM scan_events"))
            ]
        assert sorted(hosts) == sorted(f"s{n}.example" for n in range(30))


async def test_the_sqlite_write_ahead_log_is_truncated_when_the_writer_is_idle(
    settings: Settings, tmp_path: Path
) -> None:
    if not settings.is_sqlite:
        pytest.skip("SQLite's write-ahead log")
    fast = settings.model_copy(update={"scan_flush_interval_ms": 50})
    async with running(fast) as (app, client):
        app.ctx.parts.scan_writer.checkpoint_every = 0.0  # at once when idle (default: 30 s)
        account = await new_account(app)
        link = await create_link(client, account)
        for _ in range(20):
            await client.get(f"/{link['short_code']}", headers={"User-Agent": BROWSER})
        wal = Path(app.ctx.engine.url.database or "").with_name("xqr.db-wal")
        await eventually(lambda: app.ctx.parts.scan_writer.written >= 20, "scans stored")
        await eventually(lambda: wal.exists() and wal.stat().st_size == 0, "the WAL truncated")
