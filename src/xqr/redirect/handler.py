"""`GET|HEAD /{code}`: the hot path. Pure Python and ASGI — no framework, no ORM, no per-request
I/O once a code is cached.

`RedirectHandler.respond` is the one place a redirect is decided; the ASGI entry point and the
HTTP server's fast path (`xqr.server`) both call it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from xqr.core.clock import clock
from xqr.core.memo import BoundedMemo
from xqr.links import protection
from xqr.links.routing import Visitor, matching_rule, os_of, preferred_language
from xqr.links.slugs import is_code_shaped
from xqr.redirect import controls
from xqr.redirect.cache import (
    MISSING,
    DomainEntry,
    LinkCache,
    LinkEntry,
    domain_cache_key,
    location_header,
)
from xqr.redirect.crawlers import is_preview_crawler
from xqr.redirect.loops import HOP_PARAM, MAX_HOPS, hop_of
from xqr.redirect.pages import EXPIRED, LOOP, NOT_FOUND, PAGE_HEADERS, UNAVAILABLE
from xqr.redirect.stats import RedirectStats
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
_UNAVAILABLE: Answer = (
    503,
    [*PAGE_HEADERS, (b"retry-after", b"5"), (b"content-length", b"%d" % len(UNAVAILABLE))],
    UNAVAILABLE,
)
# Paths of the server's health and metrics endpoints: answered on the short host too.
OPS_CODES = frozenset({"healthz", "readyz", "metrics"})
logger = logging.getLogger("xqr.redirect")
_PASS: Answer = (0, [], b"")  # a gated link's request may be redirected
LANGUAGE_MEMO = 4096  # Accept-Language headers and the language they prefer
VERIFIED_MEMO = 4096  # (password hash, sha256 of a password) found right
PASSWORD_CHECKS = 2  # argon2 verifications at once (each takes 64 MiB for ~50 ms)
VERIFY_PREFIX = "/.well-known/xqr-verify/"  # custom domain verification (xqr.domains)
_TOKEN_SHAPE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
# Serves a published bio page on a custom domain: (scope, send, path after "/", workspace)
# → answered? (set by the bio domain).
BioOnDomain = Callable[[Scope, Send, str, Any], Awaitable[bool]]


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


def domain_name(host: bytes) -> str:
    """The host name of a normalised Host value, without any port: a custom domain is the
    same name whatever port the proxy in front listens on."""
    if b":" in host and not host.endswith(b"]"):
        host = host.rsplit(b":", 1)[0]
    return host.decode("latin-1")


def host_of(headers: Headers) -> bytes | None:
    for name, value in headers:
        if name == b"host":
            return normalise_host(value)
    return None


class RedirectHandler:
    """Answers short codes; passes everything else on to the API."""

    counts_itself = True  # its answers are in `stats`, not in the app's request counts

    def __init__(
        self,
        cache: LinkCache,
        buffer: ScanBuffer,
        *,
        trusted_proxies: str,
        country_header: str | None,
        short_host: str | None,
        secret: bytes,
        password_attempts: int = 10,
        password_window_seconds: int = 900,
        secure_cookies: bool = False,
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
        self.stats = RedirectStats()
        self._unavailable_logged = -float("inf")
        self.secret = secret
        self.secure_cookies = secure_cookies
        self.attempts = controls.AttemptLimiter(password_attempts, password_window_seconds)
        self._languages: BoundedMemo[bytes, str] = BoundedMemo(LANGUAGE_MEMO)
        self._verified: BoundedMemo[tuple[str, bytes], bool] = BoundedMemo(VERIFIED_MEMO)
        self._password_checks = asyncio.Semaphore(PASSWORD_CHECKS)
        # The server's own names: never a custom domain, so their requests skip that lookup.
        self.base_hosts: set[bytes] = {b"localhost", b"127.0.0.1"}
        if self.short_host:
            self.base_hosts.add(self.short_host)
        self.bio_on_domain: BioOnDomain | None = None
        # XQR_DOMAINS_STRICT_HOSTS: short codes answer only on the server's own names
        # (`own_names`, without ports) and on serving custom domains.
        self.strict_hosts = False
        self.own_names: set[str] = {"localhost", "127.0.0.1"}

    def cached_entry(self, headers: Headers, code: str) -> Any:
        """The cached entry of `code` for the request's host, or None when the ASGI path
        must answer (not cached yet, or not a link of a serving custom domain)."""
        host = host_of(headers)
        if host is None or host in self.base_hosts:
            return self.cache.entries.get(code)
        entries = self.cache.entries
        name = domain_name(host)
        domain = entries.get(domain_cache_key(name))
        if domain is MISSING:  # not a custom domain: the server's base
            if self.strict_hosts and name not in self.own_names:
                return None  # a foreign host: the ASGI way answers 404
            return entries.get(code)
        if domain is None or not domain.serving or not domain.links:
            return None
        entry = entries.get(domain.prefix + code)
        return None if entry is MISSING else entry

    async def domain_of(self, host: bytes | None) -> DomainEntry | None:
        """The custom domain a request's host (`_host`) is (None: the server's base)."""
        if host is None or host in self.base_hosts:
            return None
        name = domain_name(host)
        domain = self.cache.entries.get(domain_cache_key(name))
        if domain is None:
            domain = await self.cache.get_domain(name)
        return None if domain is MISSING else domain

    def respond(
        self,
        entry: Any,
        is_get: bool,
        query_string: bytes,
        headers: Headers,
        client: tuple[str, int] | None,
        unlocked: bool = False,
    ) -> Answer | None:
        """Decide the answer for a known entry and record the scan of a served GET.

        None: the request carries a link password, which is checked off the event loop
        (`answer_with_password`); `unlocked`: it was, and was right.
        """
        if entry is MISSING or not entry.enabled:
            return _NOT_FOUND
        now = clock.now()
        expired = False
        if entry.expires_at is not None and now >= entry.expires_at:
            if entry.expired_url is None:
                return _EXPIRED
            expired = True
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
        rule = None
        if entry.gated and not expired and not unlocked:
            gate = self._gate(entry, headers, ua, now)
            if gate is not _PASS:
                return gate
        if expired:
            # After expiry the link's fallback, as it is: no rules, no UTM, no password.
            destination, location, home = entry.expired_url, None, None
        elif entry.rules:
            destination, rule = self._route(entry, ip, ua, country_value, now, headers)
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
                    expired,
                    rule,
                )
            )
        if location is None:
            location = location_header(destination)
        return 302, [(b"location", location), *REDIRECT_HEADERS], b""

    def _gate(self, entry: LinkEntry, headers: Headers, ua: str, now: datetime) -> Answer | None:
        """For a link with a password or preview: `_PASS` to redirect, None to check the
        password header off the loop, else the answer (preview page, password form)."""
        if entry.preview is not None and is_preview_crawler(ua):
            return controls.preview_answer(entry.preview)
        password_hash = entry.password_hash
        if password_hash is None:
            return _PASS
        link_hex = entry.link_id.hex
        name = protection.cookie_name(link_hex)
        has_header = False
        for header, value in headers:
            if header == b"cookie":
                found = protection.cookie_from_header(value.decode("latin-1"), name)
                if found and protection.cookie_valid(
                    self.secret, link_hex, password_hash, found, now.timestamp()
                ):
                    return _PASS
            elif header == b"x-link-password":
                has_header = True
        if has_header:
            return None
        return controls.form_page(self.secret, link_hex, "/" + entry.code)

    async def answer_with_password(
        self,
        entry: LinkEntry,
        password: str,
        is_get: bool,
        query_string: bytes,
        headers: Headers,
        client: tuple[str, int] | None,
        *,
        from_form: bool,
    ) -> Answer:
        """Check a link password (the form's or the header's); the right one redirects (and
        counts the scan of a GET), the form's also sets the 24-hour cookie."""
        peer = client[0] if client else ""
        forwarded = b",".join(value for name, value in headers if name == b"x-forwarded-for")
        ip = self._forwarded_ip(peer, forwarded) if forwarded and self.trusted else peer
        password_hash = entry.password_hash or ""
        link_hex = entry.link_id.hex
        wait = self.attempts.retry_after(ip, link_hex)
        if wait:
            return controls.small_page(
                429,
                "Too many attempts",
                "Too many wrong passwords from your address. Try again later.",
                [(b"retry-after", b"%d" % wait)],
            )
        if not await self._password_right(password_hash, password):
            self.attempts.failed(ip, link_hex)
            if from_form:
                return controls.form_page(
                    self.secret,
                    link_hex,
                    "/" + entry.code,
                    status=401,
                    error="That password is not right. Try again.",
                )
            return controls.small_page(401, "Wrong password", "The link password is not right.")
        answer = self.respond(entry, is_get, query_string, headers, client, unlocked=True)
        assert answer is not None
        if not from_form or answer[0] != 302:
            return answer
        signed = protection.cookie_value(
            self.secret, link_hex, password_hash, clock.now().timestamp()
        )
        cookie = (
            f"{protection.cookie_name(link_hex)}={signed}; "
            f"Path=/{entry.code}; Max-Age={protection.COOKIE_TTL}; HttpOnly; SameSite=Lax"
            + ("; Secure" if self.secure_cookies else "")
        ).encode()
        # 303: the browser follows a form's answer with a GET.
        return 303, [*answer[1][:1], (b"set-cookie", cookie), *answer[1][1:]], answer[2]

    async def _password_right(self, password_hash: str, password: str) -> bool:
        if not password or len(password) > 1024:
            return False
        key = (password_hash, hashlib.sha256(password.encode()).digest())
        if key in self._verified:
            return True
        async with self._password_checks:
            right = await asyncio.to_thread(protection.verify_password, password_hash, password)
        if right:
            self._verified[key] = True
        return right

    async def _form_post(self, scope: Scope, receive: Any, send: Send) -> bool:
        """`POST /{code}` of a password form; anything else is not ours."""
        code = scope["path"][1:]
        host = self._host(scope)
        if not is_code_shaped(code) or (self.skip_hosts and host in self.skip_hosts):
            return False
        domain = await self.domain_of(host)
        if domain is not None:
            if not domain.serving or not domain.links:
                return False
            entry = await self.cache.get_on(domain, code)
        elif self.strict_hosts and self._foreign(host):
            return False
        else:
            entry = self.cache.entries.get(code)
            if entry is None:
                entry = await self.cache.get(code)
        if entry is MISSING or not entry.enabled or entry.password_hash is None:
            return False
        headers: Headers = scope["headers"]
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > controls.MAX_FORM_BYTES:
                too_large = controls.small_page(
                    413, "Too large", "The form sent more than a password; go back and retry."
                )
                await self._send(send, too_large, "POST")
                return True
        answer = self._check_form(entry, headers, body)
        if answer is None:
            fields = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
            answer = await self.answer_with_password(
                entry,
                fields.get("password", ""),
                True,
                scope.get("query_string", b""),
                headers,
                scope.get("client"),
                from_form=True,
            )
        await self._send(send, answer, "POST")
        return True

    def _check_form(self, entry: LinkEntry, headers: Headers, body: bytes) -> Answer | None:
        """Refuse a cross-site or forged form post (None: it is this page's own form)."""
        nonce = ""
        host = origin = fetch_site = b""
        for name, value in headers:
            if name == b"cookie":
                nonce = (
                    protection.cookie_from_header(value.decode("latin-1"), controls.CSRF_COOKIE)
                    or nonce
                )
            elif name == b"host":
                host = value
            elif name == b"origin":
                origin = value
            elif name == b"sec-fetch-site":
                fetch_site = value
        fields = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        expected = controls.csrf_token(self.secret, nonce, entry.link_id.hex) if nonce else ""
        same_origin = (
            not origin or urlsplit(origin.decode("latin-1")).netloc.encode() == host
        ) and (fetch_site in (b"", b"same-origin", b"none"))
        if not same_origin or not expected or fields.get("csrf") != expected:
            return controls.form_page(
                self.secret,
                entry.link_id.hex,
                "/" + entry.code,
                status=403,
                error="The form expired or came from another site. Enter the password again.",
            )
        return None

    async def __call__(self, scope: Scope, receive: Any, send: Send) -> bool:
        """The ASGI entry point: True when the request was answered here."""
        method = scope["method"]
        if method == "POST":
            return await self._form_post(scope, receive, send)
        if method != "GET" and method != "HEAD":
            return False
        path: str = scope["path"]
        code = path[1:]
        host = self._host(scope)
        if self.skip_hosts and host in self.skip_hosts:
            return False
        if path.startswith(VERIFY_PREFIX):
            return await self._verification_answer(send, path[len(VERIFY_PREFIX) :], method)
        started = time.perf_counter()
        try:
            domain = await self.domain_of(host)
        except Exception as error:  # the database is away
            self._note_unavailable(error)
            if not is_code_shaped(code):
                return False  # the API answers for itself
            # Not the base's link of that code: the host may be another workspace's domain.
            await self._send(send, _UNAVAILABLE, method)
            self.stats.observe(503, time.perf_counter() - started)
            return True
        if domain is not None:
            return await self._on_domain(scope, send, domain, code, method, started)
        if self.strict_hosts and is_code_shaped(code) and self._foreign(host):
            await self._send(send, _NOT_FOUND, method)
            return True
        if not is_code_shaped(code):
            on_short_host = self.short_host is not None and host == self.short_host
            if on_short_host and code not in OPS_CODES:
                await self._send(send, _NOT_FOUND, method)
                return True
            return False
        entry = self.cache.entries.get(code)
        if entry is None:
            try:
                entry = await self.cache.get(code)
            except Exception as error:  # the database is away: a clean page, not a traceback
                self._note_unavailable(error)
                await self._send(send, _UNAVAILABLE, method)
                self.stats.observe(503, time.perf_counter() - started)
                return True
        return await self._answer(scope, send, entry, method, started)

    async def _answer(
        self, scope: Scope, send: Send, entry: Any, method: str, started: float
    ) -> bool:
        answer = self.respond(
            entry,
            method == "GET",
            scope.get("query_string", b""),
            scope["headers"],
            scope.get("client"),
        )
        if answer is None:  # a link password sent in the X-Link-Password header
            password = b""
            for name, value in scope["headers"]:
                if name == b"x-link-password":
                    password = value
            answer = await self.answer_with_password(
                entry,
                password.decode("utf-8", "replace"),
                method == "GET",
                scope.get("query_string", b""),
                scope["headers"],
                scope.get("client"),
                from_form=False,
            )
        await self._send(send, answer, method)
        self.stats.observe(answer[0], time.perf_counter() - started)
        return True

    async def _on_domain(
        self, scope: Scope, send: Send, domain: DomainEntry, code: str, method: str, started: float
    ) -> bool:
        """Every GET/HEAD on a custom domain's host is answered here: its links, its bio
        pages, its root and not-found redirects; an unverified host serves nothing."""
        if not domain.serving:
            await self._send(send, _NOT_FOUND, method)
            return True
        if code == "":
            await self._send(send, self._domain_redirect(domain.root), method)
            return True
        if domain.links and is_code_shaped(code):
            try:
                entry = await self.cache.get_on(domain, code)
            except Exception as error:
                self._note_unavailable(error)
                await self._send(send, _UNAVAILABLE, method)
                return True
            if entry is not MISSING:
                return await self._answer(scope, send, entry, method, started)
        bio = self.bio_on_domain
        if domain.bio and bio is not None and await bio(scope, send, code, domain.workspace_id):
            return True
        await self._send(send, self._domain_redirect(domain.not_found), method)
        return True

    def _foreign(self, host: bytes | None) -> bool:
        """Whether a host that is not a custom domain is not one of the server's own names
        either."""
        return (
            host is not None
            and host not in self.base_hosts
            and (domain_name(host) not in self.own_names)
        )

    @staticmethod
    def _domain_redirect(location: bytes | None) -> Answer:
        if location is None:
            return _NOT_FOUND
        return 302, [(b"location", location), *REDIRECT_HEADERS], b""

    async def _verification_answer(self, send: Send, token: str, method: str) -> bool:
        """This server's answer for a domain verification token (see xqr.domains)."""
        if not token or len(token) > 64 or not set(token) <= _TOKEN_SHAPE:
            await self._send(send, _NOT_FOUND, method)
            return True
        body = hmac.new(self.secret, b"xqr-verify:" + token.encode(), hashlib.sha256)
        data = body.hexdigest().encode()
        headers = [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"cache-control", b"no-store"),
            (b"content-length", b"%d" % len(data)),
        ]
        await self._send(send, (200, headers, data), method)
        return True

    def _note_unavailable(self, error: Exception) -> None:
        """One log line a minute while codes cannot be looked up."""
        now = time.monotonic()
        if now - self._unavailable_logged >= 60:
            self._unavailable_logged = now
            logger.error("short codes cannot be looked up (database unavailable): %r", error)

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
        self,
        entry: LinkEntry,
        ip: str,
        ua: str,
        country_header: str | None,
        now: datetime,
        headers: Headers,
    ) -> tuple[str, int]:
        """The visitor's destination and the number of the rule that chose it (0: none)."""
        by_address, visitor_id = self.enricher.visitor(ip, ua, now.date())
        agent = enrichment.parse_user_agent(ua)
        visitor = Visitor(
            country=(enrichment.country_for(ip, country_header) if country_header else by_address),
            device_type=agent.device_type,
            visitor_id=visitor_id,
            now=now,
            os=os_of(agent.os),
            language=self._language(headers) if entry.uses_languages else "",
        )
        rule = matching_rule(entry.rules, visitor, link_id=entry.link_id_str)
        return (entry.destination, 0) if rule is None else (rule.destination, rule.index + 1)

    def _language(self, headers: Headers) -> str:
        for name, value in headers:
            if name == b"accept-language":
                language = self._languages.get(value)
                if language is None:
                    language = self._languages[value] = preferred_language(value.decode("latin-1"))
                return language
        return ""

    @staticmethod
    def _host(scope: Scope) -> bytes | None:
        return host_of(scope["headers"])

    @staticmethod
    async def _send(send: Send, answer: Answer, method: str) -> None:
        status, headers, body = answer
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else body})
