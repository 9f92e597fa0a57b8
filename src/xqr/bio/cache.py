"""Rendered public pages in memory, dropped on change: at once in the process that made the
change, at once in the others through Redis when configured, and within the poll interval
through the `bio_changes` log they poll."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from xqr.bio import repository
from xqr.core.cache import MISSING, LoadingCache

__all__ = ["MISSING", "BioPageCache", "invalidate_everywhere"]


class BioPageCache(LoadingCache, kind="bio"):
    """slug (lower-case) → built page or MISSING."""

    def __init__(
        self,
        engine: AsyncEngine,
        build: Callable[[Any], Any],
        *,
        max_entries: int = 10_000,
    ) -> None:
        super().__init__(max_entries=max_entries)
        self.engine = engine
        self.build = build

    async def _load(self, slug_lower: str) -> Any:
        async with self.engine.connect() as conn:
            row = await repository.load_public(conn, slug_lower)
        if row is None or row.status != "published":
            return MISSING
        return self.build(row)


def invalidate_everywhere(slugs: Iterable[str]) -> None:
    """Drop slugs (lower-case) from every page cache of this process."""
    BioPageCache.invalidate_everywhere(slugs)
