"""The verified-key cache and the poller that keeps it current across processes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Table

from xqr.auth.cache import KeyCache
from xqr.auth.models import AuthChange
from xqr.auth.quota import QuotaCounter
from xqr.db.changelog import ChangeLogPoller

if TYPE_CHECKING:
    from xqr.app import XqrApp

KEY_CACHE = "auth.key_cache"
QUOTA = "auth.quota"


def install(app: XqrApp) -> None:
    cache = KeyCache(app.ctx.read_engine)
    app.ctx.parts[KEY_CACHE] = cache
    quota = app.ctx.parts[QUOTA] = QuotaCounter(app.ctx.engine)
    app.background.append(quota)
    changes: Table = AuthChange.__table__  # type: ignore[assignment]
    app.background.append(
        ChangeLogPoller(
            changes,
            changes.c.key,
            cache.invalidate,
            read_engine=app.ctx.read_engine,
            write_engine=app.ctx.engine,
            interval=app.ctx.settings.cache_poll_interval_ms / 1000,
        )
    )
