"""Bio page queries."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from xqr.bio.models import BioChange, BioPage
from xqr.core.clock import utcnow


async def get(session: AsyncSession, workspace_id: uuid.UUID, page_id: uuid.UUID) -> BioPage | None:
    return await session.scalar(
        select(BioPage).where(BioPage.id == page_id, BioPage.workspace_id == workspace_id)
    )


async def slug_taken(
    session: AsyncSession, slug: str, *, except_id: uuid.UUID | None = None
) -> bool:
    query = select(BioPage.id).where(BioPage.slug_lower == slug.lower())
    if except_id is not None:
        query = query.where(BioPage.id != except_id)
    return await session.scalar(query.limit(1)) is not None


async def slugs_like(session: AsyncSession, base: str) -> list[str]:
    """Lower-case slugs equal to `base` or starting with `base-` (slugs have no LIKE wildcards)."""
    rows = await session.scalars(
        select(BioPage.slug_lower).where(
            or_(BioPage.slug_lower == base, BioPage.slug_lower.like(f"{base}-%"))
        )
    )
    return list(rows.all())


async def count(session: AsyncSession, workspace_id: uuid.UUID) -> int:
    return int(
        await session.scalar(
            select(func.count()).select_from(BioPage).where(BioPage.workspace_id == workspace_id)
        )
        or 0
    )


async def list_page(
    session: AsyncSession, workspace_id: uuid.UUID, *, limit: int, offset: int
) -> tuple[Sequence[BioPage], int]:
    where = BioPage.workspace_id == workspace_id
    total = await session.scalar(select(func.count()).select_from(BioPage).where(where))
    rows = await session.scalars(
        select(BioPage)
        .where(where)
        .order_by(BioPage.created_at.desc(), BioPage.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return rows.all(), int(total or 0)


async def log_change(session: AsyncSession, *slugs: str) -> None:
    session.add_all(BioChange(slug_lower=slug.lower(), changed_at=utcnow()) for slug in slugs)
    await session.flush()


_PUBLIC_COLUMNS = (
    BioPage.id,
    BioPage.workspace_id,
    BioPage.title,
    BioPage.slug,
    BioPage.bio,
    BioPage.avatar_url,
    BioPage.theme,
    BioPage.links,
    BioPage.status,
)


async def load_public(conn: AsyncConnection, slug_lower: str) -> Any:
    """The row a public page is rendered from, or None (any status: the caller checks)."""
    result = await conn.execute(select(*_PUBLIC_COLUMNS).where(BioPage.slug_lower == slug_lower))
    return result.first()
