"""The batch writer: enrich buffered scans and write them with their rollups in one transaction.

It shares the event loop with the redirects, so it never holds the loop for long: CPU work
(enrichment, aggregation, value conversion) runs in slices of `SLICE` scans with a yield in
between, and SQL runs in the driver (aiosqlite's thread; PostgreSQL's server). Under load the
buffer fills while a batch is written; the next transaction then takes up to
`MAX_BATCHES` buffer batches at once, which is what keeps SQLite's per-transaction cost (it
writes whole pages) small per scan.

Exactly once: every scan is in the journal (`xqr.scans.journal`) before it reaches the
buffer, and each transaction records the last journal sequence number it stores. A batch whose
transaction fails goes back to the front of the buffer and is written again after a back-off;
at start, what the journal holds beyond the stored position is replayed. `stop()` writes what
it can within `STOP_GRACE_SECONDS` and leaves the rest in the journal for the next start (a
database outage never holds up a shutdown).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import math
import time
from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from xqr.core.clock import utcnow
from xqr.db.engine import is_unavailable
from xqr.links.service import record_scans
from xqr.scans import labels, repository
from xqr.scans.aggregate import SLICE, EnrichedScan, Rollups, Steps
from xqr.scans.buffer import RawScan, ScanBuffer
from xqr.scans.enricher import Enricher
from xqr.scans.enrichment import warm_up
from xqr.scans.journal import ScanJournal
from xqr.scans.retention import prune
from xqr.scans.visitors import DEFAULT_VISITOR_KEYS, VisitorMemory

logger = logging.getLogger("xqr.scans")

LINKS_PER_RECORD = 250  # links per `record_scans` call (its SQL parameters are built in the loop)
MAX_BATCHES = 20  # buffer batches one transaction may take when the writer is behind
MAX_BACKOFF_SECONDS = 5.0
# How long a shutdown waits for the writer to store what is buffered; the rest stays in the
# journal and is stored at the next start. Well inside the stop timeout of process managers.
STOP_GRACE_SECONDS = 4.0
CHECKPOINT_EVERY = 30.0  # seconds between SQLite WAL truncations, when the writer is idle
RELEASE_SLICE = 2000
PRUNE_EVERY = timedelta(hours=1)
LABEL_CHECK_SECONDS = 1.0  # how often the writer looks for labels whose rollups need rebuilding


async def _pause() -> None:
    await asyncio.sleep(0)


async def cooperate(steps: Steps) -> None:
    """Run a stepped computation, letting the event loop run between its steps."""
    for _ in steps:
        await asyncio.sleep(0)


async def release(items: list[Any]) -> None:
    """Empty `items`, freeing them a slice at a time with the event loop's turns between."""
    while items:
        del items[-RELEASE_SLICE:]
        if items:
            await _pause()


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a batch is built and written.

    A batch holds tens of thousands of objects until it commits; left on, the collector
    promotes them and runs full collections that walk them all, each a pause of tens of ms on
    the event loop and, in total, more CPU than the batch's SQL. They are freed by reference
    counting when the batch ends (they form no cycles), so nothing is lost by waiting.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


async def cooperate_enrich(enricher: Enricher, raw: Sequence[RawScan]) -> list[EnrichedScan]:
    """Enrich raw scans `SLICE` at a time, letting the event loop run in between; bots drop out."""
    enrich = enricher.enrich
    enriched: list[EnrichedScan] = []
    for start in range(0, len(raw), SLICE):
        if start:
            await _pause()
        enriched.extend(e for e in map(enrich, raw[start : start + SLICE]) if e is not None)
    return enriched


