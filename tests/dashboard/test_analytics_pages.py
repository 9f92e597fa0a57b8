"""Analytics in the dashboard: every number on the pages equals the API's for the same period,
filters and periods live in the URL, each chart has a table and a CSV of its data."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from bs4 import BeautifulSoup

from tests.analytics.test_analytics_reference import NOW, analytics_settings, write_scans
from tests.conftest import Account, AccountFactory
from tests.dashboard.conftest import Dashboard, add_person, page, text_of
from tests.links.linkkit import create_link, flush
from xqr.analytics.periods import percentages
from xqr.app import XqrApp
from xqr.config import Settings
from xqr.context import AppContext
from xqr.core.clock import clock
from xqr.scans.synthetic import SyntheticTraffic
from xqr.workspaces import service as workspaces

ZONE = "America/New_York"


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return analytics_settings(db_url, tmp_path / "data", country_header="CF-IPCountry")


@pytest.fixture
async def owner(make_account: AccountFactory, ctx: AppContext) -> Account:
    created = await make_account(owner="maria@example.com", name="Maria's Coffee")
    await add_person(ctx, created.workspace_id, "maria@example.com", "owner")
    async with ctx.sessionmaker() as session:
        workspace = await workspaces.get_workspace(session, uuid.UUID(created.workspace_id))
        await workspaces.update_workspace(session, workspace, timezone=ZONE)
        await session.commit()
    return created


async def _scans(
    app: XqrApp, workspace_id: str, link_ids: list[str], count: int, days: int, seed: int
) -> None:
    traffic = SyntheticTraffic(
        uuid.UUID(workspace_id), [uuid.UUID(i) for i in link_ids], seed=seed, visitors=count // 5
    )
    span = days * 86_400
    times = sorted(NOW - timedelta(seconds=i * 7919 % span) for i in range(count))
    await write_scans(app, traffic.at_times(times))


@pytest.fixture
async def scanned(
    app: XqrApp, client: httpx.AsyncClient, owner: Account, make_account: AccountFactory
) -> dict[str, Any]:
    """Four links (two labelled `poster`) with 900 scans over 100 days; another workspace's
    link with scans of its own."""
    clock.freeze(NOW.replace(month=1, day=1))
    posters = [(await create_link(client, owner, labels=["poster"]))["id"] for _ in range(2)]
    others = [(await create_link(client, owner, labels=["flyer"]))["id"] for _ in range(2)]
    stranger = await make_account(name="Other")
    foreign = (await create_link(client, stranger))["id"]
    clock.freeze(NOW)
    await _scans(app, owner.workspace_id, posters + others, 900, 100, 1)
    await _scans(app, stranger.workspace_id, [foreign], 200, 20, 2)
    return {"posters": posters, "others": others, "foreign": foreign}


async def api(client: httpx.AsyncClient, account: Account, path: str, **params: Any) -> Any:
    response = await client.get(
        f"/api/v1/analytics/{path}", params={"timezone": ZONE, **params}, headers=account.headers
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]


def kpi(soup: BeautifulSoup, key: str) -> int:
    found = soup.find(attrs={"data-kpi": key})
    assert found is not None, key
    return int(found.get_text().replace(",", ""))


def table_rows(soup: BeautifulSoup, caption: str) -> list[list[str]]:
    """The rows of the table with that caption, each cell's text."""
    for table in soup.find_all("table"):
        if table.caption and table.caption.get_text(strip=True) == caption:
            return [
                [cell.get_text(" ", strip=True) for cell in row.find_all(["th", "td"])]
                for row in table.tbody.find_all("tr")
            ]
    raise AssertionError(f"no table {caption!r}")


def counts(rows: list[list[str]]) -> list[tuple[str, int]]:
    return [(row[0], int(row[1].replace(",", ""))) for row in rows]


def shares(items: list[dict[str, Any]], key: str = "name") -> list[tuple[str, int]]:
    return [(item[key], item["scans"]) for item in items]


