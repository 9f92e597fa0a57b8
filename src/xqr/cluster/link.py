"""One process's connection to Redis, and whether Redis is usable right now.

Redis is optional and never on the critical path: when an operation fails the link is marked
down (logged once), the burst limiter counts in this process and change-log polling speeds up
(`xqr.cluster.invalidation`), and requests are served as before. The subscriber's reconnect
loop marks it up again (logged once).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from redis.asyncio import Redis

logger = logging.getLogger("xqr.redis")


def redis_address(url: str) -> str:
    """`host:port/db` of a Redis URL, without credentials (for logs and /readyz)."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = parts.port or 6379
    path = parts.path.strip("/") or "0"
    return f"{host}:{port}/{path}"


class RedisLink:
    """A Redis client and the up/down state every user of it reports to."""

    def __init__(self, url: str, *, timeout: float, fast_poll_ms: int) -> None:
        self.address = redis_address(url)
        # One immediate retry on a fresh connection: a pooled connection Redis closed while
        # it restarted fails once, and that must not count as Redis being away.
        # Imported here: only processes configured with Redis pay for loading the client
        # (every `xqr` command imports this module).
        from redis.asyncio import Redis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        self.client: Redis = Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 1),
        )
        self.up = False
        self.since = time.time()
        self.reason = "not connected yet"
        self.fast_poll_ms = fast_poll_ms
        self.on_up: list[Callable[[], None]] = []
        self.on_down: list[Callable[[], None]] = []

    def recovered(self) -> None:
        """Redis answered: shared limits and published changes from now on."""
        if self.up:
            return
        self.up = True
        self.since = time.time()
        self.reason = "connected"
        logger.info(
            "redis %s connected: burst limits shared, cache changes published", self.address
        )
        for callback in self.on_up:
            callback()

    def failed(self, error: BaseException) -> None:
        """An operation failed: per-process limits and faster polling until it recovers."""
        if not self.up and self.reason != "not connected yet":
            return
        first = self.reason == "not connected yet"
        self.up = False
        self.since = time.time()
        self.reason = f"unreachable ({type(error).__name__})"
        logger.warning(
            "redis %s %s: %s; burst limits are per process and caches poll the database "
            "every %d ms until it is back",
            self.address,
            "not reachable at start" if first else "unreachable",
            type(error).__name__,
            self.fast_poll_ms,
        )
        for callback in self.on_down:
            callback()

    def readiness(self) -> tuple[bool, str]:
        """(ok, reason) for /readyz: Redis away degrades the service but does not stop it."""
        if self.up:
            return True, f"connected to {self.address}"
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.since))
        return False, (
            f"{self.reason} at {self.address} since {stamp}: burst limits are per process, "
            f"caches poll the database every {self.fast_poll_ms} ms"
        )

    async def close(self) -> None:
        await self.client.aclose()
