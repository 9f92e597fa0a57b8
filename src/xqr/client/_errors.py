"""The SDK's exceptions and the mapping from an error response to one of them."""

from __future__ import annotations

from typing import Any

import httpx


class XQRError(Exception):
    """Base of every exception the SDK raises."""


class XQRConnectionError(XQRError):
    """The server could not be reached, or did not answer in time."""


class APIError(XQRError):
    """The API answered with an error envelope (or a non-2xx status without one)."""

    def __init__(
        self,
        message: str,
        *,
        code: str,
        status: int,
        request_id: str | None = None,
        details: list[dict[str, Any]] | None = None,
        headers: httpx.Headers | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.request_id = request_id
        self.details = details or []
        self.headers = headers if headers is not None else httpx.Headers()

    def __str__(self) -> str:
        text = f"{self.code} ({self.status}): {self.message}"
        if self.request_id:
            text += f" [request_id={self.request_id}]"
        return text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code!r}, status={self.status}, "
            f"message={self.message!r}, request_id={self.request_id!r})"
        )


class ValidationError(APIError):
    """400: the request was malformed or broke a field's rules (see `details`)."""


class AuthenticationError(APIError):
    """401: the API key is missing, malformed, unknown, revoked or expired."""


class PermissionDeniedError(APIError):
    """403: missing scope, a feature the plan lacks, or a plan limit reached."""


class NotFoundError(APIError):
    """404: the resource does not exist (or belongs to another workspace)."""


class ConflictError(APIError):
    """409: a custom slug is taken, or the resource is in the wrong state."""


class RateLimitError(APIError):
    """429: burst or monthly quota exceeded; `retry_after` says how long to wait (seconds)."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(APIError):
    """5xx: the server failed; safe to retry idempotent calls later."""


_BY_STATUS: dict[int, type[APIError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitError,
}


def retry_after_seconds(headers: httpx.Headers) -> float | None:
    """`Retry-After` as seconds (the API sends whole seconds; HTTP dates are not used)."""
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def error_from_response(response: httpx.Response) -> APIError:
    """The exception for a non-2xx response, from its envelope when it has one."""
    status = response.status_code
    code, message, details = f"HTTP_{status}", response.reason_phrase or "HTTP error", None
    request_id = response.headers.get("x-request-id")
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        code = str(error.get("code", code))
        message = str(error.get("message", message))
        details = error.get("details")
        meta = body.get("meta")
        if isinstance(meta, dict) and meta.get("request_id"):
            request_id = str(meta["request_id"])
    cls = ServerError if status >= 500 else _BY_STATUS.get(status, APIError)
    kwargs: dict[str, Any] = {
        "code": code,
        "status": status,
        "request_id": request_id,
        "details": details if isinstance(details, list) else None,
        "headers": response.headers,
    }
    if cls is RateLimitError:
        return RateLimitError(message, retry_after=retry_after_seconds(response.headers), **kwargs)
    return cls(message, **kwargs)
