"""Links may not point back at this server under any of its names (a redirect loop)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Account, assert_error
from tests.links.linkkit import create_link, get_link, new_account, quiet_settings, running

PORT = 8765
LINKS = "/api/v1/links"
RULE: dict[str, Any] = {"priority": 1, "conditions": {"countries": ["DE"]}}

# With the short base on loopback, every loopback spelling is this server.
LOOPBACK_SPELLINGS = [
    f"http://127.0.0.1:{PORT}/x",
    f"http://localhost:{PORT}/x",
    f"http://LOCALHOST.:{PORT}/x",
    f"http://[::1]:{PORT}/x",
    f"http://[0:0:0:0:0:0:0:1]:{PORT}/x",
    f"http://[::ffff:127.0.0.1]:{PORT}/x",
    f"http://127.1:{PORT}/x",
    f"http://2130706433:{PORT}/x",
    f"http://0x7f.0.0.1:{PORT}/x",
    f"http://0177.0.0.1:{PORT}/x",
    f"http://127.0.0.2:{PORT}/x",
    f"http://0.0.0.0:{PORT}/x",
    f"http://app.localhost:{PORT}/x",
    f"http://１２７．０．０．１:{PORT}/x",
    "http://127.0.0.1/x",  # any port: another one may well be this server behind a proxy
    "https://localhost:443/x",
]


def _settings(db_url: str, tmp_path: Path, **overrides: Any) -> Any:
    values = {"public_url": f"http://localhost:{PORT}", **overrides}
    return quiet_settings(db_url, tmp_path / "data", **values)


async def _refused(response: httpx.Response, field: str) -> None:
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert [d["field"] for d in error["details"]] == [field], error
    assert "loop" in error["details"][0]["message"]


async def _account(app: Any) -> Account:
    return await new_account(app, plan="enterprise")


async def test_every_loopback_spelling_is_refused_when_the_short_host_is_loopback(
    db_url: str, tmp_path: Path
) -> None:
    async with running(_settings(db_url, tmp_path)) as (app, client):
        account = await _account(app)
        link = await create_link(client, account, url="https://example.com/start")
        for url in LOOPBACK_SPELLINGS:
            created = await client.post(LINKS, json={"url": url}, headers=account.headers)
            await _refused(created, "url")
            rule = await client.post(
                LINKS,
                json={
                    "url": "https://example.com",
                    "routing_rules": [{**RULE, "destination": url}],
                },
                headers=account.headers,
            )
            await _refused(rule, "routing_rules[0].destination")
            updated = await client.patch(
                f"{LINKS}/{link['id']}", json={"url": url}, headers=account.headers
            )
            await _refused(updated, "url")
            updated_rule = await client.patch(
                f"{LINKS}/{link['id']}",
                json={"routing_rules": [{**RULE, "destination": url}]},
                headers=account.headers,
            )
            await _refused(updated_rule, "routing_rules[0].destination")
        assert (await get_link(client, account, link["id"]))["destination"] == (
            "https://example.com/start"
        )
        listed = await client.get(LINKS, headers=account.headers)
        assert listed.json()["meta"]["total"] == 1


async def test_other_hosts_stay_allowed_with_a_loopback_short_host(
    db_url: str, tmp_path: Path
) -> None:
    async with running(_settings(db_url, tmp_path)) as (app, client):
        account = await _account(app)
        for url in (
            "http://192.168.1.10:8765/intranet",
            "https://localhost.example.com/x",  # a real domain that merely starts so
            "https://127.0.0.1.nip.example/x",
            "https://example.com/127.0.0.1",
        ):
            await create_link(client, account, url=url)


async def test_a_public_short_host_does_not_refuse_loopback(db_url: str, tmp_path: Path) -> None:
    settings = _settings(db_url, tmp_path, public_url="https://xqr.example")
    async with running(settings) as (app, client):
        account = await _account(app)
        await create_link(client, account, url=f"http://127.0.0.1:{PORT}/dev")
        refused = await client.post(
            LINKS, json={"url": "HTTPS://XQR.EXAMPLE.:443/abc"}, headers=account.headers
        )
        await _refused(refused, "url")


@pytest.mark.parametrize(
    ("overrides", "url"),
    [
        ({"short_url_base": "https://go.example"}, "https://go.example/abc"),
        ({"short_url_base": "https://go.example"}, "https://xqr.example/abc"),  # public host
        ({"bio_url_base": "https://me.example/bio"}, "https://me.example/abc"),
        ({"short_host_aliases": "links.example, 203.0.113.7"}, "https://Links.Example/abc"),
        ({"short_host_aliases": "links.example, 203.0.113.7"}, "http://203.0.113.7:8080/abc"),
        ({"short_host_aliases": "links.example, 203.0.113.7"}, "http://[::ffff:cb00:7107]/x"),
        ({"short_host_aliases": "[2001:db8::7]"}, "http://[2001:DB8:0:0:0:0:0:7]/x"),
    ],
)
async def test_the_servers_other_names_are_refused(
    db_url: str, tmp_path: Path, overrides: dict[str, str], url: str
) -> None:
    settings = _settings(db_url, tmp_path, public_url="https://xqr.example", **overrides)
    async with running(settings) as (app, client):
        account = await _account(app)
        created = await client.post(LINKS, json={"url": url}, headers=account.headers)
        await _refused(created, "url")


async def test_a_bio_host_of_its_own_serves_only_pages_so_links_may_point_there(
    db_url: str, tmp_path: Path
) -> None:
    settings = _settings(
        db_url, tmp_path, public_url="https://xqr.example", bio_url_base="https://me.example"
    )
    async with running(settings) as (app, client):
        account = await _account(app)
        link = await create_link(client, account, url="https://me.example/ada")
        assert link["destination"] == "https://me.example/ada"
