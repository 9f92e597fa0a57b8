"""Usage counters each domain registers, so the workspace never reaches into other domains."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

UsageCounter = Callable[[AsyncSession, uuid.UUID], Awaitable[int]]

_COUNTERS: dict[str, UsageCounter] = {}


def register_usage_counter(limit_name: str, counter: UsageCounter) -> None:
    """Make `counter` the source of `limit_name`'s usage (a name of `plans.LIMIT_LABELS`)."""
    _COUNTERS[limit_name] = counter


async def count_usage(session: AsyncSession, workspace_id: uuid.UUID, limit_name: str) -> int:
    counter = _COUNTERS.get(limit_name)
    return 0 if counter is None else await counter(session, workspace_id)
