"""Verified-key lookups without a query per request: key prefix → what authentication needs."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from xqr.auth.models import ApiKey, AuthChange
from xqr.core.cache import MISSING, LoadingCache
from xqr.db.engine import on_commit
from xqr.workspaces.models import Workspace

EVERYTHING = "*"


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
    """prefix → KeyRecord (or MISSING). Dropped on commit of a key or plan change in this
    process, and within the poll interval in the others (the `auth_changes` log)."""

    def __init__(self, engine: AsyncEngine, *, max_entries: int = 50_000) -> None:
        super().__init__(max_entries=max_entries)
        self.engine = engine
        # When this process last wrote each key's last_used_at.
        self.touched: dict[uuid.UUID, datetime] = {}

    def invalidate(self, keys: Iterable[str]) -> None:
        keys = list(keys)
        if EVERYTHING in keys:
            self.clear()
        else:
            super().invalidate(keys)

    async def _load(self, prefix: str) -> Any:
        query = (
            select(
                ApiKey.id,
                ApiKey.key_hash,
                ApiKey.scopes,
                ApiKey.expires_at,
                ApiKey.revoked_at,
                Workspace.id,
                Workspace.plan,
                Workspace.created_at,
            )
            .join(Workspace, Workspace.id == ApiKey.workspace_id)
            .where(ApiKey.prefix == prefix)
        )
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return MISSING
        return KeyRecord(
            key_id=row[0],
            prefix=prefix,
            key_hash=row[1],
            scopes=tuple(row[2]),
            expires_at=row[3],
            revoked_at=row[4],
            workspace_id=row[5],
            plan=row[6],
            billing_anchor=row[7],
        )


async def log_auth_change(session: AsyncSession, key: str) -> None:
    """Record a change to a key (its prefix) or to plans (`*`), for every process's cache."""
    session.add(AuthChange(key=key))
    on_commit(session, lambda: KeyCache.invalidate_everywhere([key]))
