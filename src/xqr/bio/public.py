"""The public side of bio pages: a pure-ASGI front handler serving pages and tracked clicks.

Paths, for the base `XQR_BIO_URL_BASE` (default `{public_url}/bio`):

- `{prefix}/{slug}` — the page (200 HTML; a view is recorded for a GET)
- `{prefix}/{slug}/l/{link_id}` — a tracked link: 302 to the link's URL, a click is recorded
- anything else under the prefix, and any page that is not published — the 404 page

`/bio/...` always works; a base with another path adds that prefix; a bare host serves
`/{slug}` on that host (every path there, but `/healthz`, answers with a page or the 404 page).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from xqr.bio.cache import MISSING, BioPageCache
from xqr.bio.render import PageContent, link_uuid, render_not_found, render_page
from xqr.bio.slugs import SLUG_SHAPE
from xqr.core.clock import clock
from xqr.redirect.cache import location_header
from xqr.scans import enrichment
from xqr.scans.buffer import RawScan, ScanBuffer

OPS_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})  # answered on the bio host too

Scope = dict[str, Any]
Send = Callable[[dict[str, Any]], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]

DEFAULT_PREFIX = "/bio"
_CSP_SOURCE = re.compile(r"[A-Za-z0-9:/._~%-]+")

_COMMON: Headers = [
    (b"cache-control", b"private, max-age=0"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"x-frame-options", b"DENY"),
]


def content_security_policy(
    image_sources: Iterable[str] = (), *, frame_ancestors: str = "'none'"
) -> str:
    """No script, no fetch, no form, no framing (the dashboard's preview of a page may be framed
    by the dashboard); images over https, data: and `image_sources`."""
    images = " ".join(["https:", "data:", *sorted(set(image_sources))])
    return (
        f"default-src 'none'; style-src 'unsafe-inline'; img-src {images}; "
        f"base-uri 'none'; form-action 'none'; frame-ancestors {frame_ancestors}"
    )


def origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    source = f"{parts.scheme}://{parts.netloc}"
    return source if _CSP_SOURCE.fullmatch(source) else None


def _html_headers(body: bytes, csp: str) -> Headers:
    return [
        (b"content-type", b"text/html; charset=utf-8"),
        (b"content-length", b"%d" % len(body)),
        (b"content-security-policy", csp.encode()),
        *_COMMON,
    ]


@dataclass(frozen=True, slots=True)
class PublicPage:
    """A published page ready to send: its bytes, headers and where each link leads."""

    page_id: uuid.UUID
    workspace_id: uuid.UUID
    slug: str
    html: bytes
    headers: Headers
    links: dict[str, tuple[uuid.UUID, bytes]]  # link id → (scan target, Location value)


class PageBuilder:
    """Turns a stored page row into a PublicPage (the cache calls it on a miss)."""

    def __init__(self, *, bio_base: str, assets_base: str | None) -> None:
        self.bio_base = bio_base
        self.image_sources: set[str] = set()
        self.assets_prefix = "\0"  # matches no URL
        if assets_base:
            source = assets_base.rstrip("/") + "/"
            if _CSP_SOURCE.fullmatch(source):
                self.image_sources.add(source)
                self.assets_prefix = source

    def build(self, row: Any) -> PublicPage:
        content = PageContent.from_row(row)
        html = render_page(content, canonical_url=f"{self.bio_base}/{row.slug}")
        sources = set(self.image_sources)
        avatar = content.avatar_url
        # https: is allowed already, and so are published assets; another http host is added.
        if avatar and avatar.startswith("http:") and not avatar.startswith(self.assets_prefix):
            avatar_origin = origin_of(avatar)
            if avatar_origin:
                sources.add(avatar_origin)
        links: dict[str, tuple[uuid.UUID, bytes]] = {}
        for link in row.links or []:
            target = link_uuid(str(link["id"]))
            if target is not None:
                links[str(link["id"]).lower()] = (target, location_header(link["url"]))
        return PublicPage(
            page_id=row.id,
            workspace_id=row.workspace_id,
            slug=row.slug,
            html=html,
            headers=_html_headers(html, content_security_policy(sources)),
            links=links,
        )


NOT_FOUND_BODY = render_not_found()
_NOT_FOUND = (404, _html_headers(NOT_FOUND_BODY, content_security_policy()), NOT_FOUND_BODY)


class BioFrontHandler:
    """Answers bio page paths before the API; passes everything else on."""

    def __init__(
        self,
        cache: BioPageCache,
        buffer: ScanBuffer,
        *,
        bio_base: str,
        other_hosts: Iterable[str],
        trusted_proxies: str,
        country_header: str | None,
    ) -> None:
        self.cache = cache
        self.buffer = buffer
        self.trusted = enrichment.parse_trusted_proxies(trusted_proxies)
        self.country_header = country_header.lower().encode() if country_header else None
        base = urlsplit(bio_base)
        prefix = base.path.rstrip("/")
        self.prefixes = [DEFAULT_PREFIX] + ([prefix] if prefix and prefix != DEFAULT_PREFIX else [])
        # A bare-host base: that host serves `/{slug}`. When the host is also the API's or the
        # short links', only paths of published pages are taken; the rest is passed on.
        self.host = (base.hostname or "").lower() if not prefix else None
        self.host_is_dedicated = self.host is not None and self.host not in {
            h.lower() for h in other_hosts
        }

    @property
    def serves_root(self) -> bool:
        """Whether `/{slug}` paths are served (the handler must then run before redirects)."""
        return self.host is not None

    async def __call__(self, scope: Scope, receive: Any, send: Send) -> bool:
        method = scope["method"]
        if method != "GET" and method != "HEAD":
            return False
        route = self._route(scope)
        if route is None:
            return False
        prefix, rest, dedicated = route
        return await self._serve(scope, send, method, prefix, rest, dedicated)

    async def serve_on_domain(self, scope: Scope, send: Send, rest: str, workspace_id: Any) -> bool:
        """`/{slug}` (and its tracked links) on a custom domain of the page's workspace; False
        when the workspace has no such published page (the domain answers then)."""
        method = scope["method"]
        return await self._serve(scope, send, method, "", rest, False, workspace_id)

    async def _serve(
        self,
        scope: Scope,
        send: Send,
        method: str,
        prefix: str,
        rest: str,
        dedicated: bool,
        workspace_id: Any = None,
    ) -> bool:
        parts = rest.split("/")
        slug = parts[0]
        if not SLUG_SHAPE.fullmatch(slug) or len(parts) > 3:
            return await self._not_found(send, method, dedicated)
        if len(parts) == 2:
            if parts[1] != "":
                return await self._not_found(send, method, dedicated)
            query = scope.get("query_string", b"")
            location = f"{prefix}/{slug}".encode() + (b"?" + query if query else b"")
            await self._send(send, method, 301, [(b"location", location), *_COMMON], b"")
            return True
        entry = self.cache.entries.get(slug.lower())
        if entry is None:
            entry = await self.cache.get(slug.lower())
        if entry is MISSING or (workspace_id is not None and entry.workspace_id != workspace_id):
            return await self._not_found(send, method, dedicated)
        if len(parts) == 1:
            if method == "GET":
                self._record(scope, entry, "bio_view", entry.page_id, None)
            await self._send(send, method, 200, entry.headers, entry.html)
            return True
        link = entry.links.get(parts[2].lower()) if parts[1] == "l" else None
        if link is None:
            return await self._not_found(send, method, dedicated)
        target, location = link
        if method == "GET":
            self._record(scope, entry, "bio_click", target, entry.page_id)
        headers = [(b"location", location), (b"content-length", b"0"), *_COMMON]
        await self._send(send, method, 302, headers, b"")
        return True

    def _route(self, scope: Scope) -> tuple[str, str, bool] | None:
        """(prefix, rest of the path, whether unknown paths get our 404) or None to pass on."""
        path: str = scope["path"]
        for prefix in self.prefixes:
            if path == prefix:
                return prefix, "", True
            if path.startswith(prefix) and path[len(prefix)] == "/":
                return prefix, path[len(prefix) + 1 :], True
        if self.host is not None and path not in OPS_PATHS and self._host(scope) == self.host:
            return "", path[1:], self.host_is_dedicated
        return None

    def _record(
        self,
        scope: Scope,
        entry: PublicPage,
        kind: str,
        target: uuid.UUID,
        parent: uuid.UUID | None,
    ) -> None:
        user_agent = referer = forwarded = country = b""
        for name, value in scope["headers"]:
            if name == b"user-agent":
                user_agent = value
            elif name == b"referer":
                referer = value
            elif name == b"x-forwarded-for":
                forwarded = value if not forwarded else forwarded + b"," + value
            elif name == self.country_header:
                country = value
        client = scope.get("client")
        peer = client[0] if client else ""
        ip = (
            enrichment.client_ip(peer, forwarded.decode("latin-1"), self.trusted)
            if forwarded and self.trusted
            else peer
        )
        query = scope.get("query_string", b"")
        qr = bool(query) and ("qr", "1") in parse_qsl(query.decode("latin-1"))
        self.buffer.add(
            RawScan(
                occurred_at=clock.now(),
                workspace_id=entry.workspace_id,
                kind=kind,
                target_id=target,
                parent_id=parent,
                ip=ip,
                user_agent=user_agent.decode("latin-1"),
                referer=referer.decode("latin-1") or None,
                country_header=country.decode("latin-1") if country else None,
                qr=qr,
            )
        )

    async def _not_found(self, send: Send, method: str, dedicated: bool) -> bool:
        if not dedicated:
            return False
        status, headers, body = _NOT_FOUND
        await self._send(send, method, status, headers, body)
        return True

    @staticmethod
    def _host(scope: Scope) -> str | None:
        for name, value in scope["headers"]:
            if name == b"host":
                host = value.decode("latin-1").lower()
                if host.startswith("["):
                    return host[1 : host.find("]")]
                return host.rsplit(":", 1)[0]
        return None

    @staticmethod
    async def _send(send: Send, method: str, status: int, headers: Headers, body: bytes) -> None:
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else body})
