"""The assets library: a grid of the workspace's files, storage used against the plan, uploads
through the API's presign → PUT → confirm flow (the browser PUTs the bytes itself), publish and
delete (refused while a bio page or QR template shows the file)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from xqr.assets import service as assets
from xqr.context import DbSession, ReadSession
from xqr.core.errors import ApiError
from xqr.dashboard.session import SignedIn
from xqr.dashboard.web import PREFIX, checked_form, ctx_of, flash, redirect, render, text

router = APIRouter(prefix="/assets")
PAGE = f"{PREFIX}/assets"
PER_PAGE = 60
STATUS_BADGES = {"pending": "warning", "uploaded": "neutral", "published": "success"}


def _offset(request: Request) -> int:
    raw = request.query_params.get("offset", "0")
    return min(int(raw), 10_000_000) if raw.isdigit() else 0


@router.get("")
async def assets_page(request: Request, me: SignedIn, session: ReadSession) -> Response:
    offset = _offset(request)
    storage = assets.storage_of(ctx_of(request))
    rows, total = await assets.list_assets(
        session, me.workspace_id, status=None, limit=PER_PAGE, offset=offset
    )
    items: list[dict[str, Any]] = []
    for row in rows:
        items.append(
            {
                "asset": assets.view(row, storage),
                "used_by": await assets.asset_users(session, row, storage),
            }
        )
    plan = me.tenant.plan
    return render(
        request,
        "assets/library.html.j2",
        me=me,
        section="assets",
        items=items,
        badges=STATUS_BADGES,
        used=await assets.count_storage_bytes(session, me.workspace_id),
        limit=plan.storage_bytes,
        file_cap=storage.max_file_bytes,
        plan_name=plan.name,
        paging={"total": total, "limit": PER_PAGE, "offset": offset},
    )


def _json_error(exc: ApiError) -> JSONResponse:
    return JSONResponse({"error": {"code": exc.code, "message": exc.message}}, exc.status)


@router.post("/presign")
async def presign(request: Request, me: SignedIn, session: DbSession) -> Response:
    """A pending asset and its presigned URL, for the upload module (JSON)."""
    form = await checked_form(request, me.csrf_token)
    me.require("member", "upload assets")
    storage = assets.storage_of(ctx_of(request))
    try:
        presigned = await assets.presign(
            session,
            me.tenant,
            storage,
            filename=text(form, "filename", limit=255),
            content_type=text(form, "content_type", limit=100),
        )
    except ApiError as exc:
        await session.rollback()
        return _json_error(exc)
    await session.commit()
    return JSONResponse(
        {
            "asset_id": str(presigned.asset.id),
            "presigned_url": presigned.upload.url,
            "headers": presigned.upload.headers,
        }
    )


@router.post("/{asset_id}/confirm")
async def confirm(request: Request, asset_id: str, me: SignedIn, session: DbSession) -> Response:
    """Confirm an upload (and publish it when `publish=1`), for the upload module (JSON)."""
    form = await checked_form(request, me.csrf_token)
    me.require("member", "upload assets")
    storage = assets.storage_of(ctx_of(request))
    try:
        asset = await assets.confirm(session, me.tenant, storage, asset_id)
        await session.commit()
        if text(form, "publish", limit=1) == "1":
            asset = await assets.publish(session, me.workspace_id, storage, asset_id)
            await session.commit()
    except ApiError as exc:
        await session.rollback()
        return _json_error(exc)
    return JSONResponse({"asset": assets.view(asset, storage).model_dump(mode="json")})


@router.post("/{asset_id}/publish")
async def publish(request: Request, asset_id: str, me: SignedIn, session: DbSession) -> Response:
    await checked_form(request, me.csrf_token)
    me.require("member", "publish assets")
    storage = assets.storage_of(ctx_of(request))
    try:
        asset = await assets.publish(session, me.workspace_id, storage, asset_id)
    except ApiError as exc:
        if exc.status == 404:
            raise
        await session.rollback()
        return flash(request, redirect(PAGE), exc.message, "error")
    await session.commit()
    return flash(request, redirect(PAGE), f"{asset.filename} published.")


@router.post("/{asset_id}/delete")
async def delete(request: Request, asset_id: str, me: SignedIn, session: DbSession) -> Response:
    await checked_form(request, me.csrf_token)
    me.require("member", "delete assets")
    storage = assets.storage_of(ctx_of(request))
    asset = await assets.get_asset(session, me.workspace_id, asset_id)
    name = asset.filename
    try:
        await assets.delete_asset(session, me.workspace_id, storage, asset_id)
    except ApiError as exc:
        if exc.status == 404:
            raise
        await session.rollback()
        return flash(request, redirect(PAGE), f"Not deleted: {exc.message}", "error")
    await session.commit()
    return flash(request, redirect(PAGE), f"{name} deleted.")


# Shown only as an <img>; the sandbox keeps an SVG's scripts dead even if opened directly.
_THUMBNAIL_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


@router.get("/{asset_id}/thumbnail")
async def thumbnail(
    request: Request, asset_id: str, me: SignedIn, session: ReadSession
) -> Response:
    """An image asset's bytes (private or published) for its card in the grid."""
    storage = assets.storage_of(ctx_of(request))
    asset = await assets.get_asset(session, me.workspace_id, asset_id)
    await session.close()
    if not asset.content_type.startswith("image/") or asset.status == "pending":
        return Response(status_code=404)
    data = await storage.read(asset.object_key)
    return Response(
        data,
        media_type=asset.content_type,
        headers={
            "Cache-Control": "private, max-age=3600",
            "Content-Security-Policy": _THUMBNAIL_CSP,
        },
    )
