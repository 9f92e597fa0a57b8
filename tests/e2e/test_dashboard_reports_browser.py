"""Reports in the dashboard, in Chromium against a real `xqr serve` (its embedded worker makes
the runs): a report created and run from the pages is downloaded; axe-core on every page."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import dashboard
from tests.support.live import LiveServer, live_server
from tests.support.server import run_xqr

# Chromium on the pages; the numbers behind them are tested on both databases in
# tests/dashboard and tests/analytics, so this module runs once, on SQLite.
pytestmark = [pytest.mark.e2e, pytest.mark.backend_independent]

OWNER = "owner@localhost"


@pytest.fixture(scope="module", autouse=True)
def _browser_tools() -> None:
    problem = dashboard.missing()
    if problem:
        pytest.skip(f"dashboard browser tests skipped: {problem}")


@pytest.fixture(scope="module")
def server(
    database_template: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    with live_server(database_template, tmp_path_factory.mktemp("dash-reports")) as live:
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
    context = browser.new_context(
        viewport=dashboard.DESKTOP, base_url=server.url, accept_downloads=True
    )
    tab = context.new_page()
    dashboard.sign_in(tab, server.url, OWNER)
    yield tab
    context.close()


def test_a_report_created_and_run_in_the_dashboard_downloads(
    page: Any, server: LiveServer, tmp_path: Path
) -> None:
    api = httpx.Client(
        base_url=f"{server.url}/api/v1", headers={"Authorization": f"Bearer {server.key}"}
    )
    link = api.post("/links", json={"url": "https://example.com/browser-report"}).json()["data"]

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    page.wait_for_url("**/dashboard/reports")
    assert dashboard.axe_violations(page) == []
    page.get_by_role("link", name="New report").first.click()
    page.wait_for_url("**/dashboard/reports/new")
    assert dashboard.axe_violations(page) == []

    page.get_by_label("Name").fill("Browser links")
    page.get_by_label("Contents").select_option("links")
    page.get_by_label("Period", exact=True).select_option("7d")
    page.get_by_label("Run automatically").select_option("weekly")
    page.get_by_label("On (weekly)").select_option("tuesday")
    page.get_by_label("At", exact=True).select_option("6")
    page.get_by_role("button", name="Save report").click()
    page.wait_for_url("**/dashboard/reports/*")
    assert "Every Tuesday at 06:00" in page.locator("main").inner_text()
    assert dashboard.axe_violations(page) == []

    page.get_by_role("button", name="Run now").click()
    # the run history refreshes itself (htmx) until the run has completed
    download_link = page.get_by_role("link", name="Download CSV")
    download_link.wait_for(timeout=30_000)
    assert dashboard.axe_violations(page) == []
    with page.expect_download() as waiting:
        download_link.click()
    download = waiting.value
    assert download.suggested_filename.startswith("browser-links-")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    rows = list(csv.DictReader(io.StringIO(saved.read_text())))
    assert [row["id"] for row in rows] == [link["id"]]
    assert rows[0]["scans"] == "0"

    page.get_by_role("link", name="View now").click()
    page.wait_for_url("**/view")
    assert page.get_by_role("heading", name="Browser links").is_visible()
    assert page.locator("table tbody tr").count() == 1
    assert dashboard.axe_violations(page) == []
    page.get_by_role("link", name="← Back to the report").click()

    page.get_by_role("link", name="Edit").click()
    page.wait_for_url("**/edit")
    assert page.get_by_label("Name").input_value() == "Browser links"
    assert dashboard.axe_violations(page) == []


def test_the_form_shows_a_refusal_beside_its_field(page: Any) -> None:
    page.goto("/dashboard/reports/new")
    page.get_by_label("Name").fill("Bad zone")
    page.get_by_label("Time zone").fill("Mars/Base")
    page.get_by_role("button", name="Save report").click()
    page.locator("#f-timezone-error").wait_for()
    assert page.get_by_label("Time zone").get_attribute("aria-invalid") == "true"
    assert dashboard.axe_violations(page) == []
