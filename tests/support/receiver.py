"""A real HTTP server on 127.0.0.1 that records what it receives: for webhook tests.

    with Receiver() as hook:                       # or: async with Receiver() as hook
        ... create a webhook with url=hook.url, make something happen ...
        [request] = await hook.wait_for(1)         # or hook.wait_for_sync(1)
        request.body, request.headers["x-xqr-event"], request.json()
        assert request.signed_with(webhook["signing_secret"])

With an app whose dispatcher runs in the background (the default `app` fixture: events are
sent as soon as their transaction commits) nothing else is needed; with
`run_background=False`, run `Dispatcher(settings, sessionmaker=...).drain()` (see
tests/webhooks/conftest.py).

Replies are configurable: a sequence (used in order, the last one repeating), e.g.
`Receiver([500, 500, 200])`, `Receiver([Reply(302, headers={"Location": other.url})])`,
`Receiver([Reply(200, delay=30)])` for a receiver that hangs; or a function of the request
(`Receiver(lambda request: 200 if request.json()["event"] == "test.ping" else 410)`).
`hook.replies(...)` changes them later. It runs in its own threads, so it serves requests
from the test's event loop, from other threads and from other processes alike.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (a long one makes a hanging receiver)


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes  # exactly the bytes received
    received_at: float  # time.time()

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def delivery_id(self) -> str | None:
        return self.headers.get("x-xqr-delivery")

    def signed_with(self, signing_secret: str) -> bool:
        """Whether `X-XQR-Signature` signs this body with the secret (the reference's check)."""
        expected = hmac.new(signing_secret.encode(), self.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(f"sha256={expected}", self.headers.get("x-xqr-signature", ""))


ReplySpec = Reply | int
Replies = Sequence[ReplySpec] | Callable[[RecordedRequest], ReplySpec]


def _as_reply(spec: ReplySpec) -> Reply:
    return spec if isinstance(spec, Reply) else Reply(status=spec)


class Receiver:
    """Records every request; answers with the configured replies (default: 200 "ok")."""

    def __init__(self, replies: Replies = (), *, path: str = "/hook") -> None:
        self.path = path
        self._lock = threading.Condition()
        self._requests: list[RecordedRequest] = []
        self._replies: Replies = replies
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real receivers do

            def do_POST(self) -> None:
                receiver._handle(self)

            do_GET = do_PUT = do_PATCH = do_DELETE = do_POST

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    async def __aenter__(self) -> Receiver:
        return self.start()

    async def __aexit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "start the receiver first"
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    # --- replies and records -----------------------------------------------------------------

    def replies(self, replies: Replies) -> None:
        """Answer the following requests with these replies instead."""
        with self._lock:
            self._replies = replies
            self._served_since_change = 0

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def bodies(self) -> list[bytes]:
        return [r.body for r in self.requests]

    def wait_for_sync(self, count: int, timeout: float = 10.0) -> list[RecordedRequest]:
        """Block until `count` requests arrived; returns them all (AssertionError on timeout)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self._requests) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"expected {count} requests within {timeout} s, got {len(self._requests)}"
                    )
                self._lock.wait(left)
            return list(self._requests)

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[RecordedRequest]:
        """`wait_for_sync` without blocking the event loop."""
        deadline = time.monotonic() + timeout
        while True:
            requests = self.requests
            if len(requests) >= count:
                return requests
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"expected {count} requests within {timeout} s, got {len(requests)}"
                )
            await asyncio.sleep(0.01)

    # --- serving -----------------------------------------------------------------------------

    _served_since_change = 0

    def _next_reply(self, request: RecordedRequest) -> Reply:
        with self._lock:
            replies = self._replies
            index = self._served_since_change
            self._served_since_change += 1
        if callable(replies):
            return _as_reply(replies(request))
        if not replies:
            return Reply()
        return _as_reply(replies[min(index, len(replies) - 1)])

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        request = RecordedRequest(
            method=handler.command,
            path=handler.path,
            headers={k.lower(): v for k, v in handler.headers.items()},
            body=body,
            received_at=time.time(),
        )
        reply = self._next_reply(request)
        with self._lock:
            self._requests.append(request)
            self._lock.notify_all()
        if reply.delay and self._stopping.wait(reply.delay):
            return
        handler.send_response(reply.status)
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(reply.body)))
        handler.end_headers()
        handler.wfile.write(reply.body)
