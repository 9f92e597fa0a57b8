"""Asset rules: presign, confirm (type and plan checks), publish, delete, prune, lookups."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from xqr.assets import repository
from xqr.assets.filenames import object_name, sanitize_filename
from xqr.assets.filetypes import (
    ALLOWED_CONTENT_TYPES,
    ASSET_TYPES,
    SNIFF_BYTES,
    bytes_match,
    needs_whole_object,
    normalize_content_type,
)
from xqr.assets.models import STATUSES, Asset
from xqr.assets.schemas import AssetOut
from xqr.assets.storage import AssetStorage, ObjectChanged, PresignedUpload, build_storage
from xqr.assets.storage.base import PRESIGN_TTL, PUBLIC_KEY, private_key, public_key
from xqr.core.clock import utcnow
from xqr.core.errors import ApiError, not_found, validation_error
from xqr.core.ids import uuid7
from xqr.webhooks.outbox import emit
from xqr.workspaces import service as workspaces
from xqr.workspaces.plans import Plan
from xqr.workspaces.service import hold_limits
from xqr.workspaces.tenant import Tenant

if TYPE_CHECKING:
    from xqr.context import AppContext

# Pending assets never confirmed stop reserving a slot after this, and `prune_pending`
# removes them (and any bytes uploaded for them).
PENDING_TTL = timedelta(hours=24)


def storage_of(source: AssetStorage | AppContext) -> AssetStorage:
    """The app's storage backend (built once per app context), or `source` itself."""
    if isinstance(source, AssetStorage):
        return source
    storage = source.parts.asset_storage
    if storage is None:
        storage = source.parts.asset_storage = build_storage(source.settings)
    return storage


def parse_asset_id(value: str) -> uuid.UUID:
    """A malformed id is simply an asset that does not exist."""
    try:
        return uuid.UUID(value)
    except (ValueError, TypeError):
        raise not_found("Asset") from None


def human_bytes(value: int) -> str:
    """`812 bytes`, `1.5 MiB (1572864 bytes)`: readable, and exact for scripts."""
    if value < 1024:
        return f"{value} bytes"
    size = float(value)
    for unit in ("KiB", "MiB", "GiB"):
        size /= 1024
        if size < 1024 or unit == "GiB":
            return f"{size:.1f} {unit} ({value} bytes)"
    raise AssertionError("unreachable")


def view(asset: Asset, storage: AssetStorage) -> AssetOut:
    """The asset object of the API (and of the asset.uploaded webhook payload)."""
    public_url = None
    if asset.status == "published" and asset.public_key is not None:
        public_url = storage.public_url(asset.public_key)
    return AssetOut(
        id=asset.id,
        filename=asset.filename,
        content_type=asset.content_type,
        size=asset.size,
        status=asset.status,
        public_url=public_url,
        created_at=asset.created_at,
        updated_at=asset.updated_at,
    )


def _pending_cutoff() -> datetime:
    return utcnow() - PENDING_TTL


def _storage_limit_error(plan: Plan, used: int, adding: int) -> ApiError:
    limit = plan.storage_bytes or 0
    return ApiError(
        "PLAN_LIMIT_EXCEEDED",
        f"The {plan.name} plan allows {human_bytes(limit)} of asset storage; this workspace "
        f"uses {human_bytes(used)} and this file needs {human_bytes(adding)} more. "
        "Delete some assets or upgrade the plan.",
    )


def _ensure_storage(plan: Plan, used: int, adding: int) -> None:
    if plan.storage_bytes is not None and used + adding > plan.storage_bytes:
        raise _storage_limit_error(plan, used, adding)


@dataclass(frozen=True)
class Presigned:
    asset: Asset
    upload: PresignedUpload


