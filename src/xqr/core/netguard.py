"""The one URL-safety guard for every server-side fetch (webhook deliveries, QR logos).

Two layers, both needed:

- `check_url` validates a URL when it is configured (webhook create/update, a template's
  `logo_url`): http(s) only (https unless `require_https=False`), no credentials, a host that
  resolves only to public addresses. Its errors (`UnsafeURLError`) are user-facing.
- `guarded_async_client` returns an httpx client whose connections are checked again at
  connect time: the host is resolved once, every address must be public, and the socket is
  opened to the checked address, so DNS rebinding between check and fetch gains nothing.
  TLS still verifies the certificate against the URL's host name (SNI). It never follows
  redirects and ignores proxy environment variables. A refused connection raises
  `UnsafeURLError` out of the request call (it is not wrapped in an httpx error); other
  failures are ordinary `httpx.HTTPError`s.

`fetch_limited` GETs through such a client with a size cap, a content-type allow-list and a
total deadline, and turns every failure except `UnsafeURLError` into `FetchError`.

`allow_private=True` (`XQR_WEBHOOKS_ALLOW_PRIVATE=1`) lifts only the address checks, for local
development and tests; `exempt_hosts` lifts them for the hosts named only (health checks of an
intranet the operator lists), every other private address is still refused. Hosts written
as bare or dotted numbers in non-standard forms (`2130706433`, `0x7f.1`, `127.1`) are refused
even then: no real endpoint needs them.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import ssl
import typing
from collections.abc import Iterable
from typing import Any

import anyio
import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

RESOLVE_TIMEOUT = 5.0
CLOSE_TIMEOUT = 1.0
STREAM_LIMIT = 2**16  # bytes a stream buffers before it stops reading the socket
MAX_URL_LENGTH = 2048

# Beyond what `ipaddress` calls private/reserved: shared address space (CGNAT), the IETF
# protocol block, benchmarking, and IPv6 ranges that only ever reach local or special hosts.
_BLOCKED_V4 = tuple(
    ipaddress.IPv4Network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
    )
)
_GLOBAL_UNICAST_V6 = ipaddress.IPv6Network("2000::/3")
_BLOCKED_V6 = tuple(
    ipaddress.IPv6Network(n)
    for n in (
        "2001::/23",  # IETF protocol assignments, Teredo (2001::/32) included
        "2001:db8::/32",  # documentation
        "3fff::/20",  # documentation
        "64:ff9b:1::/48",  # local-use NAT64
    )
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_SIX_TO_FOUR = ipaddress.IPv6Network("2002::/16")

# Hosts that are numbers but not a canonical dotted quad; resolvers read them as IPv4.
_NUMERIC_HOST = re.compile(r"(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}\.?", re.IGNORECASE)


class UnsafeURLError(ValueError):
    """A URL or address the server must not fetch; the message says why."""


class FetchError(ValueError):
    """A guarded fetch failed (status, redirect, size, content type, network)."""


# --- addresses -------------------------------------------------------------------------------


def is_public_address(address: str | IPAddress) -> bool:
    """Whether an address is globally routable unicast; anything unparseable is not."""
    try:
        ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv4Address):
        return _is_public_v4(ip)
    if ip.ipv4_mapped is not None:  # ::ffff:a.b.c.d reaches a.b.c.d
        return _is_public_v4(ip.ipv4_mapped)
    if ip in _NAT64:  # 64:ff9b::a.b.c.d is translated to a.b.c.d
        return _is_public_v4(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if ip.sixtofour is not None:
        return _is_public_v4(ip.sixtofour)
    if ip not in _GLOBAL_UNICAST_V6 or any(ip in net for net in _BLOCKED_V6):
        return False  # loopback, unspecified, IPv4-compatible, ULA, link/site-local, multicast
    return ip.is_global


def _is_public_v4(ip: ipaddress.IPv4Address) -> bool:
    return ip.is_global and not ip.is_multicast and not any(ip in net for net in _BLOCKED_V4)


def _literal_ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def _is_local_name(host: str) -> bool:
    name = host.rstrip(".").lower()
    return name == "localhost" or name.endswith(".localhost")


def _check_host_form(host: str, allow_private: bool) -> IPAddress | None:
    """Refuse hosts that are unsafe by their spelling; return the IP if it is a literal."""
    ip = _literal_ip(host)
    if ip is None and _NUMERIC_HOST.fullmatch(host):
        raise UnsafeURLError(
            f"The host {host!r} is a number in a non-standard form; write the address as a "
            "dotted quad or use a host name."
        )
    if allow_private:
        return ip
    if ip is not None and not is_public_address(ip):
        raise UnsafeURLError(f"The address {ip} is not a public address.")
    if ip is None and _is_local_name(host):
        raise UnsafeURLError(f"The host {host!r} is this machine, not a public address.")
    return ip


async def _resolve(host: str, port: int, timeout: float | None) -> list[str]:
    """Every address `host` resolves to, in resolver order, without duplicates."""
    with anyio.fail_after(timeout if timeout is not None else RESOLVE_TIMEOUT):
        infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _check_addresses(host: str, addresses: Iterable[str]) -> None:
    for address in addresses:
        if not is_public_address(address.split("%", 1)[0]):
            raise UnsafeURLError(
                f"The host {host!r} resolves to {address}, which is not a public address."
            )


# --- URLs ------------------------------------------------------------------------------------


async def check_url(url: str, *, allow_private: bool = False, require_https: bool = True) -> None:
    """Raise `UnsafeURLError` unless the server may fetch `url`."""
    if not isinstance(url, str) or not url.strip():
        raise UnsafeURLError("A URL is required.")
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeURLError(f"The URL is longer than {MAX_URL_LENGTH} characters.")
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError, TypeError):
        raise UnsafeURLError("The URL is not valid.") from None
    scheme = parsed.scheme
    if require_https and scheme != "https":
        raise UnsafeURLError("The URL must use https://.")
    if scheme not in ("http", "https"):
        raise UnsafeURLError("The URL must use http:// or https://.")
    if parsed.userinfo:
        raise UnsafeURLError("The URL must not contain a username or password.")
    host = parsed.raw_host.decode("ascii")
    if not host:
        raise UnsafeURLError("The URL must include a host.")
    if _check_host_form(host, allow_private) is not None or allow_private:
        return
    port = parsed.port or (443 if scheme == "https" else 80)
    try:
        addresses = await _resolve(host, port, None)
    except (OSError, TimeoutError, UnicodeError):
        raise UnsafeURLError(f"The host {host!r} could not be resolved.") from None
    if not addresses:
        raise UnsafeURLError(f"The host {host!r} could not be resolved.")
    _check_addresses(host, addresses)


# --- the guarded client ----------------------------------------------------------------------


class AsyncioStream(httpcore.AsyncNetworkStream):
    """An httpcore network stream on asyncio's own streams.

    httpcore's default anyio stream opens a cancel scope around every read and write and
    builds a dict of attribute getters each time its pool asks whether an idle connection was
    closed; on a webhook worker sending hundreds of small requests a second that was about a
    fifth of the CPU. Timeouts still apply per operation (`asyncio.timeout`), and whether an
    idle connection is still usable is read from the stream's state, without a system call.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            async with asyncio.timeout(timeout):
                return await self._reader.read(max_bytes)
        except TimeoutError as exc:
            raise httpcore.ReadTimeout(str(exc) or "The read timed out.") from exc
        except OSError as exc:
            raise httpcore.ReadError(str(exc) or type(exc).__name__) from exc

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        try:
            async with asyncio.timeout(timeout):
                self._writer.write(buffer)
                await self._writer.drain()
        except TimeoutError as exc:
            raise httpcore.WriteTimeout(str(exc) or "The write timed out.") from exc
        except (OSError, RuntimeError) as exc:  # RuntimeError: writing to a closed transport
            raise httpcore.WriteError(str(exc) or type(exc).__name__) from exc

    async def aclose(self) -> None:
        self._writer.close()
        try:
            # A TLS close waits for the peer's close_notify; a silent peer must not hold us.
            async with asyncio.timeout(CLOSE_TIMEOUT):
                await self._writer.wait_closed()
        except TimeoutError:
            self._writer.transport.abort()
        except OSError:
            pass  # it broke while closing: closed all the same

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                await self._writer.start_tls(ssl_context, server_hostname=server_hostname)
        except TimeoutError as exc:
            await self.aclose()
            raise httpcore.ConnectTimeout("The TLS handshake timed out.") from exc
        except OSError as exc:  # ssl.SSLError (certificate, handshake) included
            await self.aclose()
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        return self

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            # Asked of an idle keep-alive connection: true once the server closed or reset
            # it, which the event loop has already seen; such a connection is not reused.
            reader = self._reader
            return self._writer.is_closing() or reader.at_eof() or reader.exception() is not None
        if info == "ssl_object":
            return self._writer.get_extra_info("ssl_object")
        if info == "client_addr":
            return self._writer.get_extra_info("sockname")
        if info == "server_addr":
            return self._writer.get_extra_info("peername")
        if info == "socket":
            return self._writer.get_extra_info("socket")
        return None


