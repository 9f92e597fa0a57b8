"""`GET|HEAD /{code}`: status, headers, pages, query passthrough and routing, over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Account
from tests.links.linkkit import (
    BROWSER,
    CHROME_UA,
    IPAD_UA,
    IPHONE_UA,
    create_link,
    flush,
    new_account,
    quiet_settings,
    running,
    scan_events,
)
from xqr.app import XqrApp
from xqr.core.clock import clock
from xqr.links.routing import percentage_bucket
from xqr.scans.enrichment import daily_salt, visitor_hash

LINKS = "/api/v1/links"


async def patch(client: httpx.AsyncClient, account: Account, link_id: str, **body: Any) -> None:
    response = await client.patch(f"{LINKS}/{link_id}", json=body, headers=account.headers)
    assert response.status_code == 200, response.text


def assert_page(response: httpx.Response, status: int, secret: str) -> None:
    assert response.status_code == status
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["cache-control"] == "private, max-age=0"
    assert "location" not in response.headers
    text = response.text
    assert text.lstrip().lower().startswith("<!doctype html>")
    assert secret not in text
    assert "example" not in text


# --- the redirect itself -------------------------------------------------------------------


async def test_a_code_redirects_with_302_location_and_no_caching(
    client: httpx.AsyncClient, account: Account
) -> None:
    link = await create_link(client, account, url="https://example.com/landing?x=1")
    response = await client.get(f"/{link['short_code']}", headers=BROWSER)
    assert response.status_code == 302
    assert response.headers["location"] == "https://example.com/landing?x=1"
    assert response.headers["cache-control"] == "private, max-age=0"
    assert response.content == b""


async def test_head_redirects_too(client: httpx.AsyncClient, account: Account) -> None:
    link = await create_link(client, account, url="https://example.com/head")
    response = await client.head(f"/{link['short_code']}", headers=BROWSER)
    assert response.status_code == 302
    assert response.headers["location"] == "https://example.com/head"
    assert response.headers["cache-control"] == "private, max-age=0"


async def test_codes_are_case_sensitive(client: httpx.AsyncClient, account: Account) -> None:
    await create_link(client, account, url="https://example.com/c", custom_slug="CaseCode")
    assert (await client.get("/CaseCode", headers=BROWSER)).status_code == 302
    assert (await client.get("/casecode", headers=BROWSER)).status_code == 404
    assert (await client.get("/CASECODE", headers=BROWSER)).status_code == 404


async def test_other_methods_are_not_redirects(client: httpx.AsyncClient, account: Account) -> None:
    link = await create_link(client, account, url="https://example.com/p")
    response = await client.post(f"/{link['short_code']}", headers=BROWSER)
    assert response.status_code != 302
    assert "location" not in response.headers


# --- not found, disabled, expired ----------------------------------------------------------


async def test_an_unknown_code_is_a_small_404_page(client: httpx.AsyncClient) -> None:
    assert_page(await client.get("/nosuchcode", headers=BROWSER), 404, "nosuchcode")
    head = await client.head("/nosuchcode", headers=BROWSER)
    assert head.status_code == 404 and head.content == b""


async def test_a_disabled_link_is_404_without_its_destination(
    client: httpx.AsyncClient, account: Account
) -> None:
    link = await create_link(client, account, url="https://secret-dest.test/s3cr3t")
    await patch(client, account, link["id"], enabled=False)
    response = await client.get(f"/{link['short_code']}", headers=BROWSER)
    assert_page(response, 404, "s3cr3t")
    assert "secret-dest" not in response.text
    await patch(client, account, link["id"], enabled=True)
    assert (await client.get(f"/{link['short_code']}", headers=BROWSER)).status_code == 302


async def test_an_expired_link_is_a_410_page_from_its_expiry_instant(
    app: XqrApp, client: httpx.AsyncClient, account: Account
) -> None:
    start = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)
    clock.freeze(start)
    link = await create_link(
        client, account, url="https://secret-dest.test/s3cr3t", expires_at="2030-06-01T13:00:00Z"
    )
    code = link["short_code"]
    clock.freeze(start + timedelta(minutes=59, seconds=59))
    assert (await client.get(f"/{code}", headers=BROWSER)).status_code == 302
    clock.freeze(start + timedelta(hours=1))
    response = await client.get(f"/{code}", headers=BROWSER)
    assert_page(response, 410, "s3cr3t")
    assert "secret-dest" not in response.text
    head = await client.head(f"/{code}", headers=BROWSER)
    assert head.status_code == 410 and head.content == b""
    # only the redirect was counted, not the 410s
    await flush(app)
    assert len(await scan_events(app.ctx, link["id"])) == 1
    # extending the expiry brings it back at once
    await patch(client, account, link["id"], expires_at="2030-07-01T00:00:00Z")
    assert (await client.get(f"/{code}", headers=BROWSER)).status_code == 302


async def test_disabled_wins_over_expired(client: httpx.AsyncClient, account: Account) -> None:
    clock.freeze(datetime(2030, 6, 1, tzinfo=UTC))
    link = await create_link(client, account, expires_at="2030-06-02T00:00:00Z")
    await patch(client, account, link["id"], enabled=False)
    clock.freeze(datetime(2030, 6, 3, tzinfo=UTC))
    assert (await client.get(f"/{link['short_code']}", headers=BROWSER)).status_code == 404


# --- paths that are not codes --------------------------------------------------------------


async def test_reserved_and_api_paths_are_not_treated_as_codes(client: httpx.AsyncClient) -> None:
    health = await client.get("/healthz", headers=BROWSER)
    assert health.status_code == 200 and health.json()["status"] == "ok"
    for path in ("/api", "/docs", "/api/v1/nothing-here", "/favicon.ico", "/a_b", "/x/y"):
        response = await client.get(path, headers=BROWSER)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("application/json"), path
        assert response.json()["error"]["code"] == "RESOURCE_NOT_FOUND"
    docs = await client.get("/api/v1/openapi.json")
    assert docs.status_code == 200 and "paths" in docs.json()


# --- query passthrough ---------------------------------------------------------------------


PASSTHROUGH: list[tuple[str, str, str]] = [
    ("https://example.com/p", "utm_source=x", "https://example.com/p?utm_source=x"),
    (
        "https://example.com/p?utm_source=orig",
        "utm_source=x&b=2",
        "https://example.com/p?utm_source=orig&b=2",
    ),
    ("https://example.com/p?a=1", "a=2", "https://example.com/p?a=1"),
    ("https://example.com/p#top", "a=1", "https://example.com/p?a=1#top"),
    ("https://example.com/p?k=v#top", "z=9", "https://example.com/p?k=v&z=9#top"),
    ("https://example.com/p", "a=1&a=2", "https://example.com/p?a=1&a=2"),
    ("https://example.com/p", "q=caf%C3%A9", "https://example.com/p?q=caf%C3%A9"),
    ("https://example.com/p", "qr=1", "https://example.com/p"),
    ("https://example.com/p", "qr=1&a=1", "https://example.com/p?a=1"),
    ("https://example.com/p", "a=1&qr=1", "https://example.com/p?a=1"),
    ("https://example.com/p", "", "https://example.com/p"),
]


async def test_incoming_query_parameters_are_appended_unless_present(
    client: httpx.AsyncClient, account: Account
) -> None:
    problems = []
    for destination, query, expected in PASSTHROUGH:
        link = await create_link(client, account, url=destination)
        url = f"/{link['short_code']}" + (f"?{query}" if query else "")
        response = await client.get(url, headers=BROWSER)
        assert response.status_code == 302
        if response.headers["location"] != expected:
            problems.append(f"{destination} + ?{query}: {response.headers['location']}")
    assert not problems, "\n".join(problems)


async def test_a_space_in_an_incoming_parameter_stays_a_valid_location(
    client: httpx.AsyncClient, account: Account
) -> None:
    link = await create_link(client, account, url="https://example.com/p")
    response = await client.get(f"/{link['short_code']}?q=a%20b", headers=BROWSER)
    location = response.headers["location"]
    assert location in ("https://example.com/p?q=a+b", "https://example.com/p?q=a%20b")


async def test_encoded_line_breaks_in_parameters_cannot_add_headers(
    client: httpx.AsyncClient, account: Account
) -> None:
    link = await create_link(client, account, url="https://example.com/p")
    response = await client.get(f"/{link['short_code']}?x=%0D%0ASet-Cookie:%20a=b", headers=BROWSER)
    assert response.status_code == 302
    assert "set-cookie" not in response.headers
    assert response.headers["location"] == "https://example.com/p?x=%0D%0ASet-Cookie%3A+a%3Db"


async def test_qr_1_is_stripped_and_counted_as_source_qr(
    app: XqrApp, client: httpx.AsyncClient, account: Account
) -> None:
    link = await create_link(client, account, url="https://example.com/p")
    code = link["short_code"]
    await client.get(f"/{code}?qr=1", headers=BROWSER)
    await client.get(f"/{code}", headers=BROWSER)
    await client.get(f"/{code}?utm=1", headers=BROWSER)
    await flush(app)
    assert [e["source"] for e in await scan_events(app.ctx, link["id"])] == [
        "qr",
        "direct",
        "direct",
    ]


async def test_a_non_ascii_destination_is_percent_encoded_in_location(
    client: httpx.AsyncClient, account: Account
) -> None:
    link = await create_link(client, account, url="https://example.com/straße/ü?q=ä")
    assert link["destination"] == "https://example.com/straße/ü?q=ä"
    response = await client.get(f"/{link['short_code']}?x=é", headers=BROWSER)
    location = response.headers["location"]
    assert location.isascii()
    assert location == "https://example.com/stra%C3%9Fe/%C3%BC?q=%C3%A4&x=%C3%A9"


async def test_percent_escapes_in_the_destination_are_sent_unchanged(
    client: httpx.AsyncClient, account: Account
) -> None:
    link = await create_link(client, account, url="https://example.com/a%20b/%E2%82%AC?x=%2F")
    response = await client.get(f"/{link['short_code']}", headers=BROWSER)
    assert response.headers["location"] == "https://example.com/a%20b/%E2%82%AC?x=%2F"


# --- routing rules over HTTP ---------------------------------------------------------------


@pytest.fixture
async def geo(db_url: str, tmp_path: Path) -> Any:
    """An app that reads the visitor's country from CF-IPCountry."""
    settings = quiet_settings(db_url, tmp_path / "geo", country_header="CF-IPCountry")
    async with running(settings) as (application, http):
        yield application, http, await new_account(application)


