"""Bio pages, assets and the first-run guide in the dashboard, in Chromium against a real
`xqr serve`: a page built in the editor (links reordered by keyboard, the preview following),
published and clicked; an avatar uploaded through the presigned flow; an asset in use that is
not deleted; the guide's scan step turning green; axe-core on these pages and every theme."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Error as PlaywrightError

from tests.support import dashboard
from tests.support.live import LiveServer, live_server
from tests.support.server import run_xqr

pytestmark = pytest.mark.e2e

OWNER = "owner@localhost"
NEWCOMER = "newcomer@localhost"
# Visits and scans from headless Chromium and httpx are bots and not counted: act as a phone.
PHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)


@pytest.fixture(scope="module", autouse=True)
def _browser_tools() -> None:
    problem = dashboard.missing()
    if problem:
        pytest.skip(f"dashboard browser tests skipped: {problem}")


@pytest.fixture(scope="module")
def server(
    database_template: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("dash-bio")
    with live_server(database_template, folder) as live:
        done = run_xqr(
            live.env,
            *("admin", "member", "set-password", OWNER, "--password-stdin"),
            input=dashboard.PASSWORD + "\n",
        )
        assert done.returncode == 0, done.stderr
        yield live


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with dashboard.chromium() as chromium:
        yield chromium


@pytest.fixture
def page(browser: Any, server: LiveServer) -> Iterator[Any]:
    context = browser.new_context(viewport=dashboard.DESKTOP, base_url=server.url)
    tab = context.new_page()
    dashboard.sign_in(tab, server.url, OWNER)
    yield tab
    context.close()


def _until(check: Any, what: str, seconds: float = 60) -> Any:
    """Poll `check()` until it returns something truthy (scans are written every 250 ms)."""
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def _png(folder: Path, name: str, colour: str) -> Path:
    buffer = io.BytesIO()
    Image.new("RGB", (96, 96), colour).save(buffer, "PNG")
    path = folder / name
    path.write_bytes(buffer.getvalue())
    return path


def _preview_titles(page: Any) -> list[str] | None:
    """The preview's link titles; None while the preview frame is reloading."""
    links = page.frame_locator("#bio-preview").locator("a.link")
    try:
        return [title.strip() for title in links.all_inner_texts()]
    except PlaywrightError:  # the frame navigated while it was read
        return None


def _wait_preview(page: Any, titles: list[str]) -> None:
    _until(lambda: _preview_titles(page) == titles, f"the preview to show {titles}")


def test_a_page_built_in_the_editor_is_reordered_by_keyboard_published_and_clicked(
    page: Any, server: LiveServer
) -> None:
    landing = f"{server.url}/healthz"
    page.goto("/dashboard/bio")
    page.get_by_label("Title").fill("Ada's links")
    page.get_by_role("button", name="Create page").click()
    page.get_by_text("Page created as a draft.").wait_for()
    page.wait_for_load_state("load")  # htmx and the editor's module are running
    page.get_by_label("Address", exact=True).fill("ada-browser")
    page.get_by_text("ada-browser is available.").wait_for()
    page.get_by_label("Bio").fill("Engineer and writer.")
    for index, title in enumerate(["First", "Second", "Third"]):
        page.get_by_role("button", name="Add link").click()
        card = page.locator("[data-link-card]").nth(index)
        card.wait_for()
        page.wait_for_load_state("load")
        card.get_by_label("Button text").fill(title)
        card.get_by_label("Link address").fill(f"{landing}?to={title.lower()}")
    _wait_preview(page, ["First", "Second", "Third"])
    assert page.frame_locator("#bio-preview").locator("h1").inner_text() == "Ada's links"
    page.get_by_role("button", name="Save page").click()
    page.get_by_text("Page saved.").wait_for()

    # keyboard only: "Move up" on link 3, Enter; the focus stays on the button
    page.get_by_role("button", name="Move up link 3").focus()
    page.keyboard.press("Enter")
    status = page.locator("[data-cards-status]")
    assert status.inner_text() == "Link moved to position 2 of 3."
    _wait_preview(page, ["First", "Third", "Second"])
    page.keyboard.press("Enter")
    _wait_preview(page, ["Third", "First", "Second"])
    page.get_by_role("button", name="Save page").focus()
    page.keyboard.press("Enter")
    page.get_by_text("Page saved.").wait_for()

    page.get_by_role("button", name="Publish").click()
    public_url = f"{server.url}/bio/ada-browser"
    page.get_by_text(f"Published at {public_url}.").wait_for()
    assert page.get_by_label("public address").input_value() == public_url
    assert page.get_by_role("img", name=f"QR code of {public_url}").is_visible()
    assert (
        page.get_by_role("link", name="Download PNG")
        .get_attribute("href")
        .endswith("qr?format=png&download=1")
    )

    visitor = page.context.browser.new_context(user_agent=PHONE_UA, viewport=dashboard.PHONE)
    public = visitor.new_page()
    public.goto(public_url)
    assert [t.strip() for t in public.locator("a.link").all_inner_texts()] == [
        "Third",
        "First",
        "Second",
    ]
    href = public.get_by_role("link", name="First").get_attribute("href")
    followed = httpx.get(
        f"{server.url}/bio/{href}", headers={"User-Agent": PHONE_UA}, follow_redirects=False
    )
    assert followed.status_code == 302
    assert followed.headers["location"] == f"{landing}?to=first"
    with public.expect_navigation():
        public.get_by_role("link", name="Second").click()
    assert public.url == f"{landing}?to=second"
    visitor.close()

    def counted() -> bool:
        page.reload()
        row = page.get_by_role("row").filter(has_text="Second")
        return (
            page.locator("[data-stat=clicks]").inner_text() == "2"
            and row.locator("td").nth(1).inner_text() == "1"
        )

    _until(counted, "the clicks in the page's stats")
    assert int(page.locator("[data-stat=views]").inner_text()) >= 1


