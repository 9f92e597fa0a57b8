"""Plugs assets into the app: the storage backend, the API, usage counters, upload/CDN routes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from xqr.assets import service
from xqr.assets.endpoints import router
from xqr.assets.public import router as public_router
from xqr.assets.storage import build_storage
from xqr.workspaces.usage import register_usage_counter

if TYPE_CHECKING:
    from xqr.app import XqrApp


def install(app: XqrApp) -> None:
    storage = build_storage(app.ctx.settings)
    app.ctx.parts.asset_storage = storage
    register_usage_counter("assets", service.count_assets)
    register_usage_counter("storage_bytes", service.count_storage_bytes)
    app.include_api(router)
    if storage.backend == "filesystem":
        app.api.include_router(public_router)