async def test_country_rules_follow_the_country_header(geo: Any) -> None:
    app, client, account = geo
    link = await create_link(
        client,
        account,
        url="https://example.com/default",
        routing_rules=[
            {
                "destination": "https://example.de/dach",
                "conditions": {"countries": ["de", "AT", "CH"]},
            },
            {
                "destination": "https://example.com/not-us",
                "conditions": {"countries": ["US"], "country_mode": "exclude"},
            },
        ],
    )
    code = link["short_code"]

    async def where(country: str | None) -> str:
        headers = dict(BROWSER)
        if country is not None:
            headers["CF-IPCountry"] = country
        response = await client.get(f"/{code}", headers=headers)
        assert response.status_code == 302
        return str(response.headers["location"])

    assert await where("DE") == "https://example.de/dach"
    assert await where("ch") == "https://example.de/dach"
    assert await where("FR") == "https://example.com/not-us"
    assert await where("US") == "https://example.com/default"
    # no header, unknown, Tor: country XX, which is "not US"
    assert await where(None) == "https://example.com/not-us"
    assert await where("T1") == "https://example.com/not-us"
    await flush(app)
    countries = [e["country"] for e in await scan_events(app.ctx, link["id"])]
    assert countries == ["DE", "CH", "FR", "US", "XX", "XX"]


