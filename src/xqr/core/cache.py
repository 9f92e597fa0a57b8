"""An in-process cache with single-flight loads, and invalidation from anywhere in the process."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Iterable
from typing import Any, ClassVar

from xqr.core.memo import BoundedMemo

# A key known to have nothing behind it: cached too, so unknown keys cost no query either.
MISSING: Any = object()


class LoadingCache:
    """key → value (or MISSING), bounded; concurrent misses of one key share one load.

    Subclasses implement `_load`. Every instance of a subclass is reachable through
    `invalidate_everywhere`, which services call after their change commits.
    """

    _instances: ClassVar[weakref.WeakSet[LoadingCache]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._instances = weakref.WeakSet()

    def __init__(self, *, max_entries: int) -> None:
        self.entries: BoundedMemo[str, Any] = BoundedMemo(max_entries)
        self._loading: dict[str, asyncio.Future[Any]] = {}
        self._generation = 0
        type(self)._instances.add(self)

    @classmethod
    def invalidate_everywhere(cls, keys: Iterable[str]) -> None:
        """Drop keys from every cache of this class in the process."""
        keys = list(keys)
        for cache in list(cls._instances):
            cache.invalidate(keys)

    def invalidate(self, keys: Iterable[str]) -> None:
        self._generation += 1
        for key in keys:
            self.entries.pop(key, None)

    def clear(self) -> None:
        self._generation += 1
        self.entries.clear()

    async def get(self, key: str) -> Any:
        entry = self.entries.get(key)
        if entry is not None:
            return entry
        pending = self._loading.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._loading[key] = future
        generation = self._generation
        try:
            entry = await self._load(key)
            # A change committed while we were reading may have made this value stale.
            if generation == self._generation:
                self.entries[key] = entry
            future.set_result(entry)
            return entry
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved when no one else waits
            raise
        finally:
            del self._loading[key]

    async def _load(self, key: str) -> Any:
        raise NotImplementedError
