"""The HTTP server of `xqr serve`: uvicorn, with redirects of cached codes answered straight
from the HTTP parser.

For a cached short code the protocol calls the same `RedirectHandler.respond` as the ASGI
path and writes the response itself, skipping the per-request ASGI scope, task and message
round trips — the redirect path's largest cost. Everything else (uncached codes, the API,
pipelined requests, upgrades) goes through the normal ASGI cycle unchanged.
"""

from __future__ import annotations

from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from xqr.links.slugs import is_code_shaped
from xqr.redirect.handler import RedirectHandler, host_of

_REASONS = {302: b"Found", 404: b"Not Found", 410: b"Gone"}


def _find_handler(app: Any) -> RedirectHandler | None:
    """The RedirectHandler of the XqrApp inside uvicorn's wrappers, if any."""
    for _ in range(8):
        front = getattr(app, "front", None)
        if front is not None:
            for handler in front:
                if isinstance(handler, RedirectHandler):
                    return handler
            return None
        app = getattr(app, "app", None)
        if app is None:
            return None
    return None


class FastRedirectProtocol(HttpToolsProtocol):
    """HttpToolsProtocol that answers cached redirects without an ASGI cycle."""

    _redirects: RedirectHandler | bool | None = False
    _fast_keep_alive: bool | None = None

    def _handler(self) -> RedirectHandler | None:
        if self._redirects is False:
            self._redirects = _find_handler(self.app)
        return self._redirects  # type: ignore[return-value]

    def on_message_begin(self) -> None:
        # What the parser callbacks fill; the ASGI scope is built only for requests that go
        # through the ASGI cycle (see `_begin_asgi`).
        self.url = b""
        self.expect_100_continue = False
        self.headers = []

    def _begin_asgi(self) -> None:
        """uvicorn's own start of a message, keeping what the parser has read so far."""
        url, headers, expect = self.url, self.headers, self.expect_100_continue
        super().on_message_begin()
        self.url, self.expect_100_continue = url, expect
        self.headers = self.scope["headers"] = headers

    def on_headers_complete(self) -> None:
        handler = self._handler()
        if (
            handler is not None
            and (self.cycle is None or self.cycle.response_complete)
            and not self.pipeline
            and not (handler.skip_hosts and host_of(self.headers) in handler.skip_hosts)
        ):
            method = self.parser.get_method()
            if (method == b"GET" or method == b"HEAD") and not self.parser.should_upgrade():
                parsed = httptools.parse_url(self.url)
                path = parsed.path
                if b"%" not in path:
                    code = path[1:].decode("ascii", "replace")
                    if is_code_shaped(code):
                        entry = handler.cached(code)
                        if entry is not None:
                            answer = handler.respond(
                                entry,
                                method == b"GET",
                                parsed.query or b"",
                                self.headers,
                                self.client,
                            )
                            self._write(answer, method == b"HEAD")
                            return
        self._begin_asgi()
        super().on_headers_complete()

    def _write(self, answer: tuple[int, list[tuple[bytes, bytes]], bytes], head: bool) -> None:
        status, headers, body = answer
        keep_alive = self.parser.get_http_version() != "1.0" and self.parser.should_keep_alive()
        lines = [b"HTTP/1.1 %d %s\r\n" % (status, _REASONS.get(status, b""))]
        for name, value in self.server_state.default_headers:
            lines.append(b"%s: %s\r\n" % (name, value))
        for name, value in headers:
            lines.append(b"%s: %s\r\n" % (name, value))
        if not keep_alive:
            lines.append(b"connection: close\r\n")
        lines.append(b"\r\n")
        if not head:
            lines.append(body)
        self.transport.write(b"".join(lines))
        self._fast_keep_alive = keep_alive

    def on_body(self, body: bytes) -> None:
        if self._fast_keep_alive is not None:
            return  # a body sent with a GET we already answered
        super().on_body(body)

    def on_message_complete(self) -> None:
        keep_alive = self._fast_keep_alive
        if keep_alive is None:
            super().on_message_complete()
            return
        self._fast_keep_alive = None
        if keep_alive:
            self.on_response_complete()
        else:
            self.server_state.total_requests += 1
            self.transport.close()
