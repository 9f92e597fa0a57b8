"""The error-code table and the exception every layer raises to answer with an error."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ErrorSpec:
    status: int
    description: str
    fix: str


# The reference's table first, then the codes DESIGN.md adds for transport-level failures.
ERROR_CODES: dict[str, ErrorSpec] = {
    "INVALID_API_KEY": ErrorSpec(
        401, "Key is malformed or not found", "Check key format: xqr_pk_{prefix}.{secret}"
    ),
    "REVOKED_API_KEY": ErrorSpec(401, "Key has been revoked", "Create a new key"),
    "EXPIRED_API_KEY": ErrorSpec(401, "Key has expired", "Create or rotate key"),
    "INSUFFICIENT_SCOPE": ErrorSpec(
        403, "Key lacks required scope", "Add scope to key or create new key with scope"
    ),
    "FEATURE_NOT_AVAILABLE": ErrorSpec(403, "Plan doesn't include feature", "Upgrade plan"),
    "PLAN_LIMIT_EXCEEDED": ErrorSpec(
        403, "Resource limit reached", "Delete resources or upgrade plan"
    ),
    "VALIDATION_ERROR": ErrorSpec(400, "Invalid request body", "Check field types and constraints"),
    "SLUG_TAKEN": ErrorSpec(409, "Custom slug already in use", "Choose different slug"),
    "CONFLICT": ErrorSpec(
        409, "The resource is not in a state that allows this", "Check the resource's status"
    ),
    "RATE_LIMIT_EXCEEDED": ErrorSpec(
        429, "Monthly quota exhausted", "Wait for billing cycle reset or upgrade"
    ),
    "BURST_LIMIT_EXCEEDED": ErrorSpec(
        429, "Too many requests/second", "Add backoff, check Retry-After header"
    ),
    "INVALID_UPLOAD_URL": ErrorSpec(
        403,
        "Presigned upload URL expired, altered, or used with another Content-Type",
        "Request a new URL and send the Content-Type it names",
    ),
    "INVALID_DOWNLOAD_URL": ErrorSpec(
        403,
        "Signed report download URL expired or altered",
        "Get a fresh URL from the run (GET /reports/runs/{run_id})",
    ),
    "RESOURCE_NOT_FOUND": ErrorSpec(404, "Resource doesn't exist", "Verify resource ID"),
    "METHOD_NOT_ALLOWED": ErrorSpec(
        405, "The path exists but not with this HTTP method", "Check the method"
    ),
    "PAYLOAD_TOO_LARGE": ErrorSpec(413, "Request body over the limit", "Send a smaller body"),
    "INTERNAL_ERROR": ErrorSpec(
        500,
        "Unexpected server error",
        "Retry with exponential backoff; contact support with request_id",
    ),
    "SERVICE_UNAVAILABLE": ErrorSpec(
        503,
        "The database cannot be reached for the moment",
        "Retry after the Retry-After header's seconds",
    ),
}


class ApiError(Exception):
    """An error answered to the client in the error envelope."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        if code not in ERROR_CODES:
            raise KeyError(f"unknown error code {code}")
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = ERROR_CODES[code].status
        self.details = details
        self.headers = headers or {}


def not_found(what: str = "Resource") -> ApiError:
    return ApiError("RESOURCE_NOT_FOUND", f"{what} not found.")


def validation_error(field: str, message: str) -> ApiError:
    return ApiError(
        "VALIDATION_ERROR",
        f"{field}: {message}",
        details=[{"field": field, "message": message}],
    )


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    path = ""
    for part in parts:
        path += f"[{part}]" if part.isdigit() else (f".{part}" if path else part)
    return path or "body"


def _describe(error: dict[str, Any]) -> tuple[str, str]:
    kind = error.get("type", "")
    field = _field_path(tuple(error.get("loc", ())))
    if kind == "json_invalid":
        return "body", "Malformed JSON body."
    if kind == "extra_forbidden":
        return field, "Unknown field."
    if kind == "missing":
        return field, "Field required."
    message = str(error.get("msg", "Invalid value."))
    message = message.removeprefix("Value error, ")
    return field, message


def validation_failed(errors: list[dict[str, Any]]) -> ApiError:
    """VALIDATION_ERROR for a list of Pydantic errors: every field in `details`, the first in
    the message. Shared by the request validation handler and services that validate stored
    or nested data themselves."""
    details = [{"field": f, "message": m} for f, m in map(_describe, errors)]
    first = details[0] if details else {"field": "body", "message": "Invalid request."}
    summary = (
        first["message"] if first["field"] == "body" else f"{first['field']}: {first['message']}"
    )
    if len(details) > 1:
        summary += f" (and {len(details) - 1} more)"
    return ApiError("VALIDATION_ERROR", summary, details=details)