@pytest.mark.parametrize("period", ["7d", "30d", "90d", "all"])
async def test_the_overview_shows_the_apis_numbers_for_the_same_period(
    browser: Dashboard, client: httpx.AsyncClient, owner: Account, scanned: Any, period: str
) -> None:
    await browser.sign_in("maria@example.com")
    response = await browser.get(f"/dashboard/analytics?period={period}")
    assert response.status_code == 200, text_of(response)
    soup = page(response)
    summary = await api(client, owner, "summary", period=period)
    assert summary["total_scans"] > 0
    assert kpi(soup, "total_scans") == summary["total_scans"]
    assert kpi(soup, "unique_visitors") == summary["unique_visitors"]
    top = await api(client, owner, "top-links", period=period, limit=100)
    assert kpi(soup, "links_scanned") == len(top)
    if period != "all":
        change = summary["change"]["total_scans"]
        assert (f"{change}%" in text_of(response)) is (change is not None)

    geography = await api(client, owner, "geography", period=period)
    names = {c["country_code"]: c["country"] for c in geography}
    assert counts(table_rows(soup, "Scans by country")) == [
        (names[code], n) for code, n in shares(geography, "country_code")
    ]
    devices = await api(client, owner, "devices", period=period)
    assert counts(table_rows(soup, "Devices")) == shares(devices["device_types"])
    assert counts(table_rows(soup, "Browsers")) == shares(devices["browsers"])
    assert counts(table_rows(soup, "Operating systems")) == shares(devices["os"])
    series = await api(client, owner, "timeseries", period=period)
    rows = table_rows(soup, "Scans and unique visitors per day")
    assert [int(r[1].replace(",", "")) for r in rows] == [p["scans"] for p in series]
    top10 = await api(client, owner, "top-links", period=period)
    shown = table_rows(soup, "Links with the most scans in the period")
    assert [(r[0], int(r[2].replace(",", ""))) for r in shown] == [
        (link["short_url"], link["scans"]) for link in top10
    ]
    # the map: a path per country, those with scans coloured, each named with its count
    world = soup.find("svg", class_="world-map")
    assert world is not None and world["aria-labelledby"] == "map-summary"
    titles = [t.get_text() for t in world.find_all("title")]
    top_country = geography[0]
    if top_country["country_code"] != "XX":
        assert f"{top_country['country']}: {top_country['scans']:,} scans" in titles


async def test_hourly_buckets_and_the_time_series_csv_match_the_api(
    browser: Dashboard, client: httpx.AsyncClient, owner: Account, scanned: Any
) -> None:
    await browser.sign_in("maria@example.com")
    response = await browser.get("/dashboard/analytics?period=7d&granularity=hour")
    soup = page(response)
    series = await api(client, owner, "timeseries", period="7d", granularity="hour")
    rows = table_rows(soup, "Scans and unique visitors per hour")
    assert [int(r[1].replace(",", "")) for r in rows] == [p["scans"] for p in series]
    download = await browser.get("/dashboard/analytics/timeseries.csv?period=7d&granularity=hour")
    assert download.headers["content-type"].startswith("text/csv")
    assert "attachment" in download.headers["content-disposition"]
    lines = list(csv.reader(io.StringIO(download.text)))
    assert lines[0] == ["timestamp", "scans", "unique_visitors"]
    assert [int(line[1]) for line in lines[1:]] == [p["scans"] for p in series]


@pytest.mark.parametrize("chart", ["countries", "devices", "browsers", "os", "top-links"])
async def test_every_charts_csv_holds_the_apis_numbers(
    browser: Dashboard, client: httpx.AsyncClient, owner: Account, scanned: Any, chart: str
) -> None:
    await browser.sign_in("maria@example.com")
    download = await browser.get(f"/dashboard/analytics/{chart}.csv?period=90d")
    assert download.status_code == 200
    lines = list(csv.reader(io.StringIO(download.text)))[1:]
    if chart == "countries":
        expected = shares(await api(client, owner, "geography", period="90d"), "country_code")
        got = [(line[0], int(line[2])) for line in lines]
    elif chart == "top-links":
        top = await api(client, owner, "top-links", period="90d", limit=100)
        expected = [(link["id"], link["scans"]) for link in top]
        got = [(line[0], int(line[3])) for line in lines]
    else:
        devices = await api(client, owner, "devices", period="90d")
        key = {"devices": "device_types", "browsers": "browsers", "os": "os"}[chart]
        expected = shares(devices[key])
        got = [(line[0], int(line[1])) for line in lines]
    assert got == expected and got


