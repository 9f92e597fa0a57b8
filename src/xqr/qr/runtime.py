"""Plugs the QR endpoints into the app, with the renderer (caches, logo client) they share."""

from __future__ import annotations

from typing import TYPE_CHECKING

from xqr.qr.endpoints import links_router, router
from xqr.qr.images import CachedImages
from xqr.qr.rendering import QrRenderer
from xqr.qr.service import count_templates
from xqr.workspaces.usage import register_usage_counter

if TYPE_CHECKING:
    from xqr.app import XqrApp


def install(app: XqrApp) -> None:
    register_usage_counter("qr_templates", count_templates)
    app.include_api(router)
    app.include_api(links_router)
    app.wrap_api(lambda api: CachedImages(api, app.ctx))
    # A background part so the lifespan stops its render workers and closes its HTTP client.
    app.background.append(QrRenderer.of(app.ctx))
