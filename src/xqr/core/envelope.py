"""The response envelope: `{"data", "meta"}` on success, `{"error", "meta"}` on failure."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from xqr.core.errors import ApiError


@dataclass(frozen=True)
class RateLimitState:
    """What the rate limiter decided for this request, echoed in headers and `meta`."""

    limit: int
    remaining: int
    reset: int
    burst_limit: int
    burst_remaining: int
    retry_after: int | None = None

    def meta(self) -> dict[str, int]:
        return {"limit": self.limit, "remaining": self.remaining, "reset": self.reset}

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


class JSONBody(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content)


def request_meta(request: Request) -> dict[str, Any]:
    state = request.scope.get("state", {})
    meta: dict[str, Any] = {"request_id": state.get("request_id")}
    rate_limit: RateLimitState | None = state.get("rate_limit")
    if rate_limit is not None:
        meta["rate_limit"] = rate_limit.meta()
    return meta


def ok(request: Request, data: Any, *, status: int = 200, **extra_meta: Any) -> Response:
    """A success envelope."""
    meta = request_meta(request)
    meta.update(extra_meta)
    return JSONBody({"data": data, "meta": meta}, status_code=status)


def page(request: Request, items: list[Any], *, total: int, limit: int, offset: int) -> Response:
    """A list envelope with pagination in `meta`."""
    return ok(request, items, total=total, limit=limit, offset=offset)


def no_content() -> Response:
    return Response(status_code=204)


def error_body(request: Request, error: ApiError) -> Response:
    """The error envelope for an ApiError."""
    body: dict[str, Any] = {
        "code": error.code,
        "message": error.message,
        "status": error.status,
    }
    if error.details:
        body["details"] = error.details
    meta = request_meta(request)
    return JSONBody({"error": body, "meta": meta}, status_code=error.status, headers=error.headers)
