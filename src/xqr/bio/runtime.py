"""Plugs bio pages into the app: the API, the public page handler, its cache and poller."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from sqlalchemy import Table

from xqr.bio.cache import BioPageCache
from xqr.bio.endpoints import router
from xqr.bio.models import BioChange
from xqr.bio.public import BioFrontHandler, PageBuilder
from xqr.db.changelog import ChangeLogPoller
from xqr.redirect.handler import normalise_host

if TYPE_CHECKING:
    from xqr.app import XqrApp


def _assets_base(app: XqrApp) -> str | None:
    """Where published assets live, so avatars there pass the pages' CSP (http included)."""
    settings = app.ctx.settings
    storage = app.ctx.parts.asset_storage
    base = getattr(storage, "public_base_url", None)
    return base or settings.assets_public_base_url or f"{settings.public_url}/cdn"


def install(app: XqrApp) -> None:
    settings = app.ctx.settings
    builder = PageBuilder(bio_base=settings.bio_base, assets_base=_assets_base(app))
    cache = BioPageCache(app.ctx.read_engine, builder.build)
    other_hosts = {h for h in (urlsplit(settings.public_url).hostname, *settings.short_hosts) if h}
    handler = BioFrontHandler(
        cache,
        app.ctx.parts.scan_buffer,
        bio_base=settings.bio_base,
        other_hosts=other_hosts,
        trusted_proxies=settings.trusted_proxies,
        country_header=settings.country_header,
    )
    app.ctx.parts.bio_cache = cache
    # Published pages on a custom domain whose purpose includes bio (see xqr.domains).
    app.ctx.parts.redirect_handler.bio_on_domain = handler.serve_on_domain
    if handler.serves_root:
        app.front.insert(0, handler)
        bio = urlsplit(settings.bio_base)
        if bio.hostname not in other_hosts:
            # On a host of its own, `/{slug}` is a page, never a short code: the redirect
            # handler (and the server's fast path) leave that host alone.
            app.ctx.parts.redirect_handler.skip_hosts.add(normalise_host(bio.netloc))
    else:
        app.front.append(handler)
    changes: Table = BioChange.__table__  # type: ignore[assignment]
    app.background.append(
        ChangeLogPoller(
            changes,
            changes.c.slug_lower,
            cache.invalidate,
            read_engine=app.ctx.read_engine,
            write_engine=app.ctx.engine,
            interval=settings.cache_poll_interval_ms / 1000,
        )
    )
    app.include_api(router)
