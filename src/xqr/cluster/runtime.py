"""With `XQR_REDIS_URL`: the shared burst limiter, published cache changes, and /readyz's
Redis check. Without it nothing here runs and every process works on its own, as before."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from xqr.auth.shared_burst import SharedBurstLimiter
from xqr.cluster.invalidation import Publisher, Subscriber, new_origin
from xqr.cluster.link import RedisLink
from xqr.config import Settings
from xqr.db.changelog import ChangeLogPoller

if TYPE_CHECKING:
    from xqr.app import XqrApp


class _Closing:
    """Closes the link's connections when the app stops (after the parts that use it)."""

    def __init__(self, link: RedisLink) -> None:
        self.link = link

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        await self.link.close()


def _link(settings: Settings, url: str) -> RedisLink:
    return RedisLink(
        url,
        timeout=settings.redis_timeout_ms / 1000,
        fast_poll_ms=settings.cache_poll_interval_ms,
    )


def install(app: XqrApp) -> None:
    """Runs after every domain's install: it paces the change-log pollers they added."""
    settings = app.ctx.settings
    if not settings.redis_url:
        return
    link = _link(settings, settings.redis_url)
    app.ctx.parts.redis = link
    app.ctx.parts.shared_burst = SharedBurstLimiter(link, lambda: app.ctx.burst)
    origin = new_origin()
    pollers = [part for part in app.background if isinstance(part, ChangeLogPoller)]
    # Parts stop in reverse order: the connections close last.
    app.background.append(_Closing(link))
    app.background.append(Publisher(link, origin))
    relaxed = settings.redis_cache_poll_interval_ms / 1000
    app.background.append(Subscriber(link, origin, pollers, relaxed))
    app.readiness["redis"] = link.readiness


@asynccontextmanager
async def publishing(settings: Settings) -> AsyncIterator[None]:
    """Publish the cache changes a command commits (`xqr admin key revoke` reaches every
    server process at once); without Redis, nothing."""
    if not settings.redis_url:
        yield
        return
    link = _link(settings, settings.redis_url)
    publisher = Publisher(link, new_origin())
    await publisher.start()
    try:
        yield
    finally:
        await publisher.stop()
        await link.close()
