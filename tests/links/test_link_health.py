"""Destination health checks against real local HTTP receivers, the `health` of links, the
`broken` filter and the link.broken / link.recovered webhooks."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Account
from tests.links.linkkit import create_link, get_link, quiet_settings
from tests.support.receiver import Receiver, Reply
from tests.webhooks.conftest import create_webhook
from xqr.app import XqrApp
from xqr.config import Settings
from xqr.links.health import HealthChecker
from xqr.webhooks.dispatcher import Dispatcher

START = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return quiet_settings(
        db_url,
        tmp_path / "data",
        health_check_allowed_hosts="127.0.0.1",
        health_check_timeout_seconds=0.5,
        health_check_interval_minutes=60,
    )


class Clock:
    def __init__(self) -> None:
        self.at = START

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def now() -> Clock:
    return Clock()


@pytest.fixture
async def checker(app: XqrApp, now: Clock) -> AsyncIterator[HealthChecker]:
    health = HealthChecker(app.ctx.settings, app.ctx.sessionmaker, now=now)
    yield health
    await health.close()


@pytest.fixture
def destination() -> Iterator[Receiver]:
    with Receiver(path="/page") as receiver:
        yield receiver


async def health_of(client: httpx.AsyncClient, account: Account, link: dict[str, Any]) -> Any:
    return (await get_link(client, account, link["id"]))["health"]


async def test_a_destination_answering_200_is_ok_checked_by_head_then_get(
    client: httpx.AsyncClient, account: Account, checker: HealthChecker, destination: Receiver
) -> None:
    link = await create_link(client, account, url=destination.url)
    assert (await health_of(client, account, link))["status"] == "unknown"
    assert await checker.run_once() == 1
    health = await health_of(client, account, link)
    assert health == {
        "status": "ok",
        "status_code": None,
        "reason": None,
        "checked_at": "2030-06-01T12:00:00.000Z",
    }
    # The receiver does not implement HEAD (501), so the check asked again with GET.
    [request] = destination.requests
    assert request.method == "GET" and request.path == "/page"
    assert request.headers["user-agent"].startswith("xQR-LinkHealth/")


async def test_a_destination_answering_404_is_broken_with_its_status(
    client: httpx.AsyncClient, account: Account, checker: HealthChecker
) -> None:
    with Receiver([404], path="/gone") as gone:
        link = await create_link(client, account, url=gone.url)
        await checker.run_once()
    health = await health_of(client, account, link)
    assert health["status"] == "broken"
    assert health["status_code"] == 404 and health["reason"] == "HTTP 404"


async def test_a_destination_that_times_out_is_broken(
    client: httpx.AsyncClient, account: Account, checker: HealthChecker
) -> None:
    with Receiver([Reply(200, delay=5)], path="/slow") as slow:
        link = await create_link(client, account, url=slow.url)
        await checker.run_once()
    health = await health_of(client, account, link)
    assert health["status"] == "broken"
    assert health["status_code"] is None and health["reason"] == "timed out"


@pytest.mark.parametrize("private", ["http://10.20.30.40/admin", "http://169.254.169.254/latest/"])
async def test_a_redirect_to_a_private_address_is_refused_never_fetched(
    client: httpx.AsyncClient, account: Account, checker: HealthChecker, private: str
) -> None:
    with Receiver([Reply(302, headers={"Location": private})], path="/jump") as jump:
        link = await create_link(client, account, url=jump.url)
        await checker.run_once()
    health = await health_of(client, account, link)
    assert health["status"] == "broken"
    assert health["reason"].startswith("refused: ")
    assert "not a public address" in health["reason"]


async def test_a_destination_on_a_private_address_is_refused(
    client: httpx.AsyncClient, account: Account, checker: HealthChecker
) -> None:
    link = await create_link(client, account, url="http://192.168.1.20/printer")
    await checker.run_once()
    health = await health_of(client, account, link)
    assert health["status"] == "broken" and health["reason"].startswith("refused: ")


async def test_redirects_are_followed_and_every_rule_destination_is_checked(
    client: httpx.AsyncClient, account: Account, checker: HealthChecker, destination: Receiver
) -> None:
    with (
        Receiver([Reply(301, headers={"Location": destination.url})], path="/moved") as moved,
        Receiver([410], path="/old") as old,
    ):
        link = await create_link(
            client,
            account,
            url=moved.url,
            routing_rules=[{"destination": old.url, "conditions": {"os": ["ios"]}}],
        )
        await checker.run_once()
    health = await health_of(client, account, link)
    assert health["status"] == "broken" and health["status_code"] == 410
    assert len(destination.requests) == 1  # the redirect was followed to it


async def test_a_link_is_checked_at_most_once_per_interval(
    client: httpx.AsyncClient,
    account: Account,
    checker: HealthChecker,
    destination: Receiver,
    now: Clock,
) -> None:
    await create_link(client, account, url=destination.url)
    assert await checker.run_once() == 1
    now.at = START + timedelta(minutes=59)
    assert await checker.run_once() == 0
    assert len(destination.requests) == 1
    now.at = START + timedelta(minutes=61)
    assert await checker.run_once() == 1
    assert len(destination.requests) == 2


async def test_the_broken_filter_lists_only_broken_links(
    client: httpx.AsyncClient, account: Account, checker: HealthChecker, destination: Receiver
) -> None:
    with Receiver([404], path="/gone") as gone:
        broken = await create_link(client, account, url=gone.url)
        working = await create_link(client, account, url=destination.url)
        await checker.run_once()
    listed = await client.get("/api/v1/links", params={"health": "broken"}, headers=account.headers)
    assert listed.status_code == 200
    assert [link["id"] for link in listed.json()["data"]] == [broken["id"]]
    assert listed.json()["meta"]["total"] == 1
    ok = await client.get("/api/v1/links", params={"health": "ok"}, headers=account.headers)
    assert [link["id"] for link in ok.json()["data"]] == [working["id"]]
    bad = await client.get("/api/v1/links", params={"health": "sick"}, headers=account.headers)
    assert bad.status_code == 400
    assert bad.json()["error"]["details"][0]["field"] == "health"


async def test_link_broken_then_link_recovered_are_delivered_once_each(
    app: XqrApp,
    client: httpx.AsyncClient,
    account: Account,
    checker: HealthChecker,
    now: Clock,
) -> None:
    dispatcher = Dispatcher(app.ctx.settings, sessionmaker=app.ctx.sessionmaker)
    try:
        with Receiver([404], path="/page") as site, Receiver() as hook:
            await create_webhook(
                client, account, hook.url, events=["link.broken", "link.recovered"]
            )
            link = await create_link(client, account, url=site.url)
            for minutes in (0, 61, 122):  # broken, still broken, still broken
                now.at = START + timedelta(minutes=minutes)
                assert await checker.run_once() == 1
                await dispatcher.drain()
            site.replies([200])
            for minutes in (183, 244):  # recovered, still fine
                now.at = START + timedelta(minutes=minutes)
                assert await checker.run_once() == 1
                await dispatcher.drain()
            events = [request.json() for request in hook.requests]
    finally:
        await dispatcher.close()
    assert [event["event"] for event in events] == ["link.broken", "link.recovered"]
    broken, recovered = (event["data"] for event in events)
    assert broken["id"] == link["id"] and recovered["id"] == link["id"]
    assert broken["health"]["status"] == "broken" and broken["health"]["status_code"] == 404
    assert recovered["health"]["status"] == "ok"
