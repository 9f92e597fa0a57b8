"""Every analytics endpoint agrees with a brute-force count over the raw scan events.

Random realistic scans (seeded) over 200 days, plus scans exactly at and around the period
edges of each zone, go through the real buffer and writer; then each endpoint is compared with
`Reference` for every period, in UTC, America/New_York (a DST change inside the windows) and
Asia/Kolkata (+05:30).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.analytics.test_analytics_reference import (
    NOW,
    PERIODS,
    ZONES,
    Reference,
    analytics_settings,
    iso,
    random_scans,
    shares_ok,
    stored_events,
    write_scans,
)
from tests.conftest import Account, AccountFactory
from tests.links.linkkit import create_link
from xqr.app import XqrApp
from xqr.config import Settings
from xqr.core.clock import clock


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return analytics_settings(db_url, tmp_path / "data")


@pytest.fixture
async def scanned(
    app: XqrApp, client: httpx.AsyncClient, account: Account, make_account: AccountFactory
) -> dict[str, Any]:
    """Six links with 1,900 scans over 200 days; another workspace with scans of its own."""
    clock.freeze(NOW.replace(day=1))
    links = [(await create_link(client, account))["id"] for _ in range(6)]
    other = await make_account(name="Other")
    other_links = [(await create_link(client, other))["id"] for _ in range(2)]
    clock.freeze(NOW)
    scans = random_scans(account.workspace_id, links, count=1500, days=200, seed=7)
    # a busy last few days: the same visitors come back within a day
    scans += random_scans(account.workspace_id, links, count=400, days=3, seed=9)
    await write_scans(app, sorted(scans, key=lambda scan: scan.occurred_at))
    await write_scans(
        app, random_scans(other.workspace_id, other_links, count=300, days=50, seed=8)
    )
    events = await stored_events(app.ctx, account.workspace_id)
    return {"links": links, "events": events}


async def get(client: httpx.AsyncClient, account: Account, path: str, **params: Any) -> Any:
    response = await client.get(f"/api/v1/analytics/{path}", params=params, headers=account.headers)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def by_count(counts: dict[str, int]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def named(items: list[dict[str, Any]], key: str = "name") -> list[tuple[str, int]]:
    return [(item[key], item["scans"]) for item in items]


def check_breakdowns(data: dict[str, Any] | list[Any], ref: Reference, what: str) -> None:
    if what == "geography":
        assert isinstance(data, list)
        assert named(data, "country_code") == by_count(ref.counts("country"))
        shares_ok(data, ref.total)
        return
    assert isinstance(data, dict)
    for field, attribute in (
        ("device_types", "device_type"),
        ("browsers", "browser"),
        ("os", "os"),
    ):
        assert named(data[field]) == by_count(ref.counts(attribute)), field
        shares_ok(data[field], ref.total)


@pytest.mark.parametrize("zone", ZONES)
async def test_workspace_endpoints_match_a_count_of_the_raw_events(
    client: httpx.AsyncClient, account: Account, scanned: dict[str, Any], zone: str
) -> None:
    tz = ZoneInfo(zone)
    events = scanned["events"]
    assert len(events) > 1_400  # bots were left out, the other workspace's scans too
    for period in PERIODS:
        ref = Reference(events, period, tz)
        params = {"period": period, "timezone": zone}

        summary = await get(client, account, "summary", **params)
        assert summary["total_scans"] == ref.total, period
        assert summary["unique_visitors"] == ref.unique_visitors, period
        assert (
            named(summary["top_countries"], "country_code") == by_count(ref.counts("country"))[:10]
        )
        assert named(summary["top_devices"]) == by_count(ref.counts("device_type"))
        assert [(p["timestamp"], p["scans"], p["unique_visitors"]) for p in summary["trend"]] == [
            (iso(at), n, v) for at, n, v in ref.daily()
        ]
        if period == "all":
            assert summary["previous"] is None and summary["change"] is None
        else:
            before = len(ref.previous)
            assert summary["previous"]["total_scans"] == before
            assert summary["previous"]["unique_visitors"] == ref.previous_unique_visitors
            expected = round((ref.total - before) * 100 / before, 2) if before else None
            assert summary["change"]["total_scans"] == expected

        series = await get(client, account, "timeseries", **params)
        assert [(p["timestamp"], p["scans"]) for p in series] == [
            (iso(at), n) for at, n, _ in ref.daily()
        ]
        if period in ("7d", "30d"):
            hourly = await get(client, account, "timeseries", granularity="hour", **params)
            assert [(p["timestamp"], p["scans"]) for p in hourly] == [
                (iso(at), n) for at, n in ref.hourly()
            ]

        check_breakdowns(await get(client, account, "geography", **params), ref, "geography")
        check_breakdowns(await get(client, account, "devices", **params), ref, "devices")

        top = await get(client, account, "top-links", limit=100, **params)
        per_link = by_count(ref.counts("target_id"))
        assert [(link["id"], link["scans"]) for link in top] == per_link
        if per_link:
            limited = await get(client, account, "top-links", limit=2, **params)
            assert [link["id"] for link in limited] == [link["id"] for link in top[:2]]


@pytest.mark.parametrize("zone", ZONES)
async def test_link_endpoints_match_a_count_of_the_link_s_raw_events(
    client: httpx.AsyncClient, account: Account, scanned: dict[str, Any], zone: str
) -> None:
    tz = ZoneInfo(zone)
    busiest, quiet = scanned["links"][0], scanned["links"][-1]
    for link_id in (busiest, quiet):
        events = [e for e in scanned["events"] if str(e.target_id) == link_id]
        for period in PERIODS:
            ref = Reference(events, period, tz)
            params = {"period": period, "timezone": zone}
            stats = await get(client, account, f"links/{link_id}", **params)
            assert stats["link"]["id"] == link_id
            assert stats["total_scans"] == ref.total
            assert stats["unique_visitors"] == ref.unique_visitors
            assert [(p["timestamp"], p["scans"]) for p in stats["timeseries"]] == [
                (iso(at), n) for at, n, _ in ref.daily()
            ]
            check_breakdowns(stats["geography"], ref, "geography")
            check_breakdowns(stats["devices"], ref, "devices")
            sources = ref.counts("source")
            assert named(stats["sources"]) == [("qr", sources["qr"]), ("direct", sources["direct"])]
            shares_ok([s for s in stats["sources"] if s["scans"]], ref.total)

            filtered = {"link_id": link_id, **params}
            series = await get(client, account, "timeseries", **filtered)
            assert [p["scans"] for p in series] == [n for _, n, _ in ref.daily()]
            check_breakdowns(await get(client, account, "geography", **filtered), ref, "geography")
            check_breakdowns(await get(client, account, "devices", **filtered), ref, "devices")
            if period == "7d":
                hourly = await get(client, account, "timeseries", granularity="hour", **filtered)
                assert [(p["timestamp"], p["scans"]) for p in hourly] == [
                    (iso(at), n) for at, n in ref.hourly()
                ]
