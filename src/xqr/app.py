"""`create_app(settings)`: the ASGI app — the lean redirect path in front, FastAPI behind it."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, Protocol

from fastapi import APIRouter, FastAPI
from sqlalchemy import text
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from xqr import __version__
from xqr.config import Settings, get_settings
from xqr.context import AppContext
from xqr.core.handlers import install_error_handlers
from xqr.core.logging import install_redaction
from xqr.core.middleware import RequestContextMiddleware
from xqr.core.openapi import ERROR_RESPONSES, install_openapi

logger = logging.getLogger("xqr")

API_PREFIX = "/api/v1"
# Paths whose bodies are not capped by `max_body_bytes` (uploads carry their own limit).
UNCAPPED_PREFIXES = ("/_uploads/",)


class Part(Protocol):
    """A background part of the app (scan writer, cache poller, dispatcher)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


# A front handler answers a request before FastAPI, or returns False to pass it on.
FrontHandler = Callable[[Any, Any, Any], Awaitable[bool]]


def _installers() -> list[Callable[[XqrApp], None]]:
    """Each domain's `install(app)`: its routers, front handlers and background parts."""
    from xqr.analytics.runtime import install as analytics
    from xqr.assets.runtime import install as assets
    from xqr.auth.runtime import install as auth
    from xqr.bio.runtime import install as bio
    from xqr.dashboard.runtime import install as dashboard
    from xqr.links.runtime import install as links
    from xqr.mcp.runtime import install as mcp
    from xqr.qr.runtime import install as qr
    from xqr.redirect.runtime import install as redirect
    from xqr.reports.runtime import install as reports
    from xqr.scans.runtime import install as scans
    from xqr.webhooks.runtime import install as webhooks
    from xqr.workspaces.runtime import install as workspaces

    # Order matters: the redirect handler needs the scan buffer; /mcp answers before it; the
    # dashboard's paths are reserved words, so it may come after the redirect handler.
    return [
        auth,
        workspaces,
        scans,
        mcp,
        redirect,
        dashboard,
        links,
        assets,
        qr,
        bio,
        webhooks,
        analytics,
        reports,
    ]


class XqrApp:
    """The whole server: front handlers (redirects, public pages) then the API."""

    # Set for long-running server processes (`create_server_app`): once started, everything
    # loaded so far (modules, routes, warmed caches: tens of thousands of objects that live as
    # long as the process) is moved out of the cyclic garbage collector's reach. Otherwise
    # each full collection walks all of it, a pause of tens of milliseconds on the event loop
    # that every request in flight, redirects included, waits out.
    freeze_after_start = False

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.front: list[FrontHandler] = []
        self.background: list[Part] = []
        self.api = self._build_api()
        self._api_stack = RequestContextMiddleware(
            self.api,
            max_body_bytes=ctx.settings.max_body_bytes,
            uncapped_prefixes=UNCAPPED_PREFIXES,
        )

    def wrap_api(self, wrap: Callable[[ASGIApp], ASGIApp]) -> None:
        """Put a pure ASGI layer in front of FastAPI, behind the request context (request ids,
        rate-limit headers, the body cap), which it shares with the API."""
        self._api_stack.app = wrap(self._api_stack.app)

    def include_api(self, router: APIRouter) -> None:
        """Mount a domain's router under `/api/v1`."""
        self.api.include_router(router, prefix=API_PREFIX, responses=ERROR_RESPONSES)

    def _build_api(self) -> FastAPI:
        ctx = self.ctx

        @asynccontextmanager
        async def lifespan(api: FastAPI) -> AsyncIterator[None]:
            install_redaction()
            started: list[Part] = []
            frozen = False
            try:
                for part in self.background:
                    await part.start()
                    started.append(part)
                if self.freeze_after_start:
                    gc.collect()  # so no garbage is frozen with the rest
                    gc.freeze()
                    frozen = True
                yield
            finally:
                if frozen:
                    gc.unfreeze()
                for part in reversed(started):
                    await part.stop()
                await ctx.close()

        api = FastAPI(
            title="xQR API",
            version=__version__,
            summary="Short links with conditional routing, QR codes, scan analytics, "
            "link-in-bio pages, assets and webhooks.",
            openapi_url=f"{API_PREFIX}/openapi.json",
            docs_url="/api/docs",
            redoc_url=None,
            lifespan=lifespan,
        )
        api.state.ctx = ctx
        install_error_handlers(api)
        install_openapi(api)

        @api.get("/healthz", include_in_schema=False)
        async def healthz() -> JSONResponse:
            async with ctx.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return JSONResponse({"status": "ok", "version": __version__})

        return api

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for handler in self.front:
                if await handler(scope, receive, send):
                    return
        await self._api_stack(scope, receive, send)


def create_app(settings: Settings | None = None) -> XqrApp:
    settings = settings or get_settings()
    app = XqrApp(AppContext.from_settings(settings))
    for install in _installers():
        install(app)
    return app


def create_server_app() -> XqrApp:
    """`xqr serve`'s factory: the app of a long-running process (see `freeze_after_start`)."""
    app = create_app()
    app.freeze_after_start = True
    return app
