"""What the OpenAPI document says about failures: the error envelope of every operation."""

from __future__ import annotations

from typing import Any

from xqr.core.envelope import ErrorEnvelope

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorEnvelope, "description": description}
    for status, description in {
        400: "VALIDATION_ERROR",
        401: "INVALID_API_KEY, REVOKED_API_KEY or EXPIRED_API_KEY",
        403: "INSUFFICIENT_SCOPE, FEATURE_NOT_AVAILABLE or PLAN_LIMIT_EXCEEDED",
        404: "RESOURCE_NOT_FOUND",
        429: "RATE_LIMIT_EXCEEDED or BURST_LIMIT_EXCEEDED",
    }.items()
}
