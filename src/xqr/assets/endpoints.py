"""`/v1/assets`: presign an upload, confirm it, publish it, list, get and delete assets."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from xqr.assets import service
from xqr.assets.auth import AssetsRead, AssetsWrite
from xqr.assets.schemas import AssetOut, PresignIn, PresignOut
from xqr.assets.storage import AssetStorage
from xqr.context import Ctx, DbSession
from xqr.core.envelope import Envelope, ListEnvelope, no_content
from xqr.core.openapi import error_responses
from xqr.core.pagination import Pagination

router = APIRouter(prefix="/assets", tags=["Assets"])


def _storage(ctx: Ctx) -> AssetStorage:
    return service.storage_of(ctx)


Storage = Annotated[AssetStorage, Depends(_storage)]


@router.post("/presign", summary="Presign upload", status_code=201)
async def presign_upload(
    request: Request,
    body: PresignIn,
    principal: AssetsWrite,
    session: DbSession,
    storage: Storage,
) -> Envelope[PresignOut]:
    """Create a pending asset and a URL to `PUT` its bytes to. Scope: `assets:write`.

    Send the `headers` given (the `Content-Type` is part of the signature) before
    `expires_at` (15 minutes), then call confirm.
    """
    presigned = await service.presign(
        session,
        principal.tenant,
        storage,
        filename=body.filename,
        content_type=body.content_type,
    )
    data = PresignOut(
        asset_id=presigned.asset.id,
        presigned_url=presigned.upload.url,
        method=presigned.upload.method,
        headers=presigned.upload.headers,
        expires_at=presigned.upload.expires_at,
        asset=service.view(presigned.asset, storage),
    )
    await session.commit()
    return Envelope[PresignOut].of(request, data)


@router.post("/{asset_id}/confirm", summary="Confirm upload", responses=error_responses(409, 413))
async def confirm_upload(
    request: Request, asset_id: str, principal: AssetsWrite, session: DbSession, storage: Storage
) -> Envelope[AssetOut]:
    """Call after uploading to the presigned URL. Scope: `assets:write`.

    Checks that the object exists, records its size, checks its bytes are of the declared
    type and that the plan's asset and storage limits hold; emits `asset.uploaded`.
    """
    asset = await service.confirm(session, principal.tenant, storage, asset_id)
    data = service.view(asset, storage)
    await session.commit()
    return Envelope[AssetOut].of(request, data)


@router.get("/{asset_id}", summary="Get asset")
async def get_asset(
    request: Request, asset_id: str, principal: AssetsRead, session: DbSession, storage: Storage
) -> Envelope[AssetOut]:
    """One asset. Scope: `assets:read`."""
    asset = await service.get_asset(session, principal.workspace_id, asset_id)
    return Envelope[AssetOut].of(request, service.view(asset, storage))


@router.get("", summary="List assets")
async def list_assets(
    request: Request,
    principal: AssetsRead,
    session: DbSession,
    storage: Storage,
    pagination: Pagination,
    status: Annotated[
        str | None, Query(description="Only assets in this state: pending, uploaded, published.")
    ] = None,
) -> ListEnvelope[AssetOut]:
    """Assets of the workspace, newest first. Scope: `assets:read`."""
    assets, total = await service.list_assets(
        session,
        principal.workspace_id,
        status=status,
        limit=pagination.limit,
        offset=pagination.offset,
    )
    return ListEnvelope[AssetOut].of(
        request,
        [service.view(asset, storage) for asset in assets],
        total=total,
        limit=pagination.limit,
        offset=pagination.offset,
    )


@router.delete("/{asset_id}", summary="Delete asset", status_code=204)
async def delete_asset(
    asset_id: str, principal: AssetsWrite, session: DbSession, storage: Storage
) -> Response:
    """Delete the asset and its stored files, private and public. Scope: `assets:write`."""
    await service.delete_asset(session, principal.workspace_id, storage, asset_id)
    await session.commit()
    return no_content()


@router.post("/{asset_id}/publish", summary="Publish asset", responses=error_responses(409))
async def publish_asset(
    request: Request, asset_id: str, principal: AssetsWrite, session: DbSession, storage: Storage
) -> Envelope[AssetOut]:
    """Copy the asset from private storage to the public CDN. Scope: `assets:write`.

    Only confirmed (`uploaded`) assets can be published; publishing again is a no-op. The
    answer carries `public_url`.
    """
    asset = await service.publish(session, principal.workspace_id, storage, asset_id)
    data = service.view(asset, storage)
    await session.commit()
    return Envelope[AssetOut].of(request, data)
