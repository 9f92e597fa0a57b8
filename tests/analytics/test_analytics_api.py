"""The analytics endpoints' contract: envelopes, defaults, zero-filled buckets, validation,
scopes and tenancy."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.analytics.test_analytics_reference import NOW, analytics_settings, iso, write_scans
from tests.conftest import Account, AccountFactory, assert_error
from tests.links.linkkit import IPHONE_UA, create_link
from xqr.app import XqrApp
from xqr.config import Settings
from xqr.core.clock import clock
from xqr.scans.buffer import RawScan

ENDPOINTS = ("summary", "timeseries", "geography", "devices", "top-links")


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return analytics_settings(db_url, tmp_path / "data")


def scan(account: Account, link_id: str, at: datetime, **fields: Any) -> RawScan:
    values: dict[str, Any] = {
        "occurred_at": at,
        "workspace_id": uuid.UUID(account.workspace_id),
        "kind": "link",
        "target_id": uuid.UUID(link_id),
        "parent_id": None,
        "ip": "81.2.69.142",  # GB in the offline table
        "user_agent": IPHONE_UA,
        "referer": None,
        "country_header": None,
        "qr": True,
    }
    values.update(fields)
    return RawScan(**values)


async def get(client: httpx.AsyncClient, account: Account, path: str, **params: Any) -> Any:
    return await client.get(f"/api/v1/analytics/{path}", params=params, headers=account.headers)


async def test_an_empty_workspace_has_zero_filled_buckets_for_the_default_30_days(
    client: httpx.AsyncClient, account: Account
) -> None:
    clock.freeze(NOW)
    response = await get(client, account, "timeseries")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"data", "meta"}
    points = body["data"]
    assert len(points) == 30
    assert {p["scans"] for p in points} == {0}
    assert points[-1]["timestamp"] == "2026-03-20T00:00:00.000Z"
    assert points[0]["timestamp"] == "2026-02-19T00:00:00.000Z"
    hourly = (await get(client, account, "timeseries", period="7d", granularity="hour")).json()
    # six whole days and today's hours up to the current one (15:00)
    assert len(hourly["data"]) == 6 * 24 + 16
    summary = (await get(client, account, "summary")).json()["data"]
    assert summary["total_scans"] == 0 and summary["unique_visitors"] == 0
    assert summary["top_countries"] == [] and summary["top_devices"] == []
    assert summary["change"] == {"total_scans": None, "unique_visitors": None}
    assert summary["period"] == "30d" and summary["timezone"] == "UTC"
    assert summary["start"] == "2026-02-19T00:00:00.000Z"
    assert summary["end"] == "2026-03-21T00:00:00.000Z"
    assert (await get(client, account, "geography")).json()["data"] == []
    assert (await get(client, account, "top-links")).json()["data"] == []
    devices = (await get(client, account, "devices")).json()["data"]
    assert devices == {"device_types": [], "browsers": [], "os": []}


async def test_period_all_starts_on_the_day_of_the_first_scan(
    app: XqrApp, client: httpx.AsyncClient, account: Account
) -> None:
    clock.freeze(NOW)
    link = await create_link(client, account)
    await write_scans(app, [scan(account, link["id"], NOW - timedelta(days=40, hours=3))])
    points = (await get(client, account, "timeseries", period="all")).json()["data"]
    assert len(points) == 41
    assert points[0] == {"timestamp": "2026-02-08T00:00:00.000Z", "scans": 1}
    summary = (await get(client, account, "summary", period="all")).json()["data"]
    assert summary["previous"] is None and summary["change"] is None
    new_york = (
        await get(client, account, "timeseries", period="all", timezone="America/New_York")
    ).json()["data"]
    assert new_york[0] == {"timestamp": "2026-02-08T05:00:00.000Z", "scans": 1}


async def test_a_scan_counts_once_in_totals_visitors_and_every_breakdown(
    app: XqrApp, client: httpx.AsyncClient, account: Account
) -> None:
    clock.freeze(NOW)
    link = await create_link(client, account)
    await write_scans(
        app,
        [
            scan(account, link["id"], NOW - timedelta(hours=2)),
            scan(account, link["id"], NOW - timedelta(hours=1)),  # same visitor, same day
            scan(account, link["id"], NOW - timedelta(minutes=5), ip="8.8.8.8", qr=False),
        ],
    )
    summary = (await get(client, account, "summary", period="7d")).json()["data"]
    assert summary["total_scans"] == 3
    assert summary["unique_visitors"] == 2
    assert summary["top_countries"] == [
        {"country": "United Kingdom", "country_code": "GB", "scans": 2, "percentage": 66.67},
        {"country": "United States", "country_code": "US", "scans": 1, "percentage": 33.33},
    ]
    assert summary["top_devices"] == [{"name": "mobile", "scans": 3, "percentage": 100.0}]
    assert summary["trend"][-1] == {
        "timestamp": "2026-03-20T00:00:00.000Z",
        "scans": 3,
        "unique_visitors": 2,
    }
    stats = (await get(client, account, f"links/{link['id']}", period="7d")).json()["data"]
    assert stats["sources"] == [
        {"name": "qr", "scans": 2, "percentage": 66.67},
        {"name": "direct", "scans": 1, "percentage": 33.33},
    ]
    assert stats["devices"]["browsers"] == [
        {"name": "Mobile Safari", "scans": 3, "percentage": 100.0}
    ]
    assert stats["link"]["scan_count"] == 3
    top = (await get(client, account, "top-links", period="7d")).json()["data"]
    assert [(t["id"], t["scans"], t["short_code"]) for t in top] == [
        (link["id"], 3, link["short_code"])
    ]


async def test_bots_are_not_counted(
    app: XqrApp, client: httpx.AsyncClient, account: Account
) -> None:
    clock.freeze(NOW)
    link = await create_link(client, account)
    googlebot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
    await write_scans(
        app,
        [
            scan(account, link["id"], NOW - timedelta(hours=1), user_agent=googlebot),
            scan(account, link["id"], NOW - timedelta(hours=1), user_agent="curl/8.5.0"),
            scan(account, link["id"], NOW - timedelta(hours=1)),
        ],
    )
    summary = (await get(client, account, "summary")).json()["data"]
    assert summary["total_scans"] == 1


async def test_the_previous_period_and_the_change_in_percent(
    app: XqrApp, client: httpx.AsyncClient, account: Account
) -> None:
    clock.freeze(NOW)
    link = await create_link(client, account)
    # 2 scans in the 7 days before the period (13–19 March), 3 in it
    earlier = [NOW - timedelta(days=9), NOW - timedelta(days=10)]
    later = [NOW - timedelta(days=1), NOW - timedelta(days=2), NOW - timedelta(hours=1)]
    await write_scans(
        app,
        [
            scan(account, link["id"], at, ip=f"81.2.69.{i}")
            for i, at in enumerate(sorted(earlier + later))
        ],
    )
    summary = (await get(client, account, "summary", period="7d")).json()["data"]
    assert summary["previous"] == {
        "start": "2026-03-07T00:00:00.000Z",
        "end": "2026-03-14T00:00:00.000Z",
        "total_scans": 2,
        "unique_visitors": 2,
    }
    assert summary["change"] == {"total_scans": 50.0, "unique_visitors": 50.0}


async def test_kolkata_days_begin_at_the_first_whole_utc_hour_after_local_midnight(
    app: XqrApp, client: httpx.AsyncClient, account: Account
) -> None:
    clock.freeze(NOW)
    link = await create_link(client, account)
    midnight = datetime(2026, 3, 19, 18, 30, tzinfo=UTC)  # 00:00 on 20 March in Kolkata
    await write_scans(
        app,
        [
            scan(account, link["id"], midnight - timedelta(minutes=31)),  # 23:29 on the 19th
            scan(account, link["id"], midnight),  # in the hour that began at 23:30
            scan(account, link["id"], midnight + timedelta(minutes=30)),  # 01:00 on the 20th
        ],
    )
    points = (
        await get(client, account, "timeseries", period="7d", timezone="Asia/Kolkata")
    ).json()["data"]
    assert points[-2:] == [
        {"timestamp": "2026-03-18T18:30:00.000Z", "scans": 2},
        {"timestamp": "2026-03-19T18:30:00.000Z", "scans": 1},
    ]
    summary = (await get(client, account, "summary", period="7d", timezone="Asia/Kolkata")).json()
    assert summary["data"]["start"] == "2026-03-13T19:00:00.000Z"
    assert summary["data"]["end"] == "2026-03-20T19:00:00.000Z"


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("summary", {"period": "14d"}, "period"),
        ("summary", {"period": ""}, "period"),
        ("timeseries", {"granularity": "week"}, "granularity"),
        ("timeseries", {"granularity": "hour", "period": "90d"}, "granularity"),
        ("timeseries", {"granularity": "hour", "period": "all"}, "granularity"),
        ("links/{link}", {"granularity": "hour", "period": "90d"}, "granularity"),
        ("geography", {"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ("devices", {"timezone": "../../etc/passwd"}, "timezone"),
        ("summary", {"timezone": "x" * 65}, "timezone"),
        ("top-links", {"limit": 0}, "limit"),
        ("top-links", {"limit": 101}, "limit"),
        ("top-links", {"limit": "ten"}, "limit"),
    ],
)
async def test_invalid_parameters_are_validation_errors_naming_the_field(
    client: httpx.AsyncClient, account: Account, path: str, params: dict[str, Any], field: str
) -> None:
    link = await create_link(client, account)
    response = await get(client, account, path.format(link=link["id"]), **params)
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert any(field in detail["field"] for detail in error["details"]), error


async def test_hour_granularity_is_allowed_up_to_30_days(
    client: httpx.AsyncClient, account: Account
) -> None:
    clock.freeze(NOW)
    response = await get(client, account, "timeseries", granularity="hour", period="30d")
    assert response.status_code == 200
    assert len(response.json()["data"]) == 29 * 24 + 16


@pytest.mark.parametrize("path", ["timeseries", "geography", "devices"])
async def test_a_link_of_another_workspace_is_not_found(
    client: httpx.AsyncClient, account: Account, make_account: AccountFactory, path: str
) -> None:
    other = await make_account(name="Other")
    theirs = await create_link(client, other)
    response = await get(client, account, path, link_id=theirs["id"])
    assert_error(response, 404, "RESOURCE_NOT_FOUND")
    assert_error(await get(client, account, path, link_id="not-a-uuid"), 404, "RESOURCE_NOT_FOUND")
    response = await get(client, other, path, link_id=theirs["id"])
    assert response.status_code == 200


async def test_link_stats_of_another_workspace_s_link_is_not_found(
    client: httpx.AsyncClient, account: Account, make_account: AccountFactory
) -> None:
    other = await make_account(name="Other")
    theirs = await create_link(client, other)
    assert_error(await get(client, account, f"links/{theirs['id']}"), 404, "RESOURCE_NOT_FOUND")
    assert_error(await get(client, account, "links/nope"), 404, "RESOURCE_NOT_FOUND")
    assert_error(await get(client, account, f"links/{uuid.uuid4()}"), 404, "RESOURCE_NOT_FOUND")


async def test_another_workspace_s_scans_never_show(
    app: XqrApp, client: httpx.AsyncClient, account: Account, make_account: AccountFactory
) -> None:
    clock.freeze(NOW)
    other = await make_account(name="Other")
    theirs = await create_link(client, other)
    await write_scans(app, [scan(other, theirs["id"], NOW - timedelta(hours=1))])
    summary = (await get(client, account, "summary")).json()["data"]
    assert summary["total_scans"] == 0
    assert (await get(client, account, "top-links")).json()["data"] == []
    assert (await get(client, other, "summary")).json()["data"]["total_scans"] == 1


@pytest.mark.parametrize("path", [*ENDPOINTS, "links/{link}"])
async def test_every_endpoint_needs_the_analytics_read_scope(
    client: httpx.AsyncClient, account: Account, make_account: AccountFactory, path: str
) -> None:
    link = await create_link(client, account)
    reader = await make_account(workspace_id=account.workspace_id, scopes="links:read")
    response = await get(client, reader, path.format(link=link["id"]))
    error = assert_error(response, 403, "INSUFFICIENT_SCOPE")
    assert "analytics:read" in error["message"]
    assert_error(
        await client.get(f"/api/v1/analytics/{path.format(link=link['id'])}"),
        401,
        "INVALID_API_KEY",
    )
    allowed = await make_account(workspace_id=account.workspace_id, scopes="analytics:read")
    assert (await get(client, allowed, path.format(link=link["id"]))).status_code == 200


async def test_a_deleted_link_leaves_top_links_but_its_scans_stay_in_the_totals(
    app: XqrApp, client: httpx.AsyncClient, account: Account
) -> None:
    clock.freeze(NOW)
    kept = await create_link(client, account)
    gone = await create_link(client, account)
    await write_scans(
        app,
        [
            scan(account, gone["id"], NOW - timedelta(hours=3)),
            scan(account, gone["id"], NOW - timedelta(hours=2)),
            scan(account, kept["id"], NOW - timedelta(hours=1)),
        ],
    )
    deleted = await client.delete(f"/api/v1/links/{gone['id']}", headers=account.headers)
    assert deleted.status_code == 204
    top = (await get(client, account, "top-links")).json()["data"]
    assert [(t["id"], t["scans"]) for t in top] == [(kept["id"], 1)]
    assert (await get(client, account, "summary")).json()["data"]["total_scans"] == 3


async def test_timestamps_are_iso_utc(client: httpx.AsyncClient, account: Account) -> None:
    clock.freeze(NOW)
    points = (await get(client, account, "timeseries", period="7d")).json()["data"]
    assert points[-1]["timestamp"] == iso(datetime(2026, 3, 20, tzinfo=UTC))
