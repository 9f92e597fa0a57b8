"""Domain queries, and the re-verification claims of the background checker.

A claim on PostgreSQL locks its rows with `FOR UPDATE SKIP LOCKED`, so two workers pass
over each other's domains; SQLite has one writer at a time, so select-then-update in one
transaction is already exclusive.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from xqr.db.engine import dialect_name
from xqr.domains.models import Domain

SERVING = ("verified", "failed")


async def count(session: AsyncSession, workspace_id: uuid.UUID) -> int:
    query = select(func.count()).select_from(Domain).where(Domain.workspace_id == workspace_id)
    return int(await session.scalar(query) or 0)


async def list_for(
    session: AsyncSession, workspace_id: uuid.UUID, limit: int, offset: int
) -> tuple[Sequence[Domain], int]:
    rows = await session.scalars(
        select(Domain)
        .where(Domain.workspace_id == workspace_id)
        .order_by(Domain.created_at.desc(), Domain.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return rows.all(), await count(session, workspace_id)


async def get(
    session: AsyncSession, workspace_id: uuid.UUID, domain_id: uuid.UUID
) -> Domain | None:
    return await session.scalar(
        select(Domain).where(Domain.id == domain_id, Domain.workspace_id == workspace_id)
    )


async def by_hostname(session: AsyncSession, hostname: str) -> Domain | None:
    return await session.scalar(select(Domain).where(Domain.hostname == hostname))


async def default_of(session: AsyncSession, workspace_id: uuid.UUID) -> Domain | None:
    return await session.scalar(
        select(Domain).where(Domain.workspace_id == workspace_id, Domain.is_default.is_(True))
    )


async def clear_default(session: AsyncSession, workspace_id: uuid.UUID, keep: uuid.UUID) -> None:
    await session.execute(
        update(Domain)
        .where(Domain.workspace_id == workspace_id, Domain.id != keep, Domain.is_default.is_(True))
        .values(is_default=False)
    )


async def claim_due(
    session: AsyncSession, checked_before: datetime, now: datetime, limit: int
) -> list[tuple[uuid.UUID, str, str]]:
    """(id, hostname, token) of serving domains not checked since `checked_before`, marked
    checked at `now` so no other worker takes them in this interval."""
    query = (
        select(Domain.id, Domain.hostname, Domain.token)
        .where(
            Domain.status.in_(SERVING),
            or_(Domain.checked_at.is_(None), Domain.checked_at < checked_before),
        )
        .order_by(Domain.checked_at.asc().nulls_first())
        .limit(limit)
    )
    if dialect_name(session) == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = (await session.execute(query)).all()
    if rows:
        await session.execute(
            update(Domain).where(Domain.id.in_([row.id for row in rows])).values(checked_at=now)
        )
    return [(row.id, row.hostname, row.token) for row in rows]


async def get_any(session: AsyncSession, domain_id: uuid.UUID) -> Domain | None:
    return await session.get(Domain, domain_id)
