"""`xqr worker` processes making reports: a run whose worker is killed (SIGKILL) mid-run is
made after a worker starts again, and two workers run a scheduled report's slot once."""

from __future__ import annotations

import signal
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, update

from tests.conftest import Account
from tests.reports.conftest import create_report, download, get_run, run_now
from tests.support.smtp import Mailbox
from tests.support.waiting import eventually
from tests.webhooks.test_worker import Worker, new_worker, workers  # noqa: F401 (fixture)
from xqr.context import AppContext
from xqr.core.clock import utcnow
from xqr.reports.models import Report, ReportRun

pytestmark = pytest.mark.e2e

LEASE = "3"
# Starting `xqr worker` and making a run take long on a busy machine; these only bound a hang.
STARTUP = 90.0
DEADLINE = 60.0
FAST = {"XQR_REPORT_POLL_INTERVAL_MS": "50", "XQR_REPORT_LEASE_SECONDS": LEASE}


async def _attempts(ctx: AppContext, run_id: str) -> int:
    async with ctx.sessionmaker() as session:
        found = await session.scalar(
            select(ReportRun.attempts).where(ReportRun.id == uuid.UUID(run_id))
        )
        return int(found or 0)


async def test_a_run_whose_worker_is_killed_is_made_after_a_worker_starts_again(
    db_url: str,
    tmp_path: Path,
    ctx: AppContext,
    client: httpx.AsyncClient,
    account: Account,
    workers: list[Worker],  # noqa: F811
) -> None:
    with Mailbox(hold_first=True) as mailbox:
        env = {**FAST, "XQR_SMTP_URL": mailbox.url}
        report = await create_report(
            client, account, name="Killed", kind="links", recipients=["ana@example.com"]
        )
        queued = await run_now(client, account, report["id"])
        first = new_worker(workers, db_url, tmp_path, wait=False, **env).ready(STARTUP)
        # the file is made; the worker hangs sending it by email, and is killed there
        await eventually(
            mailbox.holding.is_set, "the first worker sending the email", timeout=DEADLINE
        )
        assert (await get_run(client, account, queued["id"]))["status"] == "running"
        first.signal(signal.SIGKILL)
        assert first.wait() == -signal.SIGKILL
        assert (await get_run(client, account, queued["id"]))["status"] == "running"

        new_worker(workers, db_url, tmp_path, wait=False, **env).ready(STARTUP)

        async def completed() -> bool:
            return (await get_run(client, account, queued["id"]))["status"] == "completed"

        await eventually(completed, "the run completed by the new worker", timeout=DEADLINE)
        run = await get_run(client, account, queued["id"])
        assert await _attempts(ctx, queued["id"]) == 2
        assert run["email_status"] == "sent" and run["error"] is None
        [(_, recipients, message)] = mailbox.messages
        assert recipients == ["ana@example.com"]
        [attachment] = list(message.iter_attachments())
        expected = (await download(client, account, run["id"])).content
        assert attachment.get_payload(decode=True) == expected
        runs = await client.get(f"/api/v1/reports/{report['id']}/runs", headers=account.headers)
        assert [r["id"] for r in runs.json()["data"]] == [queued["id"]]


async def test_two_workers_run_a_scheduled_reports_slot_once(
    db_url: str,
    tmp_path: Path,
    ctx: AppContext,
    client: httpx.AsyncClient,
    account: Account,
    workers: list[Worker],  # noqa: F811
) -> None:
    report = await create_report(
        client, account, name="Daily", schedule={"frequency": "daily", "hour": 8}
    )
    following = report["next_run_at"]
    both = [new_worker(workers, db_url, tmp_path, wait=False, **FAST) for _ in range(2)]
    for worker in both:
        worker.ready(STARTUP)
    slots = []
    for n in range(3):
        # The slot comes: as if the clock reached `next_run_at` with both workers watching.
        slot = (utcnow() - timedelta(minutes=10 - n)).replace(microsecond=0)
        slots.append(slot)
        async with ctx.sessionmaker() as session:
            await session.execute(
                update(Report).where(Report.id == uuid.UUID(report["id"])).values(next_run_at=slot)
            )
            await session.commit()

        async def made(count: int = n + 1) -> bool:
            response = await client.get(
                f"/api/v1/reports/{report['id']}/runs", headers=account.headers
            )
            runs = response.json()["data"]
            return len(runs) >= count and all(r["status"] == "completed" for r in runs)

        await eventually(made, f"slot {n + 1} run", timeout=DEADLINE)
    for worker in both:
        worker.signal(signal.SIGTERM)
        assert worker.wait(DEADLINE) == 0, worker.output()

    response = await client.get(f"/api/v1/reports/{report['id']}/runs", headers=account.headers)
    runs = response.json()["data"]
    assert len(runs) == 3
    assert {r["trigger"] for r in runs} == {"schedule"}
    assert sorted(r["scheduled_for"] for r in runs) == [
        slot.strftime("%Y-%m-%dT%H:%M:%S.000Z") for slot in slots
    ]
    queued_lines = sum(w.output().count("queued for its schedule slot") for w in both)
    assert queued_lines == 3
    # each slot moved the schedule on to the next 08:00 after it
    after = (await client.get(f"/api/v1/reports/{report['id']}", headers=account.headers)).json()
    assert after["data"]["next_run_at"] == following