def test_a_png_avatar_uploaded_by_the_file_picker_shows_on_the_public_page(
    page: Any, server: LiveServer, tmp_path: Path
) -> None:
    with server.api() as api:
        created = api.post(
            "/bio/pages", json={"title": "Avatar page", "slug": "avatar-browser"}
        ).json()["data"]
        api.post(f"/bio/pages/{created['id']}/publish")
    page.goto(f"/dashboard/bio/{created['id']}")
    page.wait_for_load_state("load")
    puts: list[str] = []
    page.on("request", lambda r: puts.append(r.url) if r.method == "PUT" else None)
    page.get_by_label("Upload a new picture").set_input_files(_png(tmp_path, "me.png", "#c0392b"))
    page.get_by_text("me.png uploaded and published.").wait_for()
    assert len(puts) == 1 and "/_uploads/" in puts[0] and "signature=" in puts[0]
    address = page.get_by_label("Picture address").input_value()
    assert address.startswith(f"{server.url}/cdn/") and address.endswith("/me.png")
    avatar = page.frame_locator("#bio-preview").locator("img.avatar")
    _until(lambda: avatar.get_attribute("src") == address, "the preview's avatar")
    page.get_by_role("button", name="Save page").click()
    page.get_by_text("Page saved. It is live on its public address.").wait_for()

    public = page.context.new_page()
    public.goto(f"{server.url}/bio/avatar-browser")
    image = public.locator("img.avatar")
    assert image.get_attribute("src") == address
    public.wait_for_function("() => document.querySelector('img.avatar').complete")
    assert public.evaluate("() => document.querySelector('img.avatar').naturalWidth") == 96
    public.close()


def test_an_asset_in_use_is_not_deleted_silently(
    page: Any, server: LiveServer, tmp_path: Path
) -> None:
    page.goto("/dashboard/assets")
    page.get_by_label("Choose files").set_input_files(_png(tmp_path, "logo-in-use.png", "#1f4fd1"))
    card = page.locator(".asset-card").filter(has_text="logo-in-use.png")
    card.wait_for()  # the page reloads once the upload is confirmed
    assert "Uploaded" in card.inner_text()
    card.get_by_role("button", name="Publish logo-in-use.png").click()
    page.get_by_text("logo-in-use.png published.").wait_for()
    url = card.get_by_label("public address of logo-in-use.png").input_value()
    with server.api() as api:
        api.post("/bio/pages", json={"title": "Uses the logo", "avatar_url": url})
    page.reload()
    card.get_by_text("In use by bio page “Uses the logo” (avatar).").wait_for()
    card.get_by_role("button", name="Delete logo-in-use.png").click()
    dialog = page.get_by_role("dialog")
    assert "It is in use by bio page “Uses the logo” (avatar)" in dialog.inner_text()
    dialog.get_by_role("button", name="Delete file").click()
    page.get_by_text(
        "Not deleted: logo-in-use.png is still used by bio page “Uses the logo” (avatar)."
    ).wait_for()
    assert card.is_visible()
    assert httpx.get(url).status_code == 200


