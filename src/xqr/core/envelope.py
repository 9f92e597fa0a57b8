"""The response envelope: `{"data", "meta"}` on success, `{"error", "meta"}` on failure.

The models here are the wire format. An endpoint returns `Envelope[X]` or `ListEnvelope[X]`
and says so in its return annotation; FastAPI takes that annotation as the operation's
response schema and serialises the returned model through it, so the OpenAPI document and
the bytes sent come from one definition.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, Self, TypeVar

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from xqr.core.errors import ApiError
from xqr.core.schemas import ResponseModel, omitted_when_none

T = TypeVar("T")


@dataclass(frozen=True)
class RateLimitState:
    """What the rate limiter decided for this request, echoed in headers and `meta`."""

    limit: int
    remaining: int
    reset: int
    burst_limit: int
    burst_remaining: int
    retry_after: int | None = None

    def meta(self) -> RateLimitMeta:
        return RateLimitMeta(limit=self.limit, remaining=self.remaining, reset=self.reset)

    def headers(self) -> list[tuple[bytes, bytes]]:
        pairs = [
            (b"x-ratelimit-limit", self.limit),
            (b"x-ratelimit-remaining", self.remaining),
            (b"x-ratelimit-reset", self.reset),
            (b"x-ratelimit-burst-limit", self.burst_limit),
            (b"x-ratelimit-burst-remaining", self.burst_remaining),
        ]
        if self.retry_after is not None:
            pairs.append((b"retry-after", self.retry_after))
        return [(name, str(value).encode()) for name, value in pairs]


def dumps(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


class RateLimitMeta(ResponseModel):
    limit: int = Field(description="Monthly quota total.")
    remaining: int = Field(description="Monthly calls remaining.")
    reset: int = Field(description="Start of the next billing cycle, in Unix seconds.")


class Meta(ResponseModel):
    request_id: str = Field(description="Also in the `X-Request-ID` header.")
    rate_limit: RateLimitMeta | None = Field(
        None,
        exclude_if=omitted_when_none,
        description="On every response to a request whose key passed the key checks.",
    )

    @classmethod
    def of(cls, request: Request) -> Meta:
        state = request.scope.get("state", {})
        rate_limit: RateLimitState | None = state.get("rate_limit")
        return cls(
            request_id=state.get("request_id"),
            rate_limit=None if rate_limit is None else rate_limit.meta(),
        )


class ListMeta(Meta):
    total: int = Field(description="Items in the whole list.")
    limit: int
    offset: int


class Envelope(ResponseModel, Generic[T]):
    data: T
    meta: Meta

    @classmethod
    def of(cls, request: Request, data: T) -> Self:
        """The success envelope of `data` for this request."""
        return cls(data=data, meta=Meta.of(request))


class ListEnvelope(ResponseModel, Generic[T]):
    data: list[T]
    meta: ListMeta

    @classmethod
    def of(
        cls, request: Request, items: Sequence[T], *, total: int, limit: int, offset: int
    ) -> Self:
        """A list envelope: one page of `items`, with the pagination in `meta`."""
        meta = Meta.of(request)
        return cls(
            data=list(items),
            meta=ListMeta(
                request_id=meta.request_id,
                rate_limit=meta.rate_limit,
                total=total,
                limit=limit,
                offset=offset,
            ),
        )


class ErrorDetail(ResponseModel):
    field: str = Field(description="The field at fault, e.g. `routing_rules[0].priority`.")
    message: str


class ErrorBody(ResponseModel):
    code: str
    message: str
    status: int
    details: list[ErrorDetail] | None = Field(
        None, exclude_if=omitted_when_none, description="VALIDATION_ERROR: each field at fault."
    )


class ErrorEnvelope(ResponseModel):
    error: ErrorBody
    meta: Meta


def no_content() -> Response:
    return Response(status_code=204)


def error_body(request: Request, error: ApiError) -> Response:
    """The error envelope for an ApiError."""
    body = ErrorEnvelope(
        error=ErrorBody(
            code=error.code,
            message=error.message,
            status=error.status,
            details=[ErrorDetail(**detail) for detail in error.details] if error.details else None,
        ),
        meta=Meta.of(request),
    )
    return Response(
        body.model_dump_json(),
        status_code=error.status,
        headers=error.headers,
        media_type="application/json",
    )
