"""Verified-key lookups without a query per request: key prefix → what authentication needs."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from xqr.auth.models import ApiKey, AuthChange
from xqr.core.cache import MISSING, LoadingCache
from xqr.core.memo import BoundedMemo
from xqr.db.engine import on_commit
from xqr.workspaces import metering

EVERYTHING = "*"
# How long "no key has this prefix" is believed. A key created meanwhile is not kept waiting:
# its creation drops the answer (at once here, within the poll interval elsewhere). Briefly,
# so a prefix presented again and again costs one query per interval.
UNKNOWN_PREFIX_SECONDS = 10.0
# Unknown prefixes are remembered apart from keys, so a flood of made-up prefixes never
# pushes the verified keys out.
MAX_UNKNOWN_PREFIXES = 10_000


@dataclass(frozen=True, slots=True)
class KeyRecord:
    key_id: uuid.UUID
    prefix: str
    key_hash: str
    scopes: tuple[str, ...]
    expires_at: datetime | None
    revoked_at: datetime | None
    workspace_id: uuid.UUID
    plan: str
    billing_anchor: datetime


class KeyCache(LoadingCache):
    """prefix → KeyRecord (or MISSING, for UNKNOWN_PREFIX_SECONDS). Dropped on commit of a key
    or plan change in this process, and within the poll interval in the others (the
    `auth_changes` log)."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        max_entries: int = 50_000,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(max_entries=max_entries)
        self.engine = engine
        # When this process last wrote each key's last_used_at.
        self.touched: dict[uuid.UUID, datetime] = {}
        self._clock = monotonic
        # prefix → when the answer "no such key" stops being believed (monotonic seconds);
        # when full, the answers still believed are kept.
        self._unknown: BoundedMemo[str, float] = BoundedMemo(
            MAX_UNKNOWN_PREFIXES, keep=lambda _, until: until > self._clock()
        )

    def invalidate(self, keys: Iterable[str]) -> None:
        keys = list(keys)
        if EVERYTHING in keys:
            self.clear()
            return
        super().invalidate(keys)
        for key in keys:
            self._unknown.pop(key, None)

    def clear(self) -> None:
        super().clear()
        self._unknown.clear()

    def held(self, prefix: str) -> Any:
        """What this process knows of `prefix` without asking the database: its KeyRecord,
        MISSING (no such key, recently checked), or None (not known)."""
        record = self.entries.get(prefix)
        if record is not None:
            return record
        until = self._unknown.get(prefix)
        if until is None:
            return None
        if until > self._clock():
            return MISSING
        del self._unknown[prefix]
        return None

    async def get(self, prefix: str) -> Any:
        held = self.held(prefix)
        if held is not None:
            return held
        record = await super().get(prefix)
        # The load stored its answer unless a change committed meanwhile; an unknown prefix
        # moves to its own, short-lived table (see UNKNOWN_PREFIX_SECONDS).
        if record is MISSING and self.entries.get(prefix) is MISSING:
            del self.entries[prefix]
            self._remember_unknown(prefix)
        return record

    def _remember_unknown(self, prefix: str) -> None:
        self._unknown[prefix] = self._clock() + UNKNOWN_PREFIX_SECONDS

    async def _load(self, prefix: str) -> Any:
        query = select(
            ApiKey.id,
            ApiKey.key_hash,
            ApiKey.scopes,
            ApiKey.expires_at,
            ApiKey.revoked_at,
            ApiKey.workspace_id,
        ).where(ApiKey.prefix == prefix)
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
            terms = None if row is None else await metering.billing_terms(conn, row[5])
        if row is None or terms is None:
            return MISSING
        return KeyRecord(
            key_id=row[0],
            prefix=prefix,
            key_hash=row[1],
            scopes=tuple(row[2]),
            expires_at=row[3],
            revoked_at=row[4],
            workspace_id=row[5],
            plan=terms[0],
            billing_anchor=terms[1],
        )


async def log_auth_change(session: AsyncSession, key: str) -> None:
    """Record a change to a key (its prefix) or to plans (`*`), for every process's cache."""
    session.add(AuthChange(key=key))
    on_commit(session, lambda: KeyCache.invalidate_everywhere([key]))