def test_a_logo_uploaded_in_the_qr_designer_is_chosen_and_saved_with_the_template(
    page: Any, server: LiveServer, tmp_path: Path
) -> None:
    page.goto("/dashboard/qr/templates/new")
    page.get_by_label("Name").fill("With uploaded logo")
    page.get_by_label("Upload a logo").set_input_files(_png(tmp_path, "brand.png", "#1f4fd1"))
    page.get_by_text("brand.png uploaded and published.").wait_for()
    chosen = page.get_by_label("Logo", exact=True)
    url = chosen.input_value()
    assert url.startswith(f"{server.url}/cdn/") and url.endswith("/brand.png")
    _until(
        lambda: "logo_url=" in (page.locator("#qr-preview").get_attribute("src") or ""),
        "the preview to draw the logo",
    )
    page.get_by_text("✓ Scannable").wait_for()
    page.get_by_role("button", name="Create template").click()
    page.get_by_text("Template created.").wait_for()
    with server.api() as api:
        templates = api.get("/qr/templates").json()["data"]
    [made] = [t for t in templates if t["name"] == "With uploaded logo"]
    assert made["design"]["logo_url"] == url


def test_the_first_run_guide_turns_green_when_the_link_is_scanned(
    browser: Any, server: LiveServer
) -> None:
    workspace = server.make_workspace("free", "Fresh start")
    added = run_xqr(
        server.env,
        *("admin", "member", "add", "--workspace", workspace, "--email", NEWCOMER),
        *("--role", "owner", "--password-stdin"),
        input=dashboard.PASSWORD + "\n",
    )
    assert added.returncode == 0, added.stderr
    context = browser.new_context(viewport=dashboard.DESKTOP, base_url=server.url)
    page = context.new_page()
    dashboard.sign_in(page, server.url, NEWCOMER)
    guide = page.get_by_role("region", name="Get started in three steps")
    assert dashboard.axe_violations(page) == []
    guide.get_by_role("link", name="Create a short link").click()
    page.get_by_label("Destination URL").first.fill("https://example.com/first")
    page.get_by_label("Short code").fill("first-scan")
    page.get_by_role("button", name="Create link").click()
    page.get_by_text("Link created.").wait_for()
    page.goto("/dashboard/links")
    steps = guide.locator("[data-step]")
    assert steps.evaluate_all("els => els.map(e => e.classList.contains('done'))") == [
        True,
        False,
        False,
    ]
    with page.expect_download() as download:
        guide.get_by_role("link", name="Download PNG").click()
    assert download.value.suggested_filename == "first-scan.png"
    guide.locator("[data-step=qr].done").wait_for()  # the next poll knows
    guide.get_by_text("Waiting for the first scan").wait_for()

    scanned = httpx.get(f"{server.url}/first-scan?qr=1", headers={"User-Agent": PHONE_UA})
    assert scanned.status_code == 302
    scan = guide.locator("[data-step=scan]")
    scan.get_by_text("Scan received — your link works.").wait_for(timeout=10_000)
    assert "done" in scan.get_attribute("class")
    colour = scan.locator(".guide-mark").evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(20, 108, 46)"  # --success: green
    page.reload()
    assert page.get_by_role("region", name="Get started in three steps").count() == 0
    context.close()


def test_these_pages_and_every_public_theme_pass_axe(page: Any, server: LiveServer) -> None:
    with server.api() as api:
        themes = [t["name"] for t in api.get("/bio/themes").json()["data"]]
        pages = []
        for theme in themes:
            created = api.post(
                "/bio/pages",
                json={
                    "title": f"Theme {theme}",
                    "slug": f"axe-{theme}",
                    "bio": "A line of bio text.",
                    "theme": theme,
                    "links": [
                        {"title": "Website", "url": "https://example.com", "icon": "website"}
                    ],
                },
            ).json()["data"]
            api.post(f"/bio/pages/{created['id']}/publish")
            pages.append(created)
    problems: dict[str, list[str]] = {}
    for viewport in (dashboard.DESKTOP, dashboard.PHONE):
        page.set_viewport_size(viewport)
        for path in ("/dashboard/bio", f"/dashboard/bio/{pages[0]['id']}", "/dashboard/assets"):
            page.goto(path)
            problems[f"{path} {viewport['width']}"] = dashboard.axe_violations(page)
    page.set_viewport_size(dashboard.PHONE)
    for theme, created in zip(themes, pages, strict=True):
        page.goto(f"{server.url}/bio/{created['slug']}")
        problems[theme] = dashboard.axe_violations(page)
    assert {name: found for name, found in problems.items() if found} == {}
