"""Plugs the webhook endpoints into the app, and the dispatcher into `xqr serve`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from xqr.webhooks.dispatcher import Dispatcher
from xqr.webhooks.endpoints import router
from xqr.webhooks.service import count_webhooks
from xqr.workspaces.usage import register_usage_counter

if TYPE_CHECKING:
    from xqr.app import XqrApp


def install(app: XqrApp) -> None:
    app.include_api(router)
    register_usage_counter("webhooks", count_webhooks)
    if app.ctx.settings.run_background:
        dispatcher = Dispatcher(app.ctx.settings)
        app.ctx.parts["webhooks.dispatcher"] = dispatcher
        app.background.append(dispatcher)