async def write_batch(
    session: AsyncSession, scans: Sequence[EnrichedScan], visitors: VisitorMemory | None = None
) -> dict[str, int]:
    """Store the scans, their rollups and visitors, link counters and webhook events.

    `visitors` (the writer's) remembers stored visitor-days across batches.
    """
    if not scans:
        return {"scans": 0}
    if visitors is not None:
        await cooperate(visitors.learn())  # the last transaction's visitors count as stored
    rollups = Rollups(visitors.stored if visitors is not None else None)
    await cooperate(rollups.add(scans))
    await repository.tune_connection(session)
    await repository.hold_labels_shared(session)
    scopes = await labels.label_scopes(session, rollups.targets)
    await repository.insert_events(session, scans)
    await cooperate(rollups.collect_visitors())
    new = await repository.insert_visitors(session, rollups.visitors, visitors)
    await cooperate(rollups.count_new_visitors(new))
    await cooperate(rollups.derive(scopes))
    await repository.upsert_facts(session, rollups.facts, rollups.targets)
    await repository.upsert_breakdowns(session, rollups.breakdowns)
    await repository.upsert_totals(session, rollups.totals, rollups.targets)
    await repository.upsert_dimensions(session, rollups.dimensions)
    for group in await _by_link(scans):
        await record_scans(session, group)
        await _pause()
    return {"scans": len(scans), "new_visitors": len(new)}


async def _by_link(scans: Sequence[EnrichedScan]) -> list[list[list[EnrichedScan]]]:
    """Link scans in groups of whole links (each link's scans in time order, one list per
    link), each of few enough links that `record_scans` holds the event loop only briefly
    (its work is per link, and a round trip or two per call).

    Scans are grouped by the identity of their link's UUID (the scans of a cached link share
    it; hashing a `uuid.UUID` runs Python code): two equal UUIDs in different objects make
    two lists, which `record_scans` adds up.
    """
    per_link: dict[int, list[EnrichedScan]] = {}
    for start in range(0, len(scans), SLICE):
        if start:
            await _pause()
        for scan in scans[start : start + SLICE]:
            if scan.kind == "link":
                found = per_link.get(id(scan.target_id))
                if found is None:
                    per_link[id(scan.target_id)] = [scan]
                else:
                    found.append(scan)
    links = list(per_link.values())
    return [links[i : i + LINKS_PER_RECORD] for i in range(0, len(links), LINKS_PER_RECORD)]


