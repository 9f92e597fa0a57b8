"""Waking dispatchers when events commit, instead of at their next poll.

- In one process: when the transaction `emit()` wrote events in commits, every dispatcher
  running in the process is woken (`on_commit`; a rolled-back one wakes no one).
- Across processes, on PostgreSQL: `emit()` also queues `NOTIFY xqr_webhooks` in its
  transaction, which PostgreSQL delivers only if it commits; dispatchers LISTEN on it.

SQLite has no cross-process signal: other processes find new events at their next poll.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable
from typing import Any, Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from xqr.db.engine import dialect_name, on_commit

logger = logging.getLogger("xqr.webhooks")

CHANNEL = "xqr_webhooks"
RECONNECT_SECONDS = 5.0


class Wakeable(Protocol):
    def wake(self) -> None: ...


_dispatchers: weakref.WeakSet[Any] = weakref.WeakSet()


def register(dispatcher: Wakeable) -> None:
    _dispatchers.add(dispatcher)


def unregister(dispatcher: Wakeable) -> None:
    _dispatchers.discard(dispatcher)


async def events_emitted(session: AsyncSession) -> None:
    """Called by `emit()`: wake dispatchers once this session's transaction commits.

    The NOTIFY goes with the wake-up: queued in the same (sub)transaction, it is dropped with
    it when a savepoint rolls back, and then the next event queues both again."""
    if on_commit(session, _wake_dispatchers, once=True) and dialect_name(session) == "postgresql":
        await session.execute(text(f"NOTIFY {CHANNEL}"))


def _wake_dispatchers() -> None:
    for dispatcher in list(_dispatchers):
        dispatcher.wake()


async def listen(engine: AsyncEngine, on_notify: Callable[[], None]) -> None:
    """PostgreSQL: call `on_notify` at every `NOTIFY xqr_webhooks`, until cancelled.

    Holds one connection of `engine`; reconnects after failures (polling covers the gap)."""
    while True:
        try:
            async with engine.connect() as conn:
                raw = (await conn.get_raw_connection()).driver_connection
                assert raw is not None

                def _notified(*_: object) -> None:
                    on_notify()

                await raw.add_listener(CHANNEL, _notified)
                try:
                    while not raw.is_closed():
                        await asyncio.sleep(RECONNECT_SECONDS)
                finally:
                    if not raw.is_closed():
                        await raw.remove_listener(CHANNEL, _notified)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.warning("webhooks: LISTEN failed; relying on polling", exc_info=True)
        await asyncio.sleep(RECONNECT_SECONDS)
