"""`/v1/domains`: fields, host name rules, scopes, plan limits, one owner per host name."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import Account, AccountFactory, assert_error
from tests.domains.conftest import add_domain, add_verified_domain, create_link


async def test_a_domain_is_created_pending_with_its_verification_token(
    client: httpx.AsyncClient, account: Account
) -> None:
    domain = await add_domain(
        client,
        account,
        "Go.Example.COM.",
        purpose="both",
        not_found_url="https://example.com/missing",
        root_url="https://example.com/",
    )
    assert domain["hostname"] == "go.example.com"
    assert domain["status"] == "pending"
    assert domain["purpose"] == "both"
    assert domain["default"] is False
    assert domain["not_found_url"] == "https://example.com/missing"
    assert domain["root_url"] == "https://example.com/"
    token = domain["verification"]["token"]
    assert len(token) >= 32
    assert domain["verification"]["url"] == (
        f"http://go.example.com/.well-known/xqr-verify/{token}"
    )
    listed = await client.get("/api/v1/domains", headers=account.headers)
    assert listed.json()["meta"]["total"] == 1
    assert listed.json()["data"][0]["id"] == domain["id"]
    got = await client.get(f"/api/v1/domains/{domain['id']}", headers=account.headers)
    assert got.json()["data"] == domain


async def test_international_names_are_stored_in_their_idna_form(
    client: httpx.AsyncClient, account: Account
) -> None:
    domain = await add_domain(client, account, "Bücher.Example")
    assert domain["hostname"] == "xn--bcher-kva.example"


@pytest.mark.parametrize(
    ("hostname", "words"),
    [
        ("https://go.example.com", "scheme"),
        ("go.example.com/path", "path"),
        ("go.example.com:8443", "port"),
        ("203.0.113.7", "IP address"),
        ("intranet", "two labels"),
        ("app.localhost", "localhost"),
        ("-bad.example.com", "hyphen"),
        ("a" * 64 + ".example.com", "too long"),
        ("", "host name"),
        ("testserver.", "two labels"),
    ],
)
async def test_bad_host_names_are_refused_with_the_reason(
    client: httpx.AsyncClient, account: Account, hostname: str, words: str
) -> None:
    response = await client.post(
        "/api/v1/domains", json={"hostname": hostname}, headers=account.headers
    )
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == "hostname"
    assert words in error["message"]


async def test_the_servers_own_host_cannot_be_a_custom_domain(
    make_account: AccountFactory, tmp_path: object, db_url: str
) -> None:
    from tests.links.linkkit import quiet_settings, running

    settings = quiet_settings(
        db_url,
        tmp_path / "own",
        public_url="https://xqr.example.org",  # type: ignore[operator]
    )
    async with running(settings) as (app, http):
        owner = await AccountFactory(app.ctx)()
        response = await http.post(
            "/api/v1/domains", json={"hostname": "XQR.example.org"}, headers=owner.headers
        )
        error = assert_error(response, 400, "VALIDATION_ERROR")
        assert "this server's own host name" in error["message"]


async def test_a_host_name_belongs_to_one_workspace_on_the_whole_server(
    client: httpx.AsyncClient, account: Account, make_account: AccountFactory
) -> None:
    await add_domain(client, account, "go.example.com")
    other = await make_account(name="Other")
    response = await client.post(
        "/api/v1/domains", json={"hostname": "GO.example.com"}, headers=other.headers
    )
    error = assert_error(response, 409, "CONFLICT")
    assert "go.example.com is already registered" in error["message"]
    again = await client.post(
        "/api/v1/domains", json={"hostname": "go.example.com"}, headers=account.headers
    )
    assert_error(again, 409, "CONFLICT")


async def test_domains_scopes_are_required_and_star_covers_them(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    reader = await make_account(scopes="domains:read")
    links_only = await make_account(scopes="links:read,links:write")
    response = await client.post(
        "/api/v1/domains", json={"hostname": "go.example.com"}, headers=reader.headers
    )
    error = assert_error(response, 403, "INSUFFICIENT_SCOPE")
    assert "domains:write" in error["message"]
    listed = await client.get("/api/v1/domains", headers=links_only.headers)
    assert "domains:read" in assert_error(listed, 403, "INSUFFICIENT_SCOPE")["message"]
    assert (await client.get("/api/v1/domains", headers=reader.headers)).status_code == 200


async def test_the_plan_limits_domains(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    pro = await make_account(plan="pro")
    await add_domain(client, pro, "one.example.com")
    response = await client.post(
        "/api/v1/domains", json={"hostname": "two.example.com"}, headers=pro.headers
    )
    error = assert_error(response, 403, "PLAN_LIMIT_EXCEEDED")
    assert "custom domains" in error["message"]
    usage = await client.get("/api/v1/workspace/usage", headers=pro.headers)
    assert usage.json()["data"]["domains"] == {"used": 1, "limit": 1}


async def test_one_default_domain_per_workspace(
    client: httpx.AsyncClient, account: Account
) -> None:
    first = await add_domain(client, account, "one.example.com", default=True)
    second = await add_domain(client, account, "two.example.com", default=True)
    assert second["default"] is True
    got = await client.get(f"/api/v1/domains/{first['id']}", headers=account.headers)
    assert got.json()["data"]["default"] is False
    back = await client.patch(
        f"/api/v1/domains/{first['id']}", json={"default": True}, headers=account.headers
    )
    assert back.json()["data"]["default"] is True
    got = await client.get(f"/api/v1/domains/{second['id']}", headers=account.headers)
    assert got.json()["data"]["default"] is False


async def test_update_checks_urls_and_refuses_nulls_and_unknown_fields(
    client: httpx.AsyncClient, account: Account
) -> None:
    domain = await add_domain(client, account, "go.example.com")
    path = f"/api/v1/domains/{domain['id']}"
    loop = await client.patch(
        path, json={"not_found_url": "https://go.example.com/x"}, headers=account.headers
    )
    assert assert_error(loop, 400, "VALIDATION_ERROR")["details"][0]["field"] == "not_found_url"
    script = await client.patch(
        path, json={"root_url": "javascript:alert(1)"}, headers=account.headers
    )
    assert_error(script, 400, "VALIDATION_ERROR")
    null = await client.patch(path, json={"purpose": None}, headers=account.headers)
    assert_error(null, 400, "VALIDATION_ERROR")
    hostname = await client.patch(path, json={"hostname": "x.example.com"}, headers=account.headers)
    assert_error(hostname, 400, "VALIDATION_ERROR")
    changed = await client.patch(
        path, json={"purpose": "bio", "root_url": "https://example.com/"}, headers=account.headers
    )
    assert changed.json()["data"]["purpose"] == "bio"
    assert changed.json()["data"]["root_url"] == "https://example.com/"


async def test_another_workspaces_domain_is_not_found(
    client: httpx.AsyncClient, account: Account, make_account: AccountFactory
) -> None:
    domain = await add_domain(client, account, "go.example.com")
    other = await make_account(name="Other")
    path = f"/api/v1/domains/{domain['id']}"
    for response in (
        await client.get(path, headers=other.headers),
        await client.patch(path, json={"default": True}, headers=other.headers),
        await client.post(f"{path}/verify", headers=other.headers),
        await client.delete(path, headers=other.headers),
    ):
        assert_error(response, 404, "RESOURCE_NOT_FOUND")
    assert_error(
        await client.get("/api/v1/domains/not-a-uuid", headers=other.headers),
        404,
        "RESOURCE_NOT_FOUND",
    )


async def test_a_domain_in_use_cannot_be_deleted_until_its_links_move(
    client: httpx.AsyncClient, account: Account
) -> None:
    domain = await add_verified_domain(client, account, "go.example.com")
    link = await create_link(
        client, account, url="https://example.com/a", custom_slug="spring", domain="go.example.com"
    )
    path = f"/api/v1/domains/{domain['id']}"
    refused = await client.delete(path, headers=account.headers)
    assert "Links still use go.example.com" in assert_error(refused, 409, "CONFLICT")["message"]
    moved = await client.patch(
        f"/api/v1/links/{link['id']}", json={"domain": None}, headers=account.headers
    )
    assert moved.json()["data"]["short_url"] == "http://testserver/spring"
    assert (await client.delete(path, headers=account.headers)).status_code == 204
    assert_error(await client.get(path, headers=account.headers), 404, "RESOURCE_NOT_FOUND")