class ScanWriter:
    """Background part: flushes the buffer every interval or when a batch is full.

    With a journal it also replays, at start, what an earlier run left unstored; syncs the
    journal to disk every `fsync_interval`; and deletes the journal's stored segments.
    """

    def __init__(
        self,
        buffer: ScanBuffer,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        secret: bytes,
        interval: float,
        retention_days: int | None = None,
        journal: ScanJournal | None = None,
        visitor_memory_max: int = DEFAULT_VISITOR_KEYS,
        read_sessionmaker: async_sessionmaker[AsyncSession] | None = None,
    ) -> None:
        self.buffer = buffer
        self.sessionmaker = sessionmaker
        self.read_sessionmaker = read_sessionmaker or sessionmaker
        # Two visitor-days (target and workspace) per visitor: the memo holds half as many.
        self.enricher = Enricher(secret, memo_size=max(1000, visitor_memory_max // 2))
        self.visitors = VisitorMemory(max_keys=visitor_memory_max)
        self.interval = interval
        self.retention_days = retention_days
        self.journal = journal
        self.written = 0
        self.skipped_bots = 0
        self.failures = 0
        self.in_flight = 0  # scans taken by the transaction being written
        self.database_ok = True  # the last transaction's outcome
        self.last_error = ""
        self._caught_up_at = time.monotonic()  # when nothing last waited to be stored
        self._stored: int | None = None  # the journal position the database has, once read
        self._task: asyncio.Task[None] | None = None
        self._sync_task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._next_prune = 0.0
        self._next_label_check = 0.0
        self._next_checkpoint = 0.0
        self.checkpoint_every = CHECKPOINT_EVERY
        self._wrote = False  # since the last checkpoint
        self._failure_logged = -math.inf
        self._lock = asyncio.Lock()

    @property
    def lag_scans(self) -> int:
        """Scans answered but not yet stored."""
        return len(self.buffer) + self.in_flight

    @property
    def lag_seconds(self) -> float:
        """How long the oldest scan not yet stored has waited, at most (0: none waits)."""
        if not self.lag_scans:
            self._caught_up_at = time.monotonic()
            return 0.0
        return time.monotonic() - self._caught_up_at

    async def start(self) -> None:
        warm_up()
        self._stopping.clear()
        journal = self.journal
        if journal is not None and journal.fsync_interval > 0:
            self._sync_task = asyncio.create_task(self._sync_loop(), name="xqr-journal-sync")
        self._task = asyncio.create_task(self._run(), name="xqr-scan-writer")

    async def stop(self) -> None:
        """Store what is buffered (for at most `STOP_GRACE_SECONDS`), then end; what is left
        stays in the journal for the next start."""
        self._stopping.set()
        self.buffer.full.set()
        if self._task is not None:
            done, _ = await asyncio.wait([self._task], timeout=STOP_GRACE_SECONDS)
            if not done:
                self._task.cancel()
                await asyncio.wait([self._task], timeout=1.0)
            self._task = None
        if self._sync_task is not None:
            self._sync_task.cancel()
            with contextlib.suppress(BaseException):
                await self._sync_task
            self._sync_task = None
        if self.journal is not None:
            left = self.lag_scans
            if left:
                logger.warning(
                    "%d scans not stored yet; they stay in the scan journal and are stored "
                    "at the next start",
                    left,
                )
            self.journal.close()

    async def flush(self) -> None:
        """Write everything buffered now (tests and shutdown); raises if a write fails."""
        async with self._lock:
            pass  # a batch being written has left the buffer: wait for it first
        while len(self.buffer):
            await self._write_some()

    async def _sync_loop(self) -> None:
        journal = self.journal
        assert journal is not None
        while True:
            await asyncio.sleep(journal.fsync_interval)
            try:
                await asyncio.to_thread(journal.sync)
            except OSError:
                logger.exception("syncing the scan journal to disk failed")

    async def _run(self) -> None:
        backoff = 0.1
        last_start = -math.inf
        while True:
            if not self._stopping.is_set():
                await self._wait_for_work(last_start)
            last_start = time.monotonic()
            try:
                await self._write_some()
                await self._rebuild_labels_when_due()
                await self._prune_when_due()
                await self._checkpoint_when_due()
                backoff = 0.1
                self.database_ok, self.last_error = True, ""
            except Exception as error:
                self.failures += 1
                self.database_ok = False
                self.last_error = type(error).__name__
                self._stored = None  # a commit may have happened after all: read it again
                if self._stopping.is_set():
                    return  # the journal keeps them for the next start
                self._log_failure(error)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
                continue
            if self._stopping.is_set() and not len(self.buffer):
                return

    def _log_failure(self, error: Exception) -> None:
        """A database outage: one line a minute. Anything else: its traceback, each time."""
        waiting = self.lag_scans
        if not is_unavailable(error):
            logger.exception("storing %d scans failed; retrying", waiting)
            return
        now = time.monotonic()
        if now - self._failure_logged >= 60:
            self._failure_logged = now
            logger.error(
                "storing scans failed, the database is unavailable (%r); %d scans wait in the "
                "scan journal, retrying",
                error,
                waiting,
            )

    async def _wait_for_work(self, last_start: float) -> None:
        """Until a transaction is due: a batch is buffered or the interval has passed, and the
        last transaction started an interval ago or more.

        So under sustained load the writer starts one transaction per interval, with all that
        came in meanwhile, rather than one after the other as fast as they end: a transaction
        adds one rollup row per link and facet it touches however many scans it carries, and
        at tens of thousands of scans a second back-to-back transactions of a few thousand
        scans spend more on those rows than on the scans. A scan still waits at most about an
        interval (longer only while a transaction takes longer than that). Shutdown and
        `MAX_BATCHES` full batches do not wait.
        """
        if len(self.buffer) < self.buffer.batch_size:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.buffer.full.wait(), self.interval)
        gap = last_start + self.interval - time.monotonic()
        if gap > 0 and len(self.buffer) < MAX_BATCHES * self.buffer.batch_size:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), gap)

    async def _write_some(self) -> None:
        # One transaction at a time: scans must be written in the order they were buffered
        # (a visitor's first scan of the day is the one that counts), and a failed batch goes
        # back to the front of the buffer before anything newer is taken.
        async with self._lock:
            await self._write_locked()

    async def _write_locked(self) -> None:
        raw: list[RawScan] = []
        first = self.buffer.head
        for _ in range(MAX_BATCHES):
            taken = self.buffer.take()
            if not taken:
                break
            raw.extend(taken)
        if not raw:
            return
        self.in_flight = len(raw)
        with collector_paused():
            try:
                written = await self._write(raw, first)
            except BaseException:
                self.buffer.put_back(raw)
                raise
            finally:
                self.in_flight = 0
            self.written += written
            if not len(self.buffer):
                self._caught_up_at = time.monotonic()
            # Before the collector is back (it would walk them all once more), and a slice at a
            # time: freeing a hundred thousand scans at once holds the event loop for tens of ms.
            await release(raw)

    async def _write(self, raw: list[RawScan], first: int) -> int:
        """Enrich and write one transaction; how many scans were stored (bots are not).

        `first` is the journal sequence number of `raw[0]`; scans at or below the position
        the database already holds (a replay after a crash) are skipped."""
        journal = self.journal
        last = first + len(raw) - 1
        todo: Sequence[RawScan] = raw
        if journal is not None:
            if self._stored is None:
                async with self.sessionmaker() as session:
                    self._stored = await repository.journal_position(session, journal.journal_id)
            skip = self._stored - first + 1
            if skip >= len(raw):
                journal.release(self._stored)
                return 0
            if skip > 0:
                todo = raw[skip:]
        enriched = await self._enrich(todo)
        async with self.sessionmaker() as session:
            await write_batch(session, enriched, self.visitors)
            if journal is not None:
                await repository.store_journal_position(session, journal.journal_id, last, utcnow())
            await session.commit()
        self._wrote = True
        if journal is not None:
            self._stored = last
            journal.release(last)
        written = len(enriched)
        self.skipped_bots += len(todo) - written
        await release(enriched)
        return written

    async def _enrich(self, raw: Sequence[RawScan]) -> list[EnrichedScan]:
        return await cooperate_enrich(self.enricher, raw)

    async def _rebuild_labels_when_due(self) -> None:
        """Rebuild the rollups of labels whose links changed (a look every
        `LABEL_CHECK_SECONDS`), between batches."""
        if time.monotonic() < self._next_label_check:
            return
        self._next_label_check = time.monotonic() + LABEL_CHECK_SECONDS
        async with self._lock:
            await labels.rebuild_changed(self.sessionmaker, self.read_sessionmaker)

    async def _prune_when_due(self) -> None:
        if self.retention_days is None or time.monotonic() < self._next_prune:
            return
        self._next_prune = time.monotonic() + PRUNE_EVERY.total_seconds()
        removed = await prune(self.sessionmaker, utcnow() - timedelta(days=self.retention_days))
        if removed:
            logger.info("pruned %d scan events older than %d days", removed, self.retention_days)

    async def _checkpoint_when_due(self) -> None:
        """SQLite: when idle, fold the write-ahead log back and truncate it, so it stays small
        (see docs/scans.md for the free space it needs)."""
        if len(self.buffer) or not self._wrote or time.monotonic() < self._next_checkpoint:
            return
        self._wrote = False
        self._next_checkpoint = time.monotonic() + self.checkpoint_every
        bind = self.sessionmaker.kw.get("bind")
        if isinstance(bind, AsyncEngine):
            await repository.checkpoint_wal(bind)
