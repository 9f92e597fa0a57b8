"""Plugs the analytics endpoints into the app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from xqr.analytics.endpoints import router

if TYPE_CHECKING:
    from xqr.app import XqrApp


def install(app: XqrApp) -> None:
    app.include_api(router)
