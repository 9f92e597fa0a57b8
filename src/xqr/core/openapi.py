"""What the OpenAPI document says about failures: the error envelope of every operation."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from xqr.core.envelope import ErrorEnvelope

_ERRORS: dict[int, str] = {
    400: "VALIDATION_ERROR",
    401: "INVALID_API_KEY, REVOKED_API_KEY or EXPIRED_API_KEY",
    403: "INSUFFICIENT_SCOPE, FEATURE_NOT_AVAILABLE or PLAN_LIMIT_EXCEEDED",
    404: "RESOURCE_NOT_FOUND",
    409: "SLUG_TAKEN or CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    429: "RATE_LIMIT_EXCEEDED or BURST_LIMIT_EXCEEDED",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The error envelope documented for these statuses."""
    return {status: {"model": ErrorEnvelope, "description": _ERRORS[status]} for status in statuses}


# What any operation may answer.
ERROR_RESPONSES = error_responses(400, 401, 403, 404, 429)


def install_openapi(api: FastAPI) -> None:
    """Make the document say what the API answers beyond its routes' own declarations.

    FastAPI documents 422 for every operation with parameters, but the API answers a
    request that fails validation with 400 VALIDATION_ERROR in the error envelope; and any
    operation that takes a body may answer 413 (the body cap is applied in front of them all).
    """
    generate = api.openapi
    too_large = {
        str(status): {
            "description": response["description"],
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}
            },
        }
        for status, response in error_responses(413).items()
    }

    def openapi() -> dict[str, Any]:
        if api.openapi_schema is None:
            document = generate()
            for operations in document.get("paths", {}).values():
                for operation in operations.values():
                    responses = operation.setdefault("responses", {})
                    responses.pop("422", None)
                    if "requestBody" in operation:
                        responses.update(too_large)
            schemas = document.get("components", {}).get("schemas", {})
            for name in ("HTTPValidationError", "ValidationError"):
                schemas.pop(name, None)
        return api.openapi_schema or generate()

    api.openapi = openapi  # type: ignore[method-assign]
