"""QR codes in the dashboard: the template designer with its decode check, and a quick QR."""

from __future__ import annotations

import io

import httpx
import zxingcpp
from PIL import Image

from tests.conftest import Account
from tests.dashboard.conftest import Dashboard, add_person, page, text_of
from xqr.context import AppContext

DESIGN = {
    "name": "Brand blue",
    "description": "Posters",
    "foreground": "#1f4fd1",
    "background": "#ffffff",
    "dot_style": "rounded",
    "corner_style": "extra-rounded",
    "error_correction": "Q",
    "logo_url": "",
}


async def test_a_template_made_in_the_designer_renders_the_same_bytes_as_the_api(
    browser: Dashboard, owner: Account, client: httpx.AsyncClient
) -> None:
    await browser.sign_in("maria@example.com")
    await browser.get("/dashboard/qr/templates/new")
    created = await browser.post("/dashboard/qr/templates/new", DESIGN)
    assert created.status_code == 303, text_of(created)
    template_id = created.headers["location"].rsplit("/", 1)[-1]
    stored = await client.get(f"/api/v1/qr/templates/{template_id}", headers=owner.headers)
    design = stored.json()["data"]["design"]
    assert (design["foreground"], design["dot_style"], design["corner_style"]) == (
        "#1f4fd1",
        "rounded",
        "extra-rounded",
    )
    rendered = await client.post(
        f"/api/v1/qr/templates/{template_id}/render",
        json={"content": "https://example.com/poster", "format": "png", "size": 8},
        headers=owner.headers,
    )
    assert rendered.status_code == 200
    # the designer's preview is the same renderer: same design, same content, same bytes
    query = (
        "foreground=%231f4fd1&background=%23ffffff&dot_style=rounded"
        "&corner_style=extra-rounded&error_correction=Q"
    )
    preview = await browser.get(f"/dashboard/qr/preview?{query}")
    api_svg = await client.post(
        f"/api/v1/qr/templates/{template_id}/render",
        json={"content": "http://testserver/example", "format": "svg", "size": 10},
        headers=owner.headers,
    )
    assert preview.content == api_svg.content
    listed = await browser.get("/dashboard/qr")
    assert "Brand blue" in text_of(listed)


async def test_the_scan_check_says_scannable_or_why_not(browser: Dashboard, owner: Account) -> None:
    await browser.sign_in("maria@example.com")
    good = await browser.get("/dashboard/qr/check?foreground=%23000000&background=%23ffffff")
    assert "✓ Scannable" in text_of(good)
    grey = await browser.get("/dashboard/qr/check?foreground=%23cccccc&background=%23ffffff")
    assert "✗ Not scannable" in text_of(grey)
    assert "contrast ratio" in text_of(grey)
    await browser.get("/dashboard/qr/templates/new")
    saved = await browser.post("/dashboard/qr/templates/new", {**DESIGN, "foreground": "#dddddd"})
    assert saved.status_code == 400
    assert "contrast ratio" in page(saved).find(id="f-foreground-error").get_text()


async def test_a_quick_qr_for_any_text_decodes_to_it(browser: Dashboard, owner: Account) -> None:
    await browser.sign_in("maria@example.com")
    answer = await browser.get(
        "/dashboard/qr/quick?content=WIFI:S:Cafe;T:WPA;P:secret;;&format=png&size=8"
    )
    assert answer.headers["content-disposition"] == 'attachment; filename="qr.png"'
    [decoded] = zxingcpp.read_barcodes(Image.open(io.BytesIO(answer.content)))
    assert decoded.text == "WIFI:S:Cafe;T:WPA;P:secret;;"


async def test_a_viewer_sees_templates_but_cannot_save_one(
    browser: Dashboard, owner: Account, ctx: AppContext
) -> None:
    await add_person(ctx, owner.workspace_id, "vic@example.com", "viewer")
    await browser.sign_in("vic@example.com")
    shown = await browser.get("/dashboard/qr")
    await browser.get("/dashboard/qr/templates/new")
    assert page(shown).find("a", string="New template") is None
    refused = await browser.post("/dashboard/qr/templates/new", DESIGN)
    assert refused.status_code == 403
