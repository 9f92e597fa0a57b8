"""Puts the redirect handler in front of the API, with its cache and change poller."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from xqr.db.changelog import ChangeLogPoller
from xqr.links.service import code_changes
from xqr.redirect.cache import LinkCache
from xqr.redirect.handler import RedirectHandler, normalise_host

if TYPE_CHECKING:
    from xqr.app import XqrApp


def install(app: XqrApp) -> None:
    settings = app.ctx.settings
    cache = LinkCache(
        app.ctx.read_engine, own_hosts=settings.loop_hosts, short_base=settings.short_base
    )
    short = normalise_host(urlsplit(settings.short_base).netloc).decode()
    public = normalise_host(urlsplit(settings.public_url).netloc).decode()
    handler = RedirectHandler(
        cache,
        app.ctx.parts.scan_buffer,
        trusted_proxies=settings.trusted_proxies,
        country_header=settings.country_header,
        short_host=short if short != public else None,
        secret=settings.secret,
        password_attempts=settings.link_password_attempts,
        password_window_seconds=settings.link_password_window_seconds,
        secure_cookies=settings.short_base.startswith("https://"),
    )
    handler.base_hosts.update(normalise_host(host) for host in (short, public))
    handler.base_hosts.update(host.encode() for host in settings.loop_hosts)
    handler.strict_hosts = settings.domains_strict_hosts
    handler.own_names.update(settings.loop_hosts | settings.short_hosts)
    handler.own_names.add((urlsplit(settings.bio_base).hostname or "").lower())
    app.ctx.parts.link_cache = cache
    app.ctx.parts.redirect_handler = handler
    app.front.append(handler)
    changes, code = code_changes()
    app.background.append(
        ChangeLogPoller(
            changes,
            code,
            cache.invalidate,
            read_engine=app.ctx.read_engine,
            write_engine=app.ctx.engine,
            interval=settings.cache_poll_interval_ms / 1000,
        )
    )
