"""A report's numbers are the analytics API's for the same period: the same service calls."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import httpx
import pytest

from tests.analytics.test_analytics_reference import NOW, random_scans, write_scans
from tests.conftest import Account, AccountFactory
from tests.links.linkkit import create_link
from tests.reports.conftest import create_report, download, run_to_end
from xqr.app import XqrApp
from xqr.core.clock import clock
from xqr.reports.worker import ReportWorker


@pytest.fixture
async def scanned(
    app: XqrApp, client: httpx.AsyncClient, account: Account, make_account: AccountFactory
) -> dict[str, Any]:
    """Fifteen links, twelve of them scanned over 120 days (three labelled `spring`);
    another workspace with scans of its own."""
    clock.freeze(NOW.replace(month=1, day=1))
    links = [
        (await create_link(client, account, labels=["spring"] if n < 3 else []))["id"]
        for n in range(15)
    ]
    other = await make_account(name="Other")
    other_links = [(await create_link(client, other))["id"] for _ in range(2)]
    clock.freeze(NOW)
    await write_scans(
        app, random_scans(account.workspace_id, links[:12], count=900, days=120, seed=3)
    )
    await write_scans(
        app, random_scans(other.workspace_id, other_links, count=200, days=60, seed=4)
    )
    return {"links": links}


async def api(client: httpx.AsyncClient, account: Account, path: str, **params: Any) -> Any:
    response = await client.get(f"/api/v1/analytics/{path}", params=params, headers=account.headers)
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def report_file(
    client: httpx.AsyncClient, account: Account, worker: ReportWorker, **definition: Any
) -> httpx.Response:
    report = await create_report(client, account, **definition)
    run = await run_to_end(client, account, worker, report["id"])
    assert run["status"] == "completed", run
    return await download(client, account, run["id"])


def rows(response: httpx.Response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.text)))


@pytest.mark.parametrize(("period", "timezone"), [("30d", "UTC"), ("90d", "Asia/Kolkata")])
async def test_a_links_reports_counts_are_those_of_top_links(
    client: httpx.AsyncClient,
    account: Account,
    worker: ReportWorker,
    scanned: dict[str, Any],
    period: str,
    timezone: str,
) -> None:
    response = await report_file(
        client, account, worker, kind="links", period=period, timezone=timezone
    )
    table = rows(response)
    assert len(table) == 15  # every link, scanned or not
    top = await api(client, account, "top-links", period=period, timezone=timezone, limit=100)
    assert top, "the period has scans"
    scanned_rows = [(row["id"], int(row["scans"])) for row in table if int(row["scans"]) > 0]
    assert sorted(scanned_rows) == sorted((link["id"], link["scans"]) for link in top)
    assert [scans for _, scans in scanned_rows] == sorted(
        (scans for _, scans in scanned_rows), reverse=True
    )
    assert {row["id"] for row in table if row["scans"] == "0"} >= set(scanned["links"][12:])
    for row in table[:3]:
        stats = await api(client, account, f"links/{row['id']}", period=period, timezone=timezone)
        assert int(row["unique_visitors"]) == stats["unique_visitors"]
        assert int(row["scans"]) == stats["total_scans"]


async def test_a_top_links_report_is_the_top_links_answer(
    client: httpx.AsyncClient, account: Account, worker: ReportWorker, scanned: dict[str, Any]
) -> None:
    response = await report_file(client, account, worker, kind="top_links", format="json")
    data = response.json()["data"]
    assert data == await api(client, account, "top-links", period="30d", limit=100)


@pytest.mark.parametrize(
    ("kind", "path", "params"),
    [
        ("summary", "summary", {}),
        ("timeseries", "timeseries", {"granularity": "day"}),
        ("timeseries", "timeseries", {"granularity": "hour", "period": "7d"}),
        ("geography", "geography", {}),
        ("devices", "devices", {}),
    ],
)
async def test_json_reports_carry_the_analytics_answer(
    client: httpx.AsyncClient,
    account: Account,
    worker: ReportWorker,
    scanned: dict[str, Any],
    kind: str,
    path: str,
    params: dict[str, str],
) -> None:
    params = {"period": "30d", "timezone": "America/New_York", **params}
    response = await report_file(client, account, worker, kind=kind, format="json", **params)
    document = json.loads(response.content)
    assert document["data"] == await api(client, account, path, **params)
    assert document["period"]["timezone"] == "America/New_York"
    assert document["report"]["kind"] == kind


async def test_a_geography_csv_has_the_api_rows(
    client: httpx.AsyncClient, account: Account, worker: ReportWorker, scanned: dict[str, Any]
) -> None:
    table = rows(await report_file(client, account, worker, kind="geography", period="90d"))
    countries = await api(client, account, "geography", period="90d")
    assert [(r["country_code"], int(r["scans"]), float(r["percentage"])) for r in table] == [
        (c["country_code"], c["scans"], c["percentage"]) for c in countries
    ]


async def test_a_report_of_one_link_is_that_links_analytics(
    client: httpx.AsyncClient, account: Account, worker: ReportWorker, scanned: dict[str, Any]
) -> None:
    link_id = scanned["links"][4]
    for kind, path in (("geography", "geography"), ("devices", "devices")):
        response = await report_file(
            client, account, worker, kind=kind, format="json", link_ids=[link_id], name=kind
        )
        expected = await api(client, account, path, period="30d", link_id=link_id)
        assert json.loads(response.content)["data"] == expected
    response = await report_file(
        client, account, worker, kind="summary", format="json", link_ids=[link_id], name="s"
    )
    summary = json.loads(response.content)["data"]
    stats = await api(client, account, f"links/{link_id}", period="30d")
    assert summary["total_scans"] == stats["total_scans"]
    assert summary["unique_visitors"] == stats["unique_visitors"]
    assert [c["country_code"] for c in summary["top_countries"]] == [
        c["country_code"] for c in stats["geography"][:10]
    ]


async def test_a_label_filter_counts_the_labelled_links_together(
    client: httpx.AsyncClient, account: Account, worker: ReportWorker, scanned: dict[str, Any]
) -> None:
    spring = scanned["links"][:3]
    table = rows(
        await report_file(client, account, worker, kind="links", labels=["spring"], period="90d")
    )
    assert sorted(row["id"] for row in table) == sorted(spring)
    response = await report_file(
        client, account, worker, kind="summary", labels=["spring"], period="90d", format="json"
    )
    summary = json.loads(response.content)
    per_link = [await api(client, account, f"links/{i}", period="90d") for i in spring]
    assert summary["data"]["total_scans"] == sum(s["total_scans"] for s in per_link)
    assert summary["notes"] == ["Counting 3 selected links together."]


async def test_a_custom_period_counts_those_local_days(
    client: httpx.AsyncClient, account: Account, worker: ReportWorker, scanned: dict[str, Any]
) -> None:
    response = await report_file(
        client,
        account,
        worker,
        kind="timeseries",
        format="json",
        period={"start": "2026-02-01", "end": "2026-02-28"},
        timezone="Europe/Berlin",
    )
    document = json.loads(response.content)
    points = document["data"]
    assert len(points) == 28
    assert points[0]["timestamp"] == "2026-01-31T23:00:00.000Z"  # midnight in Berlin
    assert document["period"]["start"] == "2026-01-31T23:00:00.000Z"
    assert document["period"]["end"] == "2026-02-28T23:00:00.000Z"
    # the same days as part of the 90-day answer
    series = await api(
        client, account, "timeseries", period="90d", timezone="Europe/Berlin", granularity="day"
    )
    february = [p for p in series if "2026-01-31T23" <= p["timestamp"] < "2026-02-28T23"]
    assert points == february
