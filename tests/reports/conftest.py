"""Report fixtures: apps whose report worker the test drives, and report helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.analytics.test_analytics_reference import analytics_settings
from tests.conftest import Account
from xqr.app import XqrApp
from xqr.config import Settings
from xqr.reports.worker import ReportWorker


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    """No background parts: scans are written when a test flushes, and reports and webhooks
    run when a test drives the worker and the dispatcher."""
    return analytics_settings(
        db_url, tmp_path / "data", webhook_retry_schedule="0,0.05", webhook_poll_interval_ms=20
    )


@pytest.fixture
async def worker(app: XqrApp) -> AsyncIterator[ReportWorker]:
    """The app's report worker, run in the test's task with `await worker.run_once()`."""
    found = ReportWorker(
        app.ctx.settings,
        sessionmaker=app.ctx.sessionmaker,
        read_sessionmaker=app.ctx.read_sessionmaker,
        plans=app.ctx.plans,
    )
    yield found
    await found.close()


async def create_report(client: httpx.AsyncClient, account: Account, **body: Any) -> dict[str, Any]:
    body = {"name": "Weekly", "kind": "summary", **body}
    response = await client.post("/api/v1/reports", json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def run_now(client: httpx.AsyncClient, account: Account, report_id: str) -> dict[str, Any]:
    response = await client.post(f"/api/v1/reports/{report_id}/runs", headers=account.headers)
    assert response.status_code == 202, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def get_run(client: httpx.AsyncClient, account: Account, run_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/reports/runs/{run_id}", headers=account.headers)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def run_to_end(
    client: httpx.AsyncClient, account: Account, worker: ReportWorker, report_id: str
) -> dict[str, Any]:
    """Run the report now and let the worker make it; the finished run."""
    queued = await run_now(client, account, report_id)
    assert await worker.run_once() >= 1
    return await get_run(client, account, queued["id"])


async def download(client: httpx.AsyncClient, account: Account, run_id: str) -> httpx.Response:
    response = await client.get(f"/api/v1/reports/runs/{run_id}/download", headers=account.headers)
    assert response.status_code == 200, response.text
    return response
