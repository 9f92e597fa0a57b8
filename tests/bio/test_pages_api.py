"""`/v1/bio/pages`: every field rule, slugs, link ids, lifecycle, webhooks, scopes, plans."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.bio.biokit import PAGE_FIELDS, create_page, patch, publish, published_page
from tests.conftest import Account, AccountFactory, assert_error, set_plan
from tests.links.linkkit import (
    add_endpoint,
    delivered_events,
    delivery_payloads,
    new_account,
    plans_file,
    quiet_settings,
    running,
)
from xqr.app import XqrApp
from xqr.bio import service
from xqr.bio.icons import ICONS
from xqr.bio.schemas import BioPageCreate
from xqr.bio.themes import THEMES
from xqr.core.errors import ApiError
from xqr.workspaces import service as workspaces

PAGES = "/api/v1/bio/pages"
WELL_KNOWN_ICONS = {
    *("website", "email", "instagram", "x", "tiktok", "youtube", "facebook", "linkedin"),
    *("github", "spotify", "apple-music", "whatsapp", "telegram", "discord", "twitch"),
    *("pinterest", "snapchat", "threads", "mastodon", "bluesky"),
}


async def create_error(
    client: httpx.AsyncClient, account: Account, status: int, code: str, **body: Any
) -> dict[str, Any]:
    body.setdefault("title", "Ada")
    response = await client.post(PAGES, json=body, headers=account.headers)
    return assert_error(response, status, code)


def detail_fields(error: dict[str, Any]) -> list[str]:
    return [d["field"] for d in error.get("details") or []]


# --- create and read -------------------------------------------------------------------------


async def test_a_new_page_is_a_draft_with_defaults_and_a_slug_from_its_title(
    client: httpx.AsyncClient, account: Account
) -> None:
    page = await create_page(client, account, title="Ada Lovelace")
    assert set(page) == PAGE_FIELDS
    assert page["slug"] == "ada-lovelace"
    assert page["status"] == "draft"
    assert page["published_at"] is None
    assert page["public_url"] == "http://testserver/bio/ada-lovelace"
    assert page["theme"] == "classic"
    assert page["bio"] is None and page["avatar_url"] is None
    assert page["links"] == []
    uuid.UUID(page["id"])
    assert page["created_at"].endswith("Z") and page["updated_at"].endswith("Z")
    got = await client.get(f"{PAGES}/{page['id']}", headers=account.headers)
    assert got.status_code == 200
    assert got.json()["data"] == page


async def test_every_field_round_trips(client: httpx.AsyncClient, account: Account) -> None:
    page = await create_page(
        client,
        account,
        title="  Grace Hopper  ",
        slug="Grace",
        bio="Rear admiral.\r\nCompiler pioneer.",
        avatar_url="https://CDN.Example.com/grace.png",
        theme="midnight",
        links=[
            {"title": "Website", "url": "https://grace.example", "icon": "website"},
            {"title": "Talk", "url": "http://video.example/talk?t=1", "icon": None},
            {"title": "No icon", "url": "https://example.org/x"},
        ],
    )
    assert page["title"] == "Grace Hopper"
    assert page["slug"] == "Grace"
    assert page["public_url"] == "http://testserver/bio/Grace"
    assert page["bio"] == "Rear admiral.\nCompiler pioneer."
    assert page["avatar_url"] == "https://cdn.example.com/grace.png"
    assert page["theme"] == "midnight"
    assert [(link["title"], link["url"], link["icon"]) for link in page["links"]] == [
        ("Website", "https://grace.example", "website"),
        ("Talk", "http://video.example/talk?t=1", None),
        ("No icon", "https://example.org/x", None),
    ]
    ids = [link["id"] for link in page["links"]]
    assert len(set(ids)) == 3
    for link_id in ids:
        uuid.UUID(link_id)


async def test_a_page_of_another_workspace_or_a_malformed_id_is_404(
    client: httpx.AsyncClient, account: Account, app: XqrApp
) -> None:
    page = await create_page(client, account)
    other = await new_account(app, name="Other")
    for path in (f"{PAGES}/{page['id']}", f"{PAGES}/{page['id']}/stats"):
        assert_error(await client.get(path, headers=other.headers), 404, "RESOURCE_NOT_FOUND")
    for method, suffix in (
        ("PATCH", ""),
        ("DELETE", ""),
        ("POST", "/publish"),
        ("POST", "/unpublish"),
    ):
        response = await client.request(
            method,
            f"{PAGES}/{page['id']}{suffix}",
            json={"title": "x"} if method == "PATCH" else None,
            headers=other.headers,
        )
        assert_error(response, 404, "RESOURCE_NOT_FOUND")
    for bad in ("not-a-uuid", str(uuid.uuid4()), "1"):
        assert_error(
            await client.get(f"{PAGES}/{bad}", headers=account.headers), 404, "RESOURCE_NOT_FOUND"
        )
    listed = await client.get(PAGES, headers=other.headers)
    assert listed.json()["data"] == [] and listed.json()["meta"]["total"] == 0


async def test_the_list_is_newest_first_and_paginated(
    client: httpx.AsyncClient, account: Account
) -> None:
    created = []
    for n in range(5):
        created.append(await create_page(client, account, title=f"Page {n}"))
    first = await client.get(PAGES, params={"limit": 2}, headers=account.headers)
    assert first.status_code == 200
    body = first.json()
    assert body["meta"]["total"] == 5 and body["meta"]["limit"] == 2 and body["meta"]["offset"] == 0
    assert [p["title"] for p in body["data"]] == ["Page 4", "Page 3"]
    rest = await client.get(PAGES, params={"limit": 2, "offset": 4}, headers=account.headers)
    assert [p["title"] for p in rest.json()["data"]] == ["Page 0"]
    assert_error(
        await client.get(PAGES, params={"limit": 0}, headers=account.headers),
        400,
        "VALIDATION_ERROR",
    )


# --- title, bio, avatar, theme -----------------------------------------------------------------


@pytest.mark.parametrize(
    "title", ["", "   ", "x" * 101, "tab\there", "new\nline", "nul\x00", "rlo\u202eod"], ids=repr
)
async def test_a_title_must_be_1_to_100_characters_without_control_characters(
    client: httpx.AsyncClient, account: Account, title: str
) -> None:
    error = await create_error(client, account, 400, "VALIDATION_ERROR", title=title)
    assert detail_fields(error) == ["title"]


async def test_a_title_of_100_characters_is_fine_and_a_missing_or_non_string_one_is_not(
    client: httpx.AsyncClient, account: Account
) -> None:
    page = await create_page(client, account, title="é" * 100)
    assert page["title"] == "é" * 100
    missing = await client.post(PAGES, json={}, headers=account.headers)
    assert detail_fields(assert_error(missing, 400, "VALIDATION_ERROR")) == ["title"]
    wrong = await client.post(PAGES, json={"title": 5}, headers=account.headers)
    assert detail_fields(assert_error(wrong, 400, "VALIDATION_ERROR")) == ["title"]


async def test_the_bio_is_at_most_500_characters_and_keeps_line_breaks(
    client: httpx.AsyncClient, account: Account
) -> None:
    error = await create_error(client, account, 400, "VALIDATION_ERROR", bio="b" * 501)
    assert detail_fields(error) == ["bio"]
    error = await create_error(client, account, 400, "VALIDATION_ERROR", bio="bell\x07")
    assert detail_fields(error) == ["bio"]
    page = await create_page(client, account, bio="a" * 499 + "\n")
    assert page["bio"] == "a" * 499
    page = await create_page(client, account, bio="one\n\ttwo")
    assert page["bio"] == "one\n\ttwo"
    page = await create_page(client, account, bio="   ")
    assert page["bio"] is None


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:image/png;base64,AAAA",
        "ftp://example.com/a.png",
        "/relative/avatar.png",
        "https://user:pw@example.com/a.png",
        "https://exa mple.com/a.png",
        "",
    ],
)
async def test_an_avatar_url_must_be_an_absolute_http_url(
    client: httpx.AsyncClient, account: Account, url: str
) -> None:
    error = await create_error(client, account, 400, "VALIDATION_ERROR", avatar_url=url)
    assert detail_fields(error) == ["avatar_url"]


async def test_an_unknown_theme_is_refused_naming_the_themes(
    client: httpx.AsyncClient, account: Account
) -> None:
    error = await create_error(client, account, 400, "VALIDATION_ERROR", theme="neon")
    assert detail_fields(error) == ["theme"]
    for name in THEMES:
        assert name in error["message"]
    for name in THEMES:
        assert (await create_page(client, account, theme=name))["theme"] == name


async def test_unknown_fields_are_refused(client: httpx.AsyncClient, account: Account) -> None:
    error = await create_error(client, account, 400, "VALIDATION_ERROR", colour="red")
    assert detail_fields(error) == ["colour"]
    error = await create_error(
        client,
        account,
        400,
        "VALIDATION_ERROR",
        links=[{"title": "a", "url": "https://e.com", "target": "_blank"}],
    )
    assert detail_fields(error) == ["links[0].target"]


# --- links -----------------------------------------------------------------------------------


def link(n: int, **extra: Any) -> dict[str, Any]:
    return {"title": f"Link {n}", "url": f"https://example.com/{n}", **extra}


async def test_at_most_50_links(client: httpx.AsyncClient, account: Account) -> None:
    page = await create_page(client, account, links=[link(n) for n in range(50)])
    assert len(page["links"]) == 50
    assert [x["title"] for x in page["links"]] == [f"Link {n}" for n in range(50)]
    error = await create_error(
        client, account, 400, "VALIDATION_ERROR", links=[link(n) for n in range(51)]
    )
    assert detail_fields(error) == ["links"]


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"title": "", "url": "https://e.com"}, "links[1].title"),
        ({"title": "x" * 101, "url": "https://e.com"}, "links[1].title"),
        ({"title": "a\nb", "url": "https://e.com"}, "links[1].title"),
        ({"title": "ok", "url": "javascript:alert(document.cookie)"}, "links[1].url"),
        ({"title": "ok", "url": "JavaScript:alert(1)"}, "links[1].url"),
        ({"title": "ok", "url": "data:text/html,<script>alert(1)</script>"}, "links[1].url"),
        ({"title": "ok", "url": "vbscript:msgbox"}, "links[1].url"),
        ({"title": "ok", "url": "//evil.example"}, "links[1].url"),
        ({"title": "ok", "url": "https://a.com\\@b.com"}, "links[1].url"),
        ({"title": "ok", "url": "https://" + "a" * 2050 + ".com"}, "links[1].url"),
        ({"title": "ok"}, "links[1].url"),
        ({"url": "https://e.com"}, "links[1].title"),
        ({"title": "ok", "url": "https://e.com", "icon": "myspace"}, "links[1].icon"),
    ],
)
async def test_each_link_follows_the_rules(
    client: httpx.AsyncClient, account: Account, item: dict[str, Any], field: str
) -> None:
    error = await create_error(client, account, 400, "VALIDATION_ERROR", links=[link(0), item])
    assert detail_fields(error) == [field]


async def test_an_unknown_icon_lists_the_allowed_ones_and_every_listed_icon_works(
    client: httpx.AsyncClient, account: Account
) -> None:
    error = await create_error(
        client, account, 400, "VALIDATION_ERROR", links=[link(0, icon="Instagram")]
    )
    for name in ICONS:
        assert name in error["message"]
    listed = await client.get("/api/v1/bio/icons", headers=account.headers)
    assert listed.status_code == 200
    names = [icon["name"] for icon in listed.json()["data"]]
    assert names == list(ICONS)
    assert set(names) >= WELL_KNOWN_ICONS
    page = await create_page(client, account, links=[link(n, icon=i) for n, i in enumerate(names)])
    assert [x["icon"] for x in page["links"]] == names


async def test_link_ids_are_assigned_by_the_server_and_kept_when_sent_back(
    client: httpx.AsyncClient, account: Account
) -> None:
    page = await create_page(client, account, links=[link(1), link(2), link(3)])
    one, two, three = page["links"]
    # reorder, edit one, drop one, add one; ids sent back stay, the new link gets a new one
    response = await patch(
        client,
        account,
        page["id"],
        links=[
            {**three, "title": "Third, renamed"},
            {"id": one["id"].upper(), "title": one["title"], "url": one["url"]},
            link(4),
        ],
    )
    assert response.status_code == 200, response.text
    links = response.json()["data"]["links"]
    assert [x["id"] for x in links[:2]] == [three["id"], one["id"]]
    assert links[0]["title"] == "Third, renamed"
    assert links[2]["id"] not in {one["id"], two["id"], three["id"]}
    # an id that is not one of this page's links is replaced, not trusted
    foreign = str(uuid.uuid4())
    response = await patch(
        client, account, page["id"], links=[link(5, id=foreign), link(6, id="x")]
    )
    new_ids = [x["id"] for x in response.json()["data"]["links"]]
    assert foreign not in new_ids and "x" not in new_ids
    for link_id in new_ids:
        uuid.UUID(link_id)


async def test_a_link_id_sent_twice_is_refused(client: httpx.AsyncClient, account: Account) -> None:
    page = await create_page(client, account, links=[link(1)])
    same = page["links"][0]
    response = await patch(client, account, page["id"], links=[same, {**same, "title": "again"}])
    assert detail_fields(assert_error(response, 400, "VALIDATION_ERROR")) == ["links[1].id"]


async def test_a_link_may_point_at_our_own_short_links(
    client: httpx.AsyncClient, account: Account
) -> None:
    page = await create_page(client, account, links=[link(0, url="http://testserver/abc1234")])
    assert page["links"][0]["url"] == "http://testserver/abc1234"


# --- slugs -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "slug", ["ab", "x" * 65, "-ada", "ada-", "ada lovelace", "ada_l", "ada/l", "ädä", "api", "BIO"]
)
async def test_a_slug_follows_the_custom_slug_rules(
    client: httpx.AsyncClient, account: Account, slug: str
) -> None:
    error = await create_error(client, account, 400, "VALIDATION_ERROR", slug=slug)
    assert detail_fields(error) == ["slug"]


async def test_a_taken_slug_is_409_even_in_another_case_or_workspace(
    client: httpx.AsyncClient, account: Account, app: XqrApp
) -> None:
    await create_page(client, account, slug="Ada-L")
    await create_error(client, account, 409, "SLUG_TAKEN", slug="Ada-L")
    await create_error(client, account, 409, "SLUG_TAKEN", slug="ada-l")
    other = await new_account(app, name="Other")
    error = await create_error(client, other, 409, "SLUG_TAKEN", slug="ADA-L")
    assert "ADA-L" in error["message"]


async def test_bio_slugs_are_their_own_namespace(
    client: httpx.AsyncClient, account: Account
) -> None:
    short = await client.post(
        "/api/v1/links",
        json={"url": "https://example.com", "custom_slug": "shared"},
        headers=account.headers,
    )
    assert short.status_code == 201
    page = await create_page(client, account, slug="shared")
    assert page["slug"] == "shared"


async def test_slugs_made_from_titles_are_deduplicated(
    client: httpx.AsyncClient, account: Account
) -> None:
    slugs = [(await create_page(client, account, title="Ada Lovelace"))["slug"] for _ in range(3)]
    assert slugs == ["ada-lovelace", "ada-lovelace-2", "ada-lovelace-3"]
    samples = {
        "Café Déjà Vu!": "cafe-deja-vu",
        "日本語": "page",
        "Jo": "jo-page",
        "API": "api-page",
        "  --Hello,   World--  ": "hello-world",
        "x" * 100: "x" * 58,
    }
    for title, slug in samples.items():
        assert (await create_page(client, account, title=title))["slug"] == slug


async def test_concurrent_pages_with_the_same_title_get_different_slugs(
    client: httpx.AsyncClient, account: Account
) -> None:
    responses = await asyncio.gather(
        *(client.post(PAGES, json={"title": "Same"}, headers=account.headers) for _ in range(4))
    )
    assert all(r.status_code == 201 for r in responses), [r.text for r in responses]
    assert sorted(r.json()["data"]["slug"] for r in responses) == [
        "same",
        "same-2",
        "same-3",
        "same-4",
    ]


async def test_a_deleted_or_renamed_page_frees_its_slug(
    client: httpx.AsyncClient, account: Account
) -> None:
    first = await create_page(client, account, slug="mine")
    response = await client.delete(f"{PAGES}/{first['id']}", headers=account.headers)
    assert response.status_code == 204 and response.content == b""
    second = await create_page(client, account, slug="mine")
    renamed = await patch(client, account, second["id"], slug="yours")
    assert renamed.json()["data"]["slug"] == "yours"
    assert renamed.json()["data"]["public_url"] == "http://testserver/bio/yours"
    assert (await create_page(client, account, slug="mine"))["slug"] == "mine"
    taken = await patch(client, account, second["id"], slug="MINE")
    assert_error(taken, 409, "SLUG_TAKEN")


# --- update and delete -----------------------------------------------------------------------


async def test_patch_changes_only_the_fields_given(
    client: httpx.AsyncClient, account: Account
) -> None:
    page = await create_page(
        client, account, bio="Hello", avatar_url="https://e.com/a.png", links=[link(1)]
    )
    response = await patch(client, account, page["id"], title="New title", theme="ocean")
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["title"] == "New title" and data["theme"] == "ocean"
    assert data["slug"] == page["slug"]  # a slug never follows the title
    assert data["bio"] == "Hello" and data["links"] == page["links"]
    response = await patch(client, account, page["id"], bio=None, avatar_url=None)
    data = response.json()["data"]
    assert data["bio"] is None and data["avatar_url"] is None
    response = await patch(client, account, page["id"], links=[])
    assert response.json()["data"]["links"] == []


@pytest.mark.parametrize("field", ["title", "slug", "theme", "links"])
async def test_patch_refuses_null_for_required_fields(
    client: httpx.AsyncClient, account: Account, field: str
) -> None:
    page = await create_page(client, account)
    response = await patch(client, account, page["id"], **{field: None})
    assert detail_fields(assert_error(response, 400, "VALIDATION_ERROR")) == [field]


async def test_patch_applies_the_same_rules_as_create(
    client: httpx.AsyncClient, account: Account
) -> None:
    page = await create_page(client, account)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"title": ""}, "title"),
        ({"bio": "x" * 501}, "bio"),
        ({"avatar_url": "javascript:alert(1)"}, "avatar_url"),
        ({"theme": "neon"}, "theme"),
        ({"slug": "a"}, "slug"),
        ({"links": [link(0, url="javascript:alert(1)")]}, "links[0].url"),
        ({"links": [link(n) for n in range(51)]}, "links"),
        ({"unknown": 1}, "unknown"),
    ]
    for body, field in cases:
        response = await patch(client, account, page["id"], **body)
        assert detail_fields(assert_error(response, 400, "VALIDATION_ERROR")) == [field], body
    got = await client.get(f"{PAGES}/{page['id']}", headers=account.headers)
    assert got.json()["data"] == page


async def test_delete_is_204_then_404(client: httpx.AsyncClient, account: Account) -> None:
    page = await create_page(client, account)
    response = await client.delete(f"{PAGES}/{page['id']}", headers=account.headers)
    assert response.status_code == 204
    assert_error(
        await client.get(f"{PAGES}/{page['id']}", headers=account.headers),
        404,
        "RESOURCE_NOT_FOUND",
    )
    assert_error(
        await client.delete(f"{PAGES}/{page['id']}", headers=account.headers),
        404,
        "RESOURCE_NOT_FOUND",
    )


# --- publish, unpublish, webhook events --------------------------------------------------------


async def test_publish_and_unpublish_set_status_and_published_at(
    client: httpx.AsyncClient, account: Account
) -> None:
    page = await create_page(client, account)
    published = await publish(client, account, page["id"])
    assert published["status"] == "published"
    assert published["published_at"] is not None
    again = await publish(client, account, page["id"])
    assert again["published_at"] == published["published_at"]  # publishing twice changes nothing
    response = await client.post(f"{PAGES}/{page['id']}/unpublish", headers=account.headers)
    assert response.status_code == 200
    draft = response.json()["data"]
    assert draft["status"] == "draft" and draft["published_at"] is None
    response = await client.post(f"{PAGES}/{page['id']}/unpublish", headers=account.headers)
    assert response.json()["data"]["status"] == "draft"


async def test_publish_and_unpublish_write_bio_outbox_rows(
    client: httpx.AsyncClient, account: Account, app: XqrApp
) -> None:
    await add_endpoint(app.ctx, account.workspace_id, ["bio.published", "bio.unpublished"])
    page = await create_page(client, account, links=[link(1)])
    assert await delivered_events(app.ctx, account.workspace_id) == {}
    published = await publish(client, account, page["id"])
    await publish(client, account, page["id"])  # no second event
    await client.post(f"{PAGES}/{page['id']}/unpublish", headers=account.headers)
    await client.post(f"{PAGES}/{page['id']}/unpublish", headers=account.headers)
    events = await delivered_events(app.ctx, account.workspace_id)
    assert events == {"bio.published": 1, "bio.unpublished": 1}
    [published_payload] = await delivery_payloads(app.ctx, account.workspace_id, "bio.published")
    body = json.loads(published_payload)
    assert body["event"] == "bio.published"
    assert body["data"] == published
    [unpublished_payload] = await delivery_payloads(
        app.ctx, account.workspace_id, "bio.unpublished"
    )
    data = json.loads(unpublished_payload)["data"]
    assert data["id"] == page["id"] and data["status"] == "draft" and data["deleted"] is False


async def test_deleting_a_published_page_emits_bio_unpublished(
    client: httpx.AsyncClient, account: Account, app: XqrApp
) -> None:
    await add_endpoint(app.ctx, account.workspace_id, ["*"])
    draft = await create_page(client, account, title="Draft")
    await client.delete(f"{PAGES}/{draft['id']}", headers=account.headers)
    assert await delivered_events(app.ctx, account.workspace_id) == {}
    page = await published_page(client, account)
    await client.delete(f"{PAGES}/{page['id']}", headers=account.headers)
    events = await delivered_events(app.ctx, account.workspace_id)
    assert events == {"bio.published": 1, "bio.unpublished": 1}
    [payload] = await delivery_payloads(app.ctx, account.workspace_id, "bio.unpublished")
    data = json.loads(payload)["data"]
    assert data["id"] == page["id"] and data["deleted"] is True and data["status"] == "draft"


async def test_no_outbox_rows_without_a_subscribed_endpoint(
    client: httpx.AsyncClient, account: Account, app: XqrApp
) -> None:
    await add_endpoint(app.ctx, account.workspace_id, ["link.created"])
    page = await published_page(client, account)
    await client.post(f"{PAGES}/{page['id']}/unpublish", headers=account.headers)
    assert await delivered_events(app.ctx, account.workspace_id) == {}


# --- themes ----------------------------------------------------------------------------------


async def test_themes_lists_at_least_six_presets(
    client: httpx.AsyncClient, account: Account
) -> None:
    response = await client.get("/api/v1/bio/themes", headers=account.headers)
    assert response.status_code == 200
    body = response.json()
    themes = body["data"]
    assert len(themes) >= 6 and body["meta"]["total"] == len(themes)
    assert [t["name"] for t in themes] == list(THEMES)
    assert themes[0]["name"] == "classic"
    for theme in themes:
        assert set(theme) == {"name", "label", "description", "dark", "colors"}
        assert set(theme["colors"]) == {
            "background",
            "text",
            "muted",
            "button_background",
            "button_text",
            "button_border",
        }


# --- scopes and plans ------------------------------------------------------------------------


async def test_bio_read_can_read_but_not_write(
    client: httpx.AsyncClient, account: Account, make_account: AccountFactory
) -> None:
    page = await create_page(client, account)
    reader = await make_account(workspace_id=account.workspace_id, scopes="bio:read")
    for path in (PAGES, f"{PAGES}/{page['id']}", "/api/v1/bio/themes", "/api/v1/bio/icons"):
        assert (await client.get(path, headers=reader.headers)).status_code == 200, path
    attempts = [
        client.post(PAGES, json={"title": "x"}, headers=reader.headers),
        client.patch(f"{PAGES}/{page['id']}", json={"title": "x"}, headers=reader.headers),
        client.delete(f"{PAGES}/{page['id']}", headers=reader.headers),
        client.post(f"{PAGES}/{page['id']}/publish", headers=reader.headers),
        client.post(f"{PAGES}/{page['id']}/unpublish", headers=reader.headers),
    ]
    for response in await asyncio.gather(*attempts):
        assert "bio:write" in assert_error(response, 403, "INSUFFICIENT_SCOPE")["message"]
    error = assert_error(
        await client.get(f"{PAGES}/{page['id']}/stats", headers=reader.headers),
        403,
        "INSUFFICIENT_SCOPE",
    )
    assert "analytics:read" in error["message"]


async def test_bio_write_alone_cannot_list_and_analytics_read_sees_stats(
    client: httpx.AsyncClient, account: Account, make_account: AccountFactory
) -> None:
    writer = await make_account(workspace_id=account.workspace_id, scopes="bio:write")
    page = await create_page(client, writer)
    error = assert_error(await client.get(PAGES, headers=writer.headers), 403, "INSUFFICIENT_SCOPE")
    assert "bio:read" in error["message"]
    analyst = await make_account(workspace_id=account.workspace_id, scopes="analytics:read")
    response = await client.get(f"{PAGES}/{page['id']}/stats", headers=analyst.headers)
    assert response.status_code == 200
    assert_error(await client.get(PAGES), 401, "INVALID_API_KEY")


async def test_the_bio_page_limit_of_the_plan_is_403_and_counted_in_usage(
    db_url: str, tmp_path: Path
) -> None:
    settings = quiet_settings(
        db_url, tmp_path / "data", plans_file=plans_file(tmp_path, bio_pages=2)
    )
    async with running(settings) as (app, client):
        pro = await new_account(app, plan="pro")
        first = await create_page(client, pro)
        await create_page(client, pro)
        error = assert_error(
            await client.post(PAGES, json={"title": "Third"}, headers=pro.headers),
            403,
            "PLAN_LIMIT_EXCEEDED",
        )
        assert "bio pages" in error["message"]
        usage = await client.get("/api/v1/workspace/usage", headers=pro.headers)
        assert usage.json()["data"]["bio_pages"] == {"used": 2, "limit": 2}
        await client.delete(f"{PAGES}/{first['id']}", headers=pro.headers)
        await create_page(client, pro)


async def test_a_free_workspace_may_have_one_bio_page(app: XqrApp) -> None:
    account = await new_account(app, plan="pro")
    await set_plan(app.ctx, account.workspace_id, "free")
    async with app.ctx.sessionmaker() as session:
        workspace = await workspaces.get_workspace(session, uuid.UUID(account.workspace_id))
        tenant = workspaces.tenant_for(workspace, app.ctx.plans)
        await service.create_page(session, tenant, BioPageCreate(title="Mine"))
        await session.commit()
        with pytest.raises(ApiError) as refused:
            await service.create_page(session, tenant, BioPageCreate(title="Another"))
        assert refused.value.code == "PLAN_LIMIT_EXCEEDED"
        assert "1 bio pages" in refused.value.message
