"""`xqr worker` as real processes: leases survive a SIGKILL, two workers never double-send,
SIGTERM finishes the send in flight."""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

import httpx
import pytest
from sqlalchemy import func, select, text, update

from tests.conftest import TEST_SECRET_KEY, Account
from tests.support.receiver import Receiver, Reply
from tests.support.server import XQR, ServerProcess, xqr_env
from tests.support.waiting import eventually
from tests.webhooks.conftest import FAST_SCHEDULE
from xqr.context import AppContext
from xqr.core.clock import utcnow
from xqr.webhooks import service
from xqr.webhooks.models import WebhookAttempt, WebhookDelivery
from xqr.webhooks.outbox import emit
from xqr.webhooks.secret_store import SigningSecrets
from xqr.workspaces.service import get_workspace, tenant_for

pytestmark = pytest.mark.e2e


class Worker:
    """One `xqr worker` process; output goes to files for inspection."""

    def __init__(self, db_url: str, workdir: Path, name: str, **env: str) -> None:
        self.env = xqr_env(
            db_url,
            workdir / "data",
            **{
                "XQR_WEBHOOKS_ALLOW_PRIVATE": "1",
                "XQR_WEBHOOK_POLL_INTERVAL_MS": "20",
                "XQR_WEBHOOK_RETRY_SCHEDULE": FAST_SCHEDULE,
                # The test's app seals the signing secrets the worker opens.
                "XQR_SECRET_KEY": TEST_SECRET_KEY,
                **env,
            },
        )
        self.workdir = workdir
        self.log = workdir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._file: IO[bytes] | None = None

    def launch(self) -> Worker:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._file = self.log.open("wb")
        self.process = subprocess.Popen(
            [XQR, "worker"], env=self.env, cwd=self.workdir, stdout=self._file, stderr=self._file
        )
        return self

    def ready(self, timeout: float = 30.0) -> Worker:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while "worker running" not in self.output():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"xqr worker did not start:\n{self.output()}")
            time.sleep(0.05)
        return self

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def signal(self, sig: int) -> None:
        assert self.process is not None
        self.process.send_signal(sig)

    def wait(self, timeout: float = 20.0) -> int:
        assert self.process is not None
        return self.process.wait(timeout)

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self._file is not None:
            self._file.close()


@pytest.fixture
def workers() -> Iterator[list[Worker]]:
    """The workers a test started (with `new_worker`); killed if still running at the end."""
    started: list[Worker] = []
    yield started
    for worker in started:
        worker.close()


def new_worker(
    workers: list[Worker], db_url: str, tmp_path: Path, *, wait: bool = True, **env: str
) -> Worker:
    worker = Worker(db_url, tmp_path, f"worker-{len(workers)}", **env)
    workers.append(worker)
    worker.launch()
    return worker.ready() if wait else worker


async def _endpoint(ctx: AppContext, account: Account, url: str) -> uuid.UUID:
    async with ctx.sessionmaker() as session:
        workspace = await get_workspace(session, uuid.UUID(account.workspace_id))
        endpoint, _ = await service.create_webhook(
            session,
            tenant_for(workspace, ctx.plans),
            url=url,
            events=["*"],
            description=None,
            allow_private=True,
            secrets=SigningSecrets(ctx.settings.secret),
        )
        await session.commit()
        return endpoint.id


async def _listening_and_idle(ctx: AppContext, since: datetime) -> bool:
    """PostgreSQL: the connections opened since `since` (a worker's) are all idle, one of
    them after a LISTEN. Seen in `pg_stat_activity`, as an operator would look."""
    async with ctx.engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT state, query FROM pg_stat_activity WHERE datname = current_database()"
                    " AND pid <> pg_backend_pid() AND backend_start > :since"
                ),
                {"since": since},
            )
        ).all()
    listening = any(query.startswith("LISTEN") for _, query in rows)
    return listening and len(rows) >= 2 and all(state == "idle" for state, _ in rows)


async def _emit(ctx: AppContext, account: Account, count: int, start: int = 0) -> None:
    async with ctx.sessionmaker() as session:
        for n in range(start, start + count):
            await emit(session, uuid.UUID(account.workspace_id), "link.scanned", {"n": n})
        await session.commit()


async def _statuses(ctx: AppContext) -> Counter[str]:
    async with ctx.sessionmaker() as session:
        rows = await session.execute(
            select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status)
        )
        return Counter({status: count for status, count in rows.all()})


async def _attempt_count(ctx: AppContext) -> int:
    async with ctx.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(WebhookAttempt)) or 0)


async def test_a_worker_killed_mid_send_is_taken_over_after_its_lease(
    db_url: str, tmp_path: Path, ctx: AppContext, account: Account, workers: list[Worker]
) -> None:
    lease = 3.0
    with Receiver([Reply(200, delay=30), 200]) as receiver:
        await _endpoint(ctx, account, receiver.url)
        await _emit(ctx, account, 1)
        first = new_worker(workers, db_url, tmp_path, XQR_WEBHOOK_LEASE_SECONDS=str(lease))
        [sent] = await receiver.wait_for(1)
        first.signal(signal.SIGKILL)  # dies between sending and recording
        assert first.wait() == -signal.SIGKILL
        assert await _statuses(ctx) == {"delivering": 1}
        new_worker(workers, db_url, tmp_path, XQR_WEBHOOK_LEASE_SECONDS=str(lease))
        requests = await receiver.wait_for(2, timeout=lease + 10)
        assert requests[1].received_at - sent.received_at >= lease - 0.3
        assert requests[1].delivery_id == sent.delivery_id
        assert requests[1].body == sent.body
        for _ in range(100):
            if await _statuses(ctx) == {"succeeded": 1}:
                break
            await asyncio.sleep(0.05)
        assert await _statuses(ctx) == {"succeeded": 1}
        assert await _attempt_count(ctx) == 1  # the killed worker never recorded its attempt


