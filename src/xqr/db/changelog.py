"""Change logs: tables of changed keys that every process polls to drop its cached copies."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from sqlalchemy import Column, Table, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from xqr.core.clock import utcnow
from xqr.db.engine import is_unavailable

logger = logging.getLogger("xqr.changelog")

PRUNE_AFTER = timedelta(hours=1)
# An id drawn before another's may commit after it (PostgreSQL sequences), so each poll also
# re-reads the last minute of the log and applies the ids it has not seen yet.
LOOKBACK = timedelta(seconds=60)
PRUNE_EVERY_SECONDS = 3600.0


class ChangeLogPoller:
    """Background part: applies changes logged by any process to this process's cache.

    Polls every `interval` seconds; `pace` changes that (longer while changes also arrive
    through Redis), and `poll_soon` polls at once (to catch up after Redis was away).
    """

    def __init__(
        self,
        table: Table,
        key: Column[str],
        invalidate: Callable[[Iterable[str]], None],
        *,
        read_engine: AsyncEngine,
        write_engine: AsyncEngine,
        interval: float,
    ) -> None:
        self.table = table
        self.key = key
        self.invalidate = invalidate
        self.read_engine = read_engine
        self.write_engine = write_engine
        self.interval = interval
        self.last_id = 0
        self._seen: dict[int, datetime] = {}  # ids applied within the lookback window
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._unavailable_logged = -math.inf

    def pace(self, interval: float) -> None:
        """Poll every `interval` seconds from now on (the next poll included)."""
        self.interval = interval
        self._wake.set()

    def poll_soon(self) -> None:
        """Poll now, then every `interval` seconds."""
        self._soon = True
        self._wake.set()

    _soon = False

    async def start(self) -> None:
        id_ = self.table.c.id
        async with self.read_engine.connect() as conn:
            self.last_id = int(
                (await conn.execute(select(func.coalesce(func.max(id_), 0)))).scalar_one()
            )
        self._task = asyncio.create_task(self._run(), name=f"xqr-{self.table.name}-poller")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def poll_once(self) -> int:
        """Apply unseen changes; how many there were."""
        now = utcnow()
        columns = self.table.c
        query = (
            select(columns.id, self.key)
            .where(or_(columns.id > self.last_id, columns.changed_at >= now - LOOKBACK))
            .order_by(columns.id)
            .limit(5000)
        )
        async with self.read_engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        fresh = [
            (int(change_id), str(key)) for change_id, key in rows if change_id not in self._seen
        ]
        for change_id, _ in fresh:
            self._seen[change_id] = now
            self.last_id = max(self.last_id, change_id)
        cutoff = now - 2 * LOOKBACK
        self._seen = {i: at for i, at in self._seen.items() if at >= cutoff}
        if fresh:
            self.invalidate(key for _, key in fresh)
        return len(fresh)

    async def prune(self) -> None:
        async with self.write_engine.begin() as conn:
            await conn.execute(
                delete(self.table).where(self.table.c.changed_at < utcnow() - PRUNE_AFTER)
            )

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        started = pruned = loop.time()
        while True:
            # Fixed rate: a slow poll does not push the next one further out.
            while not self._soon:
                left = self.interval - (loop.time() - started)
                if left <= 0:
                    break
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), left)
            self._soon = False
            started = loop.time()
            try:
                await self.poll_once()
                if started - pruned >= PRUNE_EVERY_SECONDS:
                    pruned = started
                    await self.prune()
            except Exception as error:
                if not is_unavailable(error):
                    logger.exception("polling %s failed", self.table.name)
                elif time.monotonic() - self._unavailable_logged >= 60:
                    # The database is away: one line a minute, not a traceback per poll.
                    self._unavailable_logged = time.monotonic()
                    logger.error("polling %s failed: %r", self.table.name, error)
