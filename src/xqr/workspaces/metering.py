"""What the API's auth step reads and writes of a workspace: the plan and billing anchor it
meters calls by, and the count of calls in the current cycle.

The auth step (`xqr.auth`) runs on every API call, so these are its own small functions
rather than the workspace service's (which imports the auth cache to log plan changes).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from xqr.workspaces import repository


async def billing_terms(
    conn: AsyncConnection, workspace_id: uuid.UUID
) -> tuple[str, datetime] | None:
    """The workspace's plan and billing anchor (cycles run a month at a time from it), or
    None when there is no such workspace."""
    return await repository.billing_terms(conn, workspace_id)


def count_calls(
    conn: Connection, workspace_id: uuid.UUID, cycle_start: datetime, limit: int, n: int
) -> int | None:
    """Add n calls to the cycle's count unless that passes `limit`: the new total, or None
    (nothing counted). Synchronous, inside the quota counter's transaction."""
    return repository.increment_calls(conn, workspace_id, cycle_start, limit, n)


def calls_counted(conn: Connection, workspace_id: uuid.UUID, cycle_start: datetime) -> int:
    """The cycle's count so far, inside the quota counter's transaction."""
    value = conn.execute(repository.calls_in_cycle_query(workspace_id, cycle_start)).scalar()
    return int(value or 0)


async def calls_in_cycle(
    conn: AsyncSession | AsyncConnection, workspace_id: uuid.UUID, cycle_start: datetime
) -> int:
    """The cycle's count so far."""
    return await repository.calls_in_cycle(conn, workspace_id, cycle_start)
