"""Group-committed quota counting stays exact: every call gets its own position, never past the
limit, across several counters (processes) sharing one database."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from tests.conftest import AccountFactory
from xqr.auth.quota import QuotaCounter
from xqr.context import AppContext
from xqr.db.engine import make_engine
from xqr.workspaces import repository

CYCLE = datetime(2026, 11, 1, tzinfo=UTC)


async def _used(ctx: AppContext, workspace_id: uuid.UUID) -> int:
    async with ctx.engine.connect() as conn:
        return await repository.calls_in_cycle(conn, workspace_id, CYCLE)


async def test_concurrent_calls_get_distinct_positions_and_stop_at_the_limit(
    ctx: AppContext, make_account: AccountFactory
) -> None:
    workspace = uuid.UUID((await make_account()).workspace_id)
    counter = QuotaCounter(ctx.engine)
    now = datetime.now(UTC)
    results = await asyncio.gather(
        *(counter.count(workspace, CYCLE, 150, now=now) for _ in range(200))
    )
    await counter.stop()
    counted = [r for r in results if r is not None]
    assert sorted(counted) == list(range(1, 151))
    assert results.count(None) == 50
    assert await _used(ctx, workspace) == 150


async def test_two_counters_on_one_database_never_double_count(
    ctx: AppContext, make_account: AccountFactory, db_url: str
) -> None:
    workspace = uuid.UUID((await make_account()).workspace_id)
    other_engine = make_engine(db_url)
    try:
        first, second = QuotaCounter(ctx.engine), QuotaCounter(other_engine)
        now = datetime.now(UTC)

        async def burst(counter: QuotaCounter) -> list[int | None]:
            results: list[int | None] = []
            for _ in range(10):
                results += await asyncio.gather(
                    *(counter.count(workspace, CYCLE, 1_000, now=now) for _ in range(15))
                )
            return results

        a, b = await asyncio.gather(burst(first), burst(second))
        await first.stop()
        await second.stop()
    finally:
        await other_engine.dispose()
    positions = [p for p in a + b if p is not None]
    assert sorted(positions) == list(range(1, 301))
    assert await _used(ctx, workspace) == 300


async def test_the_last_slots_are_shared_out_in_arrival_order(
    ctx: AppContext, make_account: AccountFactory
) -> None:
    workspace = uuid.UUID((await make_account()).workspace_id)
    counter = QuotaCounter(ctx.engine)
    now = datetime.now(UTC)
    assert await counter.count(workspace, CYCLE, 5, now=now) == 1
    assert await counter.count(workspace, CYCLE, 5, now=now) == 2
    results = await asyncio.gather(*(counter.count(workspace, CYCLE, 5, now=now) for _ in range(6)))
    assert results == [3, 4, 5, None, None, None]
    assert await counter.count(workspace, CYCLE, 5, now=now) is None
    await counter.stop()
    assert await _used(ctx, workspace) == 5
