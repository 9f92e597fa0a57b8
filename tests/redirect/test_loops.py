"""A redirect loop through this server's own names records a few scans, then answers 508."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.conftest import Account
from tests.links.linkkit import (
    BROWSER,
    create_link,
    flush,
    get_link,
    new_account,
    quiet_settings,
    running,
    scan_events,
)
from xqr.app import XqrApp
from xqr.redirect.loops import HOP_PARAM, MAX_HOPS

LINKS = "/api/v1/links"


async def _follow(app: XqrApp, path: str) -> httpx.Response:
    """Follow redirects as a browser would (any host reaches this app), far past MAX_HOPS."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://testserver",
        follow_redirects=True,
        max_redirects=100,
        headers=BROWSER,
    ) as client:
        return await client.get(path)


def _assert_loop_page(response: httpx.Response) -> None:
    assert response.status_code == 508
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "location" not in response.headers
    assert "loops" in response.text.lower()


async def _scans(app: XqrApp, client: httpx.AsyncClient, account: Account, link: Any) -> int:
    await flush(app)
    count = (await get_link(client, account, link["id"]))["scan_count"]
    assert len(await scan_events(app.ctx, link["id"])) == count
    return int(count)


async def test_a_link_to_a_name_configured_later_stops_after_max_hops(
    db_url: str, tmp_path: Path
) -> None:
    # Saved while go.example was not yet known as one of this server's names.
    async with running(quiet_settings(db_url, tmp_path / "d")) as (app, client):
        account = await new_account(app)
        link = await create_link(
            client, account, url="http://go.example/loop-a", custom_slug="loop-a"
        )
    settings = quiet_settings(db_url, tmp_path / "d", short_host_aliases="go.example")
    async with running(settings) as (app, client):
        first = await client.get("/loop-a", headers=BROWSER)
        assert first.status_code == 302
        assert first.headers["location"] == f"http://go.example/loop-a?{HOP_PARAM}=1"
        response = await _follow(app, "/loop-a")
        _assert_loop_page(response)
        assert len(response.history) == MAX_HOPS
        assert [r.status_code for r in response.history] == [302] * MAX_HOPS
        assert await _scans(app, client, account, link) == 1 + MAX_HOPS  # `first` included


async def test_a_link_to_a_name_no_setting_lists_is_caught_by_its_host_header(
    client: httpx.AsyncClient, account: Account, app: XqrApp
) -> None:
    # alias.example reaches this server, but nothing says so: the link is accepted...
    link = await create_link(
        client, account, url="http://alias.example/loop-b", custom_slug="loop-b"
    )
    first = await client.get("/loop-b", headers=BROWSER)
    assert first.headers["location"] == "http://alias.example/loop-b"  # not known to loop yet
    # ...and the request that comes back on that name shows it.
    response = await _follow(app, "/loop-b")
    _assert_loop_page(response)
    assert len(response.history) == 1 + MAX_HOPS
    assert str(response.history[1].url) == "http://alias.example/loop-b"
    assert response.history[1].headers["location"] == f"http://alias.example/loop-b?{HOP_PARAM}=1"
    assert await _scans(app, client, account, link) == 1 + 1 + MAX_HOPS


async def test_a_routing_rule_destination_that_leads_back_is_counted_too(
    db_url: str, tmp_path: Path
) -> None:
    rule = {"destination": "http://go.example/loop-r", "conditions": {"percentage": 100}}
    async with running(quiet_settings(db_url, tmp_path / "d")) as (app, client):
        account = await new_account(app)
        link = await create_link(client, account, custom_slug="loop-r", routing_rules=[rule])
    settings = quiet_settings(db_url, tmp_path / "d", short_host_aliases="go.example")
    async with running(settings) as (app, client):
        response = await _follow(app, "/loop-r")
        _assert_loop_page(response)
        assert len(response.history) == MAX_HOPS
        assert await _scans(app, client, account, link) == MAX_HOPS


async def test_the_hop_count_is_passed_on_one_higher_and_capped(
    client: httpx.AsyncClient, account: Account, app: XqrApp
) -> None:
    link = await create_link(client, account, url="https://example.com/elsewhere?a=1")
    code = link["short_code"]
    passed = await client.get(f"/{code}?{HOP_PARAM}=2&utm_source=x", headers=BROWSER)
    assert passed.headers["location"] == (
        f"https://example.com/elsewhere?a=1&utm_source=x&{HOP_PARAM}=3"
    )
    for value in ("abc", "", "-1", "99999"):  # not a hop count: dropped, not passed on
        response = await client.get(f"/{code}?{HOP_PARAM}={value}", headers=BROWSER)
        assert response.headers["location"] == "https://example.com/elsewhere?a=1"
    capped = await client.get(f"/{code}?{HOP_PARAM}={MAX_HOPS}", headers=BROWSER)
    _assert_loop_page(capped)
    head = await client.head(f"/{code}?{HOP_PARAM}={MAX_HOPS + 3}", headers=BROWSER)
    assert head.status_code == 508 and head.content == b""
    assert await _scans(app, client, account, link) == 1 + 4


async def test_ordinary_redirects_carry_no_hop_count(
    client: httpx.AsyncClient, account: Account
) -> None:
    for url in ("https://example.com/landing", "https://example.com/a/b", "https://bit.example/x1"):
        link = await create_link(client, account, url=url)
        for query in ("", "?qr=1", "?utm_source=flyer"):
            response = await client.get(f"/{link['short_code']}{query}", headers=BROWSER)
            assert response.status_code == 302
            assert HOP_PARAM not in response.headers["location"]