async def test_the_country_header_is_ignored_unless_configured(
    client: httpx.AsyncClient, account: Account
) -> None:
    link = await create_link(
        client,
        account,
        url="https://example.com/default",
        routing_rules=[{"destination": "https://example.de/", "conditions": {"countries": ["DE"]}}],
    )
    response = await client.get(f"/{link['short_code']}", headers={**BROWSER, "CF-IPCountry": "DE"})
    assert response.headers["location"] == "https://example.com/default"


async def test_device_rules_follow_the_user_agent(
    client: httpx.AsyncClient, account: Account
) -> None:
    link = await create_link(
        client,
        account,
        url="https://example.com/desktop",
        routing_rules=[
            {
                "destination": "https://example.com/phone",
                "conditions": {"device_types": ["mobile"]},
            },
            {"destination": "https://example.com/tab", "conditions": {"device_types": ["TABLET"]}},
        ],
    )
    code = link["short_code"]
    for ua, expected in (
        (IPHONE_UA, "https://example.com/phone"),
        (IPAD_UA, "https://example.com/tab"),
        (CHROME_UA, "https://example.com/desktop"),
    ):
        response = await client.get(f"/{code}", headers={"User-Agent": ua})
        assert response.headers["location"] == expected, ua


async def test_hour_rules_follow_the_clock_in_utc_or_their_time_zone(
    client: httpx.AsyncClient, account: Account
) -> None:
    clock.freeze(datetime(2030, 1, 15, 8, 0, tzinfo=UTC))
    link = await create_link(
        client,
        account,
        url="https://example.com/closed",
        routing_rules=[
            {
                "destination": "https://example.com/berlin-office",
                "priority": 1,
                "conditions": {
                    "hours": {"start": "09:00", "end": "17:00"},
                    "timezone": "Europe/Berlin",
                },
            },
            {
                "destination": "https://example.com/night",
                "priority": 2,
                "conditions": {"hours": {"start": 22, "end": 6}},
            },
        ],
    )
    code = link["short_code"]
    expectations = [
        ((7, 59), "https://example.com/closed"),  # 08:59 Berlin
        ((8, 0), "https://example.com/berlin-office"),  # 09:00 Berlin
        ((15, 59), "https://example.com/berlin-office"),  # 16:59 Berlin
        ((16, 0), "https://example.com/closed"),  # end is exclusive
        ((22, 0), "https://example.com/night"),
        ((3, 30), "https://example.com/night"),  # wraps past midnight
        ((6, 0), "https://example.com/closed"),
    ]
    for (hour, minute), expected in expectations:
        clock.freeze(datetime(2030, 1, 16, hour, minute, tzinfo=UTC))
        response = await client.get(f"/{code}", headers=BROWSER)
        assert response.headers["location"] == expected, (hour, minute)


