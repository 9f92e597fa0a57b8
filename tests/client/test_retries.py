"""Retries: 429 after `Retry-After` for any method; 5xx and connection errors only for
idempotent methods; `max_retries` bounds them. Stub servers give exact status sequences."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from tests.support.receiver import Receiver, Reply
from tests.support.server import free_port
from xqr.client import XQR, AsyncXQR, RateLimitError, RetryPolicy, ServerError, XQRConnectionError

FAST = RetryPolicy(max_retries=2, backoff=0.01)
JSON = {"Content-Type": "application/json"}
WORKSPACE = (
    b'{"data":{"id":"w","name":"Acme","plan":"pro","owner":null,'
    b'"created_at":"2026-01-01T00:00:00Z"},"meta":{"request_id":"req_1"}}'
)
LINK = (
    b'{"data":{"id":"l","short_url":"http://s/abc","short_code":"abc","destination":'
    b'"https://example.com","created_at":"2026-01-01T00:00:00Z","updated_at":'
    b'"2026-01-01T00:00:00Z"},"meta":{"request_id":"req_2"}}'
)
OK = Reply(200, body=WORKSPACE, headers=JSON)
CREATED = Reply(201, body=LINK, headers=JSON)


def _error(status: int, code: str, **headers: str) -> Reply:
    body = f'{{"error":{{"code":"{code}","message":"m","status":{status}}},"meta":{{}}}}'
    return Reply(status, body=body.encode(), headers={**JSON, **headers})


@pytest.fixture
def stub() -> Iterator[Receiver]:
    with Receiver() as receiver:
        yield receiver


def _client(stub: Receiver, policy: RetryPolicy = FAST) -> XQR:
    return XQR(api_key="k", base_url=stub.url.rsplit("/", 1)[0], retry_policy=policy)


def test_get_is_retried_after_5xx_until_it_succeeds(stub: Receiver) -> None:
    stub.replies([_error(503, "INTERNAL_ERROR"), _error(500, "INTERNAL_ERROR"), OK])
    with _client(stub) as client:
        assert client.workspace.get().name == "Acme"
    assert [r.method for r in stub.requests] == ["GET"] * 3


def test_retries_stop_at_max_retries(stub: Receiver) -> None:
    stub.replies([_error(503, "INTERNAL_ERROR")])
    policy = RetryPolicy(max_retries=1, backoff=0.01)
    with _client(stub, policy) as client, pytest.raises(ServerError):
        client.workspace.get()
    assert len(stub.requests) == 2


def test_post_and_patch_are_not_retried_after_5xx(stub: Receiver) -> None:
    stub.replies([_error(500, "INTERNAL_ERROR"), CREATED])
    with _client(stub) as client:
        with pytest.raises(ServerError):
            client.links.create("https://example.com")
        with pytest.raises(ServerError):
            stub.replies([_error(502, "INTERNAL_ERROR")])
            client.links.update("l", enabled=False)
    assert [r.method for r in stub.requests] == ["POST", "PATCH"]


def test_delete_is_retried_after_5xx(stub: Receiver) -> None:
    stub.replies([_error(503, "INTERNAL_ERROR"), Reply(204, body=b"")])
    with _client(stub) as client:
        assert client.links.delete("l") is None
    assert [r.method for r in stub.requests] == ["DELETE", "DELETE"]


def test_429_is_retried_for_any_method_after_retry_after(stub: Receiver) -> None:
    stub.replies([_error(429, "BURST_LIMIT_EXCEEDED", **{"Retry-After": "1"}), CREATED])
    started = time.monotonic()
    with _client(stub) as client:
        assert client.links.create("https://example.com").short_code == "abc"
    assert time.monotonic() - started >= 1.0
    assert [r.method for r in stub.requests] == ["POST", "POST"]
    assert stub.requests[0].body == stub.requests[1].body


def test_a_far_retry_after_is_raised_at_once(stub: Receiver) -> None:
    stub.replies([_error(429, "RATE_LIMIT_EXCEEDED", **{"Retry-After": "86400"})])
    started = time.monotonic()
    with _client(stub) as client, pytest.raises(RateLimitError) as caught:
        client.workspace.get()
    assert time.monotonic() - started < 1.0
    assert (caught.value.code, caught.value.retry_after) == ("RATE_LIMIT_EXCEEDED", 86400)
    assert len(stub.requests) == 1


class CountingTransport(httpx.BaseTransport):
    """A swapped-in transport that counts what the client sends through the real one."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.methods: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.methods.append(request.method)
        return self.inner.handle_request(request)


def test_connection_errors_are_retried_for_idempotent_methods_only() -> None:
    transport = CountingTransport()
    base = f"http://127.0.0.1:{free_port()}"
    with XQR(api_key="k", base_url=base, retry_policy=FAST, transport=transport) as client:
        with pytest.raises(XQRConnectionError):
            client.links.get("l")
        with pytest.raises(XQRConnectionError):
            client.links.create("https://example.com")
    assert transport.methods == ["GET", "GET", "GET", "POST"]


def test_a_caller_owned_http_client_is_used_and_left_open(stub: Receiver) -> None:
    stub.replies([OK])
    seen: list[str] = []
    http = httpx.Client(event_hooks={"request": [lambda r: seen.append(str(r.url))]})
    with XQR(api_key="k", base_url=stub.url.rsplit("/", 1)[0], http_client=http) as client:
        client.workspace.get()
    assert seen == [stub.url.rsplit("/", 1)[0] + "/api/v1/workspace"]
    assert not http.is_closed
    assert stub.requests[0].headers["authorization"] == "Bearer k"
    http.close()


async def test_async_client_retries_the_same_way(stub: Receiver) -> None:
    stub.replies([_error(503, "INTERNAL_ERROR"), OK])
    async with AsyncXQR(api_key="k", base_url=stub.url.rsplit("/", 1)[0], retry_policy=FAST) as c:
        assert (await c.workspace.get()).name == "Acme"
        stub.replies([_error(500, "INTERNAL_ERROR")])
        with pytest.raises(ServerError):
            await c.links.create("https://example.com")
    assert [r.method for r in stub.requests] == ["GET", "GET", "POST"]
