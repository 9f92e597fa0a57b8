from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.support.tls import self_signed_certificate
from xqr.core import netguard
from xqr.core.netguard import (
    FetchError,
    UnsafeURLError,
    check_url,
    fetch_limited,
    guarded_async_client,
    is_public_address,
)

# --- addresses -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "127.0.0.1",
        "127.255.255.254",
        "0.0.0.0",
        "0.1.2.3",
        "169.254.169.254",  # cloud metadata
        "169.254.1.1",
        "100.64.0.1",  # CGNAT
        "100.127.255.255",
        "192.0.0.8",
        "192.0.2.1",
        "198.18.0.1",
        "198.51.100.1",
        "203.0.113.1",
        "224.0.0.1",
        "239.255.255.250",
        "240.0.0.1",
        "255.255.255.255",
        "::",
        "::1",
        "fc00::1",
        "fd12:3456::1",
        "fe80::1",
        "fe80::1%eth0",
        "fec0::1",
        "ff02::1",
        "ff0e::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "::127.0.0.1",  # IPv4-compatible (deprecated)
        "::8.8.8.8",
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "64:ff9b:1::1",
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2002:a00:1::1",  # 6to4 of 10.0.0.1
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
        "2001:db8::1",
        "3fff::1",
        "100::1",
        "not an address",
        "",
        "1.2.3",
    ],
)
def test_non_public_addresses_are_rejected(address):
    assert not is_public_address(address)


@pytest.mark.parametrize(
    "address",
    [
        "8.8.8.8",
        "1.1.1.1",
        "93.184.215.14",
        "2606:4700:4700::1111",
        "2001:4860:4860::8888",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",  # NAT64 of 8.8.8.8
        "2002:808:808::1",  # 6to4 of 8.8.8.8
    ],
)
def test_public_addresses_are_accepted(address):
    assert is_public_address(address)
    assert is_public_address(ipaddress.ip_address(address))


# --- check_url -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://8.8.8.8/hook", "https"),
        ("ftp://8.8.8.8/", "https"),
        ("https://localhost/hook", "this machine"),
        ("https://LOCALHOST./hook", "this machine"),
        ("https://api.localhost/hook", "this machine"),
        ("https://127.0.0.1/hook", "not a public address"),
        ("https://127.0.0.1:8443/hook", "not a public address"),
        ("https://[::1]/hook", "not a public address"),
        ("https://0.0.0.0/hook", "not a public address"),
        ("https://169.254.169.254/latest/meta-data/", "not a public address"),
        ("https://[::ffff:127.0.0.1]/", "not a public address"),
        ("https://[::ffff:7f00:1]/", "not a public address"),
        ("https://[fe80::1]/", "not a public address"),
        ("https://[64:ff9b::a9fe:a9fe]/", "not a public address"),
        ("https://2130706433/", "non-standard form"),
        ("https://0x7f000001/", "non-standard form"),
        ("https://0x7f.1/", "non-standard form"),
        ("https://127.1/", "non-standard form"),
        ("https://017700000001/", "non-standard form"),
        ("https://0177.0.0.1/", "not valid"),
        ("https://user:secret@8.8.8.8/", "username or password"),
        ("https:///path", "host"),
        ("", "required"),
        ("https://nonexistent.invalid/", "could not be resolved"),
        ("https://" + "a" * 3000 + ".com/", "longer than"),
    ],
)
async def test_check_url_rejects_unsafe_urls(url, message):
    with pytest.raises(UnsafeURLError, match=message):
        await check_url(url)


@pytest.mark.parametrize(
    "url", ["https://8.8.8.8/hook", "https://[2606:4700:4700::1111]:8443/x?y=1"]
)
async def test_check_url_accepts_public_https(url):
    await check_url(url)


async def test_check_url_allows_http_when_https_is_not_required():
    await check_url("http://8.8.8.8/hook", require_https=False)
    with pytest.raises(UnsafeURLError, match=r"http:// or https://"):
        await check_url("ftp://8.8.8.8/", require_https=False)


async def test_allow_private_lifts_only_the_address_checks():
    await check_url("http://127.0.0.1:8000/hook", allow_private=True, require_https=False)
    await check_url("https://localhost/hook", allow_private=True)
    with pytest.raises(UnsafeURLError, match=r"https"):
        await check_url("http://127.0.0.1/hook", allow_private=True)
    with pytest.raises(UnsafeURLError, match=r"non-standard form"):
        await check_url("https://2130706433/", allow_private=True)
    with pytest.raises(UnsafeURLError, match=r"username"):
        await check_url("https://u:p@localhost/", allow_private=True)


def _fake_dns(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[list[str]]]) -> None:
    """Make `host` resolve to successive answers (the last one repeats)."""

    async def resolve(host: str, port: int, timeout: float | None) -> list[str]:
        queue = answers[host]
        return queue.pop(0) if len(queue) > 1 else queue[0]

    monkeypatch.setattr(netguard, "_resolve", resolve)


