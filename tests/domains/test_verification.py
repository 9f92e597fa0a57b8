"""Verification: the host must answer this server's own answer for the token, fetched
through the URL-safety guard; the worker checks verified hosts again."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import select

from tests.conftest import Account, AccountFactory
from tests.domains.conftest import HostServer, add_domain, add_verified_domain, create_link, verify
from tests.links.linkkit import quiet_settings, running
from xqr.core.clock import utcnow
from xqr.domains.checker import DomainChecker
from xqr.domains.verification import expected_answer
from xqr.webhooks.models import WebhookDelivery


async def test_a_host_answering_the_right_token_is_verified(
    client: httpx.AsyncClient, account: Account, host_server: HostServer
) -> None:
    domain = await add_domain(client, account, "go.example.com")
    verified = await verify(client, account, domain["id"])
    assert verified["status"] == "verified"
    assert verified["verification"]["last_error"] is None
    assert verified["verification"]["verified_at"] is not None
    [request] = [r for r in host_server.receiver.requests if "xqr-verify" in r.path]
    assert request.path == f"/.well-known/xqr-verify/{domain['verification']['token']}"
    assert request.headers["host"] == "go.example.com"


async def test_a_host_answering_a_wrong_token_stays_pending_with_the_reason(
    client: httpx.AsyncClient, account: Account, host_server: HostServer
) -> None:
    host_server.mode = "wrong"
    domain = await add_domain(client, account, "go.example.com")
    checked = await verify(client, account, domain["id"])
    assert checked["status"] == "pending"
    assert "reaches another server" in checked["verification"]["last_error"]
    host_server.mode = "down"
    checked = await verify(client, account, domain["id"])
    assert checked["status"] == "pending"
    assert "HTTP 503" in checked["verification"]["last_error"]


async def test_a_redirect_to_a_private_address_is_refused(
    db_url: str, tmp_path: Path, host_server: HostServer
) -> None:
    # Private addresses not allowed: the operator's verify-via address is exempt, but the
    # redirect the host answers with is checked by the guard and never followed.
    settings = quiet_settings(
        db_url,
        tmp_path / "data",
        webhooks_allow_private=False,
        domains_verify_via=host_server.address,
    )
    host_server.mode = "private-redirect"
    async with running(settings) as (app, http):
        owner = await AccountFactory(app.ctx)()
        domain = await add_domain(http, owner, "go.example.com")
        checked = await verify(http, owner, domain["id"])
    assert checked["status"] == "pending"
    assert checked["verification"]["last_error"].startswith("Refused:")
    assert "10.0.0.1" in checked["verification"]["last_error"]
    assert not [r for r in host_server.receiver.requests if r.headers.get("host") == "10.0.0.1"]


async def test_without_a_verify_address_a_private_host_is_refused(
    db_url: str, tmp_path: Path
) -> None:
    settings = quiet_settings(db_url, tmp_path / "data", webhooks_allow_private=False)
    async with running(settings) as (app, http):
        owner = await AccountFactory(app.ctx)()
        # *.localhost names are refused as host names; this one resolves nowhere public.
        domain = await add_domain(http, owner, "go.invalid-host.test")
        checked = await verify(http, owner, domain["id"])
    assert checked["status"] == "pending"
    assert checked["verification"]["last_error"]


async def test_the_server_answers_its_own_tokens(
    client: httpx.AsyncClient, account: Account
) -> None:
    domain = await add_domain(client, account, "go.example.com")
    token = domain["verification"]["token"]
    for host in ("testserver", "go.example.com", "anything.example.net"):
        response = await client.get(
            f"http://{host}/.well-known/xqr-verify/{token}", follow_redirects=False
        )
        assert response.status_code == 200
        assert response.text == expected_answer(b"test-secret-not-for-production", token)
        assert response.headers["cache-control"] == "no-store"
    bad = await client.get("/.well-known/xqr-verify/bad%20token")
    assert bad.status_code == 404


async def test_the_worker_marks_a_host_that_stops_answering_failed_but_it_keeps_serving(
    client: httpx.AsyncClient,
    account: Account,
    host_server: HostServer,
    app: object,
) -> None:
    from xqr.app import XqrApp

    assert isinstance(app, XqrApp)
    hook = await client.post(
        "/api/v1/webhooks",
        json={"url": "http://127.0.0.1:9/hook", "events": ["domain.failed"]},
        headers=account.headers,
    )
    assert hook.status_code == 201, hook.text
    domain = await add_verified_domain(client, account, "go.example.com")
    await create_link(
        client,
        account,
        url="https://example.com/spring",
        custom_slug="spring",
        domain="go.example.com",
    )
    later = utcnow() + timedelta(hours=2)
    checker = DomainChecker(app.ctx.settings, app.ctx.sessionmaker, now=lambda: later)
    host_server.mode = "down"
    assert await checker.run_once() == 1
    got = await client.get(f"/api/v1/domains/{domain['id']}", headers=account.headers)
    assert got.json()["data"]["status"] == "failed"
    assert "HTTP 503" in got.json()["data"]["verification"]["last_error"]
    # Checked once per interval: a second pass at the same time finds nothing due.
    assert await checker.run_once() == 0
    async with app.ctx.sessionmaker() as session:
        deliveries = (await session.scalars(select(WebhookDelivery))).all()
    events = [d.event for d in deliveries]
    assert events.count("domain.failed") == 1
    [failed] = [json.loads(d.payload) for d in deliveries if d.event == "domain.failed"]
    assert failed["data"]["hostname"] == "go.example.com"
    assert failed["data"]["status"] == "failed"
    served = await client.get("http://go.example.com/spring")
    assert served.status_code == 302
    assert served.headers["location"] == "https://example.com/spring"
    # It answers again: verified again, without another event.
    host_server.mode = "right"
    much_later = later + timedelta(hours=2)
    checker.now = lambda: much_later
    assert await checker.run_once() == 1
    got = await client.get(f"/api/v1/domains/{domain['id']}", headers=account.headers)
    assert got.json()["data"]["status"] == "verified"
    assert uuid.UUID(got.json()["data"]["id"])
