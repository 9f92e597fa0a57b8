"""`/v1/links`: validation rules and error codes, CRUD, tenancy, scopes and plan limits."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text, update

from tests.conftest import BACKEND, Account, AccountFactory, assert_error, set_plan
from tests.links.linkkit import (
    BROWSER,
    LINK_FIELDS,
    create_link,
    get_link,
    new_account,
    plans_file,
    quiet_settings,
    running,
)
from tests.support.waiting import eventually
from xqr.app import XqrApp
from xqr.context import AppContext
from xqr.core.clock import clock

LINKS = "/api/v1/links"
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
RULE = {"destination": "https://example.de/promo", "conditions": {"countries": ["DE"]}}


async def post(client: httpx.AsyncClient, account: Account, body: Any) -> httpx.Response:
    return await client.post(LINKS, json=body, headers=account.headers)


def assert_validation(response: httpx.Response, field: str) -> dict[str, Any]:
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == field, error
    assert error["details"][0]["message"]
    return error


# --- create: the link object -------------------------------------------------------------


async def test_create_returns_exactly_the_reference_link_object(
    client: httpx.AsyncClient, account: Account
) -> None:
    response = await post(client, account, {"url": "https://example.com/spring"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"data", "meta"}
    assert body["meta"]["request_id"] == response.headers["x-request-id"]
    link = body["data"]
    assert set(link) == LINK_FIELDS
    assert str(uuid.UUID(link["id"])) == link["id"]
    assert re.fullmatch(r"[A-Za-z0-9]{7}", link["short_code"])
    assert link["short_url"] == f"http://testserver/{link['short_code']}"
    assert link["destination"] == "https://example.com/spring"
    assert link["enabled"] is True
    assert link["labels"] == []
    assert link["routing_rules"] == []
    assert link["scan_count"] == 0
    assert link["last_scan_at"] is None
    assert link["expires_at"] is None
    assert ISO_Z.match(link["created_at"]) and ISO_Z.match(link["updated_at"])


async def test_random_codes_are_seven_base62_characters_and_distinct(
    client: httpx.AsyncClient, account: Account
) -> None:
    codes = [(await create_link(client, account))["short_code"] for _ in range(25)]
    assert all(re.fullmatch(r"[A-Za-z0-9]{7}", code) for code in codes)
    assert len(set(codes)) == 25


async def test_create_with_every_optional_field(
    client: httpx.AsyncClient, account: Account
) -> None:
    expires = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    link = await create_link(
        client,
        account,
        url="HTTPS://Example.COM/Path?Q=1",
        custom_slug="Spring-Sale-2026",
        labels=["spring", "print"],
        routing_rules=[RULE],
        expires_at=expires.isoformat().replace("+00:00", "Z"),
    )
    assert link["short_code"] == "Spring-Sale-2026"
    assert link["short_url"] == "http://testserver/Spring-Sale-2026"
    # only the scheme and host are normalised
    assert link["destination"] == "https://example.com/Path?Q=1"
    assert link["labels"] == ["spring", "print"]
    assert link["routing_rules"] == [
        {
            "destination": "https://example.de/promo",
            "priority": 0,
            "conditions": {"countries": ["DE"], "country_mode": "include"},
        }
    ]
    assert link["expires_at"] == expires.strftime("%Y-%m-%dT%H:%M:%S.000Z")


# --- create: validation --------------------------------------------------------------------


INVALID_CREATES: list[tuple[dict[str, Any], str]] = [
    ({}, "url"),
    ({"url": None}, "url"),
    ({"url": 42}, "url"),
    ({"url": ""}, "url"),
    ({"url": "ftp://example.com/file"}, "url"),
    ({"url": "javascript:alert(1)"}, "url"),
    ({"url": "JavaScript://example.com/%0aalert(1)"}, "url"),
    ({"url": "data:text/html,<script>alert(1)</script>"}, "url"),
    ({"url": "example.com/page"}, "url"),
    ({"url": "/relative/path"}, "url"),
    ({"url": "https://"}, "url"),
    ({"url": "https:///path-only"}, "url"),
    ({"url": "https://example.com/" + "a" * 2030}, "url"),
    ({"url": "http://testserver/abc"}, "url"),
    ({"url": "https://TESTSERVER:8443/abc"}, "url"),
    ({"url": "https://testserver./abc"}, "url"),
    ({"url": "https://example.com", "custom_slug": "ab"}, "custom_slug"),
    ({"url": "https://example.com", "custom_slug": "a" * 65}, "custom_slug"),
    ({"url": "https://example.com", "custom_slug": ""}, "custom_slug"),
    ({"url": "https://example.com", "custom_slug": "has space"}, "custom_slug"),
    ({"url": "https://example.com", "custom_slug": "under_score"}, "custom_slug"),
    ({"url": "https://example.com", "custom_slug": "dot.ted"}, "custom_slug"),
    ({"url": "https://example.com", "custom_slug": "sl/ash"}, "custom_slug"),
    ({"url": "https://example.com", "custom_slug": "ümlaut"}, "custom_slug"),
    ({"url": "https://example.com", "custom_slug": "-lead"}, "custom_slug"),
    ({"url": "https://example.com", "custom_slug": "trail-"}, "custom_slug"),
    ({"url": "https://example.com", "custom_slug": "api"}, "custom_slug"),
    ({"url": "https://example.com", "custom_slug": "healthz"}, "custom_slug"),
    ({"url": "https://example.com", "custom_slug": "Docs"}, "custom_slug"),
    ({"url": "https://example.com", "custom_slug": "BIO"}, "custom_slug"),
    ({"url": "https://example.com", "custom_slug": "dashboard"}, "custom_slug"),
    ({"url": "https://example.com", "custom_slug": 123}, "custom_slug"),
    ({"url": "https://example.com", "labels": [f"l{i}" for i in range(11)]}, "labels"),
    ({"url": "https://example.com", "labels": [""]}, "labels[0]"),
    ({"url": "https://example.com", "labels": ["ok", "   "]}, "labels[1]"),
    ({"url": "https://example.com", "labels": ["ok", "x" * 51]}, "labels[1]"),
    ({"url": "https://example.com", "labels": ["ok", 7]}, "labels[1]"),
    ({"url": "https://example.com", "labels": "spring"}, "labels"),
    ({"url": "https://example.com", "routing_rules": [RULE] * 21}, "routing_rules"),
    ({"url": "https://example.com", "routing_rules": {"a": 1}}, "routing_rules"),
    ({"url": "https://example.com", "expires_at": "2000-01-01T00:00:00Z"}, "expires_at"),
    ({"url": "https://example.com", "expires_at": "next tuesday"}, "expires_at"),
    ({"url": "https://example.com", "expires_at": 12.5}, "expires_at"),
    ({"url": "https://example.com", "slug": "typo"}, "slug"),
    ({"url": "https://example.com", "enabled": False}, "enabled"),
]


def misses(problems: list[str]) -> str:
    return "\n".join(problems)


async def test_create_refuses_invalid_input_naming_the_field(
    client: httpx.AsyncClient, account: Account
) -> None:
    problems = []
    for body, field in INVALID_CREATES:
        response = await post(client, account, body)
        try:
            assert_validation(response, field)
        except AssertionError:
            problems.append(f"{str(body)[:80]} -> {response.status_code} {response.text[:200]}")
    assert not problems, misses(problems)
    listed = await client.get(LINKS, headers=account.headers)
    assert listed.json()["meta"]["total"] == 0


async def test_a_url_of_exactly_2048_characters_is_accepted(
    client: httpx.AsyncClient, account: Account
) -> None:
    url = "https://example.com/" + "a" * (2048 - len("https://example.com/"))
    link = await create_link(client, account, url=url)
    assert link["destination"] == url
    assert_validation(await post(client, account, {"url": url + "b"}), "url")


async def test_custom_slugs_at_the_limits_are_accepted(
    client: httpx.AsyncClient, account: Account
) -> None:
    for slug in ["abc", "a" * 64, "A-b-C", "123", "x-1-y", "UPPER", "api-docs", "healthz2"]:
        link = await create_link(client, account, custom_slug=slug)
        assert link["short_code"] == slug


async def test_a_slug_with_a_trailing_newline_is_refused(
    client: httpx.AsyncClient, account: Account
) -> None:
    response = await post(client, account, {"url": "https://example.com", "custom_slug": "promo\n"})
    assert_validation(response, "custom_slug")


async def test_a_body_that_is_not_a_json_object_is_a_validation_error(
    client: httpx.AsyncClient, account: Account
) -> None:
    for bad_body in [b'{"url": "https://example.com"', b"not json", b"[]", b'"https://e.com"']:
        response = await client.post(
            LINKS,
            content=bad_body,
            headers={**account.headers, "Content-Type": "application/json"},
        )
        assert_error(response, 400, "VALIDATION_ERROR")


MALFORMED_RULES: list[tuple[list[Any], str]] = [
    ([RULE, {"priority": 1}], "routing_rules[1].destination"),
    ([RULE, "https://example.com"], "routing_rules[1]"),
    ([RULE, {"destination": "javascript:alert(1)"}], "routing_rules[1].destination"),
    ([RULE, {"destination": "http://testserver/loop"}], "routing_rules[1].destination"),
    (
        [RULE, {"destination": "https://a.example", "conditions": {"countries": ["DEU"]}}],
        "routing_rules[1].conditions.countries[0]",
    ),
    (
        [RULE, {"destination": "https://a.example", "conditions": {"device_types": ["tv"]}}],
        "routing_rules[1].conditions.device_types[0]",
    ),
    (
        [
            RULE,
            RULE,
            {"destination": "https://a.example", "conditions": {"hours": {"start": 25}}},
        ],
        "routing_rules[2].conditions.hours.start",
    ),
    (
        [{"destination": "https://a.example", "conditions": {"percentage": 101}}],
        "routing_rules[0].conditions.percentage",
    ),
    (
        [{"destination": "https://a.example", "priority": "high"}],
        "routing_rules[0].priority",
    ),
    (
        [{"destination": "https://a.example", "conditions": {"weekday": "mon"}}],
        "routing_rules[0].conditions.weekday",
    ),
    (
        [{"destination": "https://a.example", "when": {}}],
        "routing_rules[0].when",
    ),
]


async def test_a_malformed_rule_is_named_by_its_index(
    client: httpx.AsyncClient, account: Account
) -> None:
    problems = []
    for rules, field in MALFORMED_RULES:
        body = {"url": "https://example.com", "routing_rules": rules}
        response = await post(client, account, body)
        try:
            assert_validation(response, field)
        except AssertionError:
            problems.append(f"{field} -> {response.status_code} {response.text[:200]}")
    assert not problems, misses(problems)


async def test_twenty_rules_are_allowed(client: httpx.AsyncClient, account: Account) -> None:
    rules = [{"destination": f"https://example.com/{i}", "priority": i} for i in range(20)]
    link = await create_link(client, account, routing_rules=rules)
    assert [r["destination"] for r in link["routing_rules"]] == [r["destination"] for r in rules]


async def test_labels_are_trimmed_and_deduplicated(
    client: httpx.AsyncClient, account: Account
) -> None:
    labels = [" spring ", "spring", "x" * 50] + [f"l{i}" for i in range(8)]
    link = await create_link(client, account, labels=labels)
    assert link["labels"] == ["spring", "x" * 50] + [f"l{i}" for i in range(8)]


@pytest.mark.parametrize(
    "label",
    ["tab\there", "new\nline", "bell\x07", "c1\x85here", "\u202egnp.exe", "iso\u2066late\u2069"],
    ids=repr,
)
async def test_labels_refuse_control_and_bidirectional_override_characters(
    client: httpx.AsyncClient, account: Account, label: str
) -> None:
    created = await post(client, account, {"url": "https://example.com", "labels": ["ok", label]})
    error = assert_validation(created, "labels[1]")
    assert "control" in error["message"] or "bidirectional" in error["message"]
    link = await create_link(client, account, labels=["ok"])
    changed = await client.patch(
        f"{LINKS}/{link['id']}", json={"labels": [label]}, headers=account.headers
    )
    assert_validation(changed, "labels[0]")
    assert (await get_link(client, account, link["id"]))["labels"] == ["ok"]


async def test_expires_at_without_a_zone_is_utc(
    client: httpx.AsyncClient, account: Account
) -> None:
    clock.freeze(datetime(2030, 5, 1, 12, 0, tzinfo=UTC))
    link = await create_link(client, account, expires_at="2030-05-02T08:30:00")
    assert link["expires_at"] == "2030-05-02T08:30:00.000Z"
    offset = await create_link(client, account, expires_at="2030-05-02T10:30:00+02:00")
    assert offset["expires_at"] == "2030-05-02T08:30:00.000Z"
    # one second ago is the past
    assert_validation(
        await post(client, account, {"url": "https://e.com", "expires_at": "2030-05-01T11:59:59Z"}),
        "expires_at",
    )


# --- slugs taken ---------------------------------------------------------------------------


async def test_a_taken_slug_is_409_slug_taken_also_ignoring_case(
    client: httpx.AsyncClient, account: Account
) -> None:
    await create_link(client, account, custom_slug="promo")
    for slug in ("promo", "Promo", "PROMO"):
        response = await post(client, account, {"url": "https://example.com", "custom_slug": slug})
        error = assert_error(response, 409, "SLUG_TAKEN")
        assert slug in error["message"]


async def test_a_slug_taken_in_another_workspace_is_taken_too(
    client: httpx.AsyncClient, account: Account, make_account: AccountFactory
) -> None:
    other = await make_account(name="Other", owner="o@other.test")
    await create_link(client, other, custom_slug="shared-name")
    response = await post(client, account, {"url": "https://e.com", "custom_slug": "Shared-Name"})
    assert_error(response, 409, "SLUG_TAKEN")


async def test_a_slug_equal_to_an_existing_random_code_ignoring_case_is_taken(
    client: httpx.AsyncClient, account: Account
) -> None:
    code = (await create_link(client, account))["short_code"]
    response = await post(client, account, {"url": "https://e.com", "custom_slug": code.swapcase()})
    assert_error(response, 409, "SLUG_TAKEN")


async def test_concurrent_creates_of_one_slug_give_one_link_and_409s(
    client: httpx.AsyncClient, account: Account
) -> None:
    responses = await asyncio.gather(
        *(post(client, account, {"url": "https://e.com", "custom_slug": "race"}) for _ in range(6))
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201, 409, 409, 409, 409, 409], [r.text for r in responses]
    for response in responses:
        if response.status_code == 409:
            assert_error(response, 409, "SLUG_TAKEN")


# --- list ----------------------------------------------------------------------------------


async def test_list_is_newest_first_with_pagination_meta(
    client: httpx.AsyncClient, account: Account
) -> None:
    ids = []
    for i in range(5):
        clock.freeze(datetime(2030, 1, 1, 12, 0, i, tzinfo=UTC))
        ids.append((await create_link(client, account, url=f"https://e.com/{i}"))["id"])
    clock.reset()
    response = await client.get(LINKS, headers=account.headers)
    assert response.status_code == 200
    body = response.json()
    assert [link["id"] for link in body["data"]] == ids[::-1]
    assert all(set(link) == LINK_FIELDS for link in body["data"])
    assert body["meta"]["total"] == 5
    assert body["meta"]["limit"] == 50
    assert body["meta"]["offset"] == 0
    assert body["meta"]["request_id"] == response.headers["x-request-id"]

    page = await client.get(LINKS, params={"limit": 2, "offset": 1}, headers=account.headers)
    meta = page.json()["meta"]
    assert [link["id"] for link in page.json()["data"]] == [ids[3], ids[2]]
    assert (meta["total"], meta["limit"], meta["offset"]) == (5, 2, 1)
    beyond = await client.get(LINKS, params={"offset": 10}, headers=account.headers)
    assert beyond.json()["data"] == [] and beyond.json()["meta"]["total"] == 5


async def test_links_created_in_the_same_instant_list_in_a_stable_newest_first_order(
    client: httpx.AsyncClient, account: Account
) -> None:
    clock.freeze(datetime(2030, 1, 1, tzinfo=UTC))
    ids = [(await create_link(client, account))["id"] for _ in range(6)]
    clock.reset()
    listed = (await client.get(LINKS, headers=account.headers)).json()["data"]
    assert sorted(link["id"] for link in listed) == sorted(ids)
    pages = []
    for offset in range(0, 6, 2):
        page = await client.get(
            LINKS, params={"limit": 2, "offset": offset}, headers=account.headers
        )
        pages += [link["id"] for link in page.json()["data"]]
    assert pages == [link["id"] for link in listed]


async def test_bad_pagination_is_a_validation_error(
    client: httpx.AsyncClient, account: Account
) -> None:
    for params in ({"limit": 0}, {"limit": 201}, {"offset": -1}, {"limit": "ten"}):
        response = await client.get(LINKS, params=params, headers=account.headers)
        assert_error(response, 400, "VALIDATION_ERROR")


async def test_label_filter(client: httpx.AsyncClient, account: Account) -> None:
    a = await create_link(client, account, labels=["spring", "print"])
    b = await create_link(client, account, labels=["spring"])
    await create_link(client, account, labels=["autumn"])
    await create_link(client, account)
    response = await client.get(LINKS, params={"label": "spring"}, headers=account.headers)
    assert [link["id"] for link in response.json()["data"]] == [b["id"], a["id"]]
    assert response.json()["meta"]["total"] == 2
    response = await client.get(LINKS, params={"label": "print"}, headers=account.headers)
    assert [link["id"] for link in response.json()["data"]] == [a["id"]]
    response = await client.get(LINKS, params={"label": "none"}, headers=account.headers)
    assert response.json()["data"] == [] and response.json()["meta"]["total"] == 0
    # the label is written into the query's text: quotes and backslashes stay data
    quoted = await create_link(client, account, labels=["it's \\ 50%' OR '1'='1"])
    for label in ("it's \\ 50%' OR '1'='1", "it's"):
        response = await client.get(LINKS, params={"label": label}, headers=account.headers)
        expected = [quoted["id"]] if label.endswith("'1'='1") else []
        assert [link["id"] for link in response.json()["data"]] == expected, label


async def test_label_filter_follows_label_changes_and_deletes(
    client: httpx.AsyncClient, account: Account
) -> None:
    link = await create_link(client, account, labels=["spring"])
    await client.patch(
        f"{LINKS}/{link['id']}", json={"labels": ["autumn"]}, headers=account.headers
    )
    spring = await client.get(LINKS, params={"label": "spring"}, headers=account.headers)
    assert spring.json()["meta"]["total"] == 0
    autumn = await client.get(LINKS, params={"label": "autumn"}, headers=account.headers)
    assert [x["id"] for x in autumn.json()["data"]] == [link["id"]]
    await client.delete(f"{LINKS}/{link['id']}", headers=account.headers)
    autumn = await client.get(LINKS, params={"label": "autumn"}, headers=account.headers)
    assert autumn.json()["meta"]["total"] == 0


async def test_label_and_search_pages_add_up_to_their_totals_in_one_workspace(
    client: httpx.AsyncClient, account: Account, make_account: AccountFactory
) -> None:
    other = await make_account(name="Other", owner="o@other.test")
    for n in range(3):  # the same label and words in another workspace count for nothing
        await create_link(client, other, url=f"https://e.com/spring/{n}", labels=["spring"])
    spring = [
        (await create_link(client, account, url=f"https://e.com/spring/{n}", labels=["spring"]))
        for n in range(5)
    ]
    await create_link(client, account, url="https://e.com/autumn", labels=["autumn"])
    newest_first = [link["id"] for link in reversed(spring)]
    for params in (
        {"label": "spring"},
        {"search": "SPRING/"},
        {"label": "spring", "search": "e.com"},
    ):
        seen = []
        for offset in (0, 2, 4, 6):
            page = await client.get(
                LINKS, params={**params, "limit": 2, "offset": offset}, headers=account.headers
            )
            assert page.status_code == 200, page.text
            assert page.json()["meta"]["total"] == 5, (params, offset)
            seen += [link["id"] for link in page.json()["data"]]
        assert seen == newest_first, params


@pytest.mark.parametrize("sort", ["created", "scans", "last_scan"])
async def test_every_sort_pages_the_same_from_either_end(
    app: XqrApp, client: httpx.AsyncClient, account: Account, sort: str
) -> None:
    """Pages past the middle are read backwards: they must be the same rows, in the same
    order, as reading forwards, with ties and never-scanned links (NULL) included."""
    from xqr.links import service
    from xqr.links.models import Link
    from xqr.workspaces import service as workspaces

    clock.freeze(datetime(2030, 1, 1, tzinfo=UTC))  # all created in one instant: ties
    ids = [(await create_link(client, account, labels=["x"]))["id"] for _ in range(7)]
    clock.reset()
    counts = [3, 0, 3, 1, 0, 2, 1]
    async with app.ctx.engine.begin() as conn:
        for link_id, n in zip(ids, counts, strict=True):
            await conn.execute(
                update(Link)
                .where(Link.id == uuid.UUID(link_id))
                .values(
                    scan_count=n, last_scan_at=datetime(2030, 1, 2, n, tzinfo=UTC) if n else None
                )
            )
    async with app.ctx.sessionmaker() as session:
        workspace = await workspaces.get_workspace(session, uuid.UUID(account.workspace_id))
        tenant = workspaces.tenant_for(workspace, app.ctx.plans)
        for label in (None, "x"):
            whole, total = await service.list_links(
                session, tenant, label=label, search=None, limit=50, offset=0, sort=sort
            )
            assert total == 7 and len(whole) == 7
            for limit in (1, 2, 3, 5):
                paged = []
                for offset in range(0, 9, limit):
                    page, total = await service.list_links(
                        session, tenant, label=label, search=None, limit=limit, offset=offset,
                        sort=sort,
                    )  # fmt: skip
                    assert total == 7
                    paged += page
                assert [link.id for link in paged] == [link.id for link in whole], (label, limit)


async def test_search_matches_the_destination_case_insensitively(
    client: httpx.AsyncClient, account: Account
) -> None:
    shoes = await create_link(client, account, url="https://shop.example.com/Shoes/Red")
    await create_link(client, account, url="https://blog.example.com/post", custom_slug="shoes")
    for term in ("shoes/red", "SHOES", "Shop.Example"):
        response = await client.get(LINKS, params={"search": term}, headers=account.headers)
        assert [x["id"] for x in response.json()["data"]] == [shoes["id"]], term
        assert response.json()["meta"]["total"] == 1


async def test_search_treats_percent_and_underscore_literally(
    client: httpx.AsyncClient, account: Account
) -> None:
    percent = await create_link(client, account, url="https://e.com/sale?off=50%25")
    under = await create_link(client, account, url="https://e.com/new_arrivals")
    await create_link(client, account, url="https://e.com/newXarrivals")
    await create_link(client, account, url="https://e.com/plain")

    async def search(term: str) -> list[str]:
        response = await client.get(LINKS, params={"search": term}, headers=account.headers)
        return [x["id"] for x in response.json()["data"]]

    assert await search("%") == [percent["id"]]
    assert await search("new_arr") == [under["id"]]
    assert await search("_") == [under["id"]]
    assert await search("\\") == []


async def test_search_is_case_insensitive_beyond_ascii(
    client: httpx.AsyncClient, account: Account
) -> None:
    link = await create_link(client, account, url="https://e.com/Äpfel/SALE")
    await create_link(client, account, url="https://e.com/Birnen/sale")
    for term in ("äpfel", "ÄPFEL", "äpfel/sale"):
        response = await client.get(LINKS, params={"search": term}, headers=account.headers)
        assert [x["id"] for x in response.json()["data"]] == [link["id"]], term
    response = await client.get(LINKS, params={"search": "SALE"}, headers=account.headers)
    assert response.json()["meta"]["total"] == 2


# --- get -----------------------------------------------------------------------------------


async def test_get_returns_the_same_object_as_create(
    client: httpx.AsyncClient, account: Account
) -> None:
    created = await create_link(client, account, labels=["a"], routing_rules=[RULE])
    assert await get_link(client, account, created["id"]) == created


async def test_malformed_or_unknown_ids_are_not_found(
    client: httpx.AsyncClient, account: Account
) -> None:
    link = await create_link(client, account)
    for link_id in (
        "not-a-uuid",
        "123",
        str(uuid.uuid4()),
        "00000000-0000-0000-0000-000000000000",
        link["id"] + "0",
        link["short_code"],
    ):
        for method in ("GET", "PATCH", "DELETE"):
            response = await client.request(
                method,
                f"{LINKS}/{link_id}",
                json={"enabled": False} if method == "PATCH" else None,
                headers=account.headers,
            )
            assert_error(response, 404, "RESOURCE_NOT_FOUND")
    assert await get_link(client, account, link["id"]) == link


# --- patch ---------------------------------------------------------------------------------


async def patch(
    client: httpx.AsyncClient, account: Account, link_id: str, body: Any
) -> httpx.Response:
    return await client.patch(f"{LINKS}/{link_id}", json=body, headers=account.headers)


async def test_patch_changes_every_field(client: httpx.AsyncClient, account: Account) -> None:
    clock.freeze(datetime(2030, 1, 1, 12, tzinfo=UTC))
    created = await create_link(client, account)
    clock.freeze(datetime(2030, 1, 1, 13, tzinfo=UTC))
    response = await patch(
        client,
        account,
        created["id"],
        {
            "url": "https://new.example.com/x",
            "custom_slug": "renamed",
            "labels": ["b", "a"],
            "routing_rules": [RULE],
            "enabled": False,
            "expires_at": "2030-02-01T00:00:00Z",
        },
    )
    assert response.status_code == 200, response.text
    link = response.json()["data"]
    assert set(link) == LINK_FIELDS
    assert link["id"] == created["id"]
    assert link["destination"] == "https://new.example.com/x"
    assert link["short_code"] == "renamed"
    assert link["short_url"] == "http://testserver/renamed"
    assert link["labels"] == ["b", "a"]
    assert link["routing_rules"][0]["destination"] == "https://example.de/promo"
    assert link["enabled"] is False
    assert link["expires_at"] == "2030-02-01T00:00:00.000Z"
    assert link["created_at"] == created["created_at"] == "2030-01-01T12:00:00.000Z"
    assert link["updated_at"] == "2030-01-01T13:00:00.000Z"
    assert await get_link(client, account, created["id"]) == link


async def test_patch_with_an_empty_body_changes_nothing_but_the_link_stays(
    client: httpx.AsyncClient, account: Account
) -> None:
    created = await create_link(client, account, labels=["keep"])
    response = await patch(client, account, created["id"], {})
    assert response.status_code == 200
    data = response.json()["data"]
    assert {k: v for k, v in data.items() if k != "updated_at"} == {
        k: v for k, v in created.items() if k != "updated_at"
    }


async def test_patch_null_clears_optional_fields_and_refuses_required_ones(
    client: httpx.AsyncClient, account: Account
) -> None:
    created = await create_link(
        client,
        account,
        labels=["a"],
        routing_rules=[RULE],
        expires_at=(datetime.now(UTC) + timedelta(days=1)).isoformat(),
    )
    response = await patch(
        client, account, created["id"], {"labels": None, "routing_rules": None, "expires_at": None}
    )
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert (data["labels"], data["routing_rules"], data["expires_at"]) == ([], [], None)
    for field in ("url", "enabled", "custom_slug"):
        assert_validation(await patch(client, account, created["id"], {field: None}), field)
    assert (await get_link(client, account, created["id"]))["destination"] == created["destination"]


INVALID_PATCHES: list[tuple[dict[str, Any], str]] = [
    ({"url": "javascript:alert(1)"}, "url"),
    ({"url": "http://testserver/loop"}, "url"),
    ({"custom_slug": "api"}, "custom_slug"),
    ({"custom_slug": "-x-"}, "custom_slug"),
    ({"labels": ["x" * 51]}, "labels[0]"),
    ({"routing_rules": [RULE, {"destination": "ftp://x"}]}, "routing_rules[1].destination"),
    ({"expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
    ({"enabled": "maybe"}, "enabled"),
    ({"short_code": "x"}, "short_code"),
    ({"scan_count": 5}, "scan_count"),
    ({"url": "https://ok.example", "labels": [""]}, "labels[0]"),
]


async def test_patch_validates_like_create_and_changes_nothing_on_error(
    client: httpx.AsyncClient, account: Account
) -> None:
    created = await create_link(client, account, custom_slug="before")
    problems = []
    for body, field in INVALID_PATCHES:
        response = await patch(client, account, created["id"], body)
        try:
            assert_validation(response, field)
        except AssertionError:
            problems.append(f"{body} -> {response.status_code} {response.text[:200]}")
        assert await get_link(client, account, created["id"]) == created, body
    assert not problems, misses(problems)


async def test_patch_to_a_taken_slug_is_409_and_to_its_own_slug_in_another_case_is_fine(
    client: httpx.AsyncClient, account: Account
) -> None:
    await create_link(client, account, custom_slug="first")
    second = await create_link(client, account, custom_slug="second")
    assert_error(
        await patch(client, account, second["id"], {"custom_slug": "FIRST"}), 409, "SLUG_TAKEN"
    )
    same = await patch(client, account, second["id"], {"custom_slug": "second"})
    assert same.status_code == 200 and same.json()["data"]["short_code"] == "second"
    recased = await patch(client, account, second["id"], {"custom_slug": "Second"})
    assert recased.status_code == 200 and recased.json()["data"]["short_code"] == "Second"


async def test_a_slug_freed_by_a_rename_can_be_used_again(
    client: httpx.AsyncClient, account: Account
) -> None:
    link = await create_link(client, account, custom_slug="old-name")
    assert (
        await patch(client, account, link["id"], {"custom_slug": "new-name"})
    ).status_code == 200
    again = await create_link(client, account, custom_slug="old-name")
    assert again["short_code"] == "old-name"


async def test_changing_the_slug_moves_the_redirect(
    client: httpx.AsyncClient, account: Account
) -> None:
    link = await create_link(client, account, url="https://e.com/target", custom_slug="before")
    assert (await client.get("/before", headers=BROWSER)).status_code == 302
    response = await patch(client, account, link["id"], {"custom_slug": "after"})
    assert response.status_code == 200
    old = await client.get("/before", headers=BROWSER)
    assert old.status_code == 404
    new = await client.get("/after", headers=BROWSER)
    assert new.status_code == 302 and new.headers["location"] == "https://e.com/target"


# --- delete --------------------------------------------------------------------------------


async def test_delete_is_204_then_404_and_the_code_stops_redirecting(
    client: httpx.AsyncClient, account: Account
) -> None:
    link = await create_link(client, account, custom_slug="gone-soon")
    assert (await client.get("/gone-soon", headers=BROWSER)).status_code == 302
    response = await client.delete(f"{LINKS}/{link['id']}", headers=account.headers)
    assert response.status_code == 204
    assert response.content == b""
    assert_error(
        await client.get(f"{LINKS}/{link['id']}", headers=account.headers),
        404,
        "RESOURCE_NOT_FOUND",
    )
    assert_error(
        await client.delete(f"{LINKS}/{link['id']}", headers=account.headers),
        404,
        "RESOURCE_NOT_FOUND",
    )
    assert (await client.get("/gone-soon", headers=BROWSER)).status_code == 404
    listed = await client.get(LINKS, headers=account.headers)
    assert listed.json()["meta"]["total"] == 0
    # the slug is free again
    assert (await create_link(client, account, custom_slug="gone-soon"))[
        "short_code"
    ] == "gone-soon"


# --- tenancy -------------------------------------------------------------------------------


async def test_another_workspaces_link_is_not_found_and_not_listed(
    client: httpx.AsyncClient, account: Account, make_account: AccountFactory
) -> None:
    other = await make_account(name="Other", owner="o@other.test")
    theirs = await create_link(client, other, custom_slug="theirs", labels=["x"])
    mine = await create_link(client, account, labels=["x"])
    path = f"{LINKS}/{theirs['id']}"
    assert_error(await client.get(path, headers=account.headers), 404, "RESOURCE_NOT_FOUND")
    assert_error(
        await client.patch(path, json={"url": "https://evil.example"}, headers=account.headers),
        404,
        "RESOURCE_NOT_FOUND",
    )
    assert_error(await client.delete(path, headers=account.headers), 404, "RESOURCE_NOT_FOUND")
    listed = await client.get(LINKS, params={"label": "x"}, headers=account.headers)
    assert [x["id"] for x in listed.json()["data"]] == [mine["id"]]
    # theirs is untouched
    assert await get_link(client, other, theirs["id"]) == theirs
    assert (await client.get("/theirs", headers=BROWSER)).headers["location"] == theirs[
        "destination"
    ]


# --- scopes --------------------------------------------------------------------------------


async def test_links_read_can_list_and_get_but_not_write(
    client: httpx.AsyncClient, account: Account, make_account: AccountFactory
) -> None:
    link = await create_link(client, account)
    reader = await make_account(workspace_id=account.workspace_id, scopes="links:read")
    assert (await client.get(LINKS, headers=reader.headers)).status_code == 200
    assert (await client.get(f"{LINKS}/{link['id']}", headers=reader.headers)).status_code == 200
    attempts = [
        client.post(LINKS, json={"url": "https://e.com"}, headers=reader.headers),
        client.post(
            f"{LINKS}/bulk", json={"links": [{"url": "https://e.com"}]}, headers=reader.headers
        ),
        client.patch(f"{LINKS}/{link['id']}", json={"enabled": False}, headers=reader.headers),
        client.delete(f"{LINKS}/{link['id']}", headers=reader.headers),
    ]
    for response in await asyncio.gather(*attempts):
        error = assert_error(response, 403, "INSUFFICIENT_SCOPE")
        assert "links:write" in error["message"]
    assert await get_link(client, account, link["id"]) == link


async def test_links_write_can_create_and_other_scopes_cannot_read(
    client: httpx.AsyncClient, account: Account, make_account: AccountFactory
) -> None:
    writer = await make_account(workspace_id=account.workspace_id, scopes="links:write")
    response = await client.post(LINKS, json={"url": "https://e.com"}, headers=writer.headers)
    assert response.status_code == 201
    qr_only = await make_account(workspace_id=account.workspace_id, scopes="qr:read")
    error = assert_error(
        await client.get(LINKS, headers=qr_only.headers), 403, "INSUFFICIENT_SCOPE"
    )
    assert "links:read" in error["message"]


async def test_no_key_is_401(client: httpx.AsyncClient) -> None:
    assert_error(await client.get(LINKS), 401, "INVALID_API_KEY")
    assert_error(await client.post(LINKS, json={"url": "https://e.com"}), 401, "INVALID_API_KEY")


# --- plans ---------------------------------------------------------------------------------


async def test_the_link_limit_of_the_plan_is_403_plan_limit_exceeded(
    db_url: str, tmp_path: Path
) -> None:
    settings = quiet_settings(db_url, tmp_path / "data", plans_file=plans_file(tmp_path, links=2))
    async with running(settings) as (app, client):
        pro = await new_account(app, plan="pro")
        first = await create_link(client, pro)
        await create_link(client, pro)
        error = assert_error(
            await client.post(LINKS, json={"url": "https://e.com"}, headers=pro.headers),
            403,
            "PLAN_LIMIT_EXCEEDED",
        )
        assert "links" in error["message"]
        # bulk stops at the limit too, item by item
        bulk = await client.post(
            f"{LINKS}/bulk", json={"links": [{"url": "https://e.com"}]}, headers=pro.headers
        )
        assert bulk.status_code == 201
        assert bulk.json()["data"]["created"] == []
        assert bulk.json()["data"]["errors"][0]["code"] == "PLAN_LIMIT_EXCEEDED"
        # deleting one makes room again, for one link of a bulk of three
        await client.delete(f"{LINKS}/{first['id']}", headers=pro.headers)
        three = [{"url": f"https://e.com/{n}"} for n in range(3)]
        bulk = await client.post(f"{LINKS}/bulk", json={"links": three}, headers=pro.headers)
        assert bulk.status_code == 201
        assert len(bulk.json()["data"]["created"]) == 1
        errors = bulk.json()["data"]["errors"]
        assert [(e["index"], e["code"]) for e in errors] == [
            (1, "PLAN_LIMIT_EXCEEDED"),
            (2, "PLAN_LIMIT_EXCEEDED"),
        ]
        listed = await client.get(LINKS, headers=pro.headers)
        assert listed.json()["meta"]["total"] == 2
        usage = await client.get("/api/v1/workspace/usage", headers=pro.headers)
        assert usage.json()["data"]["links"] == {"used": 2, "limit": 2}


async def test_routing_rules_need_a_plan_that_has_them(db_url: str, tmp_path: Path) -> None:
    settings = quiet_settings(
        db_url, tmp_path / "data", plans_file=plans_file(tmp_path, routing_rules=False)
    )
    async with running(settings) as (app, client):
        pro = await new_account(app, plan="pro")
        response = await client.post(
            LINKS, json={"url": "https://e.com", "routing_rules": [RULE]}, headers=pro.headers
        )
        error = assert_error(response, 403, "FEATURE_NOT_AVAILABLE")
        assert "business" in error["message"]
        # an empty list is no rules at all
        link = await create_link(client, pro, routing_rules=[])
        assert link["routing_rules"] == []
        patched = await client.patch(
            f"{LINKS}/{link['id']}", json={"routing_rules": [RULE]}, headers=pro.headers
        )
        assert_error(patched, 403, "FEATURE_NOT_AVAILABLE")
        assert (await get_link(client, pro, link["id"]))["routing_rules"] == []
        listed = await client.get(LINKS, headers=pro.headers)
        assert listed.json()["meta"]["total"] == 1


async def test_a_free_workspace_has_no_api_access(app: XqrApp) -> None:
    free = await new_account(app, plan="pro")
    await set_plan(app.ctx, free.workspace_id, "free")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.post(LINKS, json={"url": "https://e.com"}, headers=free.headers)
    assert_error(response, 403, "FEATURE_NOT_AVAILABLE")


async def _waiting_for_a_lock(ctx: AppContext) -> bool:
    """PostgreSQL: a session of this database waits for a lock another holds."""
    async with ctx.engine.connect() as conn:
        waiting = await conn.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
    return bool(waiting)


@pytest.mark.skipif(BACKEND != "postgres", reason="SQLite runs write transactions one at a time")
async def test_concurrent_creates_cannot_pass_the_link_limit(db_url: str, tmp_path: Path) -> None:
    from xqr.core.errors import ApiError
    from xqr.links import service
    from xqr.links.schemas import LinkCreate
    from xqr.workspaces import service as workspaces

    settings = quiet_settings(db_url, tmp_path / "data", plans_file=plans_file(tmp_path, links=2))
    async with running(settings) as (app, client):
        pro = await new_account(app, plan="pro")
        await create_link(client, pro)  # one of two used
        ctx = app.ctx
        rules = service.LinkRules.from_settings(ctx.settings)

        async with ctx.sessionmaker() as first, ctx.sessionmaker() as second:
            workspace = await workspaces.get_workspace(first, uuid.UUID(pro.workspace_id))
            tenant = workspaces.tenant_for(workspace, ctx.plans)
            await service.create_link(first, tenant, rules, LinkCreate(url="https://e.com/a"))

            async def other_request() -> str:
                try:
                    await service.create_link(
                        second, tenant, rules, LinkCreate(url="https://e.com/b")
                    )
                    await second.commit()
                except ApiError as exc:
                    await second.rollback()
                    return exc.code
                return "created"

            racing = asyncio.create_task(other_request())
            # it waits for the workspace's lock that the first holds (or, were there no such
            # lock, counts and finishes on its own)
            await eventually(lambda: racing.done() or _waiting_for_a_lock(ctx), "the other")
            await first.commit()
            outcome = await asyncio.wait_for(racing, 10)
        listed = await client.get(LINKS, headers=pro.headers)
        assert listed.json()["meta"]["total"] == 2, outcome
        assert outcome == "PLAN_LIMIT_EXCEEDED"
