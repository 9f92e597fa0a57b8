"""Pure ASGI middleware for the API: request ids, rate-limit headers, body size cap, and
query strings the server could not store."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from xqr.core.envelope import RateLimitState, dumps
from xqr.core.ids import new_request_id
from xqr.core.text import unstorable_reason

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_NOT_UTF8 = "must be UTF-8 text once percent-decoded (a lone surrogate, %ED%A0%80, is not)"


class BodyTooLarge(Exception):
    pass


def _error_message(
    request_id: str,
    code: str,
    message: str,
    status: int,
    details: list[dict[str, str]] | None = None,
) -> bytes:
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details:
        error["details"] = details
    return dumps({"error": error, "meta": {"request_id": request_id}})


def query_problem(query_string: bytes) -> tuple[str, str] | None:
    """The first query parameter whose text the server could not store: (name, why).

    Parameters are read as the framework reads them (`&`-separated, `+` is a space, UTF-8
    percent-escapes), except that bytes which are not UTF-8 are refused instead of being
    replaced: a lone surrogate can only arrive that way (`%ED%A0%80`).
    """
    if b"%" not in query_string and b"\x00" not in query_string and query_string.isascii():
        return None
    for pair in query_string.decode("latin-1").split("&"):
        raw_name, _, raw_value = pair.partition("=")
        try:
            name = unquote(raw_name.replace("+", " "), errors="strict")
        except UnicodeDecodeError:
            return "query", f"parameter names {_NOT_UTF8}"
        if reason := unstorable_reason(name):
            return "query", f"parameter names {reason}"
        try:
            value = unquote(raw_value.replace("+", " "), errors="strict")
        except UnicodeDecodeError:
            return name, _NOT_UTF8
        if reason := unstorable_reason(value):
            return name, reason
    return None


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

        if problem := query_problem(scope.get("query_string", b"")):
            await self._bad_query(state["request_id"], *problem, send)
            return

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
        await _send_error(send, request_id, 413, body)

    async def _bad_query(self, request_id: str, field: str, message: str, send: Send) -> None:
        # Like malformed JSON, this is refused before the key is checked: the request cannot
        # be read as the API reads requests.
        details = [{"field": field, "message": message}]
        body = _error_message(request_id, "VALIDATION_ERROR", f"{field}: {message}", 400, details)
        await _send_error(send, request_id, 400, body)


async def _send_error(send: Send, request_id: str, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
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
