"""The report worker: queues scheduled runs when their slot comes, and makes queued runs.

It runs inside `xqr serve` (a background part) and in `xqr worker`; any number of them may
share one database.

- Schedules: a report's `next_run_at` is its next slot. A worker that sees it come queues
  the run for that slot and moves `next_run_at` on in one transaction; the update only
  applies while `next_run_at` still is that slot, and (report, slot) is unique, so a slot is
  run once however many workers see it. Slots missed while no worker ran are run once, not
  once each.
- Runs: claimed with a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL), renewed while the run
  is made. A worker that dies leaves its run to any worker once the lease runs out; after
  `MAX_ATTEMPTS` claims a run is failed instead of being tried forever.

A worker makes one run at a time (they are CPU-bound); run more workers for more at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from xqr.analytics.periods import zone
from xqr.config import Settings
from xqr.core.clock import utcnow
from xqr.db.engine import make_engine, make_sessionmaker
from xqr.reports import repository, wakeup
from xqr.reports.models import ReportRun
from xqr.reports.runner import RunContext, execute
from xqr.reports.schedule import Schedule
from xqr.workspaces.plans import Plan, load_plans

logger = logging.getLogger("xqr.reports")

SCHEDULE_BATCH = 100


class ReportWorker:
    """`start()`/`stop()` run it in the background; `run_once()` in the caller's task."""

    def __init__(
        self,
        settings: Settings,
        *,
        sessionmaker: async_sessionmaker[AsyncSession] | None = None,
        read_sessionmaker: async_sessionmaker[AsyncSession] | None = None,
        plans: dict[str, Plan] | None = None,
    ) -> None:
        self.settings = settings
        self.lease = timedelta(seconds=settings.report_lease_seconds)
        self.poll_interval = max(settings.report_poll_interval_ms, 1) / 1000
        self.plans = plans
        self._sessionmaker = sessionmaker
        self._read_sessionmaker = read_sessionmaker or sessionmaker
        self._engines: list[AsyncEngine] = []
        self._context: RunContext | None = None
        # SQLite has one writer: our own claims and writes queue here instead of in its
        # busy-wait.
        self._write_lock: Any = asyncio.Lock() if settings.is_sqlite else contextlib.nullcontext()
        self._wake = asyncio.Event()
        self._stopping = False
        self._loop_task: asyncio.Task[None] | None = None
        self._current: tuple[ReportRun, asyncio.Task[str]] | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    async def open(self) -> None:
        if self._sessionmaker is None:
            engine = make_engine(self.settings.db_url)
            self._engines.append(engine)
            self._sessionmaker = self._read_sessionmaker = make_sessionmaker(engine)
            if self.settings.is_sqlite:
                reader = make_engine(self.settings.db_url, read_only=True)
                self._engines.append(reader)
                self._read_sessionmaker = make_sessionmaker(reader)
        if self.plans is None:
            self.plans = load_plans(self.settings.plans_file)
        if self._context is None:
            self._context = RunContext.from_settings(self.settings)

    async def close(self) -> None:
        for engine in self._engines:
            await engine.dispose()
        self._engines.clear()

    def wake(self) -> None:
        """Look for runs now (one was just queued)."""
        self._wake.set()

    async def start(self) -> None:
        await self.open()
        self._stopping = False
        self._loop_task = asyncio.create_task(self._run(), name="report-worker")
        wakeup.register(self)
        logger.info("report worker started")

    async def stop(self) -> None:
        """Stop; a run being made is abandoned and given back, for any worker to make."""
        self._stopping = True
        wakeup.unregister(self)
        self._wake.set()
        if self._current is not None:
            run, task = self._current
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
            await self._give_back(run)
        if self._loop_task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
            self._loop_task = None
        await self.close()
        logger.info("report worker stopped")

    # --- in the caller's task ----------------------------------------------------------------

    async def run_once(self) -> int:
        """Queue the slots that have come and make every run claimable now; how many."""
        await self.open()
        await self.queue_due_slots()
        made = 0
        while (run := await self._claim()) is not None:
            await self._make(run)
            made += 1
        return made

    # --- the background loop -------------------------------------------------------------------

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            wait = self.poll_interval
            try:
                await self.queue_due_slots()
                run = await self._claim()
                if run is not None:
                    await self._make(run)
                    continue
                wait = await self._idle_wait()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("report worker: a pass failed; retrying in a second")
                wait = max(wait, 1.0)
            if self._stopping:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=wait)

    async def _idle_wait(self) -> float:
        """Until the next slot or lease expiry, at most a poll interval."""
        assert self._read_sessionmaker is not None
        now = utcnow()
        async with self._read_sessionmaker() as session:
            times = [
                await repository.next_slot_at(session),
                await repository.next_claimable_at(session, now),
            ]
        due = [t for t in times if t is not None]
        if not due:
            return self.poll_interval
        return min(max((min(due) - now).total_seconds(), 0.01), self.poll_interval)

    # --- schedules ---------------------------------------------------------------------------

    async def queue_due_slots(self) -> int:
        """Queue the run of every report whose slot has come; how many this worker queued."""
        assert self._sessionmaker is not None and self._read_sessionmaker is not None
        now = utcnow()
        async with self._read_sessionmaker() as session:  # a look that takes no write lock
            first = await repository.next_slot_at(session)
        if first is None or first > now:
            return 0
        queued: list[uuid.UUID] = []
        async with self._write_lock, self._sessionmaker() as session:
            for report in await repository.due_reports(session, now, SCHEDULE_BATCH):
                slot = report.next_run_at
                assert slot is not None
                try:
                    schedule = Schedule.parse(report.schedule or {})
                    following = schedule.next_slot(zone(report.timezone), max(now, slot))
                except ValueError:
                    logger.warning("report %s: its schedule is unreadable; skipped", report.id)
                    continue
                run = await repository.queue_slot(session, report, slot, following, now)
                if run is not None:
                    queued.append(run.id)
            await session.commit()
        for run_id in queued:
            logger.info("report run %s queued for its schedule slot", run_id)
        return len(queued)

    # --- runs --------------------------------------------------------------------------------

    async def _claim(self) -> ReportRun | None:
        assert self._sessionmaker is not None and self._read_sessionmaker is not None
        now = utcnow()
        async with self._read_sessionmaker() as session:
            due = await repository.next_claimable_at(session, now)
        if due is None or due > now:
            return None
        async with self._write_lock, self._sessionmaker() as session:
            now = utcnow()
            run = await repository.claim_run(
                session, now=now, lease_until=now + self.lease, token=uuid.uuid4().hex
            )
            await session.commit()
        return run

    async def _make(self, run: ReportRun) -> None:
        assert self._sessionmaker is not None and self._read_sessionmaker is not None
        assert self.plans is not None and self._context is not None
        task = asyncio.create_task(
            execute(
                run,
                sessionmaker=self._sessionmaker,
                read_sessionmaker=self._read_sessionmaker,
                plans=self.plans,
                context=self._context,
            )
        )
        self._current = (run, task)
        heartbeat = asyncio.create_task(self._renew(run))
        started = time.monotonic()
        try:
            status = await asyncio.shield(task)
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
            self._current = None
        logger.info("report run %s: %s in %.2f s", run.id, status, time.monotonic() - started)

    async def _renew(self, run: ReportRun) -> None:
        """Keep the lease while the run is made (a third of it at a time)."""
        assert self._sessionmaker is not None and run.lease_token is not None
        interval = self.lease.total_seconds() / 3
        while True:
            await asyncio.sleep(interval)
            try:
                async with self._write_lock, self._sessionmaker() as session:
                    held = await repository.extend_lease(
                        session, run.id, run.lease_token, utcnow() + self.lease
                    )
                    await session.commit()
            except Exception:
                logger.exception("report run %s: renewing the lease failed", run.id)
                continue
            if not held:
                return

    async def _give_back(self, run: ReportRun) -> None:
        assert self._sessionmaker is not None and run.lease_token is not None
        try:
            async with self._write_lock, self._sessionmaker() as session:
                await repository.release_run(session, run.id, run.lease_token)
                await session.commit()
        except Exception:  # its lease runs out and it is claimed again
            logger.exception("report run %s: giving it back failed", run.id)
