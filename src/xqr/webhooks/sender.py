"""One delivery attempt over HTTP: the exact stored bytes, signed, through the URL-safety guard."""

from __future__ import annotations

import asyncio
import ssl
import time
import uuid
from collections import Counter
from datetime import datetime

import httpcore
import httpx

from xqr import __version__
from xqr.core.clock import utcnow
from xqr.core.memo import BoundedMemo
from xqr.core.netguard import GuardedNetworkBackend, UnsafeURLError, check_url
from xqr.webhooks.attempts import AttemptOutcome, ClaimedDelivery
from xqr.webhooks.secret_store import UNREADABLE_SECRET
from xqr.webhooks.signing import delivery_headers

USER_AGENT = f"xQR-Webhooks/{__version__}"
DEFAULT_TIMEOUT = 10.0
EXCERPT_BYTES = 20 * 1024
MAX_ERROR_CHARS = 500
# What a receiver or the network can make a send fail with (httpcore has no common base).
HTTP_ERRORS = (
    httpcore.TimeoutException,
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
)


class Sender:
    """Sends attempts over guarded keep-alive connections, kept per endpoint.

    Connections come from `netguard.GuardedNetworkBackend`, the backend `guarded_async_client`
    is built on: the host is resolved and every address checked at connect time, no proxy is
    used, and nothing follows redirects. Each endpoint keeps a stack of idle HTTP/1.1
    connections; a send takes the most recently used one that is still open (or connects)
    and puts it back once the response is read. The dispatcher already bounds sends per
    endpoint, so this needs none of a general pool's bookkeeping, which rescans every
    connection on each request and cost about a quarter of a send's CPU. Idle connections
    expire after `KEEPALIVE_SECONDS`; endpoints unused for `IDLE_POOL_SECONDS` are closed.
    """

    IDLE_POOL_SECONDS = 120.0
    KEEPALIVE_SECONDS = 5.0

    def __init__(
        self,
        *,
        allow_private: bool,
        timeout: float,
        per_endpoint: int,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.allow_private = allow_private
        self.timeout = timeout
        self.per_endpoint = per_endpoint
        self._timeouts = {"connect": timeout, "read": timeout, "write": timeout, "pool": timeout}
        self._backend = GuardedNetworkBackend(allow_private=allow_private)
        # Built at the first HTTPS connection: reading the CA bundle costs ~25 ms of CPU, which
        # a process that never sends to an https:// endpoint need not pay.
        self._given_ssl_context = ssl_context
        self._ssl_context_built: ssl.SSLContext | None = None
        self._idle: dict[uuid.UUID, list[httpcore.AsyncHTTP11Connection]] = {}
        self._last_used: dict[uuid.UUID, float] = {}
        self._in_flight: Counter[uuid.UUID] = Counter()
        self._urls: BoundedMemo[str, tuple[httpcore.URL, bytes]] = BoundedMemo(4096)
        self._last_sweep = time.monotonic()

    async def close_idle(self) -> None:
        """Close the connections of endpoints not sent to for a while."""
        now = time.monotonic()
        if now - self._last_sweep < self.IDLE_POOL_SECONDS / 4:
            return
        self._last_sweep = now
        for endpoint_id, used in list(self._last_used.items()):
            if now - used > self.IDLE_POOL_SECONDS and not self._in_flight[endpoint_id]:
                del self._last_used[endpoint_id]
                for connection in self._idle.pop(endpoint_id, []):
                    await connection.aclose()

    async def aclose(self) -> None:
        for connections in self._idle.values():
            for connection in connections:
                await connection.aclose()
        self._idle.clear()
        self._last_used.clear()

    async def _checkout(
        self, endpoint_id: uuid.UUID, origin: httpcore.Origin
    ) -> httpcore.AsyncHTTP11Connection:
        """An idle connection to `origin` that is still open, or a new one."""
        self._last_used[endpoint_id] = time.monotonic()
        idle = self._idle.get(endpoint_id)
        while idle:
            connection = idle.pop()
            if (
                connection.can_handle_request(origin)
                and connection.is_idle()
                and not connection.has_expired()
            ):
                return connection
            await connection.aclose()
        host = origin.host.decode("ascii")
        timeout = self.timeout
        stream = await self._backend.connect_tcp(host, origin.port, timeout=timeout)
        if origin.scheme == b"https":
            stream = await stream.start_tls(
                self._ssl_context(), server_hostname=host, timeout=timeout
            )
        return httpcore.AsyncHTTP11Connection(
            origin=origin, stream=stream, keepalive_expiry=self.KEEPALIVE_SECONDS
        )

    def _ssl_context(self) -> ssl.SSLContext:
        context = self._ssl_context_built
        if context is None:
            context = self._given_ssl_context or httpx.create_ssl_context(trust_env=False)
            context.set_alpn_protocols(["http/1.1"])
            self._ssl_context_built = context
        return context

    async def _checkin(
        self, endpoint_id: uuid.UUID, connection: httpcore.AsyncHTTP11Connection
    ) -> None:
        idle = self._idle.setdefault(endpoint_id, [])
        if connection.is_idle() and len(idle) < self.per_endpoint:
            idle.append(connection)
        else:
            await connection.aclose()

    async def send(self, delivery: ClaimedDelivery) -> AttemptOutcome:
        at = utcnow()
        started = time.perf_counter()
        status: int | None = None
        excerpt: str | None = None
        error: str | None = None
        self._in_flight[delivery.endpoint_id] += 1
        try:
            if delivery.secret is None:
                error = UNREADABLE_SECRET  # unsigned, it would only be refused
            else:
                async with asyncio.timeout(self.timeout):
                    status, excerpt, location = await self._post(delivery, delivery.secret, at)
            if status is not None and 300 <= status < 400:
                error = (
                    f"Answered {status} redirecting to {location or 'nowhere'}; "
                    "redirects are not followed."
                )
        except UnsafeURLError as exc:
            error = f"Blocked by the URL-safety guard: {exc}"
        except TimeoutError:
            error = f"No response within {self.timeout:g} s."
        except HTTP_ERRORS as exc:
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

    async def _post(
        self, delivery: ClaimedDelivery, secret: str, at: datetime
    ) -> tuple[int, str, str | None]:
        # Checked at every delivery, not only at creation: DNS may have changed since, and
        # the guarded transport checks the address it actually connects to once more.
        await check_url(
            delivery.url, allow_private=self.allow_private, require_https=not self.allow_private
        )
        body = delivery.payload.encode()
        headers = delivery_headers(
            secret=secret,
            body=body,
            event=delivery.event,
            delivery_id=str(delivery.id),
            timestamp=int(at.timestamp()),
            user_agent=USER_AGENT,
        )
        target = self._urls.get(delivery.url)
        if target is None:
            parsed = httpx.URL(delivery.url)
            target = self._urls[delivery.url] = (
                httpcore.URL(
                    scheme=parsed.raw_scheme,
                    host=parsed.raw_host,
                    port=parsed.port,
                    target=parsed.raw_path,
                ),
                parsed.netloc,
            )
        url, host = target
        request = httpcore.Request(
            "POST",
            url,
            headers=[
                (b"Host", host),
                *headers.items(),
                (b"Content-Length", str(len(body)).encode()),
            ],
            content=body,
            extensions={"timeout": self._timeouts},
        )
        connection = await self._checkout(delivery.endpoint_id, url.origin)
        try:
            response = await connection.handle_async_request(request)
            chunks = bytearray()
            try:
                async for chunk in response.aiter_stream():
                    chunks += chunk
                    if len(chunks) >= EXCERPT_BYTES:
                        break
            finally:
                await response.aclose()
        except BaseException:
            await connection.aclose()
            raise
        await self._checkin(delivery.endpoint_id, connection)
        location = next((v for k, v in response.headers if k.lower() == b"location"), None)
        return (
            response.status,
            _text(bytes(chunks[:EXCERPT_BYTES])),
            location.decode("latin-1") if location is not None else None,
        )


def _text(raw: bytes) -> str:
    # PostgreSQL text cannot hold NUL characters.
    return raw.decode("utf-8", errors="replace").replace("\x00", "\ufffd")
