"""The in-process cache of short codes, invalidated across processes through Redis (when
configured) and by polling a change log."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy import JSON, Boolean, String, Uuid, text
from sqlalchemy.ext.asyncio import AsyncEngine

from xqr.core.cache import MISSING, LoadingCache
from xqr.db.base import UTCDateTime
from xqr.links.routing import Rule, parse_rules
from xqr.links.slugs import is_code_shaped
from xqr.links.utm import utm_pairs, with_utm
from xqr.redirect.controls import preview_page
from xqr.redirect.loops import Home, home_of

# Keys of custom domains and of their links carry a newline, which no request line can: a
# path never reaches them (the HTTP server's fast path looks keys up by path).
_SEPARATOR = "\n"


def domain_cache_key(hostname: str) -> str:
    """The key of a custom domain's entry (and of its change-log rows)."""
    return _SEPARATOR + hostname


def link_cache_key(domain_key: str, code: str) -> str:
    """A link's key: its code on the server's base, `host⏎code` on a custom domain."""
    return f"{domain_key}{_SEPARATOR}{code}" if domain_key else code


@dataclass(frozen=True, slots=True)
class DomainEntry:
    """A custom domain as the redirect path needs it."""

    domain_id: uuid.UUID
    workspace_id: uuid.UUID
    hostname: str
    serving: bool  # verified, or failed (a failed host keeps serving)
    links: bool
    bio: bool
    not_found: bytes | None  # Location of `not_found_url`
    root: bytes | None  # Location of `root_url`
    prefix: str  # of its links' keys


# Characters left as they are in Location; anything else (spaces, non-ASCII) is escaped.
_URL_SAFE = "!#$%&'()*+,-./:;=?@[]_~"


def location_header(url: str) -> bytes:
    if url.isascii() and " " not in url:
        return url.encode()
    return quote(url, safe=_URL_SAFE).encode()


@dataclass(frozen=True, slots=True)
class LinkEntry:
    link_id: uuid.UUID
    link_id_str: str
    workspace_id: uuid.UUID
    destination: str
    rules: tuple[Rule, ...]
    enabled: bool
    expires_at: datetime | None
    # How `destination`, and each rule destination that can, may lead back to this server.
    home: Home | None = None
    rule_homes: dict[str, Home] = field(default_factory=dict)
    # Link controls. `destination` and the rules' destinations already carry the link's UTM
    # parameters. `gated`: the link has a password or a preview, so a request is looked at
    # before it is redirected (one attribute test for every other link).
    code: str = ""
    uses_languages: bool = False  # a rule reads Accept-Language
    password_hash: str | None = None
    expired_url: str | None = None
    preview: bytes | None = None  # the page link-preview crawlers get
    gated: bool = False
    # The Location header for `destination` as it is (no rules, no query string to add).
    location: bytes = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "location", location_header(self.destination))


_DOMAIN_LOOKUP = text(
    "SELECT id, workspace_id, status, purpose, not_found_url, root_url FROM domains "
    "WHERE hostname = :hostname"
).columns(
    id=Uuid(),
    workspace_id=Uuid(),
    status=String(),
    purpose=String(),
    not_found_url=String(),
    root_url=String(),
)

_LOOKUP = text(
    "SELECT id, workspace_id, destination, routing_rules, enabled, expires_at, "
    "password_hash, expired_url, utm, preview FROM links "
    "WHERE domain_key = :domain AND code = :code"
).columns(
    id=Uuid(),
    workspace_id=Uuid(),
    destination=String(),
    routing_rules=JSON(),
    enabled=Boolean(),
    expires_at=UTCDateTime(),
    password_hash=String(),
    expired_url=String(),
    utm=JSON(),
    preview=JSON(),
)


def _stored_rules(raw: list[dict[str, Any]] | None) -> tuple[Rule, ...]:
    if not raw:
        return ()
    # Rules were validated when saved, destinations included.
    return tuple(parse_rules(raw, check_destination=lambda url: url))