async def test_percentage_split_is_sticky_per_visitor_and_matches_the_bucket(
    app: XqrApp, client: httpx.AsyncClient, account: Account
) -> None:
    clock.freeze(datetime(2030, 3, 3, 10, tzinfo=UTC))
    link = await create_link(
        client,
        account,
        url="https://example.com/b",
        routing_rules=[{"destination": "https://example.com/a", "conditions": {"percentage": 50}}],
    )
    code = link["short_code"]
    salt = daily_salt(app.ctx.settings.secret, clock.now().date())
    seen = set()
    for version in range(60):
        ua = CHROME_UA.replace("124.0.0.0", f"124.0.{version}.0")
        bucket = percentage_bucket(link["id"], visitor_hash("127.0.0.1", ua, salt))
        expected = "https://example.com/a" if bucket < 50 else "https://example.com/b"
        answers = {
            (await client.get(f"/{code}", headers={"User-Agent": ua})).headers["location"]
            for _ in range(3)
        }
        assert answers == {expected}, version  # the same visitor always lands on the same side
        seen |= answers
    assert seen == {"https://example.com/a", "https://example.com/b"}


async def test_percentage_split_follows_the_visitor_hash_of_each_day(
    app: XqrApp, client: httpx.AsyncClient, account: Account
) -> None:
    """Visitors' facts are remembered for routing, but only for the day: the next day's
    answers follow the next day's hash."""
    clock.freeze(datetime(2030, 3, 3, 23, 30, tzinfo=UTC))
    link = await create_link(
        client,
        account,
        url="https://example.com/b",
        routing_rules=[{"destination": "https://example.com/a", "conditions": {"percentage": 50}}],
    )
    agents = [CHROME_UA.replace("124.0.0.0", f"124.0.{version}.0") for version in range(40)]

    async def answers() -> list[str]:
        return [
            (await client.get(f"/{link['short_code']}", headers={"User-Agent": ua})).headers[
                "location"
            ]
            for ua in agents
        ]

    def expected() -> list[str]:
        salt = daily_salt(app.ctx.settings.secret, clock.now().date())
        return [
            "https://example.com/a"
            if percentage_bucket(link["id"], visitor_hash("127.0.0.1", ua, salt)) < 50
            else "https://example.com/b"
            for ua in agents
        ]

    first_day = await answers()
    assert first_day == expected()
    clock.advance(timedelta(hours=1))  # past midnight UTC
    next_day = await answers()
    assert next_day == expected()
    assert next_day != first_day  # some visitors changed sides with the new hash