async def _open_stream(host: str, port: int, timeout: float | None) -> AsyncioStream:
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(host, port, limit=STREAM_LIMIT)
    except TimeoutError as exc:
        raise httpcore.ConnectTimeout(f"Connecting to {host} timed out.") from exc
    except OSError as exc:
        raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
    return AsyncioStream(reader, writer)


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    """Resolves each host itself, checks every address, then connects to a checked IP."""

    def __init__(self, *, allow_private: bool, exempt_hosts: frozenset[str] = frozenset()) -> None:
        self.allow_private = allow_private
        self.exempt_hosts = exempt_hosts

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        allow_private = self.allow_private or host.lower().strip("[]") in self.exempt_hosts
        literal = _check_host_form(host, allow_private)
        if literal is not None:
            addresses = [str(literal)]
        else:
            try:
                addresses = await _resolve(host, port, timeout)
            except TimeoutError as exc:
                raise httpcore.ConnectTimeout(f"Resolving {host!r} timed out.") from exc
            except (OSError, UnicodeError) as exc:
                raise httpcore.ConnectError(f"Could not resolve {host!r}: {exc}") from exc
            if not addresses:
                raise httpcore.ConnectError(f"Could not resolve {host!r}.")
            if not allow_private:
                _check_addresses(host, addresses)
        if local_address is not None or socket_options:
            raise httpcore.ConnectError("Guarded clients take no local address or socket options.")
        error: httpcore.ConnectError | None = None
        for address in addresses:
            try:
                return await _open_stream(address, port, timeout)
            except httpcore.ConnectError as exc:
                error = exc
        raise error or httpcore.ConnectError(f"Could not connect to {host!r}.")

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise UnsafeURLError("Guarded clients do not connect to unix sockets.")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with its connection pool built on `GuardedNetworkBackend`."""

    def __init__(
        self,
        *,
        allow_private: bool,
        verify: Any = True,
        cert: Any = None,
        http1: bool = True,
        http2: bool = False,
        limits: httpx.Limits = httpx.Limits(max_connections=100, max_keepalive_connections=20),
        retries: int = 0,
        exempt_hosts: frozenset[str] = frozenset(),
    ) -> None:
        ssl_context = httpx.create_ssl_context(verify=verify, cert=cert, trust_env=False)
        super().__init__(verify=ssl_context, http1=http1, http2=http2, limits=limits)
        # httpx has no public hook for the network backend, so the pool is rebuilt with ours;
        # tests/core/test_netguard.py fails loudly if a future httpx stops using `_pool`.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=http1,
            http2=http2,
            retries=retries,
            network_backend=GuardedNetworkBackend(
                allow_private=allow_private, exempt_hosts=exempt_hosts
            ),
        )


_TRANSPORT_OPTIONS = ("verify", "cert", "http1", "http2", "limits", "retries", "exempt_hosts")
_FORBIDDEN_OPTIONS = ("transport", "mounts", "proxy", "trust_env", "app")


def guarded_async_client(*, allow_private: bool, timeout: float, **kw: Any) -> httpx.AsyncClient:
    """An httpx client that only connects to public addresses and never follows redirects.

    Extra keywords go to `httpx.AsyncClient` (headers, event_hooks, ...) or to the transport
    (verify, cert, http1, http2, limits, retries); ones that would bypass the guard are refused.
    """
    for name in _FORBIDDEN_OPTIONS:
        if name in kw:
            raise TypeError(f"guarded_async_client does not accept {name!r}")
    if kw.pop("follow_redirects", False):
        raise TypeError("guarded_async_client never follows redirects")
    transport_options = {name: kw.pop(name) for name in _TRANSPORT_OPTIONS if name in kw}
    return httpx.AsyncClient(
        transport=GuardedTransport(allow_private=allow_private, **transport_options),
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,
        **kw,
    )


async def fetch_limited(
    client: httpx.AsyncClient,
    url: str,
    *,
    max_bytes: int,
    allowed_content_types: tuple[str, ...] | None = None,
    total_timeout: float | None = 30.0,
) -> tuple[bytes, str]:
    """GET `url` and return (body, media type), refusing redirects, errors and oversize bodies.

    `allowed_content_types` holds media types such as "image/png" or "image/*"; None allows
    any. Raises `FetchError`, or `UnsafeURLError` when the guard refuses the address.
    """
    try:
        with anyio.fail_after(total_timeout):
            return await _fetch(client, url, max_bytes, allowed_content_types)
    except TimeoutError:
        raise FetchError(f"Fetching {url} took longer than {total_timeout:g} s.") from None
    except httpx.HTTPError as exc:
        detail = str(exc) or type(exc).__name__
        raise FetchError(f"Could not fetch {url}: {detail}") from exc


async def _fetch(
    client: httpx.AsyncClient,
    url: str,
    max_bytes: int,
    allowed_content_types: tuple[str, ...] | None,
) -> tuple[bytes, str]:
    async with client.stream("GET", url, follow_redirects=False) as response:
        status = response.status_code
        if 300 <= status < 400:
            location = response.headers.get("location", "")
            raise FetchError(
                f"{url} answered {status} redirecting to {location!r}; redirects are not "
                "followed, use the final URL."
            )
        if not 200 <= status < 300:
            raise FetchError(f"{url} answered HTTP {status}.")
        media_type = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if allowed_content_types is not None and not _type_allowed(
            media_type, allowed_content_types
        ):
            raise FetchError(
                f"{url} returned content type {media_type or 'none'!r}; expected "
                f"{', '.join(allowed_content_types)}."
            )
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise FetchError(f"{url} is larger than {max_bytes} bytes.")
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > max_bytes:
                raise FetchError(f"{url} is larger than {max_bytes} bytes.")
        return bytes(body), media_type


def _type_allowed(media_type: str, allowed: tuple[str, ...]) -> bool:
    for entry in allowed:
        entry = entry.lower()
        if entry == media_type or (entry.endswith("/*") and media_type.startswith(entry[:-1])):
            return True
    return False
