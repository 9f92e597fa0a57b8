"""Webhook fixtures: apps whose dispatcher the test drives, a receiver, webhook helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Account, make_settings
from tests.support.receiver import Receiver
from xqr.app import XqrApp
from xqr.config import Settings
from xqr.webhooks.dispatcher import Dispatcher

FAST_SCHEDULE = "0,0.05,0.05,0.05,0.05,0.05"


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    """No background dispatcher (tests run it with `dispatcher.drain()`), a fast schedule."""
    return make_settings(
        db_url,
        tmp_path / "data",
        run_background=False,
        webhook_retry_schedule=FAST_SCHEDULE,
        webhook_poll_interval_ms=20,
    )


@pytest.fixture
async def dispatcher(app: XqrApp) -> AsyncIterator[Dispatcher]:
    d = Dispatcher(app.ctx.settings, sessionmaker=app.ctx.sessionmaker)
    yield d
    await d.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as hook:
        yield hook


async def create_webhook(
    client: httpx.AsyncClient,
    account: Account,
    url: str,
    events: list[str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/webhooks",
        json={"url": url, "events": events or ["*"], **extra},
        headers=account.headers,
    )
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def deliveries(
    client: httpx.AsyncClient, account: Account, webhook_id: str, **params: Any
) -> list[dict[str, Any]]:
    response = await client.get(
        f"/api/v1/webhooks/{webhook_id}/deliveries", params=params, headers=account.headers
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["data"]
    return items


@pytest.fixture
async def strict_client(db_url: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app with the production URL rules (`webhooks_allow_private=False`)."""
    from xqr.app import create_app

    application = create_app(
        make_settings(
            db_url, tmp_path / "strict", webhooks_allow_private=False, run_background=False
        )
    )
    async with application.api.router.lifespan_context(application.api):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http
