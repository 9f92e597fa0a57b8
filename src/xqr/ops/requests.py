"""Requests counted by route group and status, for everything the redirect path does not
answer itself (it counts its own: `xqr.redirect.stats`). Pure ASGI, no framework."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

OPS_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
_PREFIXES = (
    ("/api/", "api"),
    ("/dashboard", "dashboard"),
    ("/bio/", "bio"),
    ("/mcp", "mcp"),
    ("/cdn/", "assets"),
    ("/_uploads/", "assets"),
)


def route_group(path: str) -> str:
    """The group a request's path belongs to (a label of `xqr_http_requests_total`)."""
    if path in OPS_PATHS:
        return "ops"
    for prefix, group in _PREFIXES:
        if path.startswith(prefix):
            return group
    return "other"


class RequestCounts:
    """(group, status) → requests answered; read when `/metrics` is scraped."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, int], int] = {}

    def counting(self, path: str, send: Send) -> Send:
        """`send`, noting the status of the response it starts."""
        counts = self.counts
        group = route_group(path)

        async def counted(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                key = (group, message["status"])
                counts[key] = counts.get(key, 0) + 1
            await send(message)

        return counted