async def presign(
    session: AsyncSession,
    tenant: Tenant,
    storage: AssetStorage,
    *,
    filename: str,
    content_type: str,
) -> Presigned:
    """Create a pending asset and a URL to PUT its bytes to (valid 15 minutes)."""
    media_type = normalize_content_type(content_type)
    if media_type is None:
        raise validation_error("content_type", f"must be one of {', '.join(ALLOWED_CONTENT_TYPES)}")
    if not filename.strip():
        raise validation_error("filename", "must not be empty")
    workspace_id = tenant.workspace_id
    await hold_limits(session, tenant)
    tenant.ensure_within(
        "assets", await repository.count_counted(session, workspace_id, _pending_cutoff())
    )
    stored = await repository.stored_bytes(session, workspace_id)
    if tenant.plan.storage_bytes is not None and stored >= tenant.plan.storage_bytes:
        raise _storage_limit_error(tenant.plan, stored, 1)
    display_name = sanitize_filename(filename, media_type)
    asset_id = uuid7()
    asset = Asset(
        id=asset_id,
        workspace_id=workspace_id,
        filename=display_name,
        content_type=media_type,
        status="pending",
        object_key=private_key(workspace_id, asset_id, object_name(display_name)),
    )
    session.add(asset)
    await session.flush()
    upload = await storage.presign_put(
        asset_id=asset_id,
        key=asset.object_key,
        content_type=media_type,
        expires_at=utcnow() + PRESIGN_TTL,
    )
    return Presigned(asset, upload)


async def get_asset(session: AsyncSession, workspace_id: uuid.UUID, asset_id: str) -> Asset:
    asset = await repository.get(session, workspace_id, parse_asset_id(asset_id))
    if asset is None:
        raise not_found("Asset")
    return asset


async def _get_for_update(session: AsyncSession, workspace_id: uuid.UUID, asset_id: str) -> Asset:
    asset = await repository.get(session, workspace_id, parse_asset_id(asset_id), lock=True)
    if asset is None:
        raise not_found("Asset")
    return asset


async def list_assets(
    session: AsyncSession,
    workspace_id: uuid.UUID,
    *,
    status: str | None,
    limit: int,
    offset: int,
) -> tuple[Sequence[Asset], int]:
    if status is not None and status not in STATUSES:
        raise validation_error("status", f"must be one of {', '.join(STATUSES)}")
    return await repository.list_page(session, workspace_id, status, limit, offset)


async def confirm(
    session: AsyncSession, tenant: Tenant, storage: AssetStorage, asset_id: str
) -> Asset:
    """Check the uploaded object (exists, size, type, plan limits) and mark it uploaded.

    Emits `asset.uploaded`. Confirming a confirmed asset returns it unchanged. When the bytes
    are of another type or over a limit, the object is deleted and the asset stays pending.
    """
    asset = await _get_for_update(session, tenant.workspace_id, asset_id)
    if asset.status != "pending":
        return asset
    info = await storage.stat(asset.object_key)
    if info is None:
        raise ApiError(
            "CONFLICT",
            "Nothing has been uploaded for this asset yet. PUT the file to its presigned_url, "
            "then confirm.",
        )
    if info.size > storage.max_file_bytes:
        await storage.delete(key=asset.object_key)
        raise ApiError(
            "PAYLOAD_TOO_LARGE",
            f"The file is {human_bytes(info.size)}; assets are limited to "
            f"{human_bytes(storage.max_file_bytes)}. The upload was discarded.",
        )
    length = None if needs_whole_object(asset.content_type) else SNIFF_BYTES
    head = await storage.read(asset.object_key, length=length)
    if not bytes_match(asset.content_type, head):
        await storage.delete(key=asset.object_key)
        label = ASSET_TYPES[asset.content_type].label
        raise validation_error(
            "content_type",
            f"the uploaded bytes are not a {label} as declared ({asset.content_type}); the "
            "upload was discarded. Upload a matching file, or presign again with its type.",
        )
    await hold_limits(session, tenant)
    try:
        tenant.ensure_within(
            "assets",
            await repository.count_counted(
                session, tenant.workspace_id, _pending_cutoff(), excluding=asset.id
            ),
        )
        _ensure_storage(
            tenant.plan,
            await repository.stored_bytes(session, tenant.workspace_id, excluding=asset.id),
            info.size,
        )
    except ApiError:
        await storage.delete(key=asset.object_key)
        raise
    asset.size = info.size
    asset.etag = info.etag
    asset.status = "uploaded"
    asset.updated_at = utcnow()
    await session.flush()
    await emit(
        session,
        tenant.workspace_id,
        "asset.uploaded",
        view(asset, storage).model_dump(mode="json"),
    )
    return asset


