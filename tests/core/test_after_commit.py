"""Work done once a transaction commits (`xqr.db.engine.on_commit`): cache invalidations,
visitor memory, waking the webhook dispatchers. It follows the transaction it was asked in,
savepoints included."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from tests.conftest import BACKEND, Account
from tests.webhooks.conftest import create_webhook
from xqr.context import AppContext
from xqr.db.engine import on_commit
from xqr.webhooks import wakeup
from xqr.webhooks.outbox import emit


class Calls:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1

    def wake(self) -> None:  # as a dispatcher is woken
        self.count += 1


async def test_a_callback_runs_once_the_transaction_commits(ctx: AppContext) -> None:
    calls = Calls()
    async with ctx.sessionmaker() as session:
        on_commit(session, calls)
        assert calls.count == 0
        await session.commit()
        assert calls.count == 1
        await session.commit()  # a later transaction of the session does not run it again
    assert calls.count == 1


async def test_a_rolled_back_or_abandoned_transaction_runs_nothing_later(ctx: AppContext) -> None:
    rolled_back, abandoned = Calls(), Calls()
    async with ctx.sessionmaker() as session:
        on_commit(session, rolled_back)
        await session.rollback()
        await session.commit()
        on_commit(session, abandoned)
        await session.close()
        await session.commit()
    assert (rolled_back.count, abandoned.count) == (0, 0)


async def test_a_released_savepoint_s_callback_waits_for_the_outer_commit(
    ctx: AppContext,
) -> None:
    calls = Calls()
    async with ctx.sessionmaker() as session:
        async with session.begin_nested():
            on_commit(session, calls)
        assert calls.count == 0
        await session.commit()
    assert calls.count == 1


async def test_a_rolled_back_savepoint_s_callback_is_dropped(ctx: AppContext) -> None:
    dropped, kept = Calls(), Calls()
    async with ctx.sessionmaker() as session:
        on_commit(session, kept)
        with pytest.raises(RuntimeError):
            async with session.begin_nested():
                on_commit(session, dropped)
                raise RuntimeError("this item fails")
        await session.commit()
    assert (dropped.count, kept.count) == (0, 1)


async def test_once_adds_a_callback_a_single_time_per_surviving_transaction(
    ctx: AppContext,
) -> None:
    calls = Calls()
    async with ctx.sessionmaker() as session:
        with pytest.raises(RuntimeError):
            async with session.begin_nested():
                assert on_commit(session, calls, once=True)
                raise RuntimeError("rolled back, and the registration with it")
        assert on_commit(session, calls, once=True)
        assert not on_commit(session, calls, once=True)
        await session.commit()
    assert calls.count == 1


async def test_dispatchers_wake_when_the_transaction_of_an_event_commits_not_before(
    client: httpx.AsyncClient, account: Account, ctx: AppContext
) -> None:
    # Events emitted in savepoints (each item of a bulk create has one) woke the
    # dispatchers when the savepoint was released, before anything was committed, and the
    # commit itself then woke no one.
    await create_webhook(client, account, "https://receiver.test/hook")
    woken = Calls()
    wakeup.register(woken)
    try:
        async with ctx.sessionmaker() as session:
            async with session.begin_nested():
                await emit(session, uuid.UUID(account.workspace_id), "link.created", {"n": 1})
            with pytest.raises(RuntimeError):
                async with session.begin_nested():
                    await emit(session, uuid.UUID(account.workspace_id), "link.created", {})
                    raise RuntimeError("this item fails")
            assert woken.count == 0
            await session.commit()
        assert woken.count == 1
        async with ctx.sessionmaker() as session:
            async with session.begin_nested():
                await emit(session, uuid.UUID(account.workspace_id), "link.created", {"n": 2})
            await session.rollback()
        assert woken.count == 1
    finally:
        wakeup.unregister(woken)


@pytest.mark.skipif(BACKEND != "postgres", reason="NOTIFY is PostgreSQL's")
async def test_a_notify_lost_with_a_rolled_back_savepoint_is_sent_by_a_later_emit(
    client: httpx.AsyncClient, account: Account, ctx: AppContext
) -> None:
    await create_webhook(client, account, "https://receiver.test/hook")
    notified = asyncio.Event()
    async with ctx.engine.connect() as listening:
        raw = (await listening.get_raw_connection()).driver_connection
        assert raw is not None
        await raw.add_listener(wakeup.CHANNEL, lambda *_: notified.set())
        async with ctx.sessionmaker() as session:
            with pytest.raises(RuntimeError):
                async with session.begin_nested():
                    await emit(session, uuid.UUID(account.workspace_id), "link.created", {})
                    raise RuntimeError("rolled back, NOTIFY and all")
            await emit(session, uuid.UUID(account.workspace_id), "link.created", {"n": 1})
            await session.commit()
        await asyncio.wait_for(notified.wait(), timeout=10)
