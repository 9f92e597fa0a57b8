"""Every failure in the error envelope: validation, unknown routes, methods, crashes."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match

from xqr.core.envelope import error_body
from xqr.core.errors import ApiError, validation_failed

logger = logging.getLogger("xqr.errors")


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(request, exc)


def _body_too_large(request: Request) -> bool:
    return bool(request.scope.get("state", {}).get("body_too_large"))


def _too_large_error() -> ApiError:
    return ApiError("PAYLOAD_TOO_LARGE", "Request body too large.")


async def _validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if _body_too_large(request):
        return error_body(request, _too_large_error())
    return error_body(request, validation_failed(list(exc.errors())))


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if _body_too_large(request) or exc.status_code == 413:
        error = _too_large_error()
    elif exc.status_code == 404:
        error = ApiError("RESOURCE_NOT_FOUND", "No such endpoint. Check the path.")
    elif exc.status_code == 405:
        error = ApiError(
            "METHOD_NOT_ALLOWED", f"{request.method} is not allowed on {request.url.path}."
        )
        # The router names only the methods of the first route matching the path; a path
        # served by several routes (GET, PATCH and DELETE of one resource) takes them all,
        # so each method is tried against every route.
        routes = request.app.router.routes
        allowed = [
            method
            for method in ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")
            if any(
                route.matches({**request.scope, "method": method})[0] is Match.FULL
                for route in routes
            )
        ]
        allow = ", ".join(allowed) or (exc.headers or {}).get("Allow")
        if allow:
            error.headers["Allow"] = allow
    elif exc.status_code in (400, 422):
        error = ApiError("VALIDATION_ERROR", str(exc.detail))
    else:
        error = ApiError("INTERNAL_ERROR", "Unexpected server error.")
    return error_body(request, error)


async def _unhandled(request: Request, exc: Exception) -> Response:
    return error_response(request, exc)


def _internal_error(request: Request) -> Response:
    request_id = _request_id(request)
    return error_body(
        request,
        ApiError(
            "INTERNAL_ERROR",
            f"Unexpected server error. Quote request id {request_id} when reporting it.",
        ),
    )


def error_response(request: Request, exc: Exception) -> Response:
    """The envelope for an error raised outside FastAPI's handlers (the API's ASGI fast paths)."""
    if isinstance(exc, ApiError):
        if exc.status >= 500:
            logger.error("request %s failed: %s", _request_id(request), exc)
        return error_body(request, exc)
    logger.exception(
        "request %s failed with an unexpected error", _request_id(request), exc_info=exc
    )
    return _internal_error(request)


def _request_id(request: Request) -> Any:
    return request.scope.get("state", {}).get("request_id")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unhandled)
