"""Plugs the links endpoints into the app, and the destination health checker into the
processes that run background work."""

from __future__ import annotations

from typing import TYPE_CHECKING

from xqr.links.endpoints import router
from xqr.links.health import HealthChecker

if TYPE_CHECKING:
    from xqr.app import XqrApp


def install(app: XqrApp) -> None:
    app.include_api(router)
    if app.ctx.settings.run_background:
        checker = HealthChecker(app.ctx.settings, app.ctx.sessionmaker)
        app.ctx.parts.link_health = checker
        app.background.append(checker)
