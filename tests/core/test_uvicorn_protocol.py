"""`xqr serve`'s HTTP protocol subclasses uvicorn's (`xqr.server.FastRedirectProtocol`): these
tests fail, saying what changed, when a uvicorn release moves what the subclass relies on."""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from tests.conftest import Account
from tests.support.pollers import change_poller
from tests.support.waiting import eventually
from xqr.app import XqrApp
from xqr.server import FastRedirectProtocol

# uvicorn's methods the fast path overrides, calls or copies, with their parameters.
METHODS = {
    "on_message_begin": ["self"],
    "on_url": ["self", "url"],
    "on_header": ["self", "name", "value"],
    "on_headers_complete": ["self"],
    "on_body": ["self", "body"],
    "on_message_complete": ["self"],
    "on_response_complete": ["self"],
    "data_received": ["self", "data"],
    "connection_lost": ["self", "exc"],
    "_unset_keepalive_if_required": ["self"],
    "_start_asgi_task": ["self", "cycle", "app"],
    "timeout_keep_alive_handler": ["self"],
}
# The per-connection attributes it reads and writes.
ATTRIBUTES = [
    "app",
    "client",
    "cycle",
    "expect_100_continue",
    "flow",
    "headers",
    "loop",
    "parser",
    "pipeline",
    "scope",
    "server_state",
    "timeout_keep_alive",
    "timeout_keep_alive_task",
    "transport",
    "url",
]
# The source of each method above as reviewed against `xqr.server`, in uvicorn 0.55 (SHA-256,
# first 16 hex digits). A new uvicorn that changes one fails here: review the fast path
# against the new code (it copies `on_response_complete` and `on_message_begin`, relies on
# `data_received` and `on_response_complete` calling `_unset_keepalive_if_required`, and on
# `on_url` and `on_header` filling `url` and `headers`), then record the new fingerprints.
REVIEWED_SOURCES = {
    "on_message_begin": "96d377fdc7c2baef",
    "on_url": "37be44e962b04ca8",
    "on_header": "1e86ebb6cea0458c",
    "on_headers_complete": "1ea8589acfad92d8",
    "on_body": "dba9c32aeba35b6a",
    "on_message_complete": "1fbad42dc31fc01f",
    "on_response_complete": "64e254f28e389e76",
    "data_received": "010a7ae59a5d3b1a",
    "connection_lost": "c91a4c9bf2e29c55",
    "_unset_keepalive_if_required": "00a6a4e47214e68e",
    "_start_asgi_task": "8d0189e65525db42",
    "timeout_keep_alive_handler": "8b53bf5f2e202970",
}
UVICORN = f"uvicorn {uvicorn.__version__}"


def fingerprint(name: str) -> str:
    source = inspect.getsource(getattr(HttpToolsProtocol, name))
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def test_uvicorn_s_protocol_has_the_methods_the_fast_path_overrides_and_calls() -> None:
    for name, parameters in METHODS.items():
        method = getattr(HttpToolsProtocol, name, None)
        assert method is not None, f"{UVICORN}: HttpToolsProtocol.{name} is gone (xqr.server)"
        found = list(inspect.signature(method).parameters)
        assert found == parameters, (
            f"{UVICORN}: HttpToolsProtocol.{name}{tuple(found)} now takes other parameters "
            f"than the {tuple(parameters)} xqr.server relies on"
        )
    overridden = {
        name for name in vars(FastRedirectProtocol) if callable(vars(FastRedirectProtocol)[name])
    } - {"_begin_asgi", "_write", "_check_idle"}
    assert overridden <= set(METHODS), f"add {overridden - set(METHODS)} to METHODS"
    assert "response_complete" in inspect.getsource(RequestResponseCycle.__init__), (
        f"{UVICORN}: RequestResponseCycle has no `response_complete` (xqr.server reads it)"
    )


def test_uvicorn_s_protocol_methods_are_the_reviewed_ones() -> None:
    changed = {
        name: fingerprint(name)
        for name, reviewed in REVIEWED_SOURCES.items()
        if fingerprint(name) != reviewed
    }
    assert not changed, (
        f"{UVICORN} changed HttpToolsProtocol methods xqr.server.FastRedirectProtocol overrides "
        f"or relies on: {sorted(changed)}. Review the fast path against them, then record "
        f"their new fingerprints in REVIEWED_SOURCES: {changed}"
    )


class CountingApp:
    """What uvicorn runs: counts the requests that reach the ASGI app (the fast path's do not).
    `app` is the attribute the fast path follows to find the redirect handler."""

    def __init__(self, app: XqrApp) -> None:
        self.app = app
        self.requests = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.requests += 1
        await self.app(scope, receive, send)


@pytest.fixture
async def served(app: XqrApp) -> AsyncIterator[tuple[uvicorn.Server, CountingApp, str]]:
    """`app` on a real uvicorn server with `xqr serve`'s protocol, on a free local port."""
    counting = CountingApp(app)
    config = uvicorn.Config(
        counting,
        http=FastRedirectProtocol,
        lifespan="off",  # the `app` fixture runs the app's lifespan
        proxy_headers=False,
        server_header=False,
        access_log=False,
        log_level="warning",
    )
    server = uvicorn.Server(config)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    await eventually(lambda: server.started or task.done(), "uvicorn's start", timeout=30)
    assert server.started, "uvicorn did not start"
    try:
        yield server, counting, f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task


async def test_a_cached_code_is_answered_by_the_fast_path_of_a_real_server(
    served: tuple[uvicorn.Server, CountingApp, str], account: Account
) -> None:
    server, counting, base = served
    app = counting.app
    # The change log's poller would drop the code again when it reads the create's own entry,
    # at any moment on a slow machine; this test is about the fast path, not invalidation.
    await change_poller(app, "link_changes").stop()
    async with httpx.AsyncClient(base_url=base) as http:
        created = await http.post(
            "/api/v1/links",
            json={"url": "https://example.com/landing", "custom_slug": "fast-one"},
            headers=account.headers,
        )
        assert created.status_code == 201, created.text
        first = await http.get("/fast-one")  # not cached yet: the ASGI app loads it
        reached = counting.requests
        second = await http.get("/fast-one?utm=x")
        third = await http.head("/fast-one")
        for response in (first, second, third):
            assert response.status_code == 302
        assert second.headers["location"] == "https://example.com/landing?utm=x"
        assert counting.requests == reached, (
            f"{UVICORN}: a cached code went through the ASGI app, so "
            "xqr.server.FastRedirectProtocol no longer answers from the parser callbacks"
        )
        [protocol] = server.server_state.connections  # the keep-alive connection
        assert isinstance(protocol, FastRedirectProtocol)
        missing = [name for name in ATTRIBUTES if name not in vars(protocol)]
        assert not missing, f"{UVICORN}: HttpToolsProtocol no longer sets {missing}"
