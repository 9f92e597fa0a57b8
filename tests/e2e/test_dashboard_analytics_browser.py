"""Analytics in the dashboard, in Chromium against a real `xqr serve`: the KPI numbers equal the
API's for the same period; the time series, world map and bar lists render with their text
alternatives; filters live in the URL; a link's page counts its routing rules; CSV downloads;
axe-core on every analytics page, at desktop and phone width."""

from __future__ import annotations

import csv
import time
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
AGENTS = [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.{n} Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.{n}.0 Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.{n}.0 Mobile Safari/537.36",
]
COUNTRIES = ["DE", "DE", "FR", "US", "JP", "BR"]


@pytest.fixture(scope="module", autouse=True)
def _browser_tools() -> None:
    problem = dashboard.missing()
    if problem:
        pytest.skip(f"dashboard browser tests skipped: {problem}")


def _data(api: httpx.Client, path: str, **params: Any) -> Any:
    answer = api.get(path, params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]


@pytest.fixture(scope="module")
def server(
    database_template: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """A server with two links (one with an A/B rule) and 60 scans through the redirect path."""
    folder = tmp_path_factory.mktemp("dash-analytics")
    with live_server(database_template, folder, XQR_COUNTRY_HEADER="CF-IPCountry") as live:
        done = run_xqr(
            live.env,
            *("admin", "member", "set-password", OWNER, "--password-stdin"),
            input=dashboard.PASSWORD + "\n",
        )
        assert done.returncode == 0, done.stderr
        with live.api() as api:
            poster = api.post(
                "/links",
                json={
                    "url": "https://example.com/poster",
                    "custom_slug": "poster-a",
                    "labels": ["poster"],
                    "routing_rules": [
                        {"destination": "https://example.com/b", "conditions": {"percentage": 50}}
                    ],
                },
            ).json()["data"]
            api.post("/links", json={"url": "https://example.com/flyer", "labels": ["flyer"]})
            flyer = _data(api, "/links", label="flyer")[0]
            for n in range(60):
                code = poster["short_code"] if n % 3 else flyer["short_code"]
                httpx.get(
                    f"{live.url}/{code}?qr=1" if n % 2 else f"{live.url}/{code}",
                    headers={
                        "User-Agent": AGENTS[n % 3].format(n=n),
                        "CF-IPCountry": COUNTRIES[n % len(COUNTRIES)],
                    },
                )
            deadline = time.monotonic() + 30
            while _data(api, "/analytics/summary", period="7d")["total_scans"] < 60:
                assert time.monotonic() < deadline, "the scans were not recorded"
                time.sleep(0.1)
        yield live


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with dashboard.chromium() as chromium:
        yield chromium


ZONE = "America/New_York"


@pytest.fixture(scope="module")
def _workspace_zone(browser: Any, server: LiveServer) -> None:
    """The workspace counts its days in New York, set on the settings page."""
    context = browser.new_context(viewport=dashboard.DESKTOP, base_url=server.url)
    tab = context.new_page()
    dashboard.sign_in(tab, server.url, OWNER)
    tab.goto("/dashboard/settings/workspace")
    tab.get_by_label("Time zone").fill(ZONE)
    tab.get_by_role("button", name="Save").click()
    tab.get_by_text(ZONE).first.wait_for()
    context.close()


@pytest.fixture
def page(browser: Any, server: LiveServer, _workspace_zone: None) -> Iterator[Any]:
    context = browser.new_context(
        viewport=dashboard.DESKTOP, base_url=server.url, accept_downloads=True
    )
    tab = context.new_page()
    dashboard.sign_in(tab, server.url, OWNER)
    yield tab
    context.close()


def _kpi(page: Any, key: str) -> int:
    return int(page.locator(f"[data-kpi={key}]").inner_text().replace(",", ""))


@pytest.mark.parametrize("period", ["7d", "30d", "all"])
def test_the_kpi_numbers_equal_the_apis_for_the_same_period(
    page: Any, server: LiveServer, period: str
) -> None:
    page.goto("/dashboard/analytics")
    page.get_by_role(
        "link", name={"7d": "7 days", "30d": "30 days", "all": "All time"}[period]
    ).click()
    page.wait_for_url(f"**/dashboard/analytics?period={period}")
    with server.api() as api:
        summary = _data(api, "/analytics/summary", period=period, timezone=ZONE)
        top = _data(api, "/analytics/top-links", period=period, timezone=ZONE, limit=100)
    assert summary["total_scans"] == 60
    assert _kpi(page, "total_scans") == summary["total_scans"]
    assert _kpi(page, "unique_visitors") == summary["unique_visitors"]
    assert _kpi(page, "links_scanned") == len(top) == 2


def test_the_charts_render_with_their_text_alternatives(page: Any, server: LiveServer) -> None:
    page.goto("/dashboard/analytics?period=7d")
    with server.api() as api:
        series = _data(api, "/analytics/timeseries", period="7d", timezone=ZONE)
        geography = _data(api, "/analytics/geography", period="7d", timezone=ZONE)
        devices = _data(api, "/analytics/devices", period="7d", timezone=ZONE)
    # the time series: an image named by its summary, and a table of every day
    chart = page.get_by_role("img", name="60 scans in 7 days")
    assert chart.bounding_box()["height"] > 100
    page.get_by_text("Table of scans over time").click()
    day_rows = page.get_by_role("table", name="Scans and unique visitors per day").locator(
        "tbody tr"
    )
    assert day_rows.count() == len(series) == 7
    # the map: an image named by its summary, with a coloured country per country scanned
    world = page.get_by_role("img", name="World map of scans by country")
    assert world.bounding_box()["width"] > 400
    assert page.locator("svg.world-map path").count() > 150
    coloured = page.locator("svg.world-map path:not([fill='#eceff3'])").count()
    assert coloured == len([c for c in geography if c["country_code"] != "XX"]) == 5
    countries = page.get_by_role("table", name="Scans by country").locator("tbody tr")
    assert countries.count() == len(geography)
    assert countries.first.inner_text().split("\t")[0].strip() == geography[0]["country"]
    # bar lists are tables: a row header per value, its scans and share
    for caption, items in [
        ("Devices", devices["device_types"]),
        ("Browsers", devices["browsers"]),
        ("Operating systems", devices["os"]),
    ]:
        table = page.get_by_role("table", name=caption)
        headers = table.get_by_role("rowheader").all_inner_texts()
        assert [h.strip() for h in headers] == [item["name"] for item in items]


def test_filters_are_kept_in_the_url(page: Any, server: LiveServer) -> None:
    page.goto("/dashboard/analytics?period=30d")
    page.get_by_label("Label").select_option("poster")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**label=poster**")
    assert _kpi(page, "total_scans") == 40
    page.get_by_role("link", name="7 days").click()
    page.wait_for_url("**period=7d**")
    assert "label=poster" in page.url
    assert _kpi(page, "total_scans") == 40
    # the address is the view: opened afresh, it shows the same
    page.goto(page.url)
    assert page.get_by_label("Label").input_value() == "poster"


def test_a_links_page_from_the_links_list_shows_its_ab_split(page: Any, server: LiveServer) -> None:
    page.goto("/dashboard/links?q=poster")
    page.get_by_role("link", name="scans: analytics of poster-a").click()
    page.get_by_role("heading", name="Analytics of poster-a").wait_for()
    assert _kpi(page, "total_scans") == 40
    rules = page.get_by_role("table", name="Scans per routing rule")
    rows = rules.locator("tbody tr")
    assert rows.count() == 2
    cells = [rows.nth(i).locator("td").all_inner_texts() for i in range(2)]
    assert cells[0][3] == "50%"  # configured
    assert int(cells[0][4]) + int(cells[1][4]) == 40  # every scan counted by a rule
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV of scans per routing rule").click()
    lines = list(csv.reader(Path(download.value.path()).read_text("utf-8").splitlines()))
    assert [line[4] for line in lines[1:]] == [c[4] for c in cells]


def test_a_csv_download_holds_the_charts_data(page: Any, server: LiveServer) -> None:
    page.goto("/dashboard/analytics?period=7d")
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV of scans by country").click()
    assert download.value.suggested_filename == "xqr-countries-7d.csv"
    lines = list(csv.reader(Path(download.value.path()).read_text("utf-8").splitlines()))
    assert lines[0] == ["country_code", "country", "scans", "percentage"]
    assert sum(int(line[2]) for line in lines[1:]) == 60


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_no_serious_accessibility_violation_on_the_analytics_pages(
    page: Any, server: LiveServer, viewport: str
) -> None:
    page.set_viewport_size(dashboard.DESKTOP if viewport == "desktop" else dashboard.PHONE)
    with server.api() as api:
        link_id = _data(api, "/links", label="poster")[0]["id"]
    for path in [
        "/dashboard/analytics",
        "/dashboard/analytics?period=7d&granularity=hour&label=poster",
        "/dashboard/analytics?start=2020-01-01&end=2020-01-31",  # no scans
        "/dashboard/analytics?start=2020-02-01&end=2020-01-01",  # a refused range
        f"/dashboard/analytics/links/{link_id}",
    ]:
        page.goto(path)
        assert dashboard.axe_violations(page) == [], path
        if viewport == "phone":
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= 375, f"{path} is {width} px wide"
