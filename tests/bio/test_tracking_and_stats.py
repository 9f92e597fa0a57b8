"""Views and clicks recorded through the scan buffer, and the stats read back from them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx

from tests.bio.biokit import patch, published_page, stats
from tests.conftest import Account, assert_error
from tests.links.linkkit import CHROME_UA, IPAD_UA, IPHONE_UA, flush, scan_events
from xqr.app import XqrApp
from xqr.core.clock import clock

NOON = datetime(2030, 3, 10, 12, 0, tzinfo=UTC)
LINKS = [
    {"title": "One", "url": "https://one.example"},
    {"title": "Two", "url": "https://two.example"},
    {"title": "Three", "url": "https://three.example"},
]


async def view(client: httpx.AsyncClient, slug: str, ua: str = CHROME_UA, query: str = "") -> None:
    response = await client.get(f"/bio/{slug}{query}", headers={"User-Agent": ua})
    assert response.status_code == 200


async def click(client: httpx.AsyncClient, slug: str, link_id: str, ua: str = CHROME_UA) -> None:
    response = await client.get(f"/bio/{slug}/l/{link_id}", headers={"User-Agent": ua})
    assert response.status_code == 302


async def test_a_view_and_a_click_are_scans_of_the_page_and_of_the_link(
    client: httpx.AsyncClient, account: Account, app: XqrApp
) -> None:
    clock.freeze(NOON)
    page = await published_page(client, account, slug="tracked", links=LINKS)
    link = page["links"][0]
    await view(client, "tracked", IPHONE_UA, "?qr=1")
    await click(client, "tracked", link["id"], IPHONE_UA)
    await flush(app)
    [page_view] = await scan_events(app.ctx, page["id"])
    assert page_view["kind"] == "bio_view"
    assert page_view["parent_id"] is None
    assert page_view["device_type"] == "mobile"
    assert page_view["source"] == "qr"
    assert str(uuid.UUID(str(page_view["workspace_id"]))) == account.workspace_id
    [link_click] = await scan_events(app.ctx, link["id"])
    assert link_click["kind"] == "bio_click"
    assert uuid.UUID(str(link_click["parent_id"])) == uuid.UUID(page["id"])
    assert link_click["source"] == "direct"
    assert page_view["visitor_hash"] == link_click["visitor_hash"]
    assert "127.0.0.1" not in str(page_view.values())


async def test_bots_and_head_requests_are_not_counted(
    client: httpx.AsyncClient, account: Account, app: XqrApp
) -> None:
    clock.freeze(NOON)
    page = await published_page(client, account, slug="bots", links=LINKS)
    link_id = page["links"][0]["id"]
    for ua in (
        "curl/8.5.0",
        "",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/124.0 Safari/537.36",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "python-httpx/0.27.0",
    ):
        await view(client, "bots", ua)
        await click(client, "bots", link_id, ua)
    assert (await client.head("/bio/bots", headers={"User-Agent": CHROME_UA})).status_code == 200
    head = await client.head(f"/bio/bots/l/{link_id}", headers={"User-Agent": CHROME_UA})
    assert head.status_code == 302
    await flush(app)
    found = await stats(client, account, page["id"])
    assert (found["views"], found["unique_visitors"], found["clicks"]) == (0, 0, 0)
    assert all(x["clicks"] == 0 for x in found["links"])


async def test_stats_equal_what_was_driven_through_the_public_page(
    client: httpx.AsyncClient, account: Account, app: XqrApp
) -> None:
    clock.freeze(NOON)
    page = await published_page(client, account, slug="counted", links=LINKS)
    one, two, three = (link["id"] for link in page["links"])
    # three visitors (a visitor is an IP and a user agent, per day)
    for _ in range(3):
        await view(client, "counted", CHROME_UA)
    await click(client, "counted", one, CHROME_UA)
    await click(client, "counted", one, CHROME_UA)
    for _ in range(2):
        await view(client, "counted", IPHONE_UA)
    await click(client, "counted", two, IPHONE_UA)
    await view(client, "counted", IPAD_UA)
    await view(client, "counted", "curl/8.5.0")  # a bot: not counted
    await flush(app)
    found = await stats(client, account, page["id"])
    assert found["page_id"] == page["id"] and found["period"] == "30d"
    assert found["timezone"] == "UTC"
    assert found["start"] == "2030-02-09T00:00:00.000Z"
    assert found["end"] == "2030-03-11T00:00:00.000Z"
    assert found["views"] == 6
    assert found["unique_visitors"] == 3
    assert found["clicks"] == 3
    assert found["ctr"] == 50.0  # percent
    assert found["links"] == [
        {"id": one, "title": "One", "url": "https://one.example", "clicks": 2, "ctr": 33.33},
        {"id": two, "title": "Two", "url": "https://two.example", "clicks": 1, "ctr": 16.67},
        {"id": three, "title": "Three", "url": "https://three.example", "clicks": 0, "ctr": 0.0},
    ]
    series = found["timeseries"]
    assert len(series) == 30
    assert series[-1] == {
        "timestamp": "2030-03-10T00:00:00.000Z",
        "views": 6,
        "unique_visitors": 3,
        "clicks": 3,
    }
    assert series[0]["timestamp"] == "2030-02-09T00:00:00.000Z"
    assert all(point["views"] == 0 and point["clicks"] == 0 for point in series[:-1])


async def test_periods_count_whole_utc_days_back_from_today(
    client: httpx.AsyncClient, account: Account, app: XqrApp
) -> None:
    clock.freeze(NOON - timedelta(days=40))
    page = await published_page(client, account, slug="periods", links=LINKS)
    link_id = page["links"][0]["id"]
    await view(client, "periods")
    clock.freeze(NOON - timedelta(days=10))
    await view(client, "periods")
    await view(client, "periods", IPHONE_UA)
    await click(client, "periods", link_id)
    clock.freeze(NOON - timedelta(days=6, hours=11, minutes=59))  # 00:01 on the 7d period's 1st day
    await view(client, "periods")
    clock.freeze(NOON)
    await view(client, "periods")
    await click(client, "periods", link_id)
    await flush(app)
    expected = {"7d": (2, 1, 7), "30d": (4, 2, 30), "90d": (5, 2, 90), "all": (5, 2, 41)}
    for period, (views, clicks, days) in expected.items():
        found = await stats(client, account, page["id"], period)
        assert (found["views"], found["clicks"], len(found["timeseries"])) == (views, clicks, days)
        assert found["period"] == period
        assert sum(p["views"] for p in found["timeseries"]) == views
        assert sum(p["clicks"] for p in found["timeseries"]) == clicks
    everything = await stats(client, account, page["id"], "all")
    assert everything["timeseries"][0] == {
        "timestamp": "2030-01-29T00:00:00.000Z",
        "views": 1,
        "unique_visitors": 1,
        "clicks": 0,
    }
    # unique visitors are counted per day: the same person on two days counts twice
    assert everything["unique_visitors"] == 5


async def test_link_ids_kept_across_edits_keep_their_clicks(
    client: httpx.AsyncClient, account: Account, app: XqrApp
) -> None:
    clock.freeze(NOON)
    page = await published_page(client, account, slug="edits", links=LINKS)
    one, two, _ = page["links"]
    await view(client, "edits")
    await click(client, "edits", one["id"])
    await click(client, "edits", two["id"])
    await flush(app)
    response = await patch(
        client,
        account,
        page["id"],
        links=[{**one, "title": "One, renamed"}, {"title": "Four", "url": "https://four.example"}],
    )
    assert response.status_code == 200
    found = await stats(client, account, page["id"])
    assert found["clicks"] == 1  # clicks of the page's current links: the removed one is gone
    assert [(x["title"], x["clicks"]) for x in found["links"]] == [
        ("One, renamed", 1),
        ("Four", 0),
    ]


async def test_days_follow_the_requested_time_zone(
    client: httpx.AsyncClient, account: Account, app: XqrApp
) -> None:
    clock.freeze(datetime(2030, 3, 10, 2, 30, tzinfo=UTC))  # 9 March, 18:30 in Los Angeles
    page = await published_page(client, account, slug="zoned", links=LINKS)
    await view(client, "zoned")
    await click(client, "zoned", page["links"][0]["id"])
    await flush(app)
    response = await client.get(
        f"/api/v1/bio/pages/{page['id']}/stats",
        params={"period": "7d", "timezone": "America/Los_Angeles"},
        headers=account.headers,
    )
    assert response.status_code == 200, response.text
    found = response.json()["data"]
    assert found["timezone"] == "America/Los_Angeles"
    assert found["timeseries"][-1]["timestamp"] == "2030-03-09T08:00:00.000Z"
    assert (found["timeseries"][-1]["views"], found["timeseries"][-1]["clicks"]) == (1, 1)


async def test_stats_parameters_and_empty_pages(
    client: httpx.AsyncClient, account: Account
) -> None:
    clock.freeze(NOON)
    page = await published_page(client, account, slug="empty")
    found = await stats(client, account, page["id"], "7d")
    assert found["views"] == 0 and found["ctr"] == 0.0 and found["links"] == []
    assert len(found["timeseries"]) == 7
    for bad in ({"period": "1d"}, {"period": "ALL"}, {"period": ""}, {"timezone": "Mars/Base"}):
        response = await client.get(
            f"/api/v1/bio/pages/{page['id']}/stats", params=bad, headers=account.headers
        )
        assert_error(response, 400, "VALIDATION_ERROR")
    assert_error(
        await client.get("/api/v1/bio/pages/nope/stats", headers=account.headers),
        404,
        "RESOURCE_NOT_FOUND",
    )
