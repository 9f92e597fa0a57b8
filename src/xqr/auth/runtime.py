"""The verified-key cache and the poller that keeps it current across processes, the quota
counter, and the failed-authentication counts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Table

from xqr.auth.cache import KeyCache
from xqr.auth.failures import FailedAuthentications
from xqr.auth.models import AuthChange
from xqr.auth.quota import QuotaCounter
from xqr.db.changelog import ChangeLogPoller

if TYPE_CHECKING:
    from xqr.app import XqrApp


def install(app: XqrApp) -> None:
    settings = app.ctx.settings
    cache = KeyCache(app.ctx.read_engine)
    app.ctx.parts.key_cache = cache
    app.ctx.parts.failed_authentications = FailedAuthentications(
        limit=settings.auth_failure_limit,
        window=settings.auth_failure_window_seconds,
        trusted_proxies=settings.trusted_proxies,
    )
    quota = app.ctx.parts.quota = QuotaCounter(app.ctx.engine)
    app.background.append(quota)
    changes: Table = AuthChange.__table__  # type: ignore[assignment]
    app.background.append(
        ChangeLogPoller(
            changes,
            changes.c.key,
            cache.invalidate,
            read_engine=app.ctx.read_engine,
            write_engine=app.ctx.engine,
            interval=settings.cache_poll_interval_ms / 1000,
        )
    )
