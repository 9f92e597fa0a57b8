"""One delivery attempt over HTTP: the exact stored bytes, signed, through the URL-safety guard."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from datetime import datetime

import httpx

from xqr import __version__
from xqr.core.clock import utcnow
from xqr.core.netguard import GuardedTransport, UnsafeURLError, check_url
from xqr.webhooks.attempts import AttemptOutcome, ClaimedDelivery
from xqr.webhooks.signing import delivery_headers

USER_AGENT = f"xQR-Webhooks/{__version__}"
DEFAULT_TIMEOUT = 10.0
EXCERPT_BYTES = 20 * 1024
MAX_ERROR_CHARS = 500


class Sender:
    """Sends attempts over guarded keep-alive connections: one small pool per endpoint.

    The pools are `netguard.GuardedTransport`s, the transport `guarded_async_client` is built
    on: every connection is checked at connect time against the resolved address, no proxy
    is used, and a transport never follows redirects. Going to the transport directly skips
    the client's cookie, auth and redirect layers, about a third of the CPU a send costs.
    Per-endpoint pools keep each pool's bookkeeping small (httpcore scans a pool's
    connections on every request) and one slow endpoint's connections away from the others'.
    Pools unused for `IDLE_POOL_SECONDS` are closed.
    """

    IDLE_POOL_SECONDS = 120.0

    def __init__(self, *, allow_private: bool, timeout: float, per_endpoint: int) -> None:
        self.allow_private = allow_private
        self.timeout = timeout
        self.per_endpoint = per_endpoint
        self._timeouts = {"connect": timeout, "read": timeout, "write": timeout, "pool": timeout}
        self._pools: dict[uuid.UUID, GuardedTransport] = {}
        self._last_used: dict[uuid.UUID, float] = {}
        self._in_flight: Counter[uuid.UUID] = Counter()
        self._urls: dict[str, httpx.URL] = {}
        self._last_sweep = time.monotonic()

    def _pool(self, endpoint_id: uuid.UUID) -> GuardedTransport:
        pool = self._pools.get(endpoint_id)
        if pool is None:
            pool = self._pools[endpoint_id] = GuardedTransport(
                allow_private=self.allow_private,
                limits=httpx.Limits(
                    max_connections=self.per_endpoint,
                    max_keepalive_connections=self.per_endpoint,
                ),
            )
        self._last_used[endpoint_id] = time.monotonic()
        return pool

    async def close_idle(self) -> None:
        """Close the pools of endpoints not sent to for a while."""
        now = time.monotonic()
        if now - self._last_sweep < self.IDLE_POOL_SECONDS / 4:
            return
        self._last_sweep = now
        for endpoint_id, used in list(self._last_used.items()):
            if now - used > self.IDLE_POOL_SECONDS and not self._in_flight[endpoint_id]:
                del self._last_used[endpoint_id]
                await self._pools.pop(endpoint_id).aclose()

    async def aclose(self) -> None:
        for pool in self._pools.values():
            await pool.aclose()
        self._pools.clear()
        self._last_used.clear()

    async def send(self, delivery: ClaimedDelivery) -> AttemptOutcome:
        at = utcnow()
        started = time.perf_counter()
        status: int | None = None
        excerpt: str | None = None
        error: str | None = None
        self._in_flight[delivery.endpoint_id] += 1
        try:
            async with asyncio.timeout(self.timeout):
                status, excerpt, location = await self._post(delivery, at)
            if status is not None and 300 <= status < 400:
                error = (
                    f"Answered {status} redirecting to {location or 'nowhere'}; "
                    "redirects are not followed."
                )
        except UnsafeURLError as exc:
            error = f"Blocked by the URL-safety guard: {exc}"
        except TimeoutError:
            error = f"No response within {self.timeout:g} s."
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        finally:
            self._in_flight[delivery.endpoint_id] -= 1
        elapsed_ms = round((time.perf_counter() - started) * 1000)
        return AttemptOutcome(
            delivery=delivery,
            at=at,
            status_code=status,
            response_ms=elapsed_ms,
            error=error[:MAX_ERROR_CHARS] if error else None,
            response_excerpt=excerpt,
        )

    async def _post(self, delivery: ClaimedDelivery, at: datetime) -> tuple[int, str, str | None]:
        # Checked at every delivery, not only at creation: DNS may have changed since, and
        # the guarded transport checks the address it actually connects to once more.
        await check_url(
            delivery.url, allow_private=self.allow_private, require_https=not self.allow_private
        )
        body = delivery.payload.encode()
        headers = delivery_headers(
            secret=delivery.secret,
            body=body,
            event=delivery.event,
            delivery_id=str(delivery.id),
            timestamp=int(at.timestamp()),
            user_agent=USER_AGENT,
        )
        url = self._urls.get(delivery.url)
        if url is None:
            if len(self._urls) > 4096:
                self._urls.clear()
            url = self._urls[delivery.url] = httpx.URL(delivery.url)
        request = httpx.Request(
            "POST",
            url,
            content=body,
            headers=headers,
            extensions={"timeout": self._timeouts},
        )
        response = await self._pool(delivery.endpoint_id).handle_async_request(request)
        try:
            chunks = bytearray()
            async for chunk in response.stream:  # type: ignore[union-attr]
                chunks += chunk
                if len(chunks) >= EXCERPT_BYTES:
                    break
        finally:
            await response.aclose()
        return (
            response.status_code,
            _text(bytes(chunks[:EXCERPT_BYTES])),
            response.headers.get("location"),
        )


def _text(raw: bytes) -> str:
    # PostgreSQL text cannot hold NUL characters.
    return raw.decode("utf-8", errors="replace").replace("\x00", "\ufffd")
