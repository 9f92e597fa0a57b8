"""In-memory caches of the QR domain: rendered images (LRU by bytes) and logos (LRU with a TTL).

Both are per process and need no invalidation: a rendering is keyed by every one of its
inputs, and a logo entry simply expires.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from xqr.core.clock import utcnow

T = TypeVar("T")

RENDER_CACHE_BYTES = 64 * 1024 * 1024
LOGO_CACHE_ENTRIES = 64
LOGO_CACHE_TTL = timedelta(minutes=10)


class RenderCache:
    """Rendered images by cache key, least recently used first out once over `max_bytes`."""

    def __init__(self, max_bytes: int = RENDER_CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self.total_bytes = 0
        self._items: OrderedDict[str, bytes] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: str) -> bytes | None:
        body = self._items.get(key)
        if body is not None:
            self._items.move_to_end(key)
        return body

    def put(self, key: str, body: bytes) -> None:
        if len(body) > self.max_bytes:
            return
        previous = self._items.pop(key, None)
        if previous is not None:
            self.total_bytes -= len(previous)
        self._items[key] = body
        self.total_bytes += len(body)
        while self.total_bytes > self.max_bytes:
            _, evicted = self._items.popitem(last=False)
            self.total_bytes -= len(evicted)

    def clear(self) -> None:
        self._items.clear()
        self.total_bytes = 0


class TtlCache(Generic[T]):
    """At most `max_entries` values, each kept for `ttl` after it was stored."""

    def __init__(self, max_entries: int = LOGO_CACHE_ENTRIES, ttl: timedelta = LOGO_CACHE_TTL):
        self.max_entries = max_entries
        self.ttl = ttl
        self._items: OrderedDict[Hashable, tuple[datetime, T]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Hashable) -> T | None:
        item = self._items.get(key)
        if item is None:
            return None
        expires, value = item
        if utcnow() >= expires:
            del self._items[key]
            return None
        self._items.move_to_end(key)
        return value

    def put(self, key: Hashable, value: T) -> None:
        self._items.pop(key, None)
        self._items[key] = (utcnow() + self.ttl, value)
        while len(self._items) > self.max_entries:
            self._items.popitem(last=False)

    def clear(self) -> None:
        self._items.clear()
