"""Scan writers of several processes add to the same rollup rows at once: on PostgreSQL they
must not deadlock (each batch locks its rows in one order)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import BACKEND
from xqr.db.engine import make_engine, make_sessionmaker
from xqr.scans import repository
from xqr.scans.aggregate import Target
from xqr.scans.models import ScanRollup

pytestmark = pytest.mark.skipif(
    BACKEND != "postgres", reason="SQLite writes one transaction at a time"
)

HOUR = datetime(2026, 3, 1, 9, tzinfo=UTC)
ROUNDS = 5


async def test_writers_adding_to_the_same_rows_in_opposite_orders_both_commit(
    db_url: str,
) -> None:
    workspace = uuid.uuid4()
    links = [uuid.uuid4() for _ in range(40)]
    targets = {link: Target(workspace, "link", None) for link in links}
    facts = [
        ((link, HOUR + timedelta(hours=h), "DE", "mobile", "Safari", "iOS", "qr"), 1)
        for link in links
        for h in range(50)
    ]
    engine = make_engine(db_url)
    sessionmaker = make_sessionmaker(engine)
    started = asyncio.Barrier(2)

    async def writer(order: list[tuple[repository.FactKey, int]]) -> None:
        async with sessionmaker() as session:
            await session.connection()
            await started.wait()  # both statements run at the same time
            await repository.upsert_facts(session, order, targets)
            await session.commit()

    try:
        for _ in range(ROUNDS):
            # Unordered, each would lock rows from its end and wait at the middle for a row
            # the other holds.
            await asyncio.wait_for(asyncio.gather(writer(facts), writer(facts[::-1])), timeout=120)
        async with sessionmaker() as session:
            total = await session.scalar(select(func.sum(ScanRollup.scans)))
        assert total == ROUNDS * 2 * len(facts)
    finally:
        await engine.dispose()
