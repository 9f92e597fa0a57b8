"""`/v1/webhooks`: create, list, get, patch, delete, rotate, test, retry and deliveries."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.conftest import Account, AccountFactory, assert_error, set_plan
from tests.support.receiver import Receiver
from tests.webhooks.conftest import create_webhook, deliveries
from xqr.context import AppContext
from xqr.webhooks.dispatcher import Dispatcher
from xqr.webhooks.events import EVENT_TYPES

API = "/api/v1/webhooks"
WEBHOOK_FIELDS = {
    "id",
    "url",
    "events",
    "description",
    "enabled",
    "disabled_reason",
    "failing_since",
    "created_at",
    "updated_at",
}


async def test_create_returns_the_webhook_and_its_signing_secret_once(
    client: httpx.AsyncClient, account: Account
) -> None:
    response = await client.post(
        API,
        json={
            "url": "https://hooks.example.com/xqr",
            "events": ["link.created", "link.threshold"],
            "description": "Campaign dashboard",
        },
        headers=account.headers,
    )
    assert response.status_code == 201
    data = response.json()["data"]
    assert set(data) == WEBHOOK_FIELDS | {"signing_secret"}
    assert data["url"] == "https://hooks.example.com/xqr"
    assert data["events"] == ["link.created", "link.threshold"]
    assert data["description"] == "Campaign dashboard"
    assert data["enabled"] is True
    assert data["disabled_reason"] is None and data["failing_since"] is None
    assert data["created_at"].endswith("Z") and data["updated_at"].endswith("Z")
    assert data["signing_secret"].startswith("whsec_") and len(data["signing_secret"]) > 30
    uuid.UUID(data["id"])

    got = await client.get(f"{API}/{data['id']}", headers=account.headers)
    assert got.status_code == 200
    assert got.json()["data"] == {k: v for k, v in data.items() if k != "signing_secret"}
    listed = await client.get(API, headers=account.headers)
    assert "signing_secret" not in listed.json()["data"][0]
    assert data["signing_secret"] not in listed.text + got.text


async def test_every_reference_event_and_the_wildcard_are_accepted(
    client: httpx.AsyncClient, account: Account
) -> None:
    hook = await create_webhook(client, account, "https://a.example.com/", list(EVENT_TYPES))
    assert hook["events"] == list(EVENT_TYPES)
    star = await create_webhook(client, account, "https://b.example.com/", ["*"])
    assert star["events"] == ["*"]
    assert star["description"] is None


async def test_list_is_newest_first_and_paginated(
    client: httpx.AsyncClient, account: Account
) -> None:
    ids = [
        (await create_webhook(client, account, f"https://h{i}.example.com/"))["id"]
        for i in range(3)
    ]
    response = await client.get(API, params={"limit": 2}, headers=account.headers)
    body = response.json()
    assert [w["id"] for w in body["data"]] == ids[::-1][:2]
    assert body["meta"]["total"] == 3
    assert (body["meta"]["limit"], body["meta"]["offset"]) == (2, 0)
    rest = await client.get(API, params={"limit": 2, "offset": 2}, headers=account.headers)
    assert [w["id"] for w in rest.json()["data"]] == [ids[0]]


async def test_patch_changes_the_given_fields_only(
    client: httpx.AsyncClient, account: Account
) -> None:
    hook = await create_webhook(
        client, account, "https://a.example.com/", ["link.created"], description="old"
    )
    response = await client.patch(
        f"{API}/{hook['id']}",
        json={"url": "https://b.example.com/in", "events": ["*"]},
        headers=account.headers,
    )
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["url"] == "https://b.example.com/in"
    assert data["events"] == ["*"]
    assert data["description"] == "old"
    assert data["updated_at"] >= hook["updated_at"]
    cleared = await client.patch(
        f"{API}/{hook['id']}", json={"description": None}, headers=account.headers
    )
    assert cleared.json()["data"]["description"] is None


async def test_disabling_and_re_enabling_clears_the_failure_state(
    client: httpx.AsyncClient, account: Account, ctx: AppContext
) -> None:
    from datetime import UTC, datetime

    from xqr.webhooks.models import WebhookEndpoint

    hook = await create_webhook(client, account, "https://a.example.com/")
    off = await client.patch(
        f"{API}/{hook['id']}", json={"enabled": False}, headers=account.headers
    )
    assert off.json()["data"]["enabled"] is False
    assert off.json()["data"]["disabled_reason"]
    async with ctx.sessionmaker() as session:
        endpoint = await session.get(WebhookEndpoint, uuid.UUID(hook["id"]))
        assert endpoint is not None
        endpoint.disabled_reason = "Disabled automatically: …"
        endpoint.failing_since = datetime(2026, 1, 1, tzinfo=UTC)
        await session.commit()
    stale = await client.get(f"{API}/{hook['id']}", headers=account.headers)
    assert stale.json()["data"]["failing_since"] == "2026-01-01T00:00:00.000Z"
    on = await client.patch(f"{API}/{hook['id']}", json={"enabled": True}, headers=account.headers)
    data = on.json()["data"]
    assert (data["enabled"], data["disabled_reason"], data["failing_since"]) == (True, None, None)


async def test_delete_answers_204_and_the_webhook_is_gone(
    client: httpx.AsyncClient, account: Account
) -> None:
    hook = await create_webhook(client, account, "https://a.example.com/")
    response = await client.delete(f"{API}/{hook['id']}", headers=account.headers)
    assert response.status_code == 204
    assert response.content == b""
    assert_error(
        await client.get(f"{API}/{hook['id']}", headers=account.headers), 404, "RESOURCE_NOT_FOUND"
    )
    assert_error(
        await client.delete(f"{API}/{hook['id']}", headers=account.headers),
        404,
        "RESOURCE_NOT_FOUND",
    )


async def test_rotate_secret_returns_a_new_secret(
    client: httpx.AsyncClient, account: Account
) -> None:
    hook = await create_webhook(client, account, "https://a.example.com/")
    response = await client.post(f"{API}/{hook['id']}/rotate-secret", headers=account.headers)
    assert response.status_code == 200
    data = response.json()["data"]
    assert set(data) == WEBHOOK_FIELDS | {"signing_secret"}
    assert data["signing_secret"].startswith("whsec_")
    assert data["signing_secret"] != hook["signing_secret"]


# --- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "https://a.example.com/", "events": []}, "events"),
        ({"url": "https://a.example.com/", "events": ["link.exploded"]}, "events"),
        ({"url": "https://a.example.com/", "events": ["link.created", "link.created"]}, "events"),
        ({"url": "https://a.example.com/", "events": ["*", "link.created"]}, "events"),
        ({"url": "https://a.example.com/", "events": "link.created"}, "events"),
        (
            {"url": "https://a.example.com/", "events": ["*"], "description": "x" * 501},
            "description",
        ),
        ({"url": "ftp://a.example.com/", "events": ["*"]}, "url"),
        ({"url": "https://user:pw@a.example.com/", "events": ["*"]}, "url"),
        ({"url": "not a url", "events": ["*"]}, "url"),
        ({"url": "https://a.example.com/" + "x" * 2100, "events": ["*"]}, "url"),
        ({"events": ["*"]}, "url"),
        ({"url": "https://a.example.com/"}, "events"),
        ({"url": "https://a.example.com/", "events": ["*"], "secret": "mine"}, "secret"),
    ],
)
async def test_create_rejects_invalid_bodies(
    client: httpx.AsyncClient, account: Account, body: dict[str, object], field: str
) -> None:
    response = await client.post(API, json=body, headers=account.headers)
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == field


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://hooks.example.com/", "https"),
        ("https://127.0.0.1/hook", "not a public address"),
        ("https://10.1.2.3/", "not a public address"),
        ("https://192.168.0.10/", "not a public address"),
        ("https://169.254.169.254/latest/meta-data", "not a public address"),
        ("https://[::1]/", "not a public address"),
        ("https://[fd00::1]/", "not a public address"),
        ("https://[fe80::1]/", "not a public address"),
        ("https://[::ffff:127.0.0.1]/", "not a public address"),
        ("https://localhost/hook", "this machine"),
        ("https://api.localhost/hook", "this machine"),
        ("https://2130706433/", "non-standard"),
    ],
)
async def test_create_refuses_non_https_and_private_addresses(
    strict_client: httpx.AsyncClient, account: Account, url: str, reason: str
) -> None:
    response = await strict_client.post(
        API, json={"url": url, "events": ["*"]}, headers=account.headers
    )
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == "url"
    assert reason in error["message"]


async def test_create_refuses_a_name_that_resolves_to_this_machine(
    strict_client: httpx.AsyncClient, account: Account
) -> None:
    import socket

    name = socket.gethostname()
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(name, 443)}
    except OSError:
        pytest.skip(f"the host name {name!r} does not resolve here")
    from xqr.core.netguard import is_public_address

    if any(is_public_address(a) for a in addresses):
        pytest.skip(f"{name!r} resolves to a public address here")
    response = await strict_client.post(
        API, json={"url": f"https://{name}/hook", "events": ["*"]}, headers=account.headers
    )
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert "resolves to" in error["message"]


async def test_patch_rechecks_url_and_events(
    strict_client: httpx.AsyncClient, account: Account
) -> None:
    created = await strict_client.post(
        API, json={"url": "https://93.184.215.14/hook", "events": ["*"]}, headers=account.headers
    )
    assert created.status_code == 201, created.text
    hook_id = created.json()["data"]["id"]
    for body, field in [
        ({"url": "https://127.0.0.1/"}, "url"),
        ({"url": "http://93.184.215.14/"}, "url"),
        ({"url": None}, "url"),
        ({"events": []}, "events"),
        ({"events": ["nope"]}, "events"),
        ({"enabled": None}, "enabled"),
        ({"enabled": "sometimes"}, "enabled"),
        ({"signing_secret": "whsec_mine"}, "signing_secret"),
    ]:
        response = await strict_client.patch(f"{API}/{hook_id}", json=body, headers=account.headers)
        error = assert_error(response, 400, "VALIDATION_ERROR")
        assert error["details"][0]["field"] == field, body


async def test_private_and_http_urls_are_allowed_for_local_development(
    client: httpx.AsyncClient, account: Account
) -> None:
    # The test app runs with XQR_WEBHOOKS_ALLOW_PRIVATE=1.
    hook = await create_webhook(client, account, "http://127.0.0.1:9/hook")
    assert hook["url"] == "http://127.0.0.1:9/hook"


# --- not found, tenancy, scopes, plans -------------------------------------------------------


def _paths(hook_id: str, delivery_id: str) -> list[tuple[str, str]]:
    return [
        ("GET", f"{API}/{hook_id}"),
        ("PATCH", f"{API}/{hook_id}"),
        ("DELETE", f"{API}/{hook_id}"),
        ("GET", f"{API}/{hook_id}/deliveries"),
        ("GET", f"{API}/{hook_id}/deliveries/{delivery_id}"),
        ("POST", f"{API}/{hook_id}/deliveries/{delivery_id}/retry"),
        ("POST", f"{API}/{hook_id}/test"),
        ("POST", f"{API}/{hook_id}/rotate-secret"),
    ]


async def test_malformed_and_unknown_ids_are_not_found(
    client: httpx.AsyncClient, account: Account
) -> None:
    for bad in ("not-a-uuid", str(uuid.uuid4()), "0"):
        for method, path in _paths(bad, str(uuid.uuid4())):
            body = {"description": "x"} if method == "PATCH" else None
            response = await client.request(method, path, json=body, headers=account.headers)
            assert_error(response, 404, "RESOURCE_NOT_FOUND")


async def test_unknown_or_malformed_delivery_ids_are_not_found(
    client: httpx.AsyncClient, account: Account
) -> None:
    hook = await create_webhook(client, account, "https://a.example.com/")
    for bad in ("nope", str(uuid.uuid4())):
        for method, path in _paths(hook["id"], bad)[4:6]:
            assert_error(
                await client.request(method, path, headers=account.headers),
                404,
                "RESOURCE_NOT_FOUND",
            )


async def test_another_workspaces_webhook_is_not_found(
    client: httpx.AsyncClient, account: Account, make_account: AccountFactory
) -> None:
    hook = await create_webhook(client, account, "https://a.example.com/")
    test = await client.post(f"{API}/{hook['id']}/test", headers=account.headers)
    delivery_id = test.json()["data"]["id"]
    other = await make_account(name="Other")
    for method, path in _paths(hook["id"], delivery_id):
        body = {"enabled": False} if method == "PATCH" else None
        response = await client.request(method, path, json=body, headers=other.headers)
        assert_error(response, 404, "RESOURCE_NOT_FOUND")
    listed = await client.get(API, headers=other.headers)
    assert listed.json()["data"] == [] and listed.json()["meta"]["total"] == 0
    # and nothing changed for the owner
    still = await client.get(f"{API}/{hook['id']}", headers=account.headers)
    assert still.json()["data"]["enabled"] is True


async def test_a_delivery_of_another_webhook_is_not_found_under_this_one(
    client: httpx.AsyncClient, account: Account
) -> None:
    first = await create_webhook(client, account, "https://a.example.com/")
    second = await create_webhook(client, account, "https://b.example.com/")
    test = await client.post(f"{API}/{first['id']}/test", headers=account.headers)
    delivery_id = test.json()["data"]["id"]
    response = await client.get(
        f"{API}/{second['id']}/deliveries/{delivery_id}", headers=account.headers
    )
    assert_error(response, 404, "RESOURCE_NOT_FOUND")


async def test_scopes_are_enforced(client: httpx.AsyncClient, make_account: AccountFactory) -> None:
    reader = await make_account(scopes="webhooks:read")
    hook_response = await client.post(
        API, json={"url": "https://a.example.com/", "events": ["*"]}, headers=reader.headers
    )
    error = assert_error(hook_response, 403, "INSUFFICIENT_SCOPE")
    assert "webhooks:write" in error["message"]
    assert (await client.get(API, headers=reader.headers)).status_code == 200
    writer = await make_account(scopes="webhooks:write", workspace_id=reader.workspace_id)
    hook = await create_webhook(client, writer, "https://a.example.com/")
    error = assert_error(await client.get(API, headers=writer.headers), 403, "INSUFFICIENT_SCOPE")
    assert "webhooks:read" in error["message"]
    for method, path in _paths(hook["id"], str(uuid.uuid4()))[1:]:
        expected = "webhooks:read" if method == "GET" else "webhooks:write"
        headers = writer.headers if expected == "webhooks:read" else reader.headers
        body = {"enabled": False} if method == "PATCH" else None
        response = await client.request(method, path, json=body, headers=headers)
        assert expected in assert_error(response, 403, "INSUFFICIENT_SCOPE")["message"]


async def test_the_plan_limits_webhook_endpoints_and_usage_counts_them(
    client: httpx.AsyncClient, make_account: AccountFactory, ctx: AppContext
) -> None:
    account = await make_account(plan="pro")
    first = await create_webhook(client, account, "https://a.example.com/")
    await create_webhook(client, account, "https://b.example.com/")
    response = await client.post(
        API, json={"url": "https://c.example.com/", "events": ["*"]}, headers=account.headers
    )
    error = assert_error(response, 403, "PLAN_LIMIT_EXCEEDED")
    assert "2 webhook endpoints" in error["message"]
    usage = await client.get("/api/v1/workspace/usage", headers=account.headers)
    assert usage.json()["data"]["webhooks"] == {"used": 2, "limit": 2}
    await client.delete(f"{API}/{first['id']}", headers=account.headers)
    await create_webhook(client, account, "https://c.example.com/")
    await set_plan(ctx, account.workspace_id, "business")
    await create_webhook(client, account, "https://d.example.com/")


def test_the_free_plan_allows_no_webhooks(ctx: AppContext) -> None:
    assert ctx.plans["free"].webhooks == 0


# --- test pings, deliveries, retries ---------------------------------------------------------


async def test_test_queues_a_ping_for_this_endpoint_only(
    client: httpx.AsyncClient, account: Account
) -> None:
    hook = await create_webhook(client, account, "https://a.example.com/", ["link.created"])
    other = await create_webhook(client, account, "https://b.example.com/", ["*"])
    response = await client.post(f"{API}/{hook['id']}/test", headers=account.headers)
    assert response.status_code == 202
    delivery = response.json()["data"]
    assert set(delivery) == {
        "id",
        "event",
        "status",
        "attempts",
        "payload",
        "created_at",
        "next_attempt_at",
    }
    assert delivery["event"] == "test.ping"
    assert delivery["status"] == "pending"
    assert delivery["attempts"] == []
    assert set(delivery["payload"]) == {"event", "timestamp", "data"}
    assert delivery["payload"]["event"] == "test.ping"
    assert delivery["payload"]["data"]["webhook_id"] == hook["id"]
    assert delivery["next_attempt_at"] is not None
    assert [d["id"] for d in await deliveries(client, account, hook["id"])] == [delivery["id"]]
    assert await deliveries(client, account, other["id"]) == []


async def test_a_disabled_webhook_cannot_be_tested(
    client: httpx.AsyncClient, account: Account
) -> None:
    hook = await create_webhook(client, account, "https://a.example.com/")
    await client.patch(f"{API}/{hook['id']}", json={"enabled": False}, headers=account.headers)
    response = await client.post(f"{API}/{hook['id']}/test", headers=account.headers)
    assert_error(response, 409, "CONFLICT")


async def test_deliveries_are_newest_first_filterable_and_paginated(
    client: httpx.AsyncClient, account: Account, dispatcher: Dispatcher, receiver: Receiver
) -> None:
    receiver.replies([200, 200, 500])
    hook = await create_webhook(client, account, receiver.url)
    ids = []
    for _ in range(3):
        test = await client.post(f"{API}/{hook['id']}/test", headers=account.headers)
        ids.append(test.json()["data"]["id"])
        await dispatcher.run_once()
    listed = await client.get(f"{API}/{hook['id']}/deliveries", headers=account.headers)
    body = listed.json()
    assert [d["id"] for d in body["data"]] == ids[::-1]
    assert body["meta"]["total"] == 3
    assert [d["status"] for d in body["data"]] == ["pending", "succeeded", "succeeded"]
    assert body["data"][0]["attempts"][0]["status_code"] == 500
    assert body["data"][1]["next_attempt_at"] is None
    succeeded = await deliveries(client, account, hook["id"], status="succeeded", limit=1)
    assert [d["id"] for d in succeeded] == [ids[1]]
    page_two = await deliveries(client, account, hook["id"], status="succeeded", offset=1)
    assert [d["id"] for d in page_two] == [ids[0]]
    assert await deliveries(client, account, hook["id"], status="failed") == []
    one = await client.get(f"{API}/{hook['id']}/deliveries/{ids[0]}", headers=account.headers)
    assert one.json()["data"] == body["data"][2]


async def test_an_unknown_delivery_status_filter_is_a_validation_error(
    client: httpx.AsyncClient, account: Account
) -> None:
    hook = await create_webhook(client, account, "https://a.example.com/")
    response = await client.get(
        f"{API}/{hook['id']}/deliveries", params={"status": "lost"}, headers=account.headers
    )
    assert assert_error(response, 400, "VALIDATION_ERROR")["details"][0]["field"] == "status"
    bad_limit = await client.get(
        f"{API}/{hook['id']}/deliveries", params={"limit": 500}, headers=account.headers
    )
    assert_error(bad_limit, 400, "VALIDATION_ERROR")


async def test_retry_requeues_a_failed_delivery_as_a_new_series(
    client: httpx.AsyncClient, account: Account, dispatcher: Dispatcher, receiver: Receiver
) -> None:
    receiver.replies([503])
    hook = await create_webhook(client, account, receiver.url)
    test = await client.post(f"{API}/{hook['id']}/test", headers=account.headers)
    delivery_id = test.json()["data"]["id"]
    await dispatcher.drain()
    [failed] = await deliveries(client, account, hook["id"])
    assert failed["status"] == "failed"
    assert len(failed["attempts"]) == 6

    receiver.replies([200])
    response = await client.post(
        f"{API}/{hook['id']}/deliveries/{delivery_id}/retry", headers=account.headers
    )
    assert response.status_code == 202
    queued = response.json()["data"]
    assert queued["status"] == "pending" and queued["next_attempt_at"] is not None
    assert queued["payload"] == failed["payload"]
    await dispatcher.drain()
    [done] = await deliveries(client, account, hook["id"])
    assert done["status"] == "succeeded"
    assert [(a["series"], a["attempt"], a["status_code"]) for a in done["attempts"]] == [
        *[(1, n, 503) for n in range(1, 7)],
        (2, 1, 200),
    ]
    bodies = receiver.bodies()
    assert len(bodies) == 7 and len(set(bodies)) == 1  # the same bytes every time
    assert {r.delivery_id for r in receiver.requests} == {delivery_id}


async def test_retry_of_a_disabled_webhooks_delivery_is_a_conflict(
    client: httpx.AsyncClient, account: Account
) -> None:
    hook = await create_webhook(client, account, "https://a.example.com/")
    test = await client.post(f"{API}/{hook['id']}/test", headers=account.headers)
    await client.patch(f"{API}/{hook['id']}", json={"enabled": False}, headers=account.headers)
    response = await client.post(
        f"{API}/{hook['id']}/deliveries/{test.json()['data']['id']}/retry",
        headers=account.headers,
    )
    assert_error(response, 409, "CONFLICT")


async def test_deleting_a_webhook_deletes_its_deliveries(
    client: httpx.AsyncClient, account: Account, ctx: AppContext
) -> None:
    from sqlalchemy import func, select

    from xqr.webhooks.models import WebhookDelivery

    hook = await create_webhook(client, account, "https://a.example.com/")
    await client.post(f"{API}/{hook['id']}/test", headers=account.headers)
    await client.delete(f"{API}/{hook['id']}", headers=account.headers)
    async with ctx.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0


async def test_openapi_documents_every_webhook_route_with_its_scope(
    client: httpx.AsyncClient,
) -> None:
    spec = (await client.get("/api/v1/openapi.json")).json()
    routes = {
        (method.upper(), path): op
        for path, item in spec["paths"].items()
        if path.startswith("/api/v1/webhooks")
        for method, op in item.items()
    }
    assert len(routes) == 10
    for (method, path), op in routes.items():
        assert op["summary"], (method, path)
        assert "webhooks:read" in op["description"] or "webhooks:write" in op["description"]
