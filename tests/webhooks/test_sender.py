"""The sender's own connections, against a real keep-alive HTTP server (plain and TLS).

The sender keeps idle HTTP/1.1 connections per endpoint instead of a general pool; these
tests pin what that must still do: reuse a connection, never reuse one the server closed,
drop one whose response was not read to the end, and speak TLS with the URL's host name.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.tls import self_signed_certificate
from tests.support.waiting import eventually
from xqr.webhooks.attempts import ClaimedDelivery
from xqr.webhooks.sender import EXCERPT_BYTES, Sender


class KeepAliveServer:
    """Answers each POST with 200 and `body`, keeping the connection open unless told."""

    def __init__(self) -> None:
        self.connections = 0
        self.closed = 0  # connections it has closed (the socket, not only the stream)
        self.requests: list[tuple[bytes, bytes]] = []  # (head, body)
        self.body = b"ok"
        self.close_after_reply = False  # close the connection, without saying so, after replying
        self.port = 0
        self.server: asyncio.Server | None = None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                body = await reader.readexactly(length)
                self.requests.append((head, body))
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
                    + str(len(self.body)).encode()
                    + b"\r\n\r\n"
                    + self.body
                )
                await writer.drain()
                if self.close_after_reply:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            return  # the sender closed the connection: the normal end of a keep-alive one
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
            self.closed += 1

    def url(self, host: str = "127.0.0.1", scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}/hook?source=test"


async def _serve(context: ssl.SSLContext | None = None) -> KeepAliveServer:
    local = KeepAliveServer()
    local.server = await asyncio.start_server(local.handle, "127.0.0.1", 0, ssl=context)
    local.port = local.server.sockets[0].getsockname()[1]
    return local


@pytest.fixture
async def server() -> AsyncIterator[KeepAliveServer]:
    local = await _serve()
    yield local
    assert local.server is not None
    local.server.close()


@pytest.fixture
async def tls_server(tmp_path: Path) -> AsyncIterator[tuple[KeepAliveServer, Path]]:
    cert_path, key_path = self_signed_certificate(tmp_path, "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    local = await _serve(context)
    yield local, cert_path
    assert local.server is not None
    local.server.close()


ENDPOINT = uuid.uuid4()


def _delivery(url: str) -> ClaimedDelivery:
    return ClaimedDelivery(
        id=uuid.uuid4(),
        endpoint_id=ENDPOINT,
        event="test.ping",
        payload='{"event":"test.ping","timestamp":"2026-01-01T00:00:00Z","data":{}}',
        attempts=0,
        series=0,
        token="t",
        url=url,
        secret="whsec_test",
    )


@pytest.fixture
async def sender() -> AsyncIterator[Sender]:
    sending = Sender(allow_private=True, timeout=5, per_endpoint=4)
    yield sending
    await sending.aclose()


async def test_sequential_sends_share_one_connection_and_carry_the_exact_request(
    server: KeepAliveServer, sender: Sender
) -> None:
    for _ in range(5):
        outcome = await sender.send(_delivery(server.url()))
        assert outcome.status_code == 200 and outcome.error is None
        assert outcome.response_excerpt == "ok"
    assert server.connections == 1
    head, body = server.requests[0]
    assert head.startswith(b"POST /hook?source=test HTTP/1.1\r\n")
    assert f"\r\nHost: 127.0.0.1:{server.port}\r\n".encode() in head
    assert f"\r\nContent-Length: {len(body)}\r\n".encode() in head
    assert body == _delivery(server.url()).payload.encode()


async def test_concurrent_sends_open_at_most_as_many_connections_as_sends_at_once(
    server: KeepAliveServer, sender: Sender
) -> None:
    for _ in range(3):
        outcomes = await asyncio.gather(*(sender.send(_delivery(server.url())) for _ in range(4)))
        assert [o.status_code for o in outcomes] == [200] * 4
    assert server.connections <= 4
    assert len(server.requests) == 12


async def test_a_connection_the_server_closed_is_not_reused(
    server: KeepAliveServer, sender: Sender
) -> None:
    server.close_after_reply = True  # and no "Connection: close": the sender must notice
    for sent in range(1, 4):
        outcome = await sender.send(_delivery(server.url()))
        assert outcome.status_code == 200 and outcome.error is None
        await eventually(lambda sent=sent: server.closed == sent, "the server closed it")
    assert server.connections == 3


async def test_a_response_cut_at_the_excerpt_limit_does_not_poison_the_next_send(
    server: KeepAliveServer, sender: Sender
) -> None:
    server.body = b"x" * (EXCERPT_BYTES * 3)
    outcome = await sender.send(_delivery(server.url()))
    assert outcome.status_code == 200
    assert outcome.response_excerpt == "x" * EXCERPT_BYTES
    server.body = b"ok"
    outcome = await sender.send(_delivery(server.url()))
    assert outcome.status_code == 200 and outcome.response_excerpt == "ok"
    assert server.connections == 2  # the unread rest made the first connection unusable


async def test_tls_checks_the_certificate_against_the_url_host(
    tls_server: tuple[KeepAliveServer, Path],
) -> None:
    server, cert_path = tls_server
    trusting = Sender(
        allow_private=True,
        timeout=5,
        per_endpoint=2,
        ssl_context=ssl.create_default_context(cafile=str(cert_path)),
    )
    try:
        for _ in range(2):
            outcome = await trusting.send(_delivery(server.url("localhost", "https")))
            assert outcome.status_code == 200 and outcome.error is None
        assert server.connections == 1
        # The same server by IP: the certificate names only "localhost".
        outcome = await trusting.send(_delivery(server.url("127.0.0.1", "https")))
        assert outcome.status_code is None
        assert outcome.error is not None and "ConnectError" in outcome.error
    finally:
        await trusting.aclose()


async def test_tls_refuses_an_untrusted_certificate(
    tls_server: tuple[KeepAliveServer, Path], sender: Sender
) -> None:
    server, _ = tls_server
    outcome = await sender.send(_delivery(server.url("localhost", "https")))
    assert outcome.status_code is None and server.requests == []
    assert outcome.error is not None and "certificate" in outcome.error.lower()