class LinkCache(LoadingCache, kind="links"):
    """code → LinkEntry (or MISSING). Only code-shaped keys are ever stored, so a key found
    in `entries` is known to be code-shaped (the HTTP server's fast path relies on it)."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        max_entries: int = 200_000,
        own_hosts: frozenset[str] = frozenset(),
        short_base: str = "",
    ) -> None:
        super().__init__(max_entries=max_entries)
        self.engine = engine
        self.own_hosts = own_hosts  # names of this server (see `redirect.loops`)
        self.short_base = short_base  # for the preview page's og:url

    async def get(self, key: str) -> Any:
        """The entry of a link's key (`link_cache_key`): a code, or `host⏎code`."""
        if not is_code_shaped(key.rpartition(_SEPARATOR)[2]):
            return MISSING  # never stored, never looked up
        return await super().get(key)

    async def get_on(self, domain: DomainEntry, code: str) -> Any:
        """The entry of `code` on a custom domain (MISSING when it has no such link)."""
        if not is_code_shaped(code):
            return MISSING
        return await super().get(domain.prefix + code)

    async def get_domain(self, hostname: str) -> Any:
        """The custom domain of a host name, or MISSING (not a custom domain)."""
        return await super().get(domain_cache_key(hostname))

    async def _load(self, key: str) -> Any:
        domain_key, separator, code = key.rpartition(_SEPARATOR)
        if separator and not domain_key:
            return await self._load_domain(code)
        async with self.engine.connect() as conn:
            row = (await conn.execute(_LOOKUP, {"domain": domain_key, "code": code})).first()
        if row is None:
            return MISSING
        short_base = f"https://{domain_key}" if domain_key else self.short_base
        rules = _stored_rules(row.routing_rules)
        destination = row.destination
        utm = utm_pairs(row.utm)
        if utm:  # merged once here, so a redirect pays nothing for it
            destination = with_utm(destination, utm)
            rules = tuple(replace(r, destination=with_utm(r.destination, utm)) for r in rules)
        rule_homes = {r.destination: home_of(r.destination, self.own_hosts) for r in rules}
        page = None
        if row.preview:
            page = preview_page(
                title=row.preview.get("title"),
                description=row.preview.get("description"),
                image_url=row.preview.get("image_url"),
                short_url=f"{short_base}/{code}",
                destination=None if row.password_hash else destination,
            )
        return LinkEntry(
            link_id=row.id,
            link_id_str=str(row.id),
            workspace_id=row.workspace_id,
            destination=destination,
            rules=rules,
            enabled=bool(row.enabled),
            expires_at=row.expires_at,
            home=home_of(destination, self.own_hosts),
            rule_homes={url: home for url, home in rule_homes.items() if home is not None},
            code=code,
            uses_languages=any(r.languages is not None for r in rules),
            password_hash=row.password_hash,
            expired_url=row.expired_url,
            preview=page,
            gated=bool(row.password_hash or page),
        )

    async def _load_domain(self, hostname: str) -> Any:
        async with self.engine.connect() as conn:
            row = (await conn.execute(_DOMAIN_LOOKUP, {"hostname": hostname})).first()
        if row is None:
            return MISSING
        return DomainEntry(
            domain_id=row.id,
            workspace_id=row.workspace_id,
            hostname=hostname,
            serving=row.status in ("verified", "failed"),
            links=row.purpose in ("links", "both"),
            bio=row.purpose in ("bio", "both"),
            not_found=location_header(row.not_found_url) if row.not_found_url else None,
            root=location_header(row.root_url) if row.root_url else None,
            prefix=hostname + _SEPARATOR,
        )


def invalidate_everywhere(codes: Iterable[str]) -> None:
    """Drop codes from every link cache of this process (called after a change commits)."""
    LinkCache.invalidate_everywhere(codes)