async def test_a_claimed_but_unsent_delivery_is_sent_once_its_lease_expires(
    db_url: str, tmp_path: Path, ctx: AppContext, account: Account, workers: list[Worker]
) -> None:
    with Receiver() as receiver:
        await _endpoint(ctx, account, receiver.url)
        await _emit(ctx, account, 1)
        expires = utcnow() + timedelta(seconds=4)
        async with ctx.sessionmaker() as session:  # a worker claimed it, then crashed
            await session.execute(
                update(WebhookDelivery).values(
                    status="delivering", lease_until=expires, lease_token="crashed-worker"
                )
            )
            await session.commit()
        worker = new_worker(workers, db_url, tmp_path)
        [request] = await receiver.wait_for(1, timeout=15)
        assert request.received_at >= expires.timestamp() - 0.05
        worker.signal(signal.SIGTERM)  # it finishes what it sends first: nothing comes later
        assert worker.wait() == 0, worker.output()
        assert len(receiver.requests) == 1


async def test_two_workers_never_send_one_attempt_twice(
    db_url: str, tmp_path: Path, ctx: AppContext, account: Account, workers: list[Worker]
) -> None:
    per_receiver = 240
    with Receiver([Reply(200, delay=0.002)]) as one, Receiver([Reply(200, delay=0.002)]) as two:
        await _endpoint(ctx, account, one.url)
        await _endpoint(ctx, account, two.url)
        await _emit(ctx, account, 80)
        for worker in [new_worker(workers, db_url, tmp_path, wait=False) for _ in range(2)]:
            worker.ready()
        for start in range(80, per_receiver, 40):  # more events while both are working
            await _emit(ctx, account, 40, start)
            await asyncio.sleep(0.02)  # paced, so the events arrive while both are sending
        await one.wait_for(per_receiver, timeout=60)
        await two.wait_for(per_receiver, timeout=60)
        for worker in workers:  # they finish what they send first: nothing comes later
            worker.signal(signal.SIGTERM)
            assert worker.wait() == 0, worker.output()
        received = [r.delivery_id for r in one.requests + two.requests]
    assert len(received) == 2 * per_receiver
    assert len(set(received)) == 2 * per_receiver
    for _ in range(100):
        if await _statuses(ctx) == {"succeeded": 2 * per_receiver}:
            break
        await asyncio.sleep(0.05)
    assert await _statuses(ctx) == {"succeeded": 2 * per_receiver}
    assert await _attempt_count(ctx) == 2 * per_receiver


async def test_sigterm_lets_the_send_in_flight_finish_and_be_recorded(
    db_url: str, tmp_path: Path, ctx: AppContext, account: Account, workers: list[Worker]
) -> None:
    with Receiver([Reply(200, delay=1.0)]) as receiver:
        await _endpoint(ctx, account, receiver.url)
        await _emit(ctx, account, 1)
        worker = new_worker(workers, db_url, tmp_path)
        await receiver.wait_for(1)
        worker.signal(signal.SIGTERM)
        assert worker.wait(timeout=15) == 0, worker.output()
    assert len(receiver.requests) == 1
    assert await _statuses(ctx) == {"succeeded": 1}
    assert await _attempt_count(ctx) == 1


async def test_on_postgresql_workers_hear_of_new_events_without_polling(
    db_url: str, tmp_path: Path, ctx: AppContext, account: Account, workers: list[Worker]
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite has no cross-process notification: workers find events by polling")
    with Receiver() as receiver:
        await _endpoint(ctx, account, receiver.url)
        async with ctx.engine.connect() as conn:
            launched = (await conn.execute(text("SELECT clock_timestamp()"))).scalar_one()
        new_worker(workers, db_url, tmp_path, XQR_WEBHOOK_POLL_INTERVAL_MS="30000")
        # it listens, and its first look found nothing: the next poll is 30 s away
        await eventually(lambda: _listening_and_idle(ctx, launched), "the worker listening")
        started = time.monotonic()
        await _emit(ctx, account, 1)
        await receiver.wait_for(1, timeout=10)
        assert time.monotonic() - started < 3


def test_xqr_serve_delivers_webhooks_itself(db_url: str, tmp_path: Path) -> None:
    env = xqr_env(db_url, tmp_path / "data", XQR_WEBHOOKS_ALLOW_PRIVATE="1")
    with Receiver() as receiver, ServerProcess(env, tmp_path) as server:
        key = re.findall(r"xqr_pk_[0-9a-f]{8}\.[A-Za-z0-9_-]{64}", server.stdout())[0]
        headers = {"Authorization": f"Bearer {key}"}
        created = httpx.post(
            f"{server.url}/api/v1/webhooks",
            json={"url": receiver.url, "events": ["*"]},
            headers=headers,
        )
        assert created.status_code == 201, created.text
        hook = created.json()["data"]
        queued = httpx.post(f"{server.url}/api/v1/webhooks/{hook['id']}/test", headers=headers)
        assert queued.status_code == 202
        try:
            [request] = receiver.wait_for_sync(1, timeout=15)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\nxqr serve said:\n{server.stderr()}") from None
        assert request.signed_with(hook["signing_secret"])
        assert request.delivery_id == queued.json()["data"]["id"]