async def test_a_label_filter_counts_only_its_links_and_stays_in_the_links(
    browser: Dashboard, client: httpx.AsyncClient, owner: Account, scanned: Any
) -> None:
    await browser.sign_in("maria@example.com")
    response = await browser.get("/dashboard/analytics?period=90d&label=poster")
    soup = page(response)
    per_link = [
        await api(client, owner, f"links/{link_id}", period="90d") for link_id in scanned["posters"]
    ]
    assert kpi(soup, "total_scans") == sum(s["total_scans"] for s in per_link) > 0
    assert kpi(soup, "links_scanned") == 2
    assert "Showing links labelled poster" in text_of(response)
    # the period buttons keep the label; the CSV counts the same links
    seven = soup.find("a", string="7 days")
    assert seven is not None and "label=poster" in seven["href"]
    download = await browser.get("/dashboard/analytics/top-links.csv?period=90d&label=poster")
    ids = [line[0] for line in list(csv.reader(io.StringIO(download.text)))[1:]]
    assert sorted(ids) == sorted(scanned["posters"])


async def test_a_links_own_page_shows_the_link_stats_of_the_api(
    browser: Dashboard, client: httpx.AsyncClient, owner: Account, scanned: Any
) -> None:
    await browser.sign_in("maria@example.com")
    link_id = scanned["posters"][0]
    response = await browser.get(f"/dashboard/analytics/links/{link_id}?period=30d")
    assert response.status_code == 200, text_of(response)
    soup = page(response)
    stats = await api(client, owner, f"links/{link_id}", period="30d")
    assert kpi(soup, "total_scans") == stats["total_scans"] > 0
    assert kpi(soup, "unique_visitors") == stats["unique_visitors"]
    assert counts(table_rows(soup, "Scans by country")) == [
        (c["country"], c["scans"]) for c in stats["geography"]
    ]
    assert counts(table_rows(soup, "QR code or link")) == shares(stats["sources"])
    rows = table_rows(soup, "Scans and unique visitors per day")
    assert [int(r[1].replace(",", "")) for r in rows] == [p["scans"] for p in stats["timeseries"]]
    assert "it has no routing rules" in text_of(response)
    # the overview narrowed to the link shows the same, and links to this page
    narrowed = await browser.get(f"/dashboard/analytics?period=30d&link={link_id}")
    assert kpi(page(narrowed), "total_scans") == stats["total_scans"]


async def test_another_workspaces_link_is_not_found(
    browser: Dashboard, owner: Account, scanned: Any
) -> None:
    await browser.sign_in("maria@example.com")
    foreign = scanned["foreign"]
    assert (await browser.get(f"/dashboard/analytics/links/{foreign}")).status_code == 404
    assert (await browser.get(f"/dashboard/analytics?link={foreign}")).status_code == 404
    csv_answer = await browser.get(f"/dashboard/analytics/countries.csv?link={foreign}")
    assert csv_answer.status_code == 404


async def test_a_custom_range_counts_its_days_and_a_bad_one_says_why(
    browser: Dashboard, client: httpx.AsyncClient, owner: Account, scanned: Any
) -> None:
    await browser.sign_in("maria@example.com")
    series = await api(client, owner, "timeseries", period="30d")
    days = series[5:15]
    # each point starts at a local midnight in New York (given in UTC)
    first_day, last_day = (
        datetime.fromisoformat(days[i]["timestamp"].replace("Z", "+00:00"))
        .astimezone(ZoneInfo(ZONE))
        .date()
        for i in (0, -1)
    )
    response = await browser.get(f"/dashboard/analytics?start={first_day}&end={last_day}")
    assert response.status_code == 200, text_of(response)
    assert kpi(page(response), "total_scans") == sum(p["scans"] for p in days)
    assert page(response).find(id="f-start")["value"] == str(first_day)

    backwards = await browser.get(f"/dashboard/analytics?start={last_day}&end={first_day}")
    assert backwards.status_code == 400
    assert "must not be before start" in text_of(backwards)
    assert "The end of the range: must not be before start." in text_of(backwards)
    assert "Showing the last 30 days" in text_of(backwards)
    garbled = await browser.get("/dashboard/analytics?start=soon&end=2026-01-01")
    assert garbled.status_code == 400
    assert "YYYY-MM-DD" in text_of(garbled)
    long_hours = await browser.get("/dashboard/analytics?period=90d&granularity=hour")
    assert long_hours.status_code == 400
    assert "Hourly buckets: hour granularity is available" in text_of(long_hours)
    assert "Showing days instead" in text_of(long_hours)
    assert page(long_hours).find("a", attrs={"aria-current": "true"}).get_text() == "90 days"
    unknown = await browser.get("/dashboard/analytics?period=5y")
    assert unknown.status_code == 400
    assert "must be one of 7d, 30d, 90d, all" in text_of(unknown)