@pytest.mark.parametrize(("percentage", "expected"), [(0, "default"), (100, "rule")])
async def test_percentage_0_and_100_are_never_and_always(
    client: httpx.AsyncClient, account: Account, percentage: int, expected: str
) -> None:
    link = await create_link(
        client,
        account,
        url="https://example.com/default",
        routing_rules=[
            {"destination": "https://example.com/rule", "conditions": {"percentage": percentage}}
        ],
    )
    for version in range(20):
        ua = CHROME_UA.replace("124.0.0.0", f"124.1.{version}.0")
        response = await client.get(f"/{link['short_code']}", headers={"User-Agent": ua})
        assert response.headers["location"] == f"https://example.com/{expected}"


async def test_an_expired_rule_is_skipped(client: httpx.AsyncClient, account: Account) -> None:
    clock.freeze(datetime(2030, 1, 1, 12, tzinfo=UTC))
    link = await create_link(
        client,
        account,
        url="https://example.com/default",
        routing_rules=[
            {
                "destination": "https://example.com/launch-week",
                "conditions": {"expires_at": "2030-01-08T00:00:00Z"},
            }
        ],
    )
    code = link["short_code"]
    clock.freeze(datetime(2030, 1, 7, 23, 59, 59, tzinfo=UTC))
    assert (await client.get(f"/{code}", headers=BROWSER)).headers["location"] == (
        "https://example.com/launch-week"
    )
    clock.freeze(datetime(2030, 1, 8, tzinfo=UTC))
    assert (await client.get(f"/{code}", headers=BROWSER)).headers["location"] == (
        "https://example.com/default"
    )


