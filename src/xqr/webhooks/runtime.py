"""Plugs the webhook endpoints into the app, and the dispatcher into `xqr serve`."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from xqr.webhooks.dispatcher import Dispatcher
from xqr.webhooks.endpoints import router
from xqr.webhooks.secret_store import SigningSecrets
from xqr.webhooks.service import count_webhooks, seal_plain_secrets
from xqr.workspaces.usage import register_usage_counter

if TYPE_CHECKING:
    from xqr.app import XqrApp

logger = logging.getLogger("xqr.webhooks")


class SealPlainSecrets:
    """Start-up step: seals the signing secrets that earlier versions stored in plain text.

    A migration cannot do it (it does not know the server secret); until this has run, such
    rows are read as they are, so deliveries go on meanwhile."""

    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], secrets: SigningSecrets
    ) -> None:
        self.sessionmaker = sessionmaker
        self.secrets = secrets

    async def start(self) -> None:
        async with self.sessionmaker() as session:
            sealed = await seal_plain_secrets(session, self.secrets)
            await session.commit()
        if sealed:
            logger.info("sealed %d webhook signing secrets stored in plain text", sealed)

    async def stop(self) -> None:
        pass


def install(app: XqrApp) -> None:
    app.include_api(router)
    register_usage_counter("webhooks", count_webhooks)
    secrets = app.ctx.parts.webhook_secrets = SigningSecrets(app.ctx.settings.secret)
    app.background.append(SealPlainSecrets(app.ctx.sessionmaker, secrets))
    if app.ctx.settings.run_background:
        dispatcher = Dispatcher(app.ctx.settings)
        app.ctx.parts.webhook_dispatcher = dispatcher
        app.background.append(dispatcher)
