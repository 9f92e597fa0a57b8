"""The HTTP server of `xqr serve`: uvicorn, with redirects of cached codes answered straight
from the HTTP parser.

For a cached short code the protocol calls the same `RedirectHandler.respond` as the ASGI
path and writes the response itself, skipping the per-request ASGI scope, task and message
round trips — the redirect path's largest cost. Everything else (uncached codes, the API,
pipelined requests, upgrades) goes through the normal ASGI cycle unchanged.
"""

from __future__ import annotations

from time import perf_counter
from typing import Any, Literal

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from xqr.redirect.handler import REDIRECT_HEADERS, RedirectHandler, host_of

_REASONS = {
    200: b"OK",
    302: b"Found",
    401: b"Unauthorized",
    404: b"Not Found",
    410: b"Gone",
    429: b"Too Many Requests",
    503: b"Service Unavailable",
    508: b"Loop Detected",
}


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


_STATUS_LINES = {
    status: b"HTTP/1.1 %d %s\r\n" % (status, reason) for status, reason in _REASONS.items()
}
# What follows the Location value in every redirect `RedirectHandler.respond` answers.
_REDIRECT_REST = b"".join(b"\r\n%s: %s" % header for header in REDIRECT_HEADERS) + b"\r\n"
_KEEP_ALIVE_END = b"\r\n"
_CLOSE_END = b"connection: close\r\n\r\n"


class FastRedirectProtocol(HttpToolsProtocol):
    """HttpToolsProtocol that answers cached redirects without an ASGI cycle.

    It also keeps one keep-alive timer per idle period instead of uvicorn's one per request:
    a response records when the connection fell idle, and the timer, when it fires, closes
    the connection only if it has been idle for the whole timeout (else it waits the rest).
    """

    _redirects: RedirectHandler | Literal[False] | None = False  # False: not looked up yet
    _fast_keep_alive: bool | None = None
    _idle_since: float | None = None
    # The server's default headers (a new list each second: it holds the date), rendered.
    _defaults: tuple[object, bytes] = ((), b"")

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
        handler = self._redirects
        if handler is False:  # the first request of the connection
            handler = self._redirects = _find_handler(self.app)
        if (
            handler is not None
            and (self.cycle is None or self.cycle.response_complete)
            and not self.pipeline
            and not (handler.skip_hosts and host_of(self.headers) in handler.skip_hosts)
        ):
            started = perf_counter()
            method = self.parser.get_method()
            url = self.url
            # Origin-form targets only (`/code?query`); anything else goes the ASGI way.
            if (
                (method == b"GET" or method == b"HEAD")
                and url[:1] == b"/"
                and b"#" not in url
                and not self.parser.should_upgrade()
            ):
                path, _, query = url.partition(b"?")
                # The cache holds only code-shaped codes, so a hit is one (see LinkCache); an
                # escaped path is decoded by the ASGI path.
                entry = (
                    None
                    if b"%" in path
                    else handler.cached_entry(self.headers, path[1:].decode("ascii", "replace"))
                )
                if entry is not None:
                    answer = handler.respond(
                        entry, method == b"GET", query, self.headers, self.client
                    )
                    # None: a link password to check off the loop, the ASGI way.
                    if answer is not None:
                        self._write(answer, method == b"HEAD")
                        handler.stats.observe(answer[0], perf_counter() - started)
                        return
        self._begin_asgi()
        super().on_headers_complete()

    def _write(self, answer: tuple[int, list[tuple[bytes, bytes]], bytes], head: bool) -> None:
        status, headers, body = answer
        parser = self.parser
        keep_alive = parser.should_keep_alive() and parser.get_http_version() != "1.0"
        defaults = self.server_state.default_headers
        rendered = FastRedirectProtocol._defaults
        if rendered[0] is not defaults:
            rendered = FastRedirectProtocol._defaults = (
                defaults,
                b"".join(b"%s: %s\r\n" % (name, value) for name, value in defaults),
            )
        end = _KEEP_ALIVE_END if keep_alive else _CLOSE_END
        if status == 302:  # the common case, rendered in one join (no body)
            response = b"".join(
                (_STATUS_LINES[302], rendered[1], b"location: ", headers[0][1], _REDIRECT_REST, end)
            )
        else:
            lines = [_STATUS_LINES.get(status) or b"HTTP/1.1 %d \r\n" % status, rendered[1]]
            for name, value in headers:
                lines += (name, b": ", value, b"\r\n")
            lines.append(end)
            if not head:
                lines.append(body)
            response = b"".join(lines)
        self.transport.write(response)
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

    # --- keep-alive: one timer per idle period ---------------------------------------------

    def _unset_keepalive_if_required(self) -> None:
        # uvicorn calls this when data arrives and when a response completes: busy again.
        self._idle_since = None

    def on_response_complete(self) -> None:
        self.server_state.total_requests += 1
        if self.transport.is_closing():
            return
        self.flow.resume_reading()
        if self.pipeline:
            cycle, app = self.pipeline.pop()
            self._start_asgi_task(cycle, app)
            return
        self._idle_since = self.loop.time()
        if self.timeout_keep_alive_task is None:
            self.timeout_keep_alive_task = self.loop.call_later(
                self.timeout_keep_alive, self._check_idle
            )

    def _check_idle(self) -> None:
        self.timeout_keep_alive_task = None
        if self.transport.is_closing():
            return
        idle_since = self._idle_since
        # Busy with a request (never closed for that), or idle for less than the timeout.
        wait = (
            self.timeout_keep_alive
            if idle_since is None
            else idle_since + self.timeout_keep_alive - self.loop.time()
        )
        if wait <= 0:
            self.timeout_keep_alive_handler()
        else:
            self.timeout_keep_alive_task = self.loop.call_later(wait, self._check_idle)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.timeout_keep_alive_task is not None:
            self.timeout_keep_alive_task.cancel()
            self.timeout_keep_alive_task = None
        super().connection_lost(exc)