async def test_a_host_resolving_to_any_private_address_is_rejected(monkeypatch):
    _fake_dns(monkeypatch, {"mixed.example": [["93.184.215.14", "10.0.0.7"]]})
    with pytest.raises(UnsafeURLError, match=r"resolves to 10.0.0.7"):
        await check_url("https://mixed.example/hook")


async def test_a_host_resolving_to_public_addresses_is_accepted(monkeypatch):
    _fake_dns(monkeypatch, {"public.example": [["93.184.215.14", "2606:2800:21f:cb07::1"]]})
    await check_url("https://public.example/hook")


async def test_real_resolution_of_a_name_for_this_machine_is_rejected():
    name = socket.gethostname()
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(name, 443)}
    except OSError:
        pytest.skip("the machine's own name does not resolve here")
    if any(is_public_address(a) for a in addresses):
        pytest.skip("the machine's own name resolves to a public address")
    with pytest.raises(UnsafeURLError, match=r"resolves to"):
        await check_url(f"https://{name}/hook")


# --- a real local server ---------------------------------------------------------------------


class LocalServer:
    def __init__(self) -> None:
        self.hits: list[str] = []
        self.server: asyncio.Server | None = None
        self.port = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            path = head.split(b" ", 2)[1].decode()
            self.hits.append(path)
            await self.respond(path, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def respond(self, path: str, writer: asyncio.StreamWriter) -> None:
        def send(status: str, headers: dict[str, str], body: bytes = b"") -> None:
            lines = [f"HTTP/1.1 {status}", "Connection: close"]
            lines += [f"{k}: {v}" for k, v in headers.items()]
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)

        if path == "/logo.png":
            send(
                "200 OK", {"Content-Type": "image/png", "Content-Length": "8"}, b"\x89PNG\r\n\x1a\n"
            )
        elif path == "/big":
            send("200 OK", {"Content-Type": "image/png", "Content-Length": "5000"}, b"x" * 5000)
        elif path == "/big-undeclared":
            send("200 OK", {"Content-Type": "image/png; charset=binary"})
            for _ in range(50):
                writer.write(b"y" * 100)
                await writer.drain()
        elif path == "/page":
            send(
                "200 OK", {"Content-Type": "text/html; charset=utf-8", "Content-Length": "2"}, b"hi"
            )
        elif path == "/moved":
            send("302 Found", {"Location": "/logo.png", "Content-Length": "0"})
        elif path == "/broken":
            send("500 Internal Server Error", {"Content-Length": "0"})
        elif path == "/slow":
            send("200 OK", {"Content-Type": "image/png"})
            for _ in range(100):  # a server that drips its body: the delay is the test
                writer.write(b"z")
                await writer.drain()
                await asyncio.sleep(0.05)
        await writer.drain()

    def url(self, path: str, host: str = "127.0.0.1", scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}{path}"


@pytest.fixture
async def server() -> AsyncIterator[LocalServer]:
    local = LocalServer()
    local.server = await asyncio.start_server(local.handle, "127.0.0.1", 0)
    local.port = local.server.sockets[0].getsockname()[1]
    yield local
    local.server.close()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_guarded_client_refuses_a_local_server(server, host):
    async with guarded_async_client(allow_private=False, timeout=5) as client:
        with pytest.raises(UnsafeURLError):
            await client.get(server.url("/logo.png", host=host))
    assert server.hits == []


async def test_guarded_client_refuses_numeric_host_forms(server):
    async with guarded_async_client(allow_private=True, timeout=5) as client:
        with pytest.raises(UnsafeURLError, match=r"non-standard"):
            await client.get(f"http://2130706433:{server.port}/logo.png")
    assert server.hits == []


async def test_guarded_client_checks_at_connect_time_against_dns_rebinding(server, monkeypatch):
    # The name looks public when the URL is checked, then points at this machine.
    _fake_dns(monkeypatch, {"rebind.example": [["93.184.215.14"], ["127.0.0.1"]]})
    url = f"http://rebind.example:{server.port}/logo.png"
    await check_url(url, require_https=False)
    async with guarded_async_client(allow_private=False, timeout=5) as client:
        with pytest.raises(UnsafeURLError, match=r"resolves to 127.0.0.1"):
            await client.get(url)
    assert server.hits == []


async def test_guarded_client_connects_to_the_resolved_address(server, monkeypatch):
    _fake_dns(monkeypatch, {"dev.example": [["127.0.0.1"]]})
    async with guarded_async_client(allow_private=True, timeout=5) as client:
        response = await client.get(f"http://dev.example:{server.port}/logo.png")
    assert response.status_code == 200
    assert server.hits == ["/logo.png"]


async def test_fetch_limited_returns_body_and_media_type(server):
    async with guarded_async_client(allow_private=True, timeout=5) as client:
        body, media_type = await fetch_limited(
            client,
            server.url("/logo.png", host="localhost"),
            max_bytes=1024,
            allowed_content_types=("image/png", "image/jpeg"),
        )
    assert body == b"\x89PNG\r\n\x1a\n"
    assert media_type == "image/png"


