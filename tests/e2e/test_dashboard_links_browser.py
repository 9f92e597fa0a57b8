"""Links and QR codes in the dashboard, in Chromium against a real `xqr serve`: the editor with
routing rules (mouse and keyboard), Test a visitor, the live QR code, the designer, the CSV
import and a bulk delete; axe-core on every one of these pages."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import zxingcpp
from PIL import Image

from tests.support import dashboard
from tests.support.live import LiveServer, live_server
from tests.support.server import run_xqr

pytestmark = pytest.mark.e2e

OWNER = "owner@localhost"
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


@pytest.fixture(scope="module", autouse=True)
def _browser_tools() -> None:
    problem = dashboard.missing()
    if problem:
        pytest.skip(f"dashboard browser tests skipped: {problem}")


@pytest.fixture(scope="module")
def server(
    database_template: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("dash-links")
    with live_server(database_template, folder, XQR_COUNTRY_HEADER="CF-IPCountry") as live:
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


def _fill_rule(page: Any, index: int, destination: str, countries: str, device: str) -> None:
    card = page.locator("[data-rule]").nth(index)
    card.get_by_label("Destination URL").fill(destination)
    if countries:
        card.get_by_label("Countries").fill(countries)
    card.get_by_role("checkbox", name=device).check()


def test_a_link_with_two_rules_made_in_the_form_routes_a_german_phone(
    page: Any, server: LiveServer
) -> None:
    page.goto("/dashboard/links")
    page.get_by_role("link", name="Create link").click()
    page.get_by_label("Destination URL").first.fill("https://example.com/everyone")
    page.get_by_label("Short code").fill("browser-fair")
    page.get_by_text("browser-fair is available.").wait_for()
    page.get_by_label("Labels").fill("fair, browser")
    page.get_by_role("button", name="Add rule").click()
    _fill_rule(page, 0, "https://example.de/mobil", "DE, AT", "mobile")
    page.get_by_role("button", name="Add rule").click()
    _fill_rule(page, 1, "https://example.com/desktop", "", "desktop")
    page.get_by_role("button", name="Create link").click()
    page.get_by_text("Link created.").wait_for()

    page.goto("/dashboard/links?q=browser-fair")
    assert page.get_by_role("link", name=f"{server.url}/browser-fair").is_visible()
    followed = httpx.get(f"{server.url}/browser-fair", headers=GERMAN_PHONE)
    assert followed.status_code == 302
    assert followed.headers["location"] == "https://example.de/mobil"


def test_rules_reordered_with_the_keyboard_change_their_priority(
    page: Any, server: LiveServer
) -> None:
    with server.api() as api:
        link = api.post(
            "/links",
            json={
                "url": "https://example.com/",
                "routing_rules": [
                    {"destination": "https://first.example/", "conditions": {"countries": ["DE"]}},
                    {"destination": "https://second.example/", "conditions": {"countries": ["FR"]}},
                    {"destination": "https://third.example/", "conditions": {"countries": ["IT"]}},
                ],
            },
        ).json()["data"]
    page.goto(f"/dashboard/links/{link['id']}")
    # keyboard only: focus rule 3's "Move up", press Enter twice; the focus stays on the button
    page.get_by_role("button", name="Move up rule 3").focus()
    page.keyboard.press("Enter")
    assert (
        page.get_by_role("status")
        .filter(has_text="Rule moved")
        .inner_text()
        .startswith("Rule moved to position 2")
    )
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Save link").focus()
    page.keyboard.press("Enter")
    page.get_by_text("Link saved.").wait_for()
    with server.api() as api:
        stored = api.get(f"/links/{link['id']}").json()["data"]
    assert [(r["destination"], r["priority"]) for r in stored["routing_rules"]] == [
        ("https://third.example/", 1),
        ("https://first.example/", 2),
        ("https://second.example/", 3),
    ]


def test_test_a_visitor_answers_as_the_redirect_does(page: Any, server: LiveServer) -> None:
    with server.api() as api:
        link = api.post(
            "/links",
            json={
                "url": "https://example.com/all",
                "custom_slug": "browser-test-visitor",
                "routing_rules": [
                    {
                        "destination": "https://example.de/phone",
                        "conditions": {"countries": ["DE"], "device_types": ["mobile"]},
                    },
                    {
                        "destination": "https://example.com/desk",
                        "conditions": {"device_types": ["desktop"]},
                    },
                ],
            },
        ).json()["data"]
    page.goto(f"/dashboard/links/{link['id']}")
    for country, device, headers, expected in [
        ("DE", "Mobile", GERMAN_PHONE, "https://example.de/phone"),
        ("FR", "Desktop", WINDOWS_IN_FRANCE, "https://example.com/desk"),
        ("FR", "Mobile", {**GERMAN_PHONE, "CF-IPCountry": "FR"}, "https://example.com/all"),
    ]:
        page.get_by_label("Country", exact=True).fill(country)
        page.get_by_label("Device").select_option(label=device)
        page.get_by_role("button", name="Test", exact=True).click()
        page.locator("#test-result").get_by_text(expected).wait_for()
        redirect = httpx.get(f"{server.url}/browser-test-visitor", headers=headers)
        assert redirect.headers["location"] == expected


def test_the_live_qr_code_on_the_page_decodes_to_the_short_url(
    page: Any, server: LiveServer, tmp_path: Path
) -> None:
    with server.api() as api:
        link = api.post("/links", json={"url": "https://example.com/qr"}).json()["data"]
    page.goto(f"/dashboard/links/{link['id']}")
    image = page.locator("#qr-preview")
    image.wait_for()
    page.wait_for_function("() => document.getElementById('qr-preview').complete")
    shot = tmp_path / "qr.png"
    image.screenshot(path=str(shot))
    [decoded] = zxingcpp.read_barcodes(Image.open(shot))
    assert decoded.text == f"{link['short_url']}?qr=1"
    # a design control redraws it on the server
    page.get_by_label("Colour", exact=True).fill("#1f4fd1")
    page.wait_for_function("() => document.getElementById('qr-preview').src.includes('1f4fd1')")


def test_a_template_made_in_the_designer_renders_the_same_bytes_as_the_api(
    page: Any, server: LiveServer
) -> None:
    page.goto("/dashboard/qr")
    page.get_by_role("link", name="New template").click()
    page.get_by_label("Name").fill("Browser blue")
    page.get_by_label("Dots colour").fill("#1f4fd1")
    page.get_by_label("Dot style").select_option("rounded")
    page.get_by_text("✓ Scannable").wait_for()
    page.get_by_role("button", name="Create template").click()
    page.get_by_text("Template created.").wait_for()
    template_id = page.url.rsplit("/", 1)[-1]
    preview = page.request.get(page.locator("#qr-preview").get_attribute("src"))
    with server.api() as api:
        rendered = api.post(
            f"/qr/templates/{template_id}/render",
            json={"content": f"{server.url}/example", "format": "svg", "size": 10},
        )
    assert rendered.status_code == 200
    assert preview.body() == rendered.content


def test_a_csv_of_1000_rows_with_3_bad_ones_imports_997_and_lists_the_3(
    page: Any, server: LiveServer, tmp_path: Path
) -> None:
    bad = {101: "not a url", 502: "ftp://example.com/x", 903: "https://example.com/x y"}
    path = tmp_path / "links.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["url", "labels"])
        for line in range(2, 1002):
            writer.writerow([bad.get(line, f"https://example.com/csv/{line}"), "csv-browser"])
    page.goto("/dashboard/links")
    page.get_by_role("link", name="Import CSV").click()
    page.locator("#f-file").set_input_files(str(path))
    page.get_by_role("button", name="Preview").click()
    page.get_by_role("heading", name="Import 1,000 rows?").wait_for()
    page.get_by_role("button", name="Import 1,000 links").click()
    page.get_by_role("heading", name="Import finished").wait_for(timeout=240_000)
    assert "997 links created" in page.locator("#import-progress").inner_text()
    lines = page.locator("#import-progress table tbody tr td:first-child").all_inner_texts()
    assert lines == ["101", "502", "903"]
    with server.api() as api:
        listed = api.get("/links", params={"label": "csv-browser", "limit": 1}).json()
    assert listed["meta"]["total"] == 997


def test_bulk_delete_of_50_selected_links(page: Any, server: LiveServer) -> None:
    with server.api() as api:
        for start in range(0, 50, 25):
            api.post(
                "/links/bulk",
                json={
                    "links": [
                        {"url": f"https://example.com/bulk/{n}", "labels": ["bulk-delete"]}
                        for n in range(start, start + 25)
                    ]
                },
            ).raise_for_status()
    page.goto("/dashboard/links?label=bulk-delete")
    page.get_by_role("checkbox", name="Select every link on this page").check()
    assert page.get_by_text("(50 selected)").is_visible()
    page.get_by_role("button", name="Delete…").click()
    page.get_by_role("dialog", name="Delete the selected links?").get_by_role(
        "button", name="Delete links"
    ).click()
    page.get_by_text("Deleted 50 links.").wait_for()
    with server.api() as api:
        assert api.get("/links", params={"label": "bulk-delete"}).json()["meta"]["total"] == 0


def test_links_and_qr_pages_pass_axe(page: Any, server: LiveServer) -> None:
    with server.api() as api:
        link = api.post(
            "/links",
            json={
                "url": "https://example.com/axe",
                "labels": ["axe"],
                "routing_rules": [
                    {"destination": "https://example.de/", "conditions": {"countries": ["DE"]}}
                ],
            },
        ).json()["data"]
        template = api.post("/qr/templates", json={"name": "Axe"}).json()["data"]
    problems = {}
    for path in [
        "/dashboard/links",
        "/dashboard/links/new",
        f"/dashboard/links/{link['id']}",
        "/dashboard/links/import",
        "/dashboard/qr",
        "/dashboard/qr/templates/new",
        f"/dashboard/qr/templates/{template['id']}",
    ]:
        for size in (dashboard.DESKTOP, dashboard.PHONE):
            page.set_viewport_size(size)
            page.goto(path)
            problems[f"{path} {size['width']}"] = dashboard.axe_violations(page)
    assert {name: found for name, found in problems.items() if found} == {}
