"""QR template queries."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from xqr.qr.models import QrTemplate


async def count(session: AsyncSession, workspace_id: uuid.UUID) -> int:
    query = select(func.count()).select_from(QrTemplate)
    return int(await session.scalar(query.where(QrTemplate.workspace_id == workspace_id)) or 0)


async def list_page(
    session: AsyncSession, workspace_id: uuid.UUID, limit: int, offset: int
) -> tuple[Sequence[QrTemplate], int]:
    rows = await session.scalars(
        select(QrTemplate)
        .where(QrTemplate.workspace_id == workspace_id)
        .order_by(QrTemplate.created_at.desc(), QrTemplate.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return rows.all(), await count(session, workspace_id)


async def get(
    session: AsyncSession, workspace_id: uuid.UUID, template_id: uuid.UUID
) -> QrTemplate | None:
    return await session.scalar(
        select(QrTemplate).where(
            QrTemplate.id == template_id, QrTemplate.workspace_id == workspace_id
        )
    )


async def remove(session: AsyncSession, template: QrTemplate) -> None:
    await session.execute(delete(QrTemplate).where(QrTemplate.id == template.id))


async def names_with_logo(session: AsyncSession, workspace_id: uuid.UUID, url: str) -> list[str]:
    """Templates whose design shows the logo at `url` (a workspace has few templates: the
    designs are read and compared here rather than with a JSON query per database)."""
    rows = await session.execute(
        select(QrTemplate.name, QrTemplate.design)
        .where(QrTemplate.workspace_id == workspace_id)
        .order_by(QrTemplate.created_at)
    )
    return [name for name, design in rows if (design or {}).get("logo_url") == url]
