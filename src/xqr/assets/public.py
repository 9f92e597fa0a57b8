"""The filesystem backend's own HTTP surface, outside `/api/v1`.

`PUT /_uploads/{asset_id}?expires=…&signature=…` receives presigned uploads (streamed to disk,
capped); `GET /cdn/{asset_id}/{name}` serves published files. Both exist only when
`XQR_STORAGE_BACKEND=filesystem`.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import FileResponse, Response

from xqr.assets import service
from xqr.assets.filetypes import SVG, normalize_content_type
from xqr.assets.signing import UploadUrlProblem
from xqr.assets.storage.base import PUBLIC_CACHE_CONTROL, SVG_CSP
from xqr.assets.storage.filesystem import FilesystemStorage, UploadTooLarge
from xqr.context import Ctx
from xqr.core.errors import ApiError, not_found

router = APIRouter(include_in_schema=False)

_PROBLEMS = {
    UploadUrlProblem.MALFORMED: "This is not a complete presigned upload URL "
    "(expires and signature are required).",
    UploadUrlProblem.BAD_SIGNATURE: "The upload URL's signature does not match: the URL was "
    "altered or the Content-Type header differs from the one it was issued for.",
    UploadUrlProblem.EXPIRED: "This upload URL has expired; presign the upload again.",
}


def _filesystem(ctx: Ctx) -> FilesystemStorage:
    storage = service.storage_of(ctx)
    if not isinstance(storage, FilesystemStorage):
        raise not_found("Asset")
    return storage


@router.put("/_uploads/{asset_id}")
async def receive_upload(asset_id: str, request: Request, ctx: Ctx) -> Response:
    """Stream a presigned upload to private storage (bound to asset, type and expiry)."""
    storage = _filesystem(ctx)
    sent_type = request.headers.get("content-type", "")
    problem = storage.check_upload_url(
        asset_id,
        normalize_content_type(sent_type) or sent_type,
        request.query_params.get("expires"),
        request.query_params.get("signature"),
    )
    if problem is not None:
        raise ApiError("INVALID_UPLOAD_URL", _PROBLEMS[problem])
    # A short transaction of its own: the upload itself must not hold the database.
    async with ctx.sessionmaker() as session:
        target = await service.upload_target(session, ctx.plans, storage, asset_id)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > target.max_bytes:
        raise target.too_large()
    try:
        info = await storage.write_upload(target.key, request.stream(), max_bytes=target.max_bytes)
    except UploadTooLarge:
        raise target.too_large() from None
    return Response(status_code=200, headers={"ETag": f'"{info.etag}"'})


@router.api_route("/cdn/{asset_id}/{name}", methods=["GET", "HEAD"])
async def serve_published(asset_id: str, name: str, request: Request, ctx: Ctx) -> Response:
    """A published file, cacheable for a year; SVGs under a script-free CSP."""
    storage = _filesystem(ctx)
    found = await storage.public_file(f"{asset_id}/{name}")
    if found is None:
        raise not_found("Asset")
    etag = f'"{found.etag}"'
    headers = {
        "Cache-Control": PUBLIC_CACHE_CONTROL,
        "ETag": etag,
        "X-Content-Type-Options": "nosniff",
    }
    if found.content_type == SVG:
        headers["Content-Security-Policy"] = SVG_CSP
    if_none_match = request.headers.get("if-none-match", "")
    if etag in {tag.strip() for tag in if_none_match.split(",")} or if_none_match == "*":
        return Response(status_code=304, headers=headers)
    return FileResponse(found.path, media_type=found.content_type, headers=headers)
