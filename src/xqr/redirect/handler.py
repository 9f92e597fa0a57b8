"""`GET|HEAD /{code}`: the hot path. Pure Python and ASGI — no framework, no ORM, no per-request
I/O once a code is cached.

`RedirectHandler.respond` is the one place a redirect is decided; the ASGI entry point and the
HTTP server's fast path (`xqr.server`) both call it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from xqr.core.clock import clock
from xqr.core.memo import BoundedMemo
from xqr.links.routing import Visitor, resolve_destination
from xqr.links.slugs import is_code_shaped
from xqr.redirect.cache import MISSING, LinkCache, LinkEntry, location_header
from xqr.redirect.loops import HOP_PARAM, MAX_HOPS, hop_of
from xqr.redirect.pages import EXPIRED, LOOP, NOT_FOUND, PAGE_HEADERS
from xqr.scans import enrichment
from xqr.scans.buffer import RawScan, ScanBuffer
from xqr.scans.enricher import Enricher

Scope = dict[str, Any]
Send = Callable[[dict[str, Any]], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]
Answer = tuple[int, Headers, bytes]

_CACHE_CONTROL = (b"cache-control", b"private, max-age=0")
_EMPTY = (b"content-length", b"0")
# A redirect's headers after its Location (the HTTP server renders them once); it has no body.
REDIRECT_HEADERS = (_CACHE_CONTROL, _EMPTY)
CLIENT_IP_MEMO = 65_536  # (peer, X-Forwarded-For) pairs remembered
ROUTING_MEMO = 20_000  # visitors of links with routing rules remembered for the day
_NOT_FOUND: Answer = (404, [*PAGE_HEADERS, (b"content-length", b"%d" % len(NOT_FOUND))], NOT_FOUND)
_EXPIRED: Answer = (410, [*PAGE_HEADERS, (b"content-length", b"%d" % len(EXPIRED))], EXPIRED)
_LOOP: Answer = (508, [*PAGE_HEADERS, (b"content-length", b"%d" % len(LOOP))], LOOP)


def with_query(destination: str, incoming: list[tuple[str, str]]) -> str:
    """Append incoming parameters the destination does not already have."""
    parts = urlsplit(destination)
    existing = {key for key, _ in parse_qsl(parts.query, keep_blank_values=True)}
    extra = [(k, v) for k, v in incoming if k not in existing]
    if not extra:
        return destination
    query = parts.query + ("&" if parts.query else "") + urlencode(extra)
    return urlunsplit(parts._replace(query=query))


def normalise_host(host: bytes | str) -> bytes:
    """Lower-cased, without a default port: `Go.Example:443` and `go.example` are one host."""
    value = (host.encode() if isinstance(host, str) else bytes(host)).lower()
    if value.endswith((b":80", b":443")):
        value = value.rsplit(b":", 1)[0]
    return value


def host_of(headers: Headers) -> bytes | None:
    for name, value in headers:
        if name == b"host":
            return normalise_host(value)
    return None


class RedirectHandler:
    """Answers short codes; passes everything else on to the API."""

    def __init__(
        self,
        cache: LinkCache,
        buffer: ScanBuffer,
        *,
        trusted_proxies: str,
        country_header: str | None,
        short_host: str | None,
        secret: bytes,
    ) -> None:
        self.cache = cache
        self.buffer = buffer
        self.trusted = enrichment.parse_trusted_proxies(trusted_proxies)
        self.country_header = country_header.lower().encode() if country_header else None
        # When short links have a host of their own, that host answers nothing else.
        self.short_host = normalise_host(short_host) if short_host else None
        # Hosts that serve something else at `/{x}` (a bare bio host); never answered here.
        self.skip_hosts: set[bytes] = set()
        # Routing rules read the visitor's facts; a visitor's repeat scans reuse them.
        self.enricher = Enricher(secret, memo_size=ROUTING_MEMO)
        self._client_ips: BoundedMemo[tuple[str, bytes], str] = BoundedMemo(CLIENT_IP_MEMO)

    def respond(
        self,
        entry: Any,
        is_get: bool,
        query_string: bytes,
        headers: Headers,
        client: tuple[str, int] | None,
    ) -> Answer:
        """Decide the answer for a known entry and record the scan of a served GET."""
        if entry is MISSING or not entry.enabled:
            return _NOT_FOUND
        now = clock.now()
        if entry.expires_at is not None and now >= entry.expires_at:
            return _EXPIRED
        user_agent = referer = forwarded = country = host = b""
        for name, value in headers:
            if name == b"user-agent":
                user_agent = value
            elif name == b"host":
                host = value
            elif name == b"referer":
                referer = value
            elif name == b"x-forwarded-for":
                # Proxies may each add a line; together they are one list, in order.
                forwarded = value if not forwarded else forwarded + b"," + value
            elif name == self.country_header:
                country = value
        peer = client[0] if client else ""
        ip = self._forwarded_ip(peer, forwarded) if forwarded and self.trusted else peer
        ua = user_agent.decode("latin-1")
        country_value = country.decode("latin-1") if country else None
        if entry.rules:
            destination = self._route(entry, ip, ua, country_value, now)
            location = None
            home = entry.rule_homes.get(destination) if entry.rule_homes else None
        else:
            destination, location, home = entry.destination, entry.location, entry.home
        qr = False
        hop = 0
        incoming: list[tuple[str, str]] | None = None
        if query_string:
            pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
            qr = ("qr", "1") in pairs
            incoming = [(k, v) for k, v in pairs if k != "qr" and k != HOP_PARAM]
            if len(incoming) < len(pairs):
                hop = hop_of(pairs)
                if hop >= MAX_HOPS:
                    return _LOOP  # not recorded: the visit is going round in circles
        # A redirect that leads back here counts its hops (see `redirect.loops`).
        if hop or (home is not None and (home.known or home.netloc == host)):
            incoming = [*(incoming or ()), (HOP_PARAM, str(hop + 1))]
        if incoming:
            destination, location = with_query(destination, incoming), None
        if is_get:
            # Positional: keyword arguments cost half a µs more a redirect.
            self.buffer.add(
                RawScan(
                    now,  # occurred_at
                    entry.workspace_id,
                    "link",  # kind
                    entry.link_id,  # target_id
                    None,  # parent_id
                    ip,
                    ua,  # user_agent
                    referer.decode("latin-1") or None,
                    country_value,  # country_header
                    qr,
                )
            )
        if location is None:
            location = location_header(destination)
        return 302, [(b"location", location), *REDIRECT_HEADERS], b""

    async def __call__(self, scope: Scope, receive: Any, send: Send) -> bool:
        """The ASGI entry point: True when the request was answered here."""
        method = scope["method"]
        if method != "GET" and method != "HEAD":
            return False
        code = scope["path"][1:]
        if self.skip_hosts and self._host(scope) in self.skip_hosts:
            return False
        if not is_code_shaped(code):
            on_short_host = self.short_host is not None and self._host(scope) == self.short_host
            if on_short_host and code != "healthz":
                await self._send(send, _NOT_FOUND, method)
                return True
            return False
        entry = self.cache.entries.get(code)
        if entry is None:
            entry = await self.cache.get(code)
        answer = self.respond(
            entry,
            method == "GET",
            scope.get("query_string", b""),
            scope["headers"],
            scope.get("client"),
        )
        await self._send(send, answer, method)
        return True

    def _forwarded_ip(self, peer: str, forwarded: bytes) -> str:
        """`client_ip` for a peer and X-Forwarded-For, remembered: a visitor sends the same
        pair with each request, and parsing and matching the hops is a tenth of a redirect."""
        key = (peer, forwarded)
        ip = self._client_ips.get(key)
        if ip is None:
            ip = self._client_ips[key] = enrichment.client_ip(
                peer, forwarded.decode("latin-1"), self.trusted
            )
        return ip

    def _route(
        self, entry: LinkEntry, ip: str, ua: str, country_header: str | None, now: datetime
    ) -> str:
        by_address, visitor_id = self.enricher.visitor(ip, ua, now.date())
        visitor = Visitor(
            country=(enrichment.country_for(ip, country_header) if country_header else by_address),
            device_type=enrichment.parse_user_agent(ua).device_type,
            visitor_id=visitor_id,
            now=now,
        )
        return resolve_destination(
            entry.destination, entry.rules, visitor, link_id=entry.link_id_str
        )

    @staticmethod
    def _host(scope: Scope) -> bytes | None:
        return host_of(scope["headers"])

    @staticmethod
    async def _send(send: Send, answer: Answer, method: str) -> None:
        status, headers, body = answer
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else body})
