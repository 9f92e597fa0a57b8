"""Plugs the domains endpoints into the app, and re-verification into the processes that
run background work."""

from __future__ import annotations

from typing import TYPE_CHECKING

from xqr.domains.checker import DomainChecker
from xqr.domains.endpoints import router

if TYPE_CHECKING:
    from xqr.app import XqrApp


def install(app: XqrApp) -> None:
    app.include_api(router)
    if app.ctx.settings.run_background:
        app.background.append(DomainChecker(app.ctx.settings, app.ctx.sessionmaker))
