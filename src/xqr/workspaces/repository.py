"""Workspace queries, including the atomic API-call counter."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Integer, Select, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from xqr.workspaces.models import ApiUsage, Member, Workspace


async def get(session: AsyncSession, workspace_id: uuid.UUID) -> Workspace | None:
    return await session.get(Workspace, workspace_id)


async def list_all(session: AsyncSession) -> Sequence[Workspace]:
    result = await session.scalars(select(Workspace).order_by(Workspace.created_at.desc()))
    return result.all()


async def count_all(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Workspace)) or 0)


async def billing_terms(
    conn: AsyncConnection, workspace_id: uuid.UUID
) -> tuple[str, datetime] | None:
    row = (
        await conn.execute(
            select(Workspace.plan, Workspace.created_at).where(Workspace.id == workspace_id)
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def owner_email(session: AsyncSession, workspace_id: uuid.UUID) -> str | None:
    return await session.scalar(
        select(Member.email)
        .where(Member.workspace_id == workspace_id, Member.role == "owner")
        .order_by(Member.created_at)
        .limit(1)
    )


async def get_member(session: AsyncSession, workspace_id: uuid.UUID, email: str) -> Member | None:
    return await session.scalar(
        select(Member).where(Member.workspace_id == workspace_id, Member.email == email)
    )


async def list_members(
    session: AsyncSession, workspace_id: uuid.UUID, limit: int, offset: int
) -> tuple[Sequence[Member], int]:
    where = Member.workspace_id == workspace_id
    total = await session.scalar(select(func.count()).select_from(Member).where(where))
    rows = await session.scalars(
        select(Member)
        .where(where)
        .order_by(Member.created_at.desc(), Member.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return rows.all(), int(total or 0)


async def count_members(session: AsyncSession, workspace_id: uuid.UUID) -> int:
    total = await session.scalar(
        select(func.count()).select_from(Member).where(Member.workspace_id == workspace_id)
    )
    return int(total or 0)


def _increment_statement(dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    n = bindparam("n", type_=Integer)
    return (
        insert(ApiUsage)
        .values(
            workspace_id=bindparam("workspace_id"), cycle_start=bindparam("cycle_start"), calls=n
        )
        .on_conflict_do_update(
            index_elements=[ApiUsage.workspace_id, ApiUsage.cycle_start],
            set_={"calls": ApiUsage.calls + n},
            where=ApiUsage.calls + n <= bindparam("limit", type_=Integer),
        )
        .returning(ApiUsage.calls)
    )


# Built once per dialect: it runs on every counted API call (one per group commit).
_INCREMENT = {dialect: _increment_statement(dialect) for dialect in ("postgresql", "sqlite")}


def increment_calls(
    conn: Connection, workspace_id: uuid.UUID, cycle_start: datetime, limit: int, n: int = 1
) -> int | None:
    """Add n calls atomically unless that passes `limit`: the new total, or None (nothing
    counted). Callers keep n <= limit. Synchronous: see `xqr.auth.quota`."""
    if limit <= 0 or n > limit:
        return None
    parameters = {"workspace_id": workspace_id, "cycle_start": cycle_start, "n": n, "limit": limit}
    value = conn.execute(_INCREMENT[conn.dialect.name], parameters).scalar()
    return None if value is None else int(value)


def calls_in_cycle_query(workspace_id: uuid.UUID, cycle_start: datetime) -> Select[Any]:
    return select(ApiUsage.calls).where(
        ApiUsage.workspace_id == workspace_id, ApiUsage.cycle_start == cycle_start
    )


async def calls_in_cycle(
    session: AsyncSession | AsyncConnection, workspace_id: uuid.UUID, cycle_start: datetime
) -> int:
    value = await session.scalar(calls_in_cycle_query(workspace_id, cycle_start))
    return int(value or 0)


async def lock(session: AsyncSession, workspace_id: uuid.UUID) -> None:
    """Hold the workspace row until the transaction ends (PostgreSQL). SQLite's write
    transactions already exclude each other (BEGIN IMMEDIATE)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(
            select(Workspace.id).where(Workspace.id == workspace_id).with_for_update()
        )


async def get_member_by_id(
    session: AsyncSession, workspace_id: uuid.UUID, member_id: uuid.UUID
) -> Member | None:
    return await session.scalar(
        select(Member).where(Member.workspace_id == workspace_id, Member.id == member_id)
    )


async def memberships_of(session: AsyncSession, email: str) -> Sequence[tuple[Workspace, str]]:
    """Every workspace `email` is a member of, with the role, by workspace name."""
    rows = await session.execute(
        select(Workspace, Member.role)
        .join(Member, Member.workspace_id == Workspace.id)
        .where(Member.email == email)
        .order_by(Workspace.name, Workspace.id)
    )
    return [(workspace, role) for workspace, role in rows.all()]


async def count_owners(session: AsyncSession, workspace_id: uuid.UUID) -> int:
    total = await session.scalar(
        select(func.count())
        .select_from(Member)
        .where(Member.workspace_id == workspace_id, Member.role == "owner")
    )
    return int(total or 0)


async def rename_member_email(session: AsyncSession, old: str, new: str) -> None:
    members = await session.scalars(select(Member).where(Member.email == old))
    for member in members.all():
        member.email = new


async def first_owner_email(session: AsyncSession) -> str | None:
    return await session.scalar(
        select(Member.email)
        .join(Workspace, Workspace.id == Member.workspace_id)
        .where(Member.role == "owner")
        .order_by(Workspace.created_at, Member.created_at)
        .limit(1)
    )
