"""Puts the dashboard in front of the API: `/dashboard…`, and `/` for browsers."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from xqr.app import XqrApp


def install(app: XqrApp) -> None:
    from xqr.dashboard.app import DashboardFront

    app.front.append(DashboardFront(app.ctx))
