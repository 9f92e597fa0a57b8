"""Pruning raw scan events (and the visitor rows of past days) older than the retention."""

from __future__ import annotations

import asyncio
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from xqr.scans import repository


async def prune(sessionmaker: async_sessionmaker[AsyncSession], before: datetime) -> int:
    """Delete raw events from before `before` and visitor rows of earlier UTC days.

    Events are walked in the order they were stored, a chunk at a time, each chunk one short
    transaction, so the scan writer (and, on SQLite, every other writer) never waits long.
    The walk ends at the first chunk with nothing to delete: there the events are recent. An
    event stored late (a scan written after newer ones) is deleted once the walk reaches it,
    so it is kept as much longer as it was late. Rollups are kept: analytics of any period
    stay complete. Returns the number of events deleted.
    """
    removed, after_id = 0, 0
    while True:
        async with sessionmaker() as session:
            step = await repository.prune_events(session, before, after_id)
            await session.commit()
        removed += step.deleted
        if step.last_id is None or not step.deleted:
            break
        after_id = step.last_id
        await asyncio.sleep(0)
    async with sessionmaker() as session:
        await repository.prune_visitors(session, before.date())
        await session.commit()
    return removed
