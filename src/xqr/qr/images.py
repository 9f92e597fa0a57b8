"""Image responses: the ETag/304 answer, and repeated requests answered before FastAPI.

A QR code is usually asked for many times with the same request (a page that embeds it, a
print pipeline, an agent). Once the API has answered a request with an image, `ImageMemo`
remembers the prepared image under the request's exact bytes (workspace, method, path, query,
content type, body); `CachedImages`, a pure ASGI layer between the request context (request
ids, rate-limit headers, body cap) and FastAPI, answers the same request again without
routing, validation or a database session. It still runs the whole auth step (`authorize`:
key, plan, burst, quota, scope), so keys, scopes and limits behave exactly as on the FastAPI
path, and answers 304 to a matching `If-None-Match` the same way.

Only renderings that depend on nothing but the request are remembered: `POST /qr/generate`
without a logo, and `GET /links/{id}/qr` without a template. The latter encodes the link's
short code, so each use first checks the link cache (invalidated on every change, in this
process at once and in others within a second) still maps that code to that link; a changed
slug or a deleted link falls through to the API, which reads the link afresh.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from xqr.app import API_PREFIX
from xqr.auth.dependencies import authorize
from xqr.auth.service import key_workspace
from xqr.core.handlers import error_response
from xqr.core.middleware import header
from xqr.qr.rendering import PreparedImage, QrRenderer

if TYPE_CHECKING:
    from xqr.context import AppContext

logger = logging.getLogger("xqr.qr")

ASGIApp = Callable[[MutableMapping[str, Any], Any, Any], Awaitable[None]]
RequestKey = tuple[uuid.UUID, str, str, bytes, str | None, bytes]

# Renders depend on the caller's workspace (logos, templates, links), so shared caches must
# not keep them; the ETag lets a client revalidate cheaply after the five minutes.
CACHE_CONTROL = "private, max-age=300"
SVG_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox"
MEMO_ENTRIES = 10_000
# Requests larger than this (body plus query) are not remembered: a QR request is a few
# hundred bytes, and the memo must not be a place to park megabytes of padded JSON.
MEMO_MAX_REQUEST_BYTES = 8 * 1024
RENDER_SCOPE = "qr:render"

GENERATE_PATH = f"{API_PREFIX}/qr/generate"
_LINK_QR_PATH = re.compile(rf"{API_PREFIX}/links/[^/]+/qr")


def etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    for candidate in header.split(","):
        candidate = candidate.strip().removeprefix("W/")
        if candidate in ("*", etag):
            return True
    return False


class ImageResponse(Response):
    """A response whose status, raw headers and body are already known."""

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        self.status_code = status
        self.raw_headers = headers
        self.body = body
        self.background = None


def _fixed_headers(prepared: PreparedImage) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"etag", prepared.etag.encode()),
        (b"cache-control", CACHE_CONTROL.encode()),
        (b"x-content-type-options", b"nosniff"),
    ]
    if prepared.fmt == "svg":
        headers.append((b"content-security-policy", SVG_CSP.encode()))
    return headers


async def image_response(
    if_none_match: str | None, renderer: QrRenderer, prepared: PreparedImage
) -> ImageResponse:
    """The image, or 304 (no body, no content headers) when the client already holds it."""
    headers = _fixed_headers(prepared)
    if etag_matches(if_none_match, prepared.etag):
        return ImageResponse(304, headers, b"")
    body = await renderer.image(prepared)
    headers.append((b"content-length", b"%d" % len(body)))
    headers.append((b"content-type", prepared.media_type.encode()))
    return ImageResponse(200, headers, body)


@dataclass(frozen=True, slots=True)
class LinkImage:
    """The link a remembered image encodes: valid while its code (on its domain) still names
    this link."""

    code: str  # the link's redirect-cache key
    link_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class Remembered:
    prepared: PreparedImage
    link: LinkImage | None


def request_key(
    workspace_id: uuid.UUID, scope: MutableMapping[str, Any], body: bytes
) -> RequestKey:
    return (
        workspace_id,
        scope["method"],
        scope["path"],
        scope.get("query_string", b""),
        header(scope, b"content-type"),
        body,
    )


class ImageMemo:
    """Request bytes → the image the API answered them with; the oldest entries go first."""

    def __init__(self, max_entries: int = MEMO_ENTRIES) -> None:
        self.max_entries = max_entries
        self.entries: dict[RequestKey, Remembered] = {}

    @classmethod
    def of(cls, ctx: AppContext) -> ImageMemo:
        """The app's memo, made on first use."""
        memo = ctx.parts.qr_image_memo
        if memo is None:
            memo = ctx.parts.qr_image_memo = cls()
        return memo

    def __len__(self) -> int:
        return len(self.entries)

    async def remember(
        self,
        request: Request,
        workspace_id: uuid.UUID,
        prepared: PreparedImage,
        link: LinkImage | None = None,
    ) -> None:
        if self.max_entries <= 0:
            return
        body = await request.body()
        if len(body) + len(request.scope.get("query_string", b"")) > MEMO_MAX_REQUEST_BYTES:
            return
        key = request_key(workspace_id, request.scope, body)
        if key not in self.entries and len(self.entries) >= self.max_entries:
            del self.entries[next(iter(self.entries))]
        self.entries[key] = Remembered(prepared, link)

    def forget(self, key: RequestKey) -> None:
        self.entries.pop(key, None)

    def clear(self) -> None:
        self.entries.clear()


