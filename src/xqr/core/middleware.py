"""Pure ASGI middleware for the API: request ids, rate-limit headers, body size cap."""

from __future__ import annotations

import re
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from xqr.core.envelope import RateLimitState, dumps
from xqr.core.ids import new_request_id

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class BodyTooLarge(Exception):
    pass


def _error_message(request_id: str, code: str, message: str, status: int) -> bytes:
    return dumps(
        {
            "error": {"code": code, "message": message, "status": status},
            "meta": {"request_id": request_id},
        }
    )


class RequestContextMiddleware:
    """Gives each request an id, echoes it, adds rate-limit headers, caps request bodies."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, uncapped_prefixes: tuple[str, ...]):
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.uncapped_prefixes = uncapped_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        incoming = header(scope, b"x-request-id")
        request_id = incoming if incoming and _VALID_REQUEST_ID.match(incoming) else None
        state["request_id"] = request_id or new_request_id()

        capped = not scope["path"].startswith(self.uncapped_prefixes)
        declared = header(scope, b"content-length")
        if capped and declared and declared.isdigit() and int(declared) > self.max_body_bytes:
            await self._too_large(state["request_id"], send)
            return

        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if capped and message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    # Frameworks may wrap this error while parsing the body; the flag lets
                    # the error handlers still answer 413.
                    state["body_too_large"] = True
                    raise BodyTooLarge
            return message

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", state["request_id"].encode()))
                rate_limit: RateLimitState | None = state.get("rate_limit")
                if rate_limit is not None:
                    names = {name.lower() for name, _ in headers}
                    headers.extend(h for h in rate_limit.headers() if h[0] not in names)
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except BodyTooLarge:
            if not started:
                await self._too_large(state["request_id"], send)
        except Exception:
            # The app's own handler has logged it and answered 500 in the envelope;
            # re-raising would only make the server log the same traceback twice.
            if not started:
                raise

    async def _too_large(self, request_id: str, send: Send) -> None:
        body = _error_message(
            request_id,
            "PAYLOAD_TOO_LARGE",
            f"Request bodies are limited to {self.max_body_bytes} bytes.",
            413,
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"x-request-id", request_id.encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def header(scope: Scope, name: bytes) -> str | None:
    """A request header's value (the first, as text), or None."""
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None
