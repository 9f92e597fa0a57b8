"""Links in the dashboard: the list, its filters and bulk actions, the editor with routing
rules, "Test a visitor", the code check and the live QR code."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import httpx
import zxingcpp
from PIL import Image

from tests.conftest import Account, AccountFactory, set_plan
from tests.dashboard.conftest import Dashboard, add_person, page, text_of
from xqr.context import AppContext

GERMAN_PHONE = {
    "User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
    "CF-IPCountry": "DE",
}


WINDOWS_IN_FRANCE = {
    "User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like "
    "Gecko) Chrome/124.0 Safari/537.36",
    "CF-IPCountry": "FR",
}


async def _api_link(client: httpx.AsyncClient, owner: Account, **body: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/links", json=body, headers=owner.headers)
    assert response.status_code == 201, response.text
    return dict(response.json()["data"])


async def _get(client: httpx.AsyncClient, owner: Account, link_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/links/{link_id}", headers=owner.headers)
    return dict(response.json()["data"])


def _editor_form(**overrides: Any) -> dict[str, Any]:
    form = {"url": "https://example.com/default", "custom_slug": "", "labels": "", "enabled": "on"}
    form.update(overrides)
    return form


async def test_the_list_searches_filters_sorts_and_keeps_the_view_in_the_url(
    browser: Dashboard, owner: Account, client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    other = await make_account(name="Other", owner="o@other.test")
    await _api_link(client, other, url="https://shop.example/theirs", labels=["a-theirs"])
    await _api_link(
        client, owner, url="https://shop.example/spring", labels=["posters"], custom_slug="spring"
    )
    menu = await _api_link(client, owner, url="https://shop.example/menu", labels=["menus"])
    await _api_link(client, owner, url="https://other.example/x", labels=["posters"])
    await client.patch(
        f"/api/v1/links/{menu['id']}", json={"enabled": False}, headers=owner.headers
    )
    await browser.sign_in("maria@example.com")

    def codes(response: httpx.Response) -> list[str]:
        return [
            a.get_text(strip=True).rsplit("/", 1)[-1]
            for a in page(response).select("#links-results .copy-inline a")
        ]

    everything = await browser.get("/dashboard/links")
    assert len(codes(everything)) == 3
    labels = [o["value"] for o in page(everything).find(id="f-label").find_all("option")]
    assert labels == ["", "menus", "posters"]
    by_code = await browser.get("/dashboard/links?q=SPRI")
    assert codes(by_code) == ["spring"]
    by_destination = await browser.get("/dashboard/links?q=shop.example")
    assert len(codes(by_destination)) == 2
    posters = await browser.get("/dashboard/links?label=posters")
    assert len(codes(posters)) == 2
    disabled = await browser.get("/dashboard/links?status=disabled")
    assert codes(disabled) == [menu["short_code"]]
    none = await browser.get("/dashboard/links?q=nothing-like-this")
    assert "No links match" in text_of(none)
    # the filters survive paging links
    assert (
        page(posters)
        .find("form", attrs={"role": "search"})
        .find(id="f-label")
        .find(selected=True)["value"]
        == "posters"
    )


async def test_bulk_actions_label_disable_and_delete_the_selected_links(
    browser: Dashboard, owner: Account, client: httpx.AsyncClient
) -> None:
    made = [await _api_link(client, owner, url=f"https://example.com/{n}") for n in range(4)]
    chosen = [link["id"] for link in made[:3]]
    await browser.sign_in("maria@example.com")
    await browser.get("/dashboard/links")
    labelled = await browser.post(
        "/dashboard/links/bulk", {"ids": chosen, "action": "add-label", "add-label": "summer"}
    )
    assert labelled.status_code == 303
    assert "Added “summer” on 3 of 3 links." in text_of(await browser.get("/dashboard/links"))
    assert [(await _get(client, owner, i))["labels"] for i in chosen] == [["summer"]] * 3
    await browser.post("/dashboard/links/bulk", {"ids": chosen[:2], "action": "disable"})
    assert [(await _get(client, owner, i))["enabled"] for i in chosen] == [False, False, True]

    asked = await browser.post("/dashboard/links/bulk", {"ids": chosen, "action": "delete"})
    assert asked.status_code == 200
    assert "Delete 3 links?" in text_of(asked)
    gone = await browser.post(
        "/dashboard/links/bulk", {"ids": chosen, "action": "delete-confirmed"}
    )
    assert gone.status_code == 303
    for link_id in chosen:
        response = await client.get(f"/api/v1/links/{link_id}", headers=owner.headers)
        assert response.status_code == 404
    assert (await _get(client, owner, made[3]["id"]))["id"] == made[3]["id"]


async def test_a_viewer_sees_links_but_no_actions_and_cannot_post_them(
    browser: Dashboard, owner: Account, client: httpx.AsyncClient, ctx: AppContext
) -> None:
    link = await _api_link(client, owner, url="https://example.com/kept")
    await add_person(ctx, owner.workspace_id, "vic@example.com", "viewer")
    await browser.sign_in("vic@example.com")
    shown = await browser.get("/dashboard/links")
    assert page(shown).find("fieldset", class_="bulk-bar") is None
    assert page(shown).find("a", string="Create link") is None
    refused = await browser.post(
        "/dashboard/links/bulk", {"ids": [link["id"]], "action": "delete-confirmed"}
    )
    assert refused.status_code == 403
    editor = await browser.get(f"/dashboard/links/{link['id']}")
    assert editor.status_code == 200
    assert page(editor).find("button", string="Save link") is None
    save = await browser.post(
        f"/dashboard/links/{link['id']}", _editor_form(url="https://x.example")
    )
    assert save.status_code == 403
    assert (await _get(client, owner, link["id"]))["destination"] == "https://example.com/kept"


async def test_a_link_with_two_rules_made_in_the_editor_routes_a_german_phone(
    browser: Dashboard, owner: Account, client: httpx.AsyncClient
) -> None:
    await browser.sign_in("maria@example.com")
    await browser.get("/dashboard/links/new")
    form = _editor_form(url="https://example.com/everyone", custom_slug="fair", labels="fair, 2027")
    # two rule cards, added as a person does (the page comes back with an empty card each time)
    once = await browser.post("/dashboard/links/new", {**form, "rule_action": "add"})
    assert len(page(once).select("[data-rule]")) == 1
    twice = await browser.post(
        "/dashboard/links/new",
        {**form, "rules-0-destination": "https://example.de/mobil", "rule_action": "add"},
    )
    assert len(page(twice).select("[data-rule]")) == 2
    rules = {
        "rules-0-destination": "https://example.de/mobil",
        "rules-0-countries": "DE, AT",
        "rules-0-country_mode": "include",
        "rules-0-device_types": ["mobile"],
        "rules-1-destination": "https://example.com/desktop",
        "rules-1-device_types": ["desktop"],
    }
    created = await browser.post("/dashboard/links/new", {**form, **rules})
    assert created.status_code == 303, text_of(created)
    link_id = created.headers["location"].rsplit("/", 1)[-1]
    stored = await _get(client, owner, link_id)
    assert stored["short_code"] == "fair" and stored["labels"] == ["fair", "2027"]
    assert [r["destination"] for r in stored["routing_rules"]] == [
        "https://example.de/mobil",
        "https://example.com/desktop",
    ]
    assert [r["priority"] for r in stored["routing_rules"]] == [1, 2]
    listed = await browser.get("/dashboard/links")
    assert "/fair" in text_of(listed)
    followed = await client.get("/fair", headers=GERMAN_PHONE)
    assert followed.status_code == 302
    assert followed.headers["location"] == "https://example.de/mobil"


async def test_moving_a_rule_changes_its_priority(
    browser: Dashboard, owner: Account, client: httpx.AsyncClient
) -> None:
    link = await _api_link(
        client,
        owner,
        url="https://example.com/",
        routing_rules=[
            {"destination": "https://a.example/", "conditions": {"countries": ["DE"]}},
            {"destination": "https://b.example/", "conditions": {"countries": ["FR"]}},
        ],
    )
    await browser.sign_in("maria@example.com")
    editor = page(await browser.get(f"/dashboard/links/{link['id']}"))
    form = {
        field["name"]: field.get("value", "")
        for field in editor.find(id="link-form").find_all("input")
        if field.get("name") and field.get("type") not in ("checkbox",)
    }
    form["enabled"] = "on"
    moved = await browser.post(f"/dashboard/links/{link['id']}", {**form, "rule_action": "down:0"})
    cards = page(moved).select("[data-rule]")
    assert [
        c.find("input", attrs={"name": f"rules-{i}-destination"})["value"]
        for i, c in enumerate(cards)
    ] == [
        "https://b.example/",
        "https://a.example/",
    ]
    saved = await browser.post(
        f"/dashboard/links/{link['id']}",
        {
            **form,
            "rules-0-destination": "https://b.example/",
            "rules-0-countries": "FR",
            "rules-1-destination": "https://a.example/",
            "rules-1-countries": "DE",
        },
    )
    assert saved.status_code == 303
    stored = await _get(client, owner, link["id"])
    assert [(r["destination"], r["priority"]) for r in stored["routing_rules"]] == [
        ("https://b.example/", 1),
        ("https://a.example/", 2),
    ]


async def test_rule_errors_appear_beside_their_fields_with_the_api_wording_and_nothing_is_saved(
    browser: Dashboard, owner: Account, client: httpx.AsyncClient
) -> None:
    await browser.sign_in("maria@example.com")
    await browser.get("/dashboard/links/new")
    bad = {
        **_editor_form(url="https://example.com/x"),
        "rules-0-destination": "https://example.de/",
        "rules-0-countries": "DE, Germany",
        "rules-1-destination": "not a url",
        "rules-1-percentage": "150",
    }
    answer = await browser.post("/dashboard/links/new", bad)
    assert answer.status_code == 400
    html = page(answer)
    assert "'GERMANY' is not a two-letter" in html.find(
        id="rules-0-countries-error"
    ).get_text() or (
        "is not a two-letter ISO 3166-1 alpha-2 code"
        in html.find(id="rules-0-countries-error").get_text()
    )
    assert html.find(id="rules-1-percentage-error").get_text(strip=True) == (
        "Must be a whole number from 0 to 100."
    )
    assert html.find("input", attrs={"name": "rules-0-countries"})["value"] == "DE, Germany"
    destination = await browser.post(
        "/dashboard/links/new",
        {**_editor_form(url="https://example.com/x"), "rules-0-destination": "not a url"},
    )
    assert destination.status_code == 400
    assert page(destination).find(id="rules-0-destination-error") is not None
    listed = await client.get("/api/v1/links", headers=owner.headers)
    assert listed.json()["meta"]["total"] == 0


async def test_test_a_visitor_answers_as_the_redirect_does(
    browser: Dashboard, owner: Account, client: httpx.AsyncClient
) -> None:
    link = await _api_link(
        client,
        owner,
        url="https://example.com/all",
        custom_slug="tested",
        routing_rules=[
            {
                "destination": "https://example.de/phone",
                "conditions": {"countries": ["DE"], "device_types": ["mobile"]},
            },
            {
                "destination": "https://example.com/desk",
                "conditions": {"device_types": ["desktop"]},
            },
        ],
    )
    await browser.sign_in("maria@example.com")
    editor = page(await browser.get(f"/dashboard/links/{link['id']}"))
    form = {
        field["name"]: field.get("value", "")
        for field in editor.find(id="link-form").find_all(["input"])
        if field.get("name") and field.get("type") != "checkbox"
    }
    form.update(
        {"enabled": "on", "rules-0-device_types": ["mobile"], "rules-1-device_types": ["desktop"]}
    )
    profiles = [
        ("DE", "mobile", GERMAN_PHONE, "Rule 1", "https://example.de/phone"),
        (
            "FR",
            "desktop",
            WINDOWS_IN_FRANCE,
            "Rule 2",
            "https://example.com/desk",
        ),
        (
            "FR",
            "mobile",
            {**GERMAN_PHONE, "CF-IPCountry": "FR"},
            "No rule",
            "https://example.com/all",
        ),
    ]
    for country, device, headers, named, destination in profiles:
        answer = await browser.post(
            "/dashboard/links/test-visitor",
            {
                **form,
                "test_country": country,
                "test_device": device,
                "test_time": "12:00",
                "test_seed": "v",
            },
        )
        assert named in text_of(answer) and destination in text_of(answer)
        redirect = await client.get("/tested", headers=headers)
        assert redirect.headers["location"] == destination


async def test_the_code_check_uses_the_api_rules(
    browser: Dashboard, owner: Account, client: httpx.AsyncClient
) -> None:
    await _api_link(client, owner, url="https://example.com/", custom_slug="Taken-One")
    await browser.sign_in("maria@example.com")
    for slug, expected in [
        ("fresh-code", "fresh-code is available."),
        ("taken-one", "taken-one is already in use."),
        ("api", "'api' is reserved"),
        ("a", "3"),
    ]:
        answer = await browser.get(f"/dashboard/links/check-code?custom_slug={slug}")
        assert expected in text_of(answer), (slug, text_of(answer))


async def test_the_live_qr_code_decodes_to_the_short_url_and_downloads(
    browser: Dashboard, owner: Account, client: httpx.AsyncClient
) -> None:
    link = await _api_link(client, owner, url="https://example.com/qr", custom_slug="poster")
    await browser.sign_in("maria@example.com")
    editor = page(await browser.get(f"/dashboard/links/{link['id']}"))
    src = editor.find("img", id="qr-preview")["src"]
    svg = await browser.get(src)
    assert svg.headers["content-type"].startswith("image/svg+xml")
    png = await browser.get(
        f"/dashboard/links/{link['id']}/qr?format=png&size=10&foreground=%23123456&download=1"
    )
    assert png.headers["content-type"] == "image/png"
    assert png.headers["content-disposition"] == 'attachment; filename="poster.png"'
    [decoded] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))
    assert decoded.text == f"{link['short_url']}?qr=1"
    api = await client.get(
        f"/api/v1/links/{link['id']}/qr?format=png&size=10&foreground=123456", headers=owner.headers
    )
    assert api.content == png.content  # the same renderer, the same bytes


async def test_a_free_workspace_cannot_add_rules(
    browser: Dashboard, owner: Account, ctx: AppContext
) -> None:
    await set_plan(ctx, owner.workspace_id, "free")
    await browser.sign_in("maria@example.com")
    new = await browser.get("/dashboard/links/new")
    assert "Routing rules are not in this plan" in text_of(new)
    assert page(new).find("button", string="Add rule") is None
    forced = await browser.post(
        "/dashboard/links/new",
        {**_editor_form(), "rules-0-destination": "https://example.de/", "rules-0-countries": "DE"},
    )
    assert forced.status_code == 400
    assert "does not include routing rules" in text_of(forced)


async def test_the_selected_links_qr_codes_download_as_one_zip(
    browser: Dashboard, owner: Account, client: httpx.AsyncClient
) -> None:
    made = [
        await _api_link(client, owner, url=f"https://example.com/{n}", custom_slug=f"zip-{n}")
        for n in range(3)
    ]
    await browser.sign_in("maria@example.com")
    await browser.get("/dashboard/links")
    answer = await browser.post(
        "/dashboard/links/bulk", {"ids": [link["id"] for link in made], "action": "qr-zip"}
    )
    assert answer.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        assert sorted(archive.namelist()) == ["zip-0.png", "zip-1.png", "zip-2.png"]
        for link in made:
            image = Image.open(io.BytesIO(archive.read(f"{link['short_code']}.png")))
            [decoded] = zxingcpp.read_barcodes(image)
            assert decoded.text == f"{link['short_url']}?qr=1"


async def test_the_editor_saves_the_link_controls_and_shows_them_again(
    browser: Dashboard, owner: Account, client: httpx.AsyncClient
) -> None:
    await browser.sign_in("maria@example.com")
    await browser.get("/dashboard/links/new")
    form = _editor_form(
        url="https://example.com/launch",
        custom_slug="launch",
        expires_at="2099-01-01T00:00",
        expired_url="https://example.com/over",
        password="open sesame",
        utm_source="qr",
        utm_campaign="launch",
        preview_title="The launch",
        preview_image_url="https://cdn.example/l.png",
        **{
            "rules-0-destination": "https://apps.apple.com/app/id1",
            "rules-0-os": ["ios"],
            "rules-0-languages": "de, pt-BR",
        },
    )
    created = await browser.post("/dashboard/links/new", form)
    assert created.status_code == 303, text_of(created)
    link_id = created.headers["location"].rsplit("/", 1)[-1]
    stored = await _get(client, owner, link_id)
    assert stored["has_password"] is True
    assert stored["expired_url"] == "https://example.com/over"
    assert stored["utm"] == {"source": "qr", "campaign": "launch"}
    assert stored["preview"] == {"title": "The launch", "image_url": "https://cdn.example/l.png"}
    assert stored["routing_rules"][0]["conditions"] == {"os": ["ios"], "languages": ["de", "pt-BR"]}

    editor = page(await browser.get(f"/dashboard/links/{link_id}"))
    assert editor.find(id="f-expired_url")["value"] == "https://example.com/over"
    assert editor.find(id="f-utm_campaign")["value"] == "launch"
    assert editor.find(id="f-preview_title")["value"] == "The launch"
    password = editor.find(id="f-password")
    assert password["type"] == "password" and not password.get("value")
    assert "This link has a password" in text_of(editor)
    ios = editor.find("input", attrs={"name": "rules-0-os", "value": "ios"})
    assert ios.has_attr("checked")
    assert editor.find(id="rules-0-languages")["value"] == "de, pt-BR"
    assert "Not checked yet" in text_of(editor)

    # Saving again without a new password keeps it; ticking "remove" removes it.
    kept = await browser.post(
        f"/dashboard/links/{link_id}", {**form, "password": "", "has_password": "1"}
    )
    assert kept.status_code == 303, text_of(kept)
    assert (await _get(client, owner, link_id))["has_password"] is True
    removed = await browser.post(
        f"/dashboard/links/{link_id}",
        {**form, "password": "", "has_password": "1", "remove_password": "on"},
    )
    assert removed.status_code == 303
    assert (await _get(client, owner, link_id))["has_password"] is False


async def test_control_errors_appear_beside_their_fields(
    browser: Dashboard, owner: Account, client: httpx.AsyncClient
) -> None:
    await browser.sign_in("maria@example.com")
    await browser.get("/dashboard/links/new")
    for field, value, message in (
        ("preview_image_url", "http://cdn.example/x.png", "https://"),
        ("password", "abc", "4–128 characters"),
        ("utm_source", " ", ""),
    ):
        answer = await browser.post("/dashboard/links/new", _editor_form(**{field: value}))
        if field == "utm_source":  # only spaces: left out, the link is created
            assert answer.status_code == 303
            continue
        assert answer.status_code == 400, field
        editor = page(answer)
        assert editor.find(id=f"f-{field}").get("aria-invalid") == "true", field
        assert message in editor.find(id=f"f-{field}-error").get_text()


async def test_test_a_visitor_takes_the_os_and_accept_language(
    browser: Dashboard, owner: Account, client: httpx.AsyncClient
) -> None:
    await browser.sign_in("maria@example.com")
    await browser.get("/dashboard/links/new")
    form = _editor_form(
        url="https://example.com/all",
        **{
            "rules-0-destination": "https://example.de/ios",
            "rules-0-os": ["ios"],
            "rules-0-languages": "de",
        },
    )
    cases = [
        ("ios", "de-AT,de;q=0.9,en;q=0.8", "Rule 1", "https://example.de/ios"),
        ("android", "de-AT,de;q=0.9", "No rule", "https://example.com/all"),
        ("ios", "en-US,en;q=0.9,de;q=0.8", "No rule", "https://example.com/all"),
    ]
    for system, language, named, destination in cases:
        answer = await browser.post(
            "/dashboard/links/test-visitor",
            {**form, "test_os": system, "test_language": language, "test_country": "DE"},
        )
        assert named in text_of(answer) and destination in text_of(answer), text_of(answer)


async def test_the_list_filters_links_with_a_broken_destination(
    browser: Dashboard, owner: Account, client: httpx.AsyncClient, ctx: AppContext
) -> None:
    import uuid

    from sqlalchemy import text

    broken = await _api_link(client, owner, url="https://shop.example/gone", custom_slug="gone")
    await _api_link(client, owner, url="https://shop.example/fine", custom_slug="fine")
    async with ctx.engine.begin() as conn:
        value: Any = uuid.UUID(broken["id"])
        await conn.execute(
            text("UPDATE links SET health_status = 'broken', health_code = 404 WHERE id = :id"),
            {"id": value.hex if ctx.settings.is_sqlite else value},
        )
    await browser.sign_in("maria@example.com")
    results = page(await browser.get("/dashboard/links?status=broken")).find(id="links-results")
    assert results is not None
    listed = " ".join(results.get_text(" ").split())
    assert "/gone" in listed and "/fine" not in listed
    assert "Broken" in listed