async def publish(
    session: AsyncSession, workspace_id: uuid.UUID, storage: AssetStorage, asset_id: str
) -> Asset:
    """Copy a confirmed asset to public storage; publishing a published asset is a no-op."""
    asset = await _get_for_update(session, workspace_id, asset_id)
    if asset.status == "published":
        return asset
    if asset.status != "uploaded" or asset.etag is None:
        raise ApiError("CONFLICT", "Only uploaded assets can be published; confirm it first.")
    target = public_key(asset.id, asset.object_key.rsplit("/", 1)[-1])
    try:
        await storage.publish(
            asset.object_key, target, content_type=asset.content_type, etag=asset.etag
        )
    except ObjectChanged:
        raise ApiError(
            "CONFLICT",
            "The stored file changed after it was confirmed; delete this asset and upload "
            "the file again.",
        ) from None
    asset.public_key = target
    asset.status = "published"
    asset.updated_at = utcnow()
    await session.flush()
    return asset


async def delete_asset(
    session: AsyncSession, workspace_id: uuid.UUID, storage: AssetStorage, asset_id: str
) -> None:
    """Delete the asset and its stored objects, private and public."""
    asset = await _get_for_update(session, workspace_id, asset_id)
    await storage.delete(key=asset.object_key, public_key=asset.public_key)
    await repository.delete(session, asset)


@dataclass(frozen=True)
class UploadTarget:
    """Where the filesystem upload route writes, and how much it may take."""

    key: str
    max_bytes: int
    file_cap: int
    plan: Plan
    stored: int

    def too_large(self) -> ApiError:
        if self.max_bytes == self.file_cap:
            return ApiError(
                "PAYLOAD_TOO_LARGE",
                f"Assets are limited to {human_bytes(self.file_cap)}; send a smaller file.",
            )
        return _storage_limit_error(self.plan, self.stored, self.max_bytes + 1)


async def upload_target(
    session: AsyncSession, plans: dict[str, Plan], storage: AssetStorage, asset_id: str
) -> UploadTarget:
    """For a PUT whose signature names `asset_id`: the object key and the size cap, which is
    the smaller of the per-file cap and the plan's remaining storage."""
    asset = await repository.get_any(session, parse_asset_id(asset_id))
    if asset is None:
        raise not_found("Asset")
    if asset.status != "pending":
        raise ApiError("CONFLICT", "This asset is already confirmed; presign a new upload.")
    workspace = await workspaces.get_workspace(session, asset.workspace_id)
    plan = plans[workspace.plan]
    stored = await repository.stored_bytes(session, asset.workspace_id)
    max_bytes = storage.max_file_bytes
    if plan.storage_bytes is not None:
        max_bytes = min(max_bytes, max(0, plan.storage_bytes - stored))
    return UploadTarget(asset.object_key, max_bytes, storage.max_file_bytes, plan, stored)


async def published_asset_bytes(
    session: AsyncSession,
    ctx_or_storage: AssetStorage | AppContext,
    workspace_id: uuid.UUID | str,
    url: str,
) -> tuple[bytes, str] | None:
    """`(bytes, content_type)` when `url` is the public URL of a published asset of the
    workspace, else None — so our own renderers never fetch our CDN over HTTP."""
    storage = storage_of(ctx_or_storage)
    key = storage.public_key_from_url(url)
    match = PUBLIC_KEY.match(key) if key is not None else None
    if key is None or match is None:
        return None
    try:
        workspace = workspace_id if isinstance(workspace_id, uuid.UUID) else uuid.UUID(workspace_id)
    except ValueError:
        return None
    asset = await repository.get_published(session, workspace, uuid.UUID(match.group(1)), key)
    if asset is None:
        return None
    data = await storage.read_public(key, max_bytes=storage.max_file_bytes)
    return None if data is None else (data, asset.content_type)


async def prune_pending(
    session: AsyncSession,
    storage: AssetStorage,
    *,
    older_than: timedelta = PENDING_TTL,
    batch: int = 500,
) -> int:
    """Delete pending assets created more than `older_than` ago, and their uploaded bytes."""
    removed = 0
    while True:
        stale = await repository.stale_pending(session, utcnow() - older_than, batch)
        for asset in stale:
            await storage.delete(key=asset.object_key)
            await repository.delete(session, asset)
        removed += len(stale)
        if len(stale) < batch:
            return removed


async def count_assets(session: AsyncSession, workspace_id: uuid.UUID) -> int:
    """The `assets` usage: confirmed assets plus pending ones younger than 24 hours."""
    return await repository.count_counted(session, workspace_id, _pending_cutoff())


async def count_storage_bytes(session: AsyncSession, workspace_id: uuid.UUID) -> int:
    """The `storage_bytes` usage: the sizes of confirmed assets."""
    return await repository.stored_bytes(session, workspace_id)
