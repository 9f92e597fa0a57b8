"""What a served redirect stores: scan events, rollups, visitors and the link's counters."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from tests.conftest import Account
from tests.links.linkkit import (
    BROWSER,
    CHROME_UA,
    IPHONE_UA,
    create_link,
    flush,
    get_link,
    link_breakdown,
    new_account,
    quiet_settings,
    running,
    scan_events,
    workspace_breakdown,
)
from xqr.app import XqrApp
from xqr.core.clock import clock
from xqr.db.engine import make_engine, make_sessionmaker
from xqr.scans.models import ScanDimension, ScanEvent, ScanRollup, ScanTotal, ScanVisitor

HEX64 = re.compile(r"^[0-9a-f]{64}$")


def by_dim(table: dict[tuple[Any, str, str], int], bucket: datetime) -> dict[tuple[str, str], int]:
    return {(dim, value): n for (b, dim, value), n in table.items() if b == bucket}


# --- one scan, in detail -------------------------------------------------------------------


async def test_a_scan_event_holds_the_visit_but_never_the_ip(db_url: str, tmp_path: Path) -> None:
    settings = quiet_settings(db_url, tmp_path / "data", trusted_proxies="127.0.0.1")
    async with running(settings) as (app, client):
        account = await new_account(app)
        link = await create_link(client, account, url="https://example.com/p")
        clock.freeze(datetime(2030, 3, 3, 10, 15, 30, tzinfo=UTC))
        response = await client.get(
            f"/{link['short_code']}?qr=1",
            headers={
                "User-Agent": IPHONE_UA,
                "Referer": "https://News.Example.org:8443/article?id=1",
                "X-Forwarded-For": "5.9.0.1",
            },
        )
        assert response.status_code == 302
        await flush(app)
        events = await scan_events(app.ctx, link["id"])
        assert len(events) == 1
        event = events[0]
        assert event["kind"] == "link"
        assert event["country"] == "DE"
        assert event["device_type"] == "mobile"
        assert event["browser"] == "Mobile Safari"
        assert event["os"] == "iOS"
        assert event["referrer_host"] == "news.example.org"
        assert event["source"] == "qr"
        assert HEX64.match(event["visitor_hash"])
        assert event["parent_id"] is None
        for value in event.values():
            assert "5.9.0.1" not in str(value) and "127.0.0.1" not in str(value)
        # nor in any other scan table
        async with app.ctx.sessionmaker() as session:
            for model in (ScanRollup, ScanTotal, ScanDimension, ScanVisitor):
                for row in (await session.scalars(select(model))).all():
                    assert "5.9.0.1" not in repr(row.__dict__)
        stored = await get_link(client, account, link["id"])
        assert stored["scan_count"] == 1
        assert stored["last_scan_at"] == "2030-03-03T10:15:30.000Z"


async def test_a_scan_without_referrer_is_direct_from_a_desktop(
    app: XqrApp, client: httpx.AsyncClient, account: Account
) -> None:
    link = await create_link(client, account)
    await client.get(f"/{link['short_code']}", headers=BROWSER)
    await flush(app)
    (event,) = await scan_events(app.ctx, link["id"])
    assert (event["device_type"], event["browser"], event["os"]) == ("desktop", "Chrome", "Windows")
    assert event["referrer_host"] is None
    assert event["source"] == "direct"
    assert event["country"] == "XX"  # a loopback peer has no country


# --- bots and HEAD -------------------------------------------------------------------------


BOTS = [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "curl/8.5.0",
    "python-httpx/0.27.0",
    "facebookexternalhit/1.1",
    "",
]


async def test_bots_are_redirected_but_not_counted(
    app: XqrApp, client: httpx.AsyncClient, account: Account
) -> None:
    link = await create_link(client, account, url="https://example.com/p")
    for user_agent in BOTS:
        for _ in range(2):
            response = await client.get(
                f"/{link['short_code']}", headers={"User-Agent": user_agent}
            )
            assert response.status_code == 302
            assert response.headers["location"] == "https://example.com/p"
    await flush(app)
    assert await scan_events(app.ctx, link["id"]) == []
    stored = await get_link(client, account, link["id"])
    assert (stored["scan_count"], stored["last_scan_at"]) == (0, None)
    assert await link_breakdown(app.ctx, link["id"], "h") == {}
    assert await workspace_breakdown(app.ctx, account.workspace_id, "h") == {}


async def test_the_default_client_user_agent_is_a_bot(
    app: XqrApp, client: httpx.AsyncClient, account: Account
) -> None:
    link = await create_link(client, account)
    assert (await client.get(f"/{link['short_code']}")).status_code == 302  # python-httpx/…
    await flush(app)
    assert (await get_link(client, account, link["id"]))["scan_count"] == 0


async def test_head_requests_are_redirected_but_not_counted(
    app: XqrApp, client: httpx.AsyncClient, account: Account
) -> None:
    link = await create_link(client, account)
    for _ in range(3):
        assert (await client.head(f"/{link['short_code']}", headers=BROWSER)).status_code == 302
    await client.get(f"/{link['short_code']}", headers=BROWSER)
    await flush(app)
    assert len(await scan_events(app.ctx, link["id"])) == 1
    assert (await get_link(client, account, link["id"]))["scan_count"] == 1


async def test_not_found_disabled_and_expired_answers_are_not_scans(
    app: XqrApp, client: httpx.AsyncClient, account: Account
) -> None:
    clock.freeze(datetime(2030, 1, 1, tzinfo=UTC))
    expiring = await create_link(client, account, expires_at="2030-01-02T00:00:00Z")
    disabled = await create_link(client, account)
    await client.patch(
        f"/api/v1/links/{disabled['id']}", json={"enabled": False}, headers=account.headers
    )
    clock.freeze(datetime(2030, 1, 3, tzinfo=UTC))
    for path in (expiring["short_code"], disabled["short_code"], "nope-nope"):
        assert (await client.get(f"/{path}", headers=BROWSER)).status_code in (404, 410)
    await flush(app)
    async with app.ctx.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(ScanEvent)) == 0


# --- trusted proxies -----------------------------------------------------------------------


async def countries_for(
    settings_overrides: dict[str, Any], db_url: str, tmp: Path, forwarded: list[str]
) -> tuple[list[str], list[str]]:
    settings = quiet_settings(db_url, tmp, **settings_overrides)
    async with running(settings) as (app, client):
        account = await new_account(app)
        link = await create_link(client, account)
        for value in forwarded:
            await client.get(
                f"/{link['short_code']}", headers={**BROWSER, "X-Forwarded-For": value}
            )
        await flush(app)
        events = await scan_events(app.ctx, link["id"])
        return [e["country"] for e in events], [e["visitor_hash"] for e in events]


async def test_x_forwarded_for_is_ignored_from_an_untrusted_peer(
    db_url: str, tmp_path: Path
) -> None:
    for overrides in ({}, {"trusted_proxies": "10.0.0.0/8"}):
        countries, hashes = await countries_for(
            overrides, db_url, tmp_path / "d", ["5.9.0.1", "8.8.8.8"]
        )
        assert countries == ["XX", "XX"], overrides
        assert hashes[0] == hashes[1]  # one visitor: the peer


async def test_x_forwarded_for_is_honoured_from_a_trusted_proxy(
    db_url: str, tmp_path: Path
) -> None:
    countries, hashes = await countries_for(
        {"trusted_proxies": "127.0.0.1, 10.0.0.0/8"},
        db_url,
        tmp_path / "d",
        [
            "5.9.0.1",  # DE
            "8.8.8.8",  # US
            "5.9.0.1, 10.1.2.3",  # through a second trusted proxy
            "8.8.8.8, 5.9.0.1",  # a forged left entry: the nearest untrusted hop counts
            "2a01:4f8::1",  # IPv6 DE
        ],
    )
    assert countries == ["DE", "US", "DE", "DE", "DE"]
    assert hashes[0] == hashes[2] == hashes[3]
    assert hashes[0] != hashes[1]


async def test_trusted_proxy_country_drives_routing(db_url: str, tmp_path: Path) -> None:
    settings = quiet_settings(db_url, tmp_path / "d", trusted_proxies="127.0.0.1")
    async with running(settings) as (app, client):
        account = await new_account(app)
        link = await create_link(
            client,
            account,
            url="https://example.com/world",
            routing_rules=[
                {"destination": "https://example.de/", "conditions": {"countries": ["DE"]}}
            ],
        )
        code = link["short_code"]
        de = await client.get(f"/{code}", headers={**BROWSER, "X-Forwarded-For": "85.214.0.1"})
        us = await client.get(f"/{code}", headers={**BROWSER, "X-Forwarded-For": "8.8.8.8"})
        assert de.headers["location"] == "https://example.de/"
        assert us.headers["location"] == "https://example.com/world"


# --- rollups and visitors ------------------------------------------------------------------


async def test_rollups_count_per_link_and_per_workspace_by_hour_and_day(
    app: XqrApp, client: httpx.AsyncClient, account: Account
) -> None:
    first = await create_link(client, account)
    second = await create_link(client, account)
    clock.freeze(datetime(2030, 3, 3, 10, 15, tzinfo=UTC))
    await client.get(f"/{first['short_code']}", headers=BROWSER)
    await client.get(f"/{first['short_code']}", headers=BROWSER)
    await client.get(f"/{first['short_code']}?qr=1", headers={"User-Agent": IPHONE_UA})
    clock.freeze(datetime(2030, 3, 3, 11, 5, tzinfo=UTC))
    await client.get(f"/{second['short_code']}", headers=BROWSER)
    await flush(app)

    hour10 = datetime(2030, 3, 3, 10, tzinfo=UTC)
    hour11 = datetime(2030, 3, 3, 11, tzinfo=UTC)
    day = datetime(2030, 3, 3, tzinfo=UTC)
    first_link = {
        ("total", ""): 3,
        ("country", "XX"): 3,
        ("device", "desktop"): 2,
        ("device", "mobile"): 1,
        ("browser", "Chrome"): 2,
        ("browser", "Mobile Safari"): 1,
        ("os", "Windows"): 2,
        ("os", "iOS"): 1,
        ("source", "direct"): 2,
        ("source", "qr"): 1,
        ("visitors", ""): 2,
    }
    hourly = await link_breakdown(app.ctx, first["id"], "h")
    assert {b for b, _, _ in hourly} == {hour10}
    assert by_dim(hourly, hour10) == first_link
    daily = await link_breakdown(app.ctx, first["id"], "d")
    assert {b for b, _, _ in daily} == {day}
    assert by_dim(daily, day) == first_link

    workspace_hourly = await workspace_breakdown(app.ctx, account.workspace_id, "h")
    assert by_dim(workspace_hourly, hour10) == first_link
    assert by_dim(workspace_hourly, hour11) == {
        ("total", ""): 1,
        ("country", "XX"): 1,
        ("device", "desktop"): 1,
        ("browser", "Chrome"): 1,
        ("os", "Windows"): 1,
        ("source", "direct"): 1,
        # no ("visitors", ""): the Chrome visitor was first seen in the workspace at 10:15
    }
    workspace_daily = by_dim(await workspace_breakdown(app.ctx, account.workspace_id, "d"), day)
    assert workspace_daily[("total", "")] == 4
    assert workspace_daily[("source", "direct")] == 3
    # the Chrome visitor of the second link was already seen in the workspace that day
    assert workspace_daily[("visitors", "")] == 2
    assert (await get_link(client, account, first["id"]))["scan_count"] == 3
    assert (await get_link(client, account, second["id"]))["scan_count"] == 1


async def test_rollups_add_up_across_flushes(
    app: XqrApp, client: httpx.AsyncClient, account: Account
) -> None:
    link = await create_link(client, account)
    clock.freeze(datetime(2030, 3, 3, 10, 15, tzinfo=UTC))
    for _ in range(3):
        await client.get(f"/{link['short_code']}", headers=BROWSER)
        await flush(app)
    hour = datetime(2030, 3, 3, 10, tzinfo=UTC)
    counts = by_dim(await link_breakdown(app.ctx, link["id"], "h"), hour)
    assert counts[("total", "")] == 3
    assert counts[("visitors", "")] == 1


async def test_a_visitor_counts_once_per_utc_day(
    app: XqrApp, client: httpx.AsyncClient, account: Account
) -> None:
    link = await create_link(client, account)
    code = link["short_code"]
    moments = [
        datetime(2030, 3, 3, 10, 0, tzinfo=UTC),
        datetime(2030, 3, 3, 11, 30, tzinfo=UTC),
        datetime(2030, 3, 3, 23, 59, tzinfo=UTC),
        datetime(2030, 3, 4, 0, 1, tzinfo=UTC),
    ]
    for moment in moments:
        clock.freeze(moment)
        await client.get(f"/{code}", headers=BROWSER)
        await flush(app)  # separate batches: the database remembers who was seen
    clock.freeze(datetime(2030, 3, 4, 0, 2, tzinfo=UTC))
    await client.get(f"/{code}", headers={"User-Agent": IPHONE_UA})
    await client.get(f"/{code}", headers={"User-Agent": IPHONE_UA})
    await flush(app)

    daily = await link_breakdown(app.ctx, link["id"], "d")
    day1, day2 = datetime(2030, 3, 3, tzinfo=UTC), datetime(2030, 3, 4, tzinfo=UTC)
    assert daily[(day1, "visitors", "")] == 1
    assert daily[(day1, "total", "")] == 3
    assert daily[(day2, "visitors", "")] == 2
    assert daily[(day2, "total", "")] == 3
    hourly = await link_breakdown(app.ctx, link["id"], "h")
    assert hourly[(datetime(2030, 3, 3, 10, tzinfo=UTC), "visitors", "")] == 1
    assert (datetime(2030, 3, 3, 11, tzinfo=UTC), "visitors", "") not in hourly
    assert hourly[(datetime(2030, 3, 4, 0, tzinfo=UTC), "visitors", "")] == 2
    async with app.ctx.sessionmaker() as session:
        visitors = (await session.scalars(select(ScanVisitor))).all()
    # per link and per workspace: (day1: 1, day2: 2) each
    assert len(visitors) == 6
    events = await scan_events(app.ctx, link["id"])
    assert events[0]["visitor_hash"] == events[1]["visitor_hash"] == events[2]["visitor_hash"]
    assert events[3]["visitor_hash"] != events[0]["visitor_hash"]  # the salt rotates daily


async def test_last_scan_at_is_the_latest_scan(
    app: XqrApp, client: httpx.AsyncClient, account: Account
) -> None:
    link = await create_link(client, account)
    for minute in (5, 7, 6):
        clock.freeze(datetime(2030, 3, 3, 10, minute, tzinfo=UTC))
        await client.get(f"/{link['short_code']}", headers=BROWSER)
    await flush(app)
    stored = await get_link(client, account, link["id"])
    assert stored["scan_count"] == 3
    assert stored["last_scan_at"] == "2030-03-03T10:07:00.000Z"
    listed = await client.get("/api/v1/links", headers=account.headers)
    assert listed.json()["data"][0]["scan_count"] == 3


async def test_counters_add_up_across_batches_and_a_scan_is_not_an_edit(
    app: XqrApp, client: httpx.AsyncClient, account: Account
) -> None:
    link = await create_link(client, account)
    other = await create_link(client, account)
    clock.freeze(datetime(2030, 3, 3, 10, 7, tzinfo=UTC))
    for _ in range(2):
        await client.get(f"/{link['short_code']}", headers=BROWSER)
    await flush(app)
    # a later batch holding an earlier scan (a late arrival) leaves last_scan_at as it was
    clock.freeze(datetime(2030, 3, 3, 10, 6, tzinfo=UTC))
    await client.get(f"/{link['short_code']}", headers=BROWSER)
    await client.get(f"/{other['short_code']}", headers=BROWSER)
    await flush(app)
    stored = await get_link(client, account, link["id"])
    assert stored["scan_count"] == 3
    assert stored["last_scan_at"] == "2030-03-03T10:07:00.000Z"
    assert stored["updated_at"] == link["updated_at"]
    stored_other = await get_link(client, account, other["id"])
    assert stored_other["scan_count"] == 1
    assert stored_other["last_scan_at"] == "2030-03-03T10:06:00.000Z"


async def test_scan_count_follows_within_a_second_without_a_manual_flush(
    db_url: str, tmp_path: Path
) -> None:
    settings = quiet_settings(db_url, tmp_path / "d", scan_flush_interval_ms=250)
    async with running(settings) as (app, client):
        account = await new_account(app)
        link = await create_link(client, account)
        for _ in range(5):
            await client.get(f"/{link['short_code']}", headers=BROWSER)
        deadline = time.monotonic() + 1.0
        while (await get_link(client, account, link["id"]))["scan_count"] < 5:
            assert time.monotonic() < deadline, "scan_count did not follow within a second"
            await asyncio.sleep(0.05)


# --- exact counts under concurrency --------------------------------------------------------


async def test_concurrent_redirects_are_each_recorded_exactly_once(
    db_url: str, tmp_path: Path
) -> None:
    # a small batch and a short interval, so the background writer flushes while requests run
    settings = quiet_settings(db_url, tmp_path / "d", scan_batch_size=37, scan_flush_interval_ms=5)
    async with running(settings) as (app, client):
        account = await new_account(app)
        links = [await create_link(client, account) for _ in range(3)]

        async def hit(i: int) -> int:
            code = links[i % 3]["short_code"]
            ua = CHROME_UA.replace("124.0.0.0", f"124.0.{i % 50}.0")
            if i % 10 == 0:
                return (await client.head(f"/{code}", headers={"User-Agent": ua})).status_code
            if i % 10 == 1:
                return (await client.get(f"/{code}", headers={"User-Agent": "curl/8"})).status_code
            return (await client.get(f"/{code}", headers={"User-Agent": ua})).status_code

        statuses = await asyncio.gather(*(hit(i) for i in range(600)))
        assert set(statuses) == {302}
        counted = sum(1 for i in range(600) if i % 10 not in (0, 1))
        deadline = time.monotonic() + 10
        while True:
            total = sum(
                [(await get_link(client, account, link["id"]))["scan_count"] for link in links]
            )
            if total >= counted or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.05)
        await flush(app)  # writes what is buffered, after any batch being written
        totals = [(await get_link(client, account, link["id"]))["scan_count"] for link in links]
        assert sum(totals) == counted
        for i, link in enumerate(links):
            expected = sum(1 for n in range(600) if n % 3 == i and n % 10 not in (0, 1))
            assert totals[i] == expected
            assert len(await scan_events(app.ctx, link["id"])) == expected
        workspace = await workspace_breakdown(app.ctx, account.workspace_id, "d")
        assert sum(n for (_, dim, _), n in workspace.items() if dim == "total") == counted
        distinct = len({i % 50 for i in range(600) if i % 10 not in (0, 1)})
        assert sum(n for (_, dim, _), n in workspace.items() if dim == "visitors") == distinct


async def test_a_graceful_shutdown_writes_every_buffered_scan(db_url: str, tmp_path: Path) -> None:
    settings = quiet_settings(db_url, tmp_path / "d")  # the writer would wait an hour
    async with running(settings) as (app, client):
        account = await new_account(app)
        link = await create_link(client, account)
        for _ in range(40):
            assert (await client.get(f"/{link['short_code']}", headers=BROWSER)).status_code == 302
        assert len(app.ctx.parts.scan_buffer) == 40
    engine = make_engine(db_url)
    try:
        async with make_sessionmaker(engine)() as session:
            assert await session.scalar(select(func.count()).select_from(ScanEvent)) == 40
        link_row = await _scan_count(engine, link["id"])
        assert link_row == 40
    finally:
        await engine.dispose()


async def _scan_count(engine: Any, link_id: str) -> int:
    import uuid

    from xqr.links.models import Link

    async with make_sessionmaker(engine)() as session:
        value = await session.scalar(select(Link.scan_count).where(Link.id == uuid.UUID(link_id)))
        return int(value or 0)


async def test_scans_of_a_link_deleted_before_the_flush_do_not_break_the_batch(
    app: XqrApp, client: httpx.AsyncClient, account: Account
) -> None:
    gone = await create_link(client, account)
    kept = await create_link(client, account)
    await client.get(f"/{gone['short_code']}", headers=BROWSER)
    await client.get(f"/{kept['short_code']}", headers=BROWSER)
    await client.delete(f"/api/v1/links/{gone['id']}", headers=account.headers)
    await flush(app)
    assert len(app.ctx.parts.scan_buffer) == 0
    assert (await get_link(client, account, kept["id"]))["scan_count"] == 1


async def test_several_x_forwarded_for_lines_are_read_as_one_list(
    db_url: str, tmp_path: Path
) -> None:
    settings = quiet_settings(db_url, tmp_path / "d", trusted_proxies="127.0.0.1,10.0.0.0/8")
    async with running(settings) as (app, client):
        account = await new_account(app)
        link = await create_link(client, account)
        headers = [
            ("User-Agent", CHROME_UA),
            ("X-Forwarded-For", "5.9.0.1"),  # written by the outer proxy, 10.0.0.7
            ("X-Forwarded-For", "10.0.0.7"),  # written by the inner proxy, 127.0.0.1
        ]
        assert (await client.get(f"/{link['short_code']}", headers=headers)).status_code == 302
        await flush(app)
        (event,) = await scan_events(app.ctx, link["id"])
        assert event["country"] == "DE"
