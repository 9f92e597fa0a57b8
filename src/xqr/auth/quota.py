"""Monthly quota counting with group commit.

Every call is counted by an atomic increment in the database, so the count is exact however
many processes share it. Calls that arrive while a transaction is in flight are folded into
the next one as a single `+n`, and each call still gets its own position in the count — the
same numbers one increment per call would give, at one transaction per batch. The transaction
is synchronous code run by a `TransactionRunner` (on SQLite: one thread hop per batch).
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime

from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from xqr.auth.service import touch_statement
from xqr.db.engine import TransactionRunner
from xqr.workspaces import metering

Group = tuple[uuid.UUID, datetime, int]  # workspace, cycle start, limit


class QuotaCounter:
    """Counts API calls; `count` answers the call's position in the cycle, or None when the
    quota is used up (and the call is not counted)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._transactions = TransactionRunner(engine)
        self._pending: dict[Group, list[asyncio.Future[int | None]]] = {}
        self._touch: dict[uuid.UUID, datetime] = {}
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        """Let the count in flight finish, then release the connection."""
        if self._task is not None and not self._task.done():
            await asyncio.wait([self._task])
        await self._transactions.close()

    async def count(
        self,
        workspace_id: uuid.UUID,
        cycle_start: datetime,
        limit: int,
        *,
        touch_key: uuid.UUID | None = None,
        now: datetime,
    ) -> int | None:
        future: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        self._pending.setdefault((workspace_id, cycle_start, limit), []).append(future)
        if touch_key is not None:
            self._touch[touch_key] = now
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, {}
            touch, self._touch = self._touch, {}
            sizes = [(group, len(futures)) for group, futures in batch.items()]
            try:
                positions = await self._transactions.run(_count, sizes, touch)
            except Exception as exc:
                for futures in batch.values():
                    for future in futures:
                        if not future.done():
                            future.set_exception(exc)
                continue
            # Only answered once the transaction has committed.
            for group, futures in batch.items():
                for future, position in zip(futures, positions[group], strict=True):
                    if not future.done():
                        future.set_result(position)


def _count(
    conn: Connection, sizes: list[tuple[Group, int]], touch: dict[uuid.UUID, datetime]
) -> dict[Group, list[int | None]]:
    """One transaction: each group's calls counted, keys' last-used times written."""
    positions = {group: _grant(conn, *group, n) for group, n in sizes}
    for key_id, at in touch.items():
        conn.execute(touch_statement(key_id, at))
    return positions


def _grant(
    conn: Connection, workspace_id: uuid.UUID, cycle_start: datetime, limit: int, n: int
) -> list[int | None]:
    """Count up to n calls without passing `limit`; each counted call's position, in order."""
    if n <= limit:
        total = metering.count_calls(conn, workspace_id, cycle_start, limit, n)
        if total is not None:
            return list(range(total - n + 1, total + 1))
    used = metering.calls_counted(conn, workspace_id, cycle_start)
    room = min(n, max(0, limit - used))
    total = metering.count_calls(conn, workspace_id, cycle_start, limit, room) if room else None
    if total is None:
        return [None] * n
    return [*range(total - room + 1, total + 1), *([None] * (n - room))]
