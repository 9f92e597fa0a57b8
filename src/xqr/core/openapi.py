"""Envelope models for the OpenAPI document; handlers return ready responses."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel

T = TypeVar("T")


class RateLimitMeta(BaseModel):
    limit: int
    remaining: int
    reset: int


class Meta(BaseModel):
    request_id: str
    rate_limit: RateLimitMeta | None = None


class ListMeta(Meta):
    total: int
    limit: int
    offset: int


class Envelope(BaseModel, Generic[T]):
    data: T
    meta: Meta


class ListEnvelope(BaseModel, Generic[T]):
    data: list[T]
    meta: ListMeta


class ErrorBody(BaseModel):
    code: str
    message: str
    status: int
    details: list[dict[str, Any]] | None = None


class ErrorEnvelope(BaseModel):
    error: ErrorBody
    meta: Meta


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
