"""`POST /v1/links/bulk` and `GET /v1/links/bulk/{batch_id}`."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx

from tests.conftest import Account, AccountFactory, assert_error
from tests.links.linkkit import BROWSER, LINK_FIELDS, create_link, get_link

BULK = "/api/v1/links/bulk"
BATCH_FIELDS = {"id", "status", "total", "succeeded", "failed", "progress", "results"}


async def bulk(client: httpx.AsyncClient, account: Account, links: Any) -> httpx.Response:
    return await client.post(BULK, json={"links": links}, headers=account.headers)


async def test_bulk_creates_every_valid_item_in_order(
    client: httpx.AsyncClient, account: Account
) -> None:
    items: list[dict[str, Any]] = [{"url": f"https://example.com/{i}"} for i in range(3)]
    items.append({"url": "https://example.com/slugged", "custom_slug": "bulk-one", "labels": ["b"]})
    response = await bulk(client, account, items)
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert set(data) == {"batch_id", "created", "errors"}
    assert data["errors"] == []
    assert [link["destination"] for link in data["created"]] == [i["url"] for i in items]
    for link in data["created"]:
        assert set(link) == LINK_FIELDS
        assert await get_link(client, account, link["id"]) == link
    assert data["created"][3]["short_code"] == "bulk-one"
    assert data["created"][3]["labels"] == ["b"]
    listed = await client.get("/api/v1/links", headers=account.headers)
    assert listed.json()["meta"]["total"] == 4
    redirect = await client.get("/bulk-one", headers=BROWSER)
    assert redirect.headers["location"] == "https://example.com/slugged"


async def test_bulk_partial_success_reports_each_refused_item_by_index(
    client: httpx.AsyncClient, account: Account
) -> None:
    await create_link(client, account, custom_slug="existing")
    items: list[Any] = [
        {"url": "https://example.com/ok-0"},  # 0 ok
        {"url": "javascript:alert(1)"},  # 1 bad url
        {"url": "https://example.com/ok-2", "custom_slug": "dup"},  # 2 ok
        {"url": "https://example.com/x", "custom_slug": "DUP"},  # 3 duplicate in this batch
        {"url": "https://example.com/x", "custom_slug": "Existing"},  # 4 taken before
        "https://example.com/not-an-object",  # 5
        {"custom_slug": "no-url"},  # 6 missing url
        {"url": "https://example.com/x", "labels": ["x" * 51]},  # 7
        {"url": "https://example.com/x", "routing_rules": []},  # 8 not a bulk field
        {"url": "https://example.com/x", "custom_slug": "api"},  # 9 reserved
        None,  # 10
        {"url": "https://example.com/ok-11"},  # 11 ok
    ]
    response = await bulk(client, account, items)
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert [link["destination"] for link in data["created"]] == [
        "https://example.com/ok-0",
        "https://example.com/ok-2",
        "https://example.com/ok-11",
    ]
    errors = data["errors"]
    assert all(set(e) == {"index", "code", "message"} for e in errors)
    assert all(isinstance(e["message"], str) and e["message"] for e in errors)
    assert [(e["index"], e["code"]) for e in errors] == [
        (1, "VALIDATION_ERROR"),
        (3, "SLUG_TAKEN"),
        (4, "SLUG_TAKEN"),
        (5, "VALIDATION_ERROR"),
        (6, "VALIDATION_ERROR"),
        (7, "VALIDATION_ERROR"),
        (8, "VALIDATION_ERROR"),
        (9, "VALIDATION_ERROR"),
        (10, "VALIDATION_ERROR"),
    ]
    assert "url" in errors[4]["message"]
    assert "routing_rules" in errors[6]["message"]
    listed = await client.get("/api/v1/links", headers=account.headers)
    assert listed.json()["meta"]["total"] == 4  # 3 + the existing one
    # the created links are whole (their rows survived the refused items' rollbacks)
    for link in data["created"]:
        assert await get_link(client, account, link["id"]) == link
    assert (await client.get("/dup", headers=BROWSER)).headers["location"] == (
        "https://example.com/ok-2"
    )


async def test_bulk_refuses_only_the_items_with_unstorable_text(
    client: httpx.AsyncClient, account: Account
) -> None:
    items: list[Any] = [
        {"url": "https://example.com/ok-0", "labels": ["fine"]},
        {"url": "https://example.com/\u0000"},  # 1 NUL
        {"url": "https://example.com/x", "labels": ["a", "\ud800"]},  # 2 lone surrogate
        {"url": "https://example.com/ok-3", "custom_slug": "bulk-text"},
        {"url": "https://example.com/x", "\ud800": "x"},  # 4 in a field name
        {"url": "https://example.com/x", "custom_slug": "nul\u0000"},  # 5
    ]
    # json.dumps escapes as JSON clients do: "\u0000", "\ud800"
    response = await client.post(
        BULK,
        content=json.dumps({"links": items}),
        headers={**account.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert [link["destination"] for link in data["created"]] == [
        "https://example.com/ok-0",
        "https://example.com/ok-3",
    ]
    errors = {e["index"]: (e["code"], e["message"]) for e in data["errors"]}
    assert set(errors) == {1, 2, 4, 5}
    assert {code for code, _ in errors.values()} == {"VALIDATION_ERROR"}
    assert errors[1][1].startswith("url: ") and "NUL" in errors[1][1]
    assert errors[2][1].startswith("labels[1]: ") and "surrogate" in errors[2][1]
    assert errors[4][1].startswith("link: field names") and "surrogate" in errors[4][1]
    assert errors[5][1].startswith("custom_slug: ") and "NUL" in errors[5][1]
    listed = await client.get("/api/v1/links", headers=account.headers)
    assert listed.json()["meta"]["total"] == 2
    status = await client.get(f"{BULK}/{data['batch_id']}", headers=account.headers)
    batch = status.json()["data"]
    assert (batch["succeeded"], batch["failed"]) == (2, 4)


async def test_bulk_status_returns_the_batch_with_progress_and_results(
    client: httpx.AsyncClient, account: Account, make_account: AccountFactory
) -> None:
    response = await bulk(
        client,
        account,
        [{"url": "https://example.com/a"}, {"url": "ftp://x"}, {"url": "https://example.com/c"}],
    )
    data = response.json()["data"]
    status = await client.get(f"{BULK}/{data['batch_id']}", headers=account.headers)
    assert status.status_code == 200, status.text
    batch = status.json()["data"]
    assert set(batch) >= BATCH_FIELDS
    assert batch["id"] == data["batch_id"]
    assert batch["status"] == "completed"
    assert (batch["total"], batch["succeeded"], batch["failed"], batch["progress"]) == (
        3,
        2,
        1,
        100,
    )
    results = batch["results"]
    assert [r["index"] for r in results] == [0, 1, 2]
    assert [r["status"] for r in results] == ["created", "failed", "created"]
    assert results[0]["link_id"] == data["created"][0]["id"]
    assert results[0]["short_code"] == data["created"][0]["short_code"]
    assert results[1]["code"] == "VALIDATION_ERROR" and results[1]["message"]
    # a reader may look at it
    reader = await make_account(workspace_id=account.workspace_id, scopes="links:read")
    again = await client.get(f"{BULK}/{data['batch_id']}", headers=reader.headers)
    assert again.json()["data"] == batch


async def test_a_batch_where_every_item_fails_is_still_recorded(
    client: httpx.AsyncClient, account: Account
) -> None:
    response = await bulk(client, account, [{"url": "nope"}, {"url": "ftp://x"}])
    assert response.status_code == 201
    data = response.json()["data"]
    assert data["created"] == [] and [e["index"] for e in data["errors"]] == [0, 1]
    batch = (await client.get(f"{BULK}/{data['batch_id']}", headers=account.headers)).json()
    assert (batch["data"]["succeeded"], batch["data"]["failed"]) == (0, 2)


async def test_one_hundred_items_are_accepted_and_101_refused(
    client: httpx.AsyncClient, account: Account
) -> None:
    too_many = [{"url": f"https://example.com/{i}"} for i in range(101)]
    error = assert_error(await bulk(client, account, too_many), 400, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == "links"
    listed = await client.get("/api/v1/links", headers=account.headers)
    assert listed.json()["meta"]["total"] == 0

    response = await bulk(client, account, too_many[:100])
    assert response.status_code == 201
    assert len(response.json()["data"]["created"]) == 100
    codes = {link["short_code"] for link in response.json()["data"]["created"]}
    assert len(codes) == 100


async def test_a_bulk_body_without_a_list_of_links_is_refused(
    client: httpx.AsyncClient, account: Account
) -> None:
    bodies: list[Any] = [
        {},
        {"links": []},
        {"links": "https://example.com"},
        {"links": None},
        {"links": [{"url": "https://example.com"}], "x": 1},
        [{"url": "https://example.com"}],
    ]
    for body in bodies:
        response = await client.post(BULK, json=body, headers=account.headers)
        error = assert_error(response, 400, "VALIDATION_ERROR")
        assert error["message"], body
    listed = await client.get("/api/v1/links", headers=account.headers)
    assert listed.json()["meta"]["total"] == 0


async def test_another_workspaces_batch_is_not_found(
    client: httpx.AsyncClient, account: Account, make_account: AccountFactory
) -> None:
    other = await make_account(name="Other", owner="o@other.test")
    batch_id = (await bulk(client, other, [{"url": "https://example.com"}])).json()["data"][
        "batch_id"
    ]
    for candidate in (batch_id, str(uuid.uuid4()), "not-a-uuid"):
        response = await client.get(f"{BULK}/{candidate}", headers=account.headers)
        assert_error(response, 404, "RESOURCE_NOT_FOUND")
    assert (await client.get(f"{BULK}/{batch_id}", headers=other.headers)).status_code == 200
