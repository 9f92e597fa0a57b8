"""`/mcp` on `xqr serve`: the MCP tools and resources over streamable HTTP.

Clients send `Authorization: Bearer xqr_pk_…`; a missing, unknown, revoked or expired key is
answered 401 in the API's error envelope before any MCP message is read. The MCP machinery
is built on the first request, so servers that never see one pay nothing for it.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from xqr.auth.runtime import KEY_CACHE
from xqr.auth.service import authenticate
from xqr.core.errors import ApiError
from xqr.core.ids import new_request_id

if TYPE_CHECKING:
    from xqr.app import XqrApp

PATH = "/mcp"


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
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            await authenticate(self.app.ctx.parts[KEY_CACHE], headers.get("authorization"))
        except ApiError as error:
            await _unauthorized(send, error)
            return True
        asgi = await self._started()
        await asgi({**scope, "path": PATH, "raw_path": PATH.encode()}, receive, send)
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


async def _unauthorized(send: Any, error: ApiError) -> None:
    request_id = new_request_id()
    body = json.dumps(
        {
            "error": {"code": error.code, "message": error.message, "status": error.status},
            "meta": {"request_id": request_id},
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": error.status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"www-authenticate", b'Bearer realm="xqr"'),
                (b"x-request-id", request_id.encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def install(app: XqrApp) -> None:
    endpoint = McpHttpEndpoint(app)
    app.front.append(endpoint)
    app.background.append(endpoint)
