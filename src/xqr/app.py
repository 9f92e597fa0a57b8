"""`create_app(settings)`: the ASGI app — the lean redirect path in front, FastAPI behind it."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, Protocol

from fastapi import APIRouter, FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from xqr import __version__
from xqr.config import Settings, get_settings
from xqr.context import AppContext
from xqr.core.handlers import install_error_handlers
from xqr.core.logging import install_redaction
from xqr.core.middleware import RequestContextMiddleware
from xqr.core.openapi import ERROR_RESPONSES, install_openapi
from xqr.ops.requests import RequestCounts

logger = logging.getLogger("xqr")

API_PREFIX = "/api/v1"
# Paths whose bodies are not capped by `max_body_bytes` (uploads carry their own limit).
UNCAPPED_PREFIXES = ("/_uploads/",)


# How long a shutdown waits for each background part to stop. A database outage must not hold
# a shutdown up: what the scan writer has not stored stays in its journal for the next start.
PART_STOP_SECONDS = 6.0
EXIT_GRACE_SECONDS = 3.0


async def _stop_within(part: Any, seconds: float, what: str | None = None) -> None:
    """Stop a part, waiting at most `seconds`: one stuck on the database is left behind
    (cancelled, not waited for: cancelling does not interrupt a driver call in progress)."""
    name = what or type(part).__name__
    task = asyncio.ensure_future(part.close() if what else part.stop())
    done, _ = await asyncio.wait([task], timeout=seconds)
    if not done:
        task.cancel()
        logger.warning("%s did not finish within %g s at shutdown", name, seconds)
    elif task.exception() is not None:
        logger.error("%s failed at shutdown: %r", name, task.exception())


def _exit_soon() -> None:
    """End the process `EXIT_GRACE_SECONDS` from now unless it has ended by itself.

    When the database is unreachable (SQLite locked by another process, say), a driver thread
    may still be waiting on it after every part has stopped, and the interpreter waits for such
    threads before it exits. Everything that matters is on disk by now (the scan journal is
    synced and closed), so a shutdown is not left waiting on the database."""

    def exit_now() -> None:
        time.sleep(EXIT_GRACE_SECONDS)
        logging.shutdown()
        os._exit(0)

    threading.Thread(target=exit_now, name="xqr-exit", daemon=True).start()


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
    from xqr.cluster.runtime import install as cluster
    from xqr.dashboard.runtime import install as dashboard
    from xqr.domains.runtime import install as domains
    from xqr.links.runtime import install as links
    from xqr.mcp.runtime import install as mcp
    from xqr.ops.runtime import install as ops
    from xqr.qr.runtime import install as qr
    from xqr.redirect.runtime import install as redirect
    from xqr.reports.runtime import install as reports
    from xqr.scans.runtime import install as scans
    from xqr.webhooks.runtime import install as webhooks
    from xqr.workspaces.runtime import install as workspaces

    # Order matters: the redirect handler needs the scan buffer; /mcp answers before it; the
    # dashboard's paths are reserved words, so it may come after the redirect handler; the
    # cluster part paces the change-log pollers the others added, so it comes last.
    return [
        auth,
        workspaces,
        scans,
        mcp,
        redirect,
        dashboard,
        links,
        domains,
        assets,
        qr,
        bio,
        webhooks,
        analytics,
        reports,
        cluster,
        ops,
    ]


class XqrApp:
    """The whole server: front handlers (redirects, public pages) then the API."""

    # Set for long-running server processes (`create_server_app`): once started, everything
    # loaded so far (modules, routes, warmed caches: tens of thousands of objects that live as
    # long as the process) is moved out of the cyclic garbage collector's reach. Otherwise
    # each full collection walks all of it, a pause of tens of milliseconds on the event loop
    # that every request in flight, redirects included, waits out.
    freeze_after_start = False
    # Set for `xqr serve` processes too: once stopped, the process exits within seconds even
    # if a database driver's thread is still blocked (see `_exit_soon`).
    exit_after_stop = False

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.front: list[FrontHandler] = []
        self.background: list[Part] = []
        # /readyz's checks beyond the database: name → (ok, reason). One failing degrades the
        # service (reported, still 200); only the database makes a process unready (503).
        self.readiness: dict[str, Callable[[], tuple[bool, str]]] = {}
        self.requests = RequestCounts()  # by route group and status, for `/metrics`
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
                    await _stop_within(part, PART_STOP_SECONDS)
                await _stop_within(ctx, PART_STOP_SECONDS, "closing the database connections")
                if self.exit_after_stop:
                    _exit_soon()

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
        return api

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            counted = self.requests.counting(scope["path"], send)
            for handler in self.front:
                # The redirect handler counts its own answers (`xqr.redirect.stats`).
                if await handler(
                    scope, receive, send if getattr(handler, "counts_itself", False) else counted
                ):
                    return
            send = counted
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
    app.exit_after_stop = True
    return app
