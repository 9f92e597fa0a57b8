"""Asset queries."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from xqr.assets.models import Asset

CONFIRMED = ("uploaded", "published")


async def get(
    session: AsyncSession, workspace_id: uuid.UUID, asset_id: uuid.UUID, *, lock: bool = False
) -> Asset | None:
    query = select(Asset).where(Asset.id == asset_id, Asset.workspace_id == workspace_id)
    if lock:
        query = query.with_for_update()
    return (await session.scalars(query)).first()


async def get_any(session: AsyncSession, asset_id: uuid.UUID) -> Asset | None:
    """By id alone: for the upload route, whose signed URL names the asset."""
    return await session.get(Asset, asset_id)


async def list_page(
    session: AsyncSession, workspace_id: uuid.UUID, status: str | None, limit: int, offset: int
) -> tuple[Sequence[Asset], int]:
    where = [Asset.workspace_id == workspace_id]
    if status is not None:
        where.append(Asset.status == status)
    total = await session.scalar(select(func.count()).select_from(Asset).where(*where))
    rows = await session.scalars(
        select(Asset)
        .where(*where)
        .order_by(Asset.created_at.desc(), Asset.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return rows.all(), int(total or 0)


async def count_counted(
    session: AsyncSession,
    workspace_id: uuid.UUID,
    pending_since: datetime,
    *,
    excluding: uuid.UUID | None = None,
) -> int:
    """Confirmed assets plus pending ones created after `pending_since` (reserved slots)."""
    query = (
        select(func.count())
        .select_from(Asset)
        .where(
            Asset.workspace_id == workspace_id,
            or_(
                Asset.status.in_(CONFIRMED),
                (Asset.status == "pending") & (Asset.created_at > pending_since),
            ),
        )
    )
    if excluding is not None:
        query = query.where(Asset.id != excluding)
    return int(await session.scalar(query) or 0)


async def stored_bytes(
    session: AsyncSession, workspace_id: uuid.UUID, *, excluding: uuid.UUID | None = None
) -> int:
    query = select(func.coalesce(func.sum(Asset.size), 0)).where(
        Asset.workspace_id == workspace_id, Asset.status.in_(CONFIRMED)
    )
    if excluding is not None:
        query = query.where(Asset.id != excluding)
    return int(await session.scalar(query) or 0)


async def get_published(
    session: AsyncSession, workspace_id: uuid.UUID, asset_id: uuid.UUID, public_key: str
) -> Asset | None:
    query = select(Asset).where(
        Asset.id == asset_id,
        Asset.workspace_id == workspace_id,
        Asset.status == "published",
        Asset.public_key == public_key,
    )
    return (await session.scalars(query)).first()


async def stale_pending(
    session: AsyncSession, created_before: datetime, limit: int
) -> Sequence[Asset]:
    query = (
        select(Asset)
        .where(Asset.status == "pending", Asset.created_at < created_before)
        .order_by(Asset.created_at)
        .limit(limit)
    )
    return (await session.scalars(query)).all()


async def delete(session: AsyncSession, asset: Asset) -> None:
    await session.delete(asset)
    await session.flush()
