"""Pruning raw scan events (and the visitor rows of past days) older than the retention."""

from __future__ import annotations

import asyncio
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from xqr.scans import repository


async def prune(sessionmaker: async_sessionmaker[AsyncSession], before: datetime) -> int:
    """Delete raw events from before `before` and visitor rows of earlier UTC days.

    Works in chunks, one short transaction each, so the scan writer (and, on SQLite, every
    other writer) never waits long. Rollups are kept: analytics of any period stay complete.
    Returns the number of events deleted.
    """
    removed = 0
    while True:
        async with sessionmaker() as session:
            deleted = await repository.prune_events(session, before)
            await session.commit()
        removed += deleted
        if deleted < repository.PRUNE_CHUNK:
            break
        await asyncio.sleep(0)
    async with sessionmaker() as session:
        await repository.prune_visitors(session, before.date())
        await session.commit()
    return removed