async def test_fetch_limited_accepts_wildcard_types_and_none(server):
    async with guarded_async_client(allow_private=True, timeout=5) as client:
        _, media_type = await fetch_limited(
            client, server.url("/logo.png"), max_bytes=1024, allowed_content_types=("image/*",)
        )
        assert media_type == "image/png"
        body, media_type = await fetch_limited(
            client, server.url("/page"), max_bytes=1024, allowed_content_types=None
        )
        assert (body, media_type) == (b"hi", "text/html")


@pytest.mark.parametrize("path", ["/big", "/big-undeclared"])
async def test_fetch_limited_aborts_past_max_bytes(server, path):
    async with guarded_async_client(allow_private=True, timeout=5) as client:
        with pytest.raises(FetchError, match=r"larger than 1000 bytes"):
            await fetch_limited(
                client, server.url(path), max_bytes=1000, allowed_content_types=None
            )
        body, _ = await fetch_limited(
            client, server.url(path), max_bytes=5000, allowed_content_types=None
        )
        assert len(body) == 5000


async def test_fetch_limited_rejects_disallowed_content_types(server):
    async with guarded_async_client(allow_private=True, timeout=5) as client:
        with pytest.raises(FetchError, match=r"'text/html'"):
            await fetch_limited(
                client, server.url("/page"), max_bytes=1000, allowed_content_types=("image/*",)
            )


async def test_fetch_limited_does_not_follow_redirects(server):
    async with guarded_async_client(allow_private=True, timeout=5) as client:
        with pytest.raises(FetchError, match=r"302.*redirects are not followed"):
            await fetch_limited(
                client, server.url("/moved"), max_bytes=1000, allowed_content_types=None
            )
    assert server.hits == ["/moved"]


async def test_fetch_limited_rejects_error_statuses(server):
    async with guarded_async_client(allow_private=True, timeout=5) as client:
        with pytest.raises(FetchError, match=r"HTTP 500"):
            await fetch_limited(
                client, server.url("/broken"), max_bytes=1000, allowed_content_types=None
            )


async def test_fetch_limited_enforces_a_total_deadline(server):
    async with guarded_async_client(allow_private=True, timeout=5) as client:
        with pytest.raises(FetchError, match=r"longer than 0.3 s"):
            await fetch_limited(
                client,
                server.url("/slow"),
                max_bytes=1000,
                allowed_content_types=None,
                total_timeout=0.3,
            )


async def test_fetch_limited_lets_the_guard_error_through(server):
    async with guarded_async_client(allow_private=False, timeout=5) as client:
        with pytest.raises(UnsafeURLError):
            await fetch_limited(
                client, server.url("/logo.png"), max_bytes=1000, allowed_content_types=None
            )


async def test_fetch_limited_wraps_network_errors():
    with socket.socket() as probe:  # a port with nothing listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with guarded_async_client(allow_private=True, timeout=5) as client:
        with pytest.raises(FetchError, match=r"Could not fetch"):
            await fetch_limited(
                client, f"http://127.0.0.1:{port}/", max_bytes=10, allowed_content_types=None
            )


@pytest.mark.parametrize(
    "options",
    [
        {"follow_redirects": True},
        {"transport": httpx.AsyncHTTPTransport()},
        {"proxy": "http://127.0.0.1:3128"},
        {"mounts": {}},
        {"trust_env": True},
    ],
)
def test_guarded_client_refuses_options_that_bypass_the_guard(options):
    with pytest.raises(TypeError):
        guarded_async_client(allow_private=False, timeout=5, **options)


async def test_guarded_client_ignores_proxy_environment(server, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("ALL_PROXY", "http://127.0.0.1:9")
    async with guarded_async_client(allow_private=True, timeout=5, headers={"X-T": "1"}) as c:
        response = await c.get(server.url("/logo.png"))
    assert response.status_code == 200


# --- TLS: connecting to the checked IP still verifies the certificate's host name ------------


@pytest.fixture
async def tls_server(tmp_path: Path) -> AsyncIterator[tuple[LocalServer, Path]]:
    cert_path, key_path = self_signed_certificate(tmp_path, "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    local = LocalServer()
    local.server = await asyncio.start_server(local.handle, "127.0.0.1", 0, ssl=context)
    local.port = local.server.sockets[0].getsockname()[1]
    yield local, cert_path
    local.server.close()


async def test_tls_verifies_the_url_host_name_while_connecting_to_the_ip(tls_server):
    server, cert_path = tls_server
    trust = ssl.create_default_context(cafile=str(cert_path))
    async with guarded_async_client(allow_private=True, timeout=5, verify=trust) as client:
        response = await client.get(server.url("/logo.png", host="localhost", scheme="https"))
        assert response.status_code == 200
        # The same server by IP: the certificate names only "localhost", so TLS must fail.
        with pytest.raises(httpx.ConnectError, match=r"(?i)certificate|hostname|match"):
            await client.get(server.url("/logo.png", host="127.0.0.1", scheme="https"))


async def test_tls_rejects_an_untrusted_certificate(tls_server):
    server, _ = tls_server
    async with guarded_async_client(allow_private=True, timeout=5) as client:
        with pytest.raises(httpx.ConnectError, match=r"(?i)certificate"):
            await client.get(server.url("/logo.png", host="localhost", scheme="https"))
