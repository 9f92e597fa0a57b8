"""`/mcp` on `xqr serve`: the MCP tools and resources over streamable HTTP.

Clients send `Authorization: Bearer xqr_pk_…`. Each request goes through the API's auth step
(`authorize`: key, plan, burst, quota) before any MCP message is read, and a refusal is
answered in the API's error envelope with the API's rate-limit headers. The message itself is
not counted against the monthly quota: the API calls its tools make are (see docs/mcp.md).
The MCP machinery is built on the first request, so servers that never see one pay nothing
for it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING, Any

from xqr.auth.dependencies import authorize
from xqr.core.envelope import RateLimitState
from xqr.core.errors import ApiError
from xqr.core.ids import new_request_id
from xqr.core.middleware import header

if TYPE_CHECKING:
    from xqr.app import XqrApp

PATH = "/mcp"
logger = logging.getLogger("xqr.mcp")


class McpHttpEndpoint:
    """A front handler for `/mcp`, and a background part that runs the MCP session manager."""

    def __init__(self, app: XqrApp) -> None:
        self.app = app
        self._asgi: Any = None
        self._runner: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        if self._runner is not None:
            self._stopping.set()
            await self._runner

    async def __call__(self, scope: Any, receive: Any, send: Any) -> bool:
        if scope["path"].rstrip("/") != PATH:
            return False
        state = scope.setdefault("state", {})
        request_id = new_request_id()
        try:
            await authorize(
                self.app.ctx,
                state,
                header(scope, b"authorization"),
                None,
                connection=scope,
                counted=False,
            )
        except ApiError as error:
            await _refused(send, error, request_id, state.get("rate_limit"))
            return True
        except Exception:
            logger.exception("authorizing an /mcp request failed (request %s)", request_id)
            failure = ApiError(
                "INTERNAL_ERROR",
                f"Unexpected server error. Quote request id {request_id} when reporting it.",
            )
            await _refused(send, failure, request_id, None)
            return True
        extra = [(b"x-request-id", request_id.encode()), *state["rate_limit"].headers()]

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        asgi = await self._started()
        await asgi({**scope, "path": PATH, "raw_path": PATH.encode()}, receive, send_with_headers)
        return True

    async def _started(self) -> Any:
        async with self._lock:
            if self._asgi is None:
                from xqr.mcp.http import build_http_app

                server, asgi = build_http_app(self.app)
                ready = asyncio.Event()

                async def run() -> None:
                    async with server.session_manager.run():
                        ready.set()
                        await self._stopping.wait()

                self._runner = asyncio.create_task(run(), name="xqr-mcp-http")
                await ready.wait()
                self._asgi = asgi
        return self._asgi


async def _refused(
    send: Any, error: ApiError, request_id: str, rate_limit: RateLimitState | None
) -> None:
    body = json.dumps(
        {
            "error": {"code": error.code, "message": error.message, "status": error.status},
            "meta": {"request_id": request_id},
        }
    ).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"x-request-id", request_id.encode()),
    ]
    if error.status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="xqr"'))
    headers += [(name.lower().encode(), value.encode()) for name, value in error.headers.items()]
    if rate_limit is not None:
        names = {name for name, _ in headers}
        headers += [pair for pair in rate_limit.headers() if pair[0] not in names]
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def install(app: XqrApp) -> None:
    endpoint = McpHttpEndpoint(app)
    app.front.append(endpoint)
    app.background.append(endpoint)
