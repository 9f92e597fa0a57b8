"""The dashboard: a server-rendered app at `/dashboard`, in front of the API.

It has its own FastAPI instance so its errors are pages, not JSON envelopes, and calls the
domains' services with a principal built from the session (never the HTTP API).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from xqr.assets import service as assets
from xqr.context import AppContext
from xqr.core.errors import ApiError
from xqr.core.middleware import RequestContextMiddleware, header
from xqr.dashboard import (
    analytics_pages,
    assets_pages,
    bio_pages,
    domains_pages,
    first_run,
    link_import,
    links,
    members,
    qr_pages,
    reports_pages,
    settings_pages,
    signin,
    webhooks_pages,
)
from xqr.dashboard.web import (
    FRAMING_HEADERS,
    PREFIX,
    SECURITY_HEADERS,
    DashboardError,
    SignInNeeded,
    content_security_policy,
    redirect,
    render,
)
from xqr.workspaces.roles import RoleRequired

logger = logging.getLogger("xqr.dashboard")
_ERROR_TITLES = {400: "Bad request", 404: "Not found", 405: "Not allowed", 413: "Too large"}


def _error_page(request: Request, error: DashboardError) -> Response:
    headers = {"Retry-After": str(error.retry_after)} if error.retry_after else None
    return render(
        request,
        "errors/error.html.j2",
        status=error.status,
        headers=headers,
        title=error.title,
        message=error.message,
    )


async def _dashboard_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DashboardError)
    return _error_page(request, exc)


async def _sign_in_needed(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInNeeded)
    target = f"{PREFIX}/signin"
    if exc.next_path and exc.next_path not in (PREFIX, f"{PREFIX}/"):
        target += f"?next={quote(exc.next_path, safe='/')}"
    if request.headers.get("hx-request"):
        # htmx follows redirects inside the page; make it load the sign-in page instead.
        return Response(status_code=204, headers={"HX-Redirect": target})
    return redirect(target)


async def _role_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RoleRequired)
    return _error_page(
        request,
        DashboardError(
            403,
            "Not allowed",
            f"{exc} Your role in this workspace does not allow it; ask an admin or owner.",
        ),
    )


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    title = "Not found" if exc.status == 404 else "That did not work"
    return _error_page(request, DashboardError(exc.status, title, exc.message))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code if exc.status_code in _ERROR_TITLES else 400
    message = {
        404: "There is no page at this address.",
        405: "This page does not accept that kind of request.",
        413: "What was sent is larger than this server accepts.",
    }.get(status, "The request could not be understood.")
    return _error_page(request, DashboardError(status, _ERROR_TITLES[status], message))


async def _unexpected(request: Request, exc: Exception) -> Response:
    request_id = request.scope.get("state", {}).get("request_id")
    logger.exception("dashboard request %s failed", request_id, exc_info=exc)
    return _error_page(
        request,
        DashboardError(
            500,
            "Something went wrong",
            f"The server could not finish this. Quote {request_id} when reporting it.",
        ),
    )


async def _invalid_request(request: Request, exc: Exception) -> Response:
    return _error_page(
        request, DashboardError(400, "Bad request", "The request could not be understood.")
    )


class SecurityHeaders:
    """Content-Security-Policy and friends on every dashboard response; pages are not cached
    (a signed-out browser's back button must not show them)."""

    def __init__(self, app: ASGIApp, headers: list[tuple[bytes, bytes]] | None = None) -> None:
        self.app = app
        self.headers = headers if headers is not None else SECURITY_HEADERS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        is_static = scope["path"].startswith(f"{PREFIX}/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                own_csp = any(name.lower() == b"content-security-policy" for name, _ in headers)
                headers.extend(
                    (name, value)
                    for name, value in self.headers
                    if not (own_csp and name in FRAMING_HEADERS)
                )
                if is_static:
                    headers.append((b"cache-control", b"public, max-age=31536000, immutable"))
                elif all(name.lower() != b"cache-control" for name, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def build_dashboard(ctx: AppContext) -> FastAPI:
    dashboard = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    dashboard.state.ctx = ctx
    for router in (
        signin.router,
        link_import.router,  # before links: /links/import is not a link id
        links.router,
        qr_pages.router,
        bio_pages.router,
        first_run.router,
        assets_pages.router,
        analytics_pages.router,
        settings_pages.router,
        members.router,
        webhooks_pages.router,
        domains_pages.router,
        reports_pages.router,
    ):
        dashboard.include_router(router, prefix=PREFIX)
    # Static files only: compressing pages that carry a CSRF token next to text a visitor
    # controls would open them to BREACH-style guessing.
    dashboard.mount(
        f"{PREFIX}/static",
        GZipMiddleware(StaticFiles(packages=[("xqr.dashboard", "static")]), minimum_size=1024),
        name="static",
    )
    dashboard.add_exception_handler(DashboardError, _dashboard_error)
    dashboard.add_exception_handler(SignInNeeded, _sign_in_needed)
    dashboard.add_exception_handler(RoleRequired, _role_required)
    dashboard.add_exception_handler(ApiError, _api_error)
    dashboard.add_exception_handler(StarletteHTTPException, _http_error)
    dashboard.add_exception_handler(RequestValidationError, _invalid_request)
    dashboard.add_exception_handler(Exception, _unexpected)
    return dashboard


def _security_headers(ctx: AppContext) -> list[tuple[bytes, bytes]]:
    """The headers with the asset store's upload origin in connect-src when it is another
    origin than the dashboard's (S3, or a filesystem store behind another host name)."""
    origin = assets.storage_of(ctx).upload_origin()
    public = urlsplit(ctx.settings.public_url)
    if origin == f"{public.scheme}://{public.netloc}":
        return SECURITY_HEADERS
    policy = content_security_policy((origin,)).encode()
    return [
        (name, policy if name == b"content-security-policy" else value)
        for name, value in SECURITY_HEADERS
    ]


def _wants_html(scope: Scope) -> bool:
    accept = header(scope, b"accept") or ""
    return "text/html" in accept


class DashboardFront:
    """Front handler: `/dashboard…` goes to the dashboard; a browser opening `/` is sent there
    (API clients asking for `/` still get the API's JSON 404)."""

    def __init__(self, ctx: AppContext) -> None:
        self.app: Any = RequestContextMiddleware(
            SecurityHeaders(build_dashboard(ctx), _security_headers(ctx)),
            max_body_bytes=ctx.settings.max_body_bytes,
            # CSV imports carry their own, larger limit (IMPORT_MAX_BYTES).
            uncapped_prefixes=(f"{PREFIX}/links/import",),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> bool:
        path: str = scope["path"]
        if path == PREFIX or path.startswith(f"{PREFIX}/"):
            await self.app(scope, receive, send)
            return True
        if path == "/" and scope["method"] in ("GET", "HEAD") and _wants_html(scope):
            await send(
                {
                    "type": "http.response.start",
                    "status": 302,
                    "headers": [(b"location", PREFIX.encode()), (b"content-length", b"0")],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return True
        return False
