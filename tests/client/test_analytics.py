"""`client.analytics`: scan statistics from a real server, after real scans."""

from __future__ import annotations

import time

import httpx
import pytest

from xqr.client import (
    XQR,
    AnalyticsSummary,
    AsyncXQR,
    CountryShare,
    DeviceBreakdown,
    Link,
    LinkStats,
    NotFoundError,
    TimeseriesPoint,
    TopLink,
)

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)


def _scanned(xqr: XQR, scans: int) -> Link:
    link = xqr.links.create("https://example.com/analytics")
    for _ in range(scans):
        response = httpx.get(f"{link.short_url}?qr=1", headers={"User-Agent": IPHONE})
        assert response.status_code == 302
    deadline = time.monotonic() + 10
    while xqr.links.get(link.id).scan_count < scans and time.monotonic() < deadline:
        time.sleep(0.1)
    return link


def test_every_report_counts_real_scans(xqr: XQR) -> None:
    link = _scanned(xqr, 3)

    summary = xqr.analytics.summary(period="7d")
    assert isinstance(summary, AnalyticsSummary) and summary.period == "7d"
    assert summary.total_scans >= 3 and summary.unique_visitors >= 1
    assert summary.trend and summary.top_devices

    series = xqr.analytics.timeseries(period="7d", granularity="hour", link_id=link.id)
    assert all(isinstance(point, TimeseriesPoint) for point in series)
    assert sum(point.scans for point in series) == 3

    [country] = xqr.analytics.geography(period="30d", link_id=link.id)
    assert isinstance(country, CountryShare) and country.scans == 3
    assert country.percentage == 100

    devices = xqr.analytics.devices(period="90d", link_id=link.id)
    assert isinstance(devices, DeviceBreakdown)
    assert [(d.name, d.scans) for d in devices.device_types] == [("mobile", 3)]

    top = xqr.analytics.top_links(period="all", limit=100)
    assert all(isinstance(item, TopLink) for item in top)
    assert {item.id: item.scans for item in top}[link.id] == 3

    stats = xqr.analytics.link_stats(link.id, period="30d", timezone="Europe/Berlin")
    assert isinstance(stats, LinkStats)
    assert (stats.link.id, stats.total_scans, stats.timezone) == (link.id, 3, "Europe/Berlin")
    assert {s.name: s.scans for s in stats.sources}.get("qr") == 3

    with pytest.raises(NotFoundError):
        xqr.analytics.link_stats("00000000-0000-0000-0000-000000000000")


async def test_async_analytics(axqr: AsyncXQR) -> None:
    summary = await axqr.analytics.summary()
    assert summary.period == "30d"
    assert isinstance(await axqr.analytics.devices(), DeviceBreakdown)
    assert isinstance(await axqr.analytics.timeseries(period="7d"), list)