async def test_with_no_scans_the_page_says_what_to_do(browser: Dashboard, owner: Account) -> None:
    await browser.sign_in("maria@example.com")
    response = await browser.get("/dashboard/analytics")
    assert response.status_code == 200
    assert "No scans in this period" in text_of(response)
    assert kpi(page(response), "total_scans") == 0
    assert page(response).find("svg", class_="world-map") is not None


async def test_a_viewer_reads_analytics(
    browser: Dashboard, ctx: AppContext, owner: Account, scanned: Any
) -> None:
    await add_person(ctx, owner.workspace_id, "vera@example.com", "viewer")
    await browser.sign_in("vera@example.com")
    response = await browser.get("/dashboard/analytics")
    assert response.status_code == 200
    assert kpi(page(response), "total_scans") > 0


PHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.{n} Mobile/15E148 Safari/604.1"
)


async def test_a_links_page_counts_the_scans_each_routing_rule_sent_and_the_ab_split(
    app: XqrApp, browser: Dashboard, client: httpx.AsyncClient, owner: Account
) -> None:
    clock.freeze(NOW)
    link = await create_link(
        client,
        owner,
        url="https://example.com/everyone",
        routing_rules=[
            {"destination": "https://example.de/", "conditions": {"countries": ["DE"]}},
            {"destination": "https://example.com/b", "conditions": {"percentage": 30}},
        ],
    )
    sent: dict[str, int] = {}
    for n in range(120):
        followed = await client.get(
            f"/{link['short_code']}",
            headers={"User-Agent": PHONE.format(n=n), "CF-IPCountry": "DE" if n < 20 else "FR"},
        )
        assert followed.status_code == 302
        sent[followed.headers["location"]] = sent.get(followed.headers["location"], 0) + 1
    await flush(app)
    await browser.sign_in("maria@example.com")
    response = await browser.get(f"/dashboard/analytics/links/{link['id']}?period=7d")
    rows = table_rows(page(response), "Scans per routing rule")
    # rule, destination, when, configured share, scans, actual share
    shown = {row[1]: (row[3], int(row[4])) for row in rows}
    assert shown == {
        "https://example.de/": ("—", sent["https://example.de/"]),
        "https://example.com/b": ("30%", sent["https://example.com/b"]),
        "https://example.com/everyone": ("—", sent["https://example.com/everyone"]),
    }
    assert sent["https://example.de/"] == 20
    # actual shares: of the 120 scans, to 2 decimals, summing to 100
    expected = percentages([int(row[4]) for row in rows], 120)
    assert [row[5] for row in rows] == [f"{share}%" for share in expected]
    assert abs(expected[1] - sent["https://example.com/b"] * 100 / 120) < 0.01
    download = await browser.get(f"/dashboard/analytics/rules.csv?period=7d&link={link['id']}")
    lines = list(csv.reader(io.StringIO(download.text)))
    assert [line[4] for line in lines[1:]] == [row[4] for row in rows]


def test_chart_geometry_axis_tops_and_map_colours() -> None:
    from xqr.dashboard import charts

    assert [charts.nice_ceiling(v) for v in (0, 3, 5, 11, 240, 2_600)] == [4, 4, 5, 20, 250, 5_000]
    assert charts.map_colour(0, 100) == charts.MAP_EMPTY
    assert charts.map_colour(100, 100) == charts.MAP_STEPS[-1]
    assert charts.map_colour(1, 10_000) == charts.MAP_STEPS[0]
    points = [charts.SeriesPoint(NOW + timedelta(days=i), i * 10, i * 5) for i in range(8)]
    chart = charts.time_series(points, ZoneInfo("UTC"), hourly=False)
    assert [label for _, label in chart.grid] == ["0", "25", "50", "75", "100"]
    assert chart.ticks[0][2] == "20 Mar" and chart.ticks[-1][2] == "27 Mar"
    assert len(chart.scans.split()) == 8
