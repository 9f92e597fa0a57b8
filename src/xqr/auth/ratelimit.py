"""Per-key burst limiting: a token bucket refilled at the plan's rate per second."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass(frozen=True)
class BurstDecision:
    allowed: bool
    remaining: int
    retry_after: int


class BurstLimiter:
    """In-process token buckets keyed by API key id (each server process holds its own)."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._buckets: dict[str, _Bucket] = {}
        self._clock = monotonic

    def take(self, key: str, rate: int) -> BurstDecision:
        bucket = self._refilled(key, rate)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return BurstDecision(True, int(bucket.tokens), 0)
        wait = (1 - bucket.tokens) / rate if rate > 0 else 1
        return BurstDecision(False, 0, max(1, math.ceil(wait)))

    def peek(self, key: str, rate: int) -> BurstDecision:
        """The bucket's state, taking nothing (a request whose token was taken already)."""
        return BurstDecision(True, int(self._refilled(key, rate).tokens), 0)

    def _refilled(self, key: str, rate: int) -> _Bucket:
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(tokens=float(rate), updated=now)
        else:
            bucket.tokens = min(float(rate), bucket.tokens + (now - bucket.updated) * rate)
            bucket.updated = now
        return bucket

    def forget(self) -> None:
        self._buckets.clear()
