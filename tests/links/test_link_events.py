"""Webhook events of links: written to the outbox with the change, for subscribed endpoints only."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import httpx

from tests.conftest import Account, AccountFactory
from tests.links.linkkit import (
    BROWSER,
    CHROME_UA,
    IPHONE_UA,
    add_endpoint,
    create_link,
    delivered_events,
    delivery_payloads,
    flush,
)
from xqr.app import XqrApp
from xqr.core.clock import clock
from xqr.links import service
from xqr.links.schemas import LinkCreate
from xqr.workspaces import service as workspaces

LINKS = "/api/v1/links"
LINK_EVENTS = ["link.created", "link.updated", "link.deleted", "link.scanned", "link.threshold"]


def payloads(raw: list[str]) -> list[dict[str, Any]]:
    return [json.loads(p) for p in raw]


async def test_create_update_delete_emit_their_events_with_the_link(
    app: XqrApp, client: httpx.AsyncClient, account: Account
) -> None:
    await add_endpoint(
        app.ctx, account.workspace_id, ["link.created", "link.updated", "link.deleted"]
    )
    link = await create_link(client, account, custom_slug="evented", labels=["a"])
    patched = await client.patch(
        f"{LINKS}/{link['id']}", json={"url": "https://example.com/v2"}, headers=account.headers
    )
    await client.delete(f"{LINKS}/{link['id']}", headers=account.headers)
    assert await delivered_events(app.ctx, account.workspace_id) == Counter(
        {"link.created": 1, "link.updated": 1, "link.deleted": 1}
    )
    (created,) = payloads(await delivery_payloads(app.ctx, account.workspace_id, "link.created"))
    assert set(created) == {"event", "timestamp", "data"}
    assert created["event"] == "link.created"
    assert created["data"] == link
    (updated,) = payloads(await delivery_payloads(app.ctx, account.workspace_id, "link.updated"))
    assert updated["data"] == patched.json()["data"]
    (deleted,) = payloads(await delivery_payloads(app.ctx, account.workspace_id, "link.deleted"))
    assert deleted["data"]["id"] == link["id"]
    assert deleted["data"]["short_code"] == "evented"


async def test_an_endpoint_gets_only_the_events_it_subscribed_to(
    app: XqrApp, client: httpx.AsyncClient, account: Account
) -> None:
    await add_endpoint(app.ctx, account.workspace_id, ["link.deleted"])
    link = await create_link(client, account)
    await client.patch(f"{LINKS}/{link['id']}", json={"labels": ["x"]}, headers=account.headers)
    await client.get(f"/{link['short_code']}", headers=BROWSER)
    await flush(app)
    assert await delivered_events(app.ctx, account.workspace_id) == Counter()
    await client.delete(f"{LINKS}/{link['id']}", headers=account.headers)
    assert await delivered_events(app.ctx, account.workspace_id) == Counter({"link.deleted": 1})


async def test_no_events_without_an_endpoint_or_for_another_workspace(
    app: XqrApp, client: httpx.AsyncClient, account: Account, make_account: AccountFactory
) -> None:
    other = await make_account(name="Other", owner="o@other.test")
    await add_endpoint(app.ctx, other.workspace_id, ["*"])
    link = await create_link(client, account)
    await client.get(f"/{link['short_code']}", headers=BROWSER)
    await flush(app)
    assert await delivered_events(app.ctx, account.workspace_id) == Counter()
    assert await delivered_events(app.ctx, other.workspace_id) == Counter()


async def test_bulk_emits_link_created_for_each_created_link_only(
    app: XqrApp, client: httpx.AsyncClient, account: Account
) -> None:
    await add_endpoint(app.ctx, account.workspace_id, ["*"])
    response = await client.post(
        f"{LINKS}/bulk",
        json={
            "links": [
                {"url": "https://example.com/1", "custom_slug": "bulk-a"},
                {"url": "nope"},
                {"url": "https://example.com/3", "custom_slug": "BULK-A"},
                {"url": "https://example.com/4"},
            ]
        },
        headers=account.headers,
    )
    created = response.json()["data"]["created"]
    assert len(created) == 2
    assert await delivered_events(app.ctx, account.workspace_id) == Counter({"link.created": 2})
    sent = payloads(await delivery_payloads(app.ctx, account.workspace_id, "link.created"))
    assert sorted(p["data"]["id"] for p in sent) == sorted(link["id"] for link in created)


async def test_refused_changes_emit_nothing(
    app: XqrApp, client: httpx.AsyncClient, account: Account
) -> None:
    await add_endpoint(app.ctx, account.workspace_id, ["*"])
    link = await create_link(client, account, custom_slug="taken")
    before = await delivered_events(app.ctx, account.workspace_id)
    assert before == Counter({"link.created": 1})
    refused = [
        await client.post(
            LINKS, json={"url": "https://e.com", "custom_slug": "Taken"}, headers=account.headers
        ),
        await client.post(LINKS, json={"url": "javascript:x"}, headers=account.headers),
        await client.patch(
            f"{LINKS}/{link['id']}", json={"url": "ftp://x"}, headers=account.headers
        ),
        await client.patch(
            f"{LINKS}/{uuid.uuid4()}", json={"enabled": False}, headers=account.headers
        ),
        await client.delete(f"{LINKS}/{uuid.uuid4()}", headers=account.headers),
    ]
    assert all(r.status_code >= 400 for r in refused)
    assert await delivered_events(app.ctx, account.workspace_id) == before


async def test_a_rolled_back_create_emits_nothing_and_leaves_no_link(
    app: XqrApp, client: httpx.AsyncClient, account: Account
) -> None:
    await add_endpoint(app.ctx, account.workspace_id, ["*"])
    ctx = app.ctx
    async with ctx.sessionmaker() as session:
        workspace = await workspaces.get_workspace(session, uuid.UUID(account.workspace_id))
        tenant = workspaces.tenant_for(workspace, ctx.plans)
        rules = service.LinkRules.from_settings(ctx.settings)
        await service.create_link(
            session, tenant, rules, LinkCreate(url="https://example.com/x", custom_slug="ghost")
        )
        await session.rollback()
    assert await delivered_events(ctx, account.workspace_id) == Counter()
    assert (await client.get("/ghost", headers=BROWSER)).status_code == 404
    listed = await client.get(LINKS, headers=account.headers)
    assert listed.json()["meta"]["total"] == 0
    # and the slug is free
    assert (await create_link(client, account, custom_slug="ghost"))["short_code"] == "ghost"


async def test_each_counted_scan_emits_link_scanned(
    app: XqrApp, client: httpx.AsyncClient, account: Account
) -> None:
    await add_endpoint(app.ctx, account.workspace_id, ["link.scanned"])
    link = await create_link(client, account)
    clock.freeze(datetime(2030, 3, 3, 10, 15, tzinfo=UTC))
    await client.get(
        f"/{link['short_code']}?qr=1",
        headers={"User-Agent": IPHONE_UA, "Referer": "https://t.co/abc"},
    )
    await client.get(f"/{link['short_code']}", headers={"User-Agent": "Googlebot/2.1"})
    await client.head(f"/{link['short_code']}", headers=BROWSER)
    await flush(app)
    assert await delivered_events(app.ctx, account.workspace_id) == Counter({"link.scanned": 1})
    (scan,) = payloads(await delivery_payloads(app.ctx, account.workspace_id, "link.scanned"))
    assert scan["event"] == "link.scanned"
    data = scan["data"]
    assert data["link_id"] == link["id"]
    assert data["short_code"] == link["short_code"]
    assert data["scanned_at"] == "2030-03-03T10:15:00.000Z"
    assert data["country"] == "XX"
    assert data["device_type"] == "mobile"
    assert data["source"] == "qr"
    assert data["referrer_host"] == "t.co"
    assert "127.0.0.1" not in json.dumps(scan)


async def test_link_threshold_fires_once_when_the_tenth_scan_is_recorded(
    app: XqrApp, client: httpx.AsyncClient, account: Account
) -> None:
    await add_endpoint(app.ctx, account.workspace_id, ["link.threshold"])
    link = await create_link(client, account)
    other = await create_link(client, account)
    for batch in (7, 5, 4):  # 7, 12, 16: the 10th is inside the second batch
        for _ in range(batch):
            await client.get(f"/{link['short_code']}", headers={"User-Agent": CHROME_UA})
        await client.get(f"/{other['short_code']}", headers={"User-Agent": CHROME_UA})
        await flush(app)
    assert await delivered_events(app.ctx, account.workspace_id) == Counter({"link.threshold": 1})
    (event,) = payloads(await delivery_payloads(app.ctx, account.workspace_id, "link.threshold"))
    assert event["data"]["link_id"] == link["id"]
    assert event["data"]["short_code"] == link["short_code"]
    assert event["data"]["threshold"] == 10
    assert event["data"]["scan_count"] == 12


async def test_exactly_ten_scans_in_one_batch_reach_the_threshold(
    app: XqrApp, client: httpx.AsyncClient, account: Account
) -> None:
    await add_endpoint(app.ctx, account.workspace_id, LINK_EVENTS)
    link = await create_link(client, account)
    for _ in range(9):
        await client.get(f"/{link['short_code']}", headers=BROWSER)
    await flush(app)
    assert (await delivered_events(app.ctx, account.workspace_id))["link.threshold"] == 0
    await client.get(f"/{link['short_code']}", headers=BROWSER)
    await flush(app)
    events = await delivered_events(app.ctx, account.workspace_id)
    assert events == Counter({"link.created": 1, "link.scanned": 10, "link.threshold": 1})