async def _read_body(receive: Any) -> tuple[bytes | None, Any]:
    """The whole request body (None if the client left first), and a `receive` that hands the
    messages read to the next app unchanged."""
    messages: list[dict[str, Any]] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            break
    complete = messages[-1]["type"] == "http.request"
    body = b"".join(m.get("body", b"") for m in messages) if complete else None

    async def replay() -> Any:
        if messages:
            return messages.pop(0)
        return await receive()

    return body, replay


class CachedImages:
    """Answers remembered image requests; passes everything else to `app` untouched."""

    def __init__(self, app: ASGIApp, ctx: AppContext) -> None:
        self.app = app
        self.ctx = ctx
        self.renderer = QrRenderer.of(ctx)
        self.memo = ImageMemo.of(ctx)

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not self.memo.entries:
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        if not (
            (method == "POST" and path == GENERATE_PATH)
            or (method == "GET" and _LINK_QR_PATH.fullmatch(path))
        ):
            await self.app(scope, receive, send)
            return
        authorization = header(scope, b"authorization")
        body: bytes | None = b""
        if method == "POST":
            body, receive = await _read_body(receive)
        try:
            remembered = await self._find(scope, authorization, body)
        except Exception:  # a failed lookup: the API answers (and reports) it as usual
            logger.debug("image memo lookup failed", exc_info=True)
            remembered = None
        if remembered is None:
            await self.app(scope, receive, send)
            return
        response: Response
        try:
            await authorize(
                self.ctx,
                scope.setdefault("state", {}),
                authorization,
                RENDER_SCOPE,
                connection=scope,  # failed keys count against the client's address here too
            )
            if_none_match = header(scope, b"if-none-match")
            response = await image_response(if_none_match, self.renderer, remembered.prepared)
        except Exception as exc:
            response = error_response(Request(scope, receive), exc)
        await response(scope, receive, send)

    async def _find(
        self, scope: MutableMapping[str, Any], authorization: str | None, body: bytes | None
    ) -> Remembered | None:
        """The remembered answer to this request, if it still holds (nothing is counted)."""
        if body is None:
            return None
        workspace_id = await key_workspace(self.ctx.parts.key_cache, authorization)
        if workspace_id is None:
            return None
        key = request_key(workspace_id, scope, body)
        remembered = self.memo.entries.get(key)
        if remembered is not None and not await self._still_valid(remembered):
            self.memo.forget(key)
            return None
        return remembered

    async def _still_valid(self, remembered: Remembered) -> bool:
        link = remembered.link
        if link is None:
            return True
        entry = await self.ctx.parts.link_cache.get(link.code)
        return getattr(entry, "link_id", None) == link.link_id
