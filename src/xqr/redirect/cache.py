"""The in-process cache of short codes, invalidated across processes by polling a change log."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Boolean, String, Uuid, bindparam, text
from sqlalchemy.ext.asyncio import AsyncEngine

from xqr.core.clock import utcnow
from xqr.db.base import UTCDateTime
from xqr.links.routing import Rule, parse_rules

logger = logging.getLogger("xqr.redirect")


@dataclass(frozen=True, slots=True)
class LinkEntry:
    link_id: uuid.UUID
    link_id_str: str
    workspace_id: uuid.UUID
    destination: str
    rules: tuple[Rule, ...]
    enabled: bool
    expires_at: datetime | None


MISSING: Any = object()

_LOOKUP = text(
    "SELECT id, workspace_id, destination, routing_rules, enabled, expires_at "
    "FROM links WHERE code = :code"
).columns(
    id=Uuid(),
    workspace_id=Uuid(),
    destination=String(),
    routing_rules=JSON(),
    enabled=Boolean(),
    expires_at=UTCDateTime(),
)

_ALL_CACHES: weakref.WeakSet[LinkCache] = weakref.WeakSet()


def invalidate_everywhere(codes: Iterable[str]) -> None:
    """Drop codes from every cache in this process (called after a link change commits)."""
    codes = list(codes)
    for cache in list(_ALL_CACHES):
        cache.invalidate(codes)


def _stored_rules(raw: list[dict[str, Any]] | None) -> tuple[Rule, ...]:
    if not raw:
        return ()
    # Rules were validated when saved, destinations included.
    return tuple(parse_rules(raw, check_destination=lambda url: url))


class LinkCache:
    """code → LinkEntry (or MISSING), bounded, with single-flight loads on a miss."""

    def __init__(self, engine: AsyncEngine, *, max_entries: int = 200_000) -> None:
        self.engine = engine
        self.max_entries = max_entries
        self.entries: dict[str, Any] = {}
        self._loading: dict[str, asyncio.Future[Any]] = {}
        self._generation = 0
        _ALL_CACHES.add(self)

    def invalidate(self, codes: Iterable[str]) -> None:
        self._generation += 1
        for code in codes:
            self.entries.pop(code, None)

    def clear(self) -> None:
        self._generation += 1
        self.entries.clear()

    async def get(self, code: str) -> Any:
        entry = self.entries.get(code)
        if entry is not None:
            return entry
        pending = self._loading.get(code)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._loading[code] = future
        generation = self._generation
        try:
            entry = await self._load(code)
            # A change committed while we were reading may have made this row stale.
            if generation == self._generation:
                if len(self.entries) >= self.max_entries:
                    self.entries.clear()
                self.entries[code] = entry
            future.set_result(entry)
            return entry
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved when no one else waits
            raise
        finally:
            del self._loading[code]

    async def _load(self, code: str) -> Any:
        async with self.engine.connect() as conn:
            row = (await conn.execute(_LOOKUP, {"code": code})).first()
        if row is None:
            return MISSING
        return LinkEntry(
            link_id=row.id,
            link_id_str=str(row.id),
            workspace_id=row.workspace_id,
            destination=row.destination,
            rules=_stored_rules(row.routing_rules),
            enabled=bool(row.enabled),
            expires_at=row.expires_at,
        )


_LAST_CHANGE = text("SELECT COALESCE(MAX(id), 0) FROM link_changes")
_CHANGES = text("SELECT id, code FROM link_changes WHERE id > :after ORDER BY id LIMIT 5000")
_PRUNE = text("DELETE FROM link_changes WHERE changed_at < :before").bindparams(
    bindparam("before", type_=UTCDateTime())
)
PRUNE_AFTER = timedelta(hours=1)


class ChangePoller:
    """Background part: applies other processes' link changes to this process's cache."""

    def __init__(self, cache: LinkCache, write_engine: AsyncEngine, *, interval: float) -> None:
        self.cache = cache
        self.write_engine = write_engine
        self.interval = interval
        self.last_id = 0
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        async with self.cache.engine.connect() as conn:
            self.last_id = int((await conn.execute(_LAST_CHANGE)).scalar_one())
        self._task = asyncio.create_task(self._run(), name="xqr-link-change-poller")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def poll_once(self) -> int:
        async with self.cache.engine.connect() as conn:
            rows = (await conn.execute(_CHANGES, {"after": self.last_id})).all()
        if rows:
            self.last_id = int(rows[-1][0])
            self.cache.invalidate(str(r[1]) for r in rows)
        return len(rows)

    async def _run(self) -> None:
        polls = 0
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.poll_once()
                polls += 1
                if polls % 7200 == 0:  # about hourly at the default interval
                    await self._prune()
            except Exception:
                logger.exception("polling link changes failed")

    async def _prune(self) -> None:
        async with self.write_engine.begin() as conn:
            await conn.execute(_PRUNE, {"before": utcnow() - PRUNE_AFTER})
