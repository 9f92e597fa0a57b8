"""Bio pages in the dashboard, as a browser without JavaScript uses them: the list, the editor
(link cards added and moved by the form's buttons), the preview drawn by the public renderer,
the contrast guard, publishing with the page's QR code."""

from __future__ import annotations

import io

import httpx
import zxingcpp
from PIL import Image

from tests.conftest import Account
from tests.dashboard.conftest import Dashboard, page, text_of
from xqr.bio.render import theme_css


async def _new_page(browser: Dashboard, title: str = "Maria's Coffee", slug: str = "") -> str:
    await browser.get("/dashboard/bio")
    created = await browser.post("/dashboard/bio/new", {"title": title, "slug": slug})
    assert created.status_code == 303, text_of(created)
    return created.headers["location"].rsplit("/", 1)[-1]


def _form(**changes: str) -> dict[str, str]:
    form = {
        "title": "Maria's Coffee",
        "slug": "marias-coffee",
        "bio": "Roasted in Lisbon.",
        "avatar_url": "",
        "theme": "ocean",
        "links-0-id": "",
        "links-0-title": "Menu",
        "links-0-url": "https://example.com/menu",
        "links-0-icon": "website",
        "links-1-id": "",
        "links-1-title": "Instagram",
        "links-1-url": "https://instagram.com/marias",
        "links-1-icon": "instagram",
    }
    form.update(changes)
    return form


async def test_a_page_made_in_the_editor_is_the_api_page_and_the_list_shows_it(
    browser: Dashboard, owner: Account, client: httpx.AsyncClient
) -> None:
    await browser.sign_in("maria@example.com")
    page_id = await _new_page(browser)
    editor = await browser.get(f"/dashboard/bio/{page_id}")
    assert editor.status_code == 200
    saved = await browser.post(f"/dashboard/bio/{page_id}", _form())
    assert saved.status_code == 303, text_of(saved)
    stored = (await client.get(f"/api/v1/bio/pages/{page_id}", headers=owner.headers)).json()
    data = stored["data"]
    assert (data["slug"], data["theme"], data["bio"]) == (
        "marias-coffee",
        "ocean",
        "Roasted in Lisbon.",
    )
    assert [(link["title"], link["icon"]) for link in data["links"]] == [
        ("Menu", "website"),
        ("Instagram", "instagram"),
    ]
    listed = await browser.get("/dashboard/bio")
    row = page(listed).find("a", string="Maria's Coffee").find_parent("tr")
    cells = [" ".join(td.get_text(" ").split()) for td in row.find_all("td")]
    assert cells[1] == "http://testserver/bio/marias-coffee"
    assert cells[2:5] == ["Draft", "0", "0"]


async def test_link_cards_are_added_and_moved_by_the_form_without_saving(
    browser: Dashboard, owner: Account, client: httpx.AsyncClient
) -> None:
    await browser.sign_in("maria@example.com")
    page_id = await _new_page(browser)
    moved = await browser.post(f"/dashboard/bio/{page_id}", {**_form(), "link_action": "up:1"})
    assert moved.status_code == 200
    titles = [i["value"] for i in page(moved).select("input[name$=-title]") if i["name"] != "title"]
    assert titles == ["Instagram", "Menu"]
    added = await browser.post(f"/dashboard/bio/{page_id}", {**_form(), "link_action": "add"})
    assert len(page(added).select("[data-link-card]")) == 3
    stored = (await client.get(f"/api/v1/bio/pages/{page_id}", headers=owner.headers)).json()
    assert stored["data"]["links"] == []