async def test_lowest_priority_wins_and_ties_keep_list_order(
    client: httpx.AsyncClient, account: Account
) -> None:
    link = await create_link(
        client,
        account,
        url="https://example.com/default",
        routing_rules=[
            {"destination": "https://example.com/p5", "priority": 5},
            {"destination": "https://example.com/p2-first", "priority": 2},
            {"destination": "https://example.com/p2-second", "priority": 2},
            {
                "destination": "https://example.com/mobile-p1",
                "priority": 1,
                "conditions": {"device_types": ["mobile"]},
            },
        ],
    )
    code = link["short_code"]
    desktop = await client.get(f"/{code}", headers=BROWSER)
    assert desktop.headers["location"] == "https://example.com/p2-first"
    phone = await client.get(f"/{code}", headers={"User-Agent": IPHONE_UA})
    assert phone.headers["location"] == "https://example.com/mobile-p1"
    # the API echoes the rules in the order they were given
    assert [r["priority"] for r in link["routing_rules"]] == [5, 2, 2, 1]


async def test_rules_combine_their_conditions(geo: Any) -> None:
    _, client, account = geo
    link = await create_link(
        client,
        account,
        url="https://example.com/default",
        routing_rules=[
            {
                "destination": "https://example.de/mobile",
                "conditions": {"countries": ["DE"], "device_types": ["mobile"]},
            }
        ],
    )
    code = link["short_code"]

    async def where(country: str, ua: str) -> str:
        response = await client.get(f"/{code}", headers={"User-Agent": ua, "CF-IPCountry": country})
        return str(response.headers["location"])

    assert await where("DE", IPHONE_UA) == "https://example.de/mobile"
    assert await where("DE", CHROME_UA) == "https://example.com/default"
    assert await where("FR", IPHONE_UA) == "https://example.com/default"


async def test_query_passthrough_applies_to_a_rule_destination_too(geo: Any) -> None:
    _, client, account = geo
    link = await create_link(
        client,
        account,
        url="https://example.com/default",
        routing_rules=[
            {"destination": "https://example.de/?lang=de", "conditions": {"countries": ["DE"]}}
        ],
    )
    response = await client.get(
        f"/{link['short_code']}?lang=en&utm=a&qr=1", headers={**BROWSER, "CF-IPCountry": "DE"}
    )
    assert response.headers["location"] == "https://example.de/?lang=de&utm=a"


# --- a host of their own for short links ---------------------------------------------------


@pytest.fixture
async def short_host(db_url: str, tmp_path: Path) -> Any:
    """Short links on http://go.example, the API on http://testserver."""
    settings = quiet_settings(db_url, tmp_path / "short", short_url_base="http://go.example")
    async with running(settings) as (application, http):
        yield application, http, await new_account(application)


async def test_short_links_on_their_own_host(short_host: Any) -> None:
    _, client, account = short_host
    link = await create_link(client, account, url="https://example.com/p")
    assert link["short_url"] == f"http://go.example/{link['short_code']}"
    response = await client.get(link["short_url"], headers=BROWSER)
    assert response.status_code == 302
    assert response.headers["location"] == "https://example.com/p"
    for url in ("http://go.example/x", "https://GO.EXAMPLE:8443/x", "http://testserver/x"):
        refused = await client.post(LINKS, json={"url": url}, headers=account.headers)
        assert refused.status_code == 400, url
        assert refused.json()["error"]["details"][0]["field"] == "url"


async def test_the_short_host_answers_nothing_but_codes_and_healthz(short_host: Any) -> None:
    _, client, account = short_host
    api = await client.get("http://go.example/api/v1/links", headers=account.headers)
    assert_page(api, 404, "api")
    assert (await client.get("http://go.example/healthz")).status_code == 200
    # the API stays on the public host
    assert (await client.get(LINKS, headers=account.headers)).status_code == 200


async def test_the_short_host_is_recognised_whatever_its_case(short_host: Any) -> None:
    _, client, account = short_host
    response = await client.get(LINKS, headers={**account.headers, "Host": "GO.Example"})
    assert_page(response, 404, "api")


async def test_the_short_host_is_recognised_with_its_default_port(short_host: Any) -> None:
    _, client, account = short_host
    response = await client.get(LINKS, headers={**account.headers, "Host": "go.example:80"})
    assert response.status_code == 404
    assert response.headers["content-type"] == "text/html; charset=utf-8"
