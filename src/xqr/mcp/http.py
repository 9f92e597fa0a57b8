"""The MCP server over streamable HTTP, for `/mcp` on `xqr serve` (see runtime.py).

Every HTTP request carries its caller's API key; the tools call the API in process with that
key, so scopes, plan limits and quotas apply exactly as over REST. Those calls take no burst
token: the message that makes them took one (runtime.py).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

import httpx
from mcp.server import MCPServer
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.transport_security import TransportSecuritySettings
from starlette.types import ASGIApp, Receive, Scope, Send

from xqr.auth.dependencies import ON_BEHALF_OF_MESSAGE
from xqr.client import AsyncXQR
from xqr.mcp.server import build_server

PATH = "/mcp"
_caller_key: ContextVar[str | None] = ContextVar("xqr_mcp_caller_key", default=None)


class CallerKeyClient(AsyncXQR):
    """An SDK client whose API key is the one of the MCP request being handled."""

    @property  # type: ignore[override]
    def api_key(self) -> str:
        return _caller_key.get() or ""

    @api_key.setter
    def api_key(self, value: str) -> None:
        """The key given at construction is unused: each request brings its own."""


def bearer_key(headers: Mapping[str, str] | None) -> str | None:
    if not headers:
        return None
    scheme, _, token = (headers.get("authorization") or "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


async def caller_key_middleware(
    ctx: ServerRequestContext[Any, Any], call_next: CallNext
) -> HandlerResult:
    """Hand the HTTP request's API key to the tools and resources this message runs."""
    request = ctx.request
    key = bearer_key(getattr(request, "headers", None))
    if key is None:
        return await call_next(ctx)
    token = _caller_key.set(key)
    try:
        return await call_next(ctx)
    finally:
        _caller_key.reset(token)


def on_behalf_of_message(api: ASGIApp) -> ASGIApp:
    """The API app as the tools reach it: each call marked as made for an authorized message."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        scope.setdefault("state", {})[ON_BEHALF_OF_MESSAGE] = True
        await api(scope, receive, send)

    return app


def build_http_app(api: ASGIApp) -> tuple[MCPServer, ASGIApp]:
    """The MCP server and its streamable-HTTP ASGI app, calling the API app `api` in process."""
    client = CallerKeyClient(
        api_key="per-request",
        base_url="http://xqr.internal",
        http_client=httpx.AsyncClient(transport=httpx.ASGITransport(app=on_behalf_of_message(api))),
    )
    server = build_server(client, middleware=[caller_key_middleware])
    # The SDK logs every stateless request's teardown at INFO; keep the server's log readable.
    logging.getLogger("mcp").setLevel(logging.WARNING)
    # Requests are authenticated by API key before they get here, so a DNS-rebinding page
    # (which cannot send our Authorization header) has nothing to exploit.
    app = server.streamable_http_app(
        streamable_http_path=PATH,
        stateless_http=True,
        json_response=True,
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
    )
    return server, app