async def test_the_preview_is_the_public_renderer_framable_by_the_dashboard_only(
    browser: Dashboard, owner: Account
) -> None:
    await browser.sign_in("maria@example.com")
    page_id = await _new_page(browser)
    preview = await browser.post(f"/dashboard/bio/{page_id}/preview", _form(title="Unsaved title"))
    assert preview.status_code == 200
    csp = preview.headers["content-security-policy"]
    assert "frame-ancestors 'self'" in csp and "script-src" not in csp
    assert preview.headers.get_list("content-security-policy") == [csp]
    assert "x-frame-options" not in preview.headers
    assert "<h1>Unsaved title</h1>" in preview.text
    # the public renderer's page: its theme stylesheet, its link buttons
    assert f"<style>{theme_css('ocean')}</style>" in preview.text
    assert 'href="marias-coffee/l/00000000-0000-0000-0000-000000000001"' in preview.text
    editor = await browser.get(f"/dashboard/bio/{page_id}")
    assert "frame-ancestors 'none'" in editor.headers["content-security-policy"]
    assert editor.headers["x-frame-options"] == "DENY"
    frame = page(editor).find("iframe")
    assert frame["src"] == f"/dashboard/bio/{page_id}/preview"


async def test_colours_under_aa_are_refused_in_the_editor_with_the_ratio(
    browser: Dashboard, owner: Account, client: httpx.AsyncClient
) -> None:
    await browser.sign_in("maria@example.com")
    page_id = await _new_page(browser)
    refused = await browser.post(
        f"/dashboard/bio/{page_id}",
        _form(
            theme="mono",
            custom_colors="on",
            color_background="#ffffff",
            color_text="#000000",
            color_button_background="#ffcc00",
            color_button_text="#ffffff",
        ),
    )
    assert refused.status_code == 400
    shown = text_of(refused)
    assert "has a contrast ratio of 1.51:1; WCAG AA needs at least 4.5:1" in shown
    error = page(refused).find(id="f-color_button_text-error")
    assert error is not None and "1.51:1" in error.get_text()
    stored = (await client.get(f"/api/v1/bio/pages/{page_id}", headers=owner.headers)).json()
    assert stored["data"]["colors"] is None
    verdict = await browser.post(
        "/dashboard/bio/contrast",
        _form(
            theme="mono",
            custom_colors="on",
            color_background="#ffffff",
            color_text="#aaaaaa",
            color_button_background="#000000",
            color_button_text="#ffffff",
        ),
    )
    assert "2.32:1" in text_of(verdict)


async def test_slug_availability_is_told_as_you_type(
    browser: Dashboard, owner: Account, client: httpx.AsyncClient
) -> None:
    await browser.sign_in("maria@example.com")
    taken = await _new_page(browser, "Taken", "taken-page")
    mine = await _new_page(browser, "Mine")
    said = await browser.get(
        "/dashboard/bio/check-slug", params={"slug": "taken-page", "page_id": mine}
    )
    assert text_of(said) == "taken-page is already in use."
    said = await browser.get(
        "/dashboard/bio/check-slug", params={"slug": "taken-page", "page_id": taken}
    )
    assert text_of(said) == "✓ taken-page is available."
    said = await browser.get("/dashboard/bio/check-slug", params={"slug": "a"})
    assert "3" in text_of(said)


async def test_publishing_shows_the_address_and_a_qr_code_that_decodes_to_it(
    browser: Dashboard, owner: Account
) -> None:
    await browser.sign_in("maria@example.com")
    page_id = await _new_page(browser)
    await browser.post(f"/dashboard/bio/{page_id}", _form())
    published = await browser.post(f"/dashboard/bio/{page_id}/publish", {})
    assert published.status_code == 303
    editor = await browser.get(f"/dashboard/bio/{page_id}")
    assert "Published at http://testserver/bio/marias-coffee." in text_of(editor)
    png = await browser.get(
        f"/dashboard/bio/{page_id}/qr", params={"format": "png", "download": "1"}
    )
    assert png.headers["content-disposition"] == 'attachment; filename="marias-coffee.png"'
    [decoded] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))
    assert decoded.text == "http://testserver/bio/marias-coffee"
    svg = await browser.get(f"/dashboard/bio/{page_id}/qr", params={"format": "svg"})
    assert svg.headers["content-type"].startswith("image/svg+xml")
    public = await browser.http.get("/bio/marias-coffee")
    assert public.status_code == 200
    await browser.post(f"/dashboard/bio/{page_id}/unpublish", {})
    assert (await browser.http.get("/bio/marias-coffee")).status_code == 404
