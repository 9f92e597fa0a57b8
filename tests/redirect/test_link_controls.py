"""Link controls through the redirect path: password, expiry fallback, OS and language rules,
UTM parameters and social previews (status, headers, pages and the scans counted)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from tests.conftest import Account
from tests.links.linkkit import (
    BROWSER,
    CHROME_UA,
    IPHONE_UA,
    create_link,
    flush,
    get_link,
    quiet_settings,
    scan_events,
)
from xqr.app import XqrApp
from xqr.config import Settings
from xqr.core.clock import clock

ANDROID_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.6367.82 Mobile Safari/537.36"
)
MACOS_UA = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15"
)
WINDOWS_UA = CHROME_UA
SLACKBOT_UA = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"
TWITTERBOT_UA = "Twitterbot/1.0"
PASSWORD = "open sesame"


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return quiet_settings(db_url, tmp_path / "data", link_password_attempts=3)


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert match, page
    return match[1]


def query_of(location: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(location).query, keep_blank_values=True)


# --- password ------------------------------------------------------------------------------


async def test_a_protected_link_shows_an_accessible_form_and_counts_nothing(
    app: XqrApp, client: httpx.AsyncClient, account: Account
) -> None:
    link = await create_link(
        client, account, url="https://secret.example/s3cr3t", password=PASSWORD
    )
    assert link["has_password"] is True
    assert "password" not in link and "password_hash" not in link
    response = await client.get(f"/{link['short_code']}", headers=BROWSER)
    assert response.status_code == 200
    assert "location" not in response.headers
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "form-action 'self'" in csp
    assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["cache-control"] == "private, no-store"
    page = response.text
    assert "<script" not in page.lower()
    assert "s3cr3t" not in page and "secret.example" not in page
    assert '<label for="password">' in page and 'id="password"' in page
    assert 'type="password"' in page and '<form method="post">' in page
    assert 'lang="en"' in page
    head = await client.head(f"/{link['short_code']}", headers=BROWSER)
    assert head.status_code == 200 and head.content == b""
    await flush(app)
    assert await scan_events(app.ctx, link["id"]) == []


async def test_the_right_password_redirects_sets_a_24_hour_cookie_and_counts_once(
    app: XqrApp, client: httpx.AsyncClient, account: Account
) -> None:
    start = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)
    clock.freeze(start)
    link = await create_link(client, account, url="https://secret.example/in", password=PASSWORD)
    code = link["short_code"]
    form = await client.get(f"/{code}?qr=1", headers=BROWSER)
    response = await client.post(
        f"/{code}?qr=1",
        data={"password": PASSWORD, "csrf": csrf_of(form.text)},
        headers=BROWSER,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "https://secret.example/in"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("xqr_lp_")
    assert f"Path=/{code}" in cookie and "Max-Age=86400" in cookie
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    await flush(app)
    events = await scan_events(app.ctx, link["id"])
    assert len(events) == 1 and events[0]["source"] == "qr"  # counted at the redirect, once

    # the cookie lets the visitor through for 24 hours
    clock.freeze(start + timedelta(hours=23, minutes=59))
    again = await client.get(f"/{code}", headers=BROWSER)
    assert again.status_code == 302 and again.headers["location"] == "https://secret.example/in"
    clock.freeze(start + timedelta(hours=24, seconds=1))
    later = await client.get(f"/{code}", headers=BROWSER)
    assert later.status_code == 200 and "location" not in later.headers
    await flush(app)
    assert len(await scan_events(app.ctx, link["id"])) == 2


async def test_a_changed_password_ends_the_cookies_of_the_old_one(
    client: httpx.AsyncClient, account: Account
) -> None:
    link = await create_link(client, account, password=PASSWORD)
    code = link["short_code"]
    form = await client.get(f"/{code}", headers=BROWSER)
    data = {"password": PASSWORD, "csrf": csrf_of(form.text)}
    assert (await client.post(f"/{code}", data=data, headers=BROWSER)).status_code == 303
    assert (await client.get(f"/{code}", headers=BROWSER)).status_code == 302
    response = await client.patch(
        f"/api/v1/links/{link['id']}", json={"password": "a new one"}, headers=account.headers
    )
    assert response.status_code == 200 and response.json()["data"]["has_password"] is True
    assert (await client.get(f"/{code}", headers=BROWSER)).status_code == 200
    removed = await client.patch(
        f"/api/v1/links/{link['id']}", json={"password": None}, headers=account.headers
    )
    assert removed.json()["data"]["has_password"] is False
    assert (await client.get(f"/{code}", headers=BROWSER)).status_code == 302


async def test_a_wrong_password_shows_the_form_again_with_an_error(
    app: XqrApp, client: httpx.AsyncClient, account: Account
) -> None:
    link = await create_link(
        client, account, url="https://secret.example/s3cr3t", password=PASSWORD
    )
    code = link["short_code"]
    form = await client.get(f"/{code}", headers=BROWSER)
    response = await client.post(
        f"/{code}", data={"password": "nope", "csrf": csrf_of(form.text)}, headers=BROWSER
    )
    assert response.status_code == 401
    assert "location" not in response.headers and "xqr_lp_" not in response.headers.get(
        "set-cookie", ""
    )
    assert 'role="alert"' in response.text and 'aria-invalid="true"' in response.text
    assert "s3cr3t" not in response.text
    await flush(app)
    assert await scan_events(app.ctx, link["id"]) == []


async def test_wrong_passwords_are_limited_per_visitor_address(
    client: httpx.AsyncClient, account: Account
) -> None:
    link = await create_link(client, account, password=PASSWORD)
    code = link["short_code"]
    for _ in range(3):  # XQR_LINK_PASSWORD_ATTEMPTS=3 in these tests
        form = await client.get(f"/{code}", headers=BROWSER)
        data = {"password": "wrong", "csrf": csrf_of(form.text)}
        assert (await client.post(f"/{code}", data=data, headers=BROWSER)).status_code == 401
    form = await client.get(f"/{code}", headers=BROWSER)
    data = {"password": PASSWORD, "csrf": csrf_of(form.text)}
    limited = await client.post(f"/{code}", data=data, headers=BROWSER)
    assert limited.status_code == 429
    assert 0 < int(limited.headers["retry-after"]) <= 900
    header = await client.get(f"/{code}", headers={**BROWSER, "X-Link-Password": PASSWORD})
    assert header.status_code == 429
    # another visitor address is not held back
    other = {**BROWSER, "X-Link-Password": PASSWORD}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=client._transport.app, client=("203.0.113.9", 1)),  # type: ignore[attr-defined]
        base_url="http://testserver",
    ) as elsewhere:
        assert (await elsewhere.get(f"/{code}", headers=other)).status_code == 302


async def test_api_clients_send_the_password_in_a_header(
    app: XqrApp, client: httpx.AsyncClient, account: Account
) -> None:
    link = await create_link(client, account, url="https://secret.example/api", password=PASSWORD)
    code = link["short_code"]
    wrong = await client.get(f"/{code}", headers={**BROWSER, "X-Link-Password": "nope"})
    assert wrong.status_code == 401 and "location" not in wrong.headers
    right = await client.get(f"/{code}", headers={**BROWSER, "X-Link-Password": PASSWORD})
    assert right.status_code == 302
    assert right.headers["location"] == "https://secret.example/api"
    assert "set-cookie" not in right.headers
    await flush(app)
    assert len(await scan_events(app.ctx, link["id"])) == 1


async def test_a_form_post_without_its_token_or_from_another_site_is_refused(
    app: XqrApp, client: httpx.AsyncClient, account: Account
) -> None:
    link = await create_link(client, account, password=PASSWORD)
    code = link["short_code"]
    bare = await client.post(f"/{code}", data={"password": PASSWORD}, headers=BROWSER)
    assert bare.status_code == 403 and "location" not in bare.headers
    form = await client.get(f"/{code}", headers=BROWSER)
    data = {"password": PASSWORD, "csrf": csrf_of(form.text)}
    cross = await client.post(
        f"/{code}", data=data, headers={**BROWSER, "Origin": "https://evil.example"}
    )
    assert cross.status_code == 403 and "location" not in cross.headers
    site = await client.post(
        f"/{code}", data=data, headers={**BROWSER, "Sec-Fetch-Site": "cross-site"}
    )
    assert site.status_code == 403
    await flush(app)
    assert await scan_events(app.ctx, link["id"]) == []


async def test_posting_to_a_link_without_a_password_is_not_a_redirect(
    client: httpx.AsyncClient, account: Account
) -> None:
    link = await create_link(client, account)
    response = await client.post(f"/{link['short_code']}", data={"password": "x"})
    assert response.status_code != 302 and "location" not in response.headers


async def test_password_rules_are_clear_errors(client: httpx.AsyncClient, account: Account) -> None:
    response = await client.post(
        "/api/v1/links",
        json={"url": "https://example.com", "password": "abc"},
        headers=account.headers,
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"][0]["field"] == "password"


# --- expiry fallback -----------------------------------------------------------------------


async def test_an_expired_link_with_a_fallback_redirects_there_counted_as_expired(
    app: XqrApp, client: httpx.AsyncClient, account: Account
) -> None:
    start = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)
    clock.freeze(start)
    link = await create_link(
        client,
        account,
        url="https://example.com/offer",
        expires_at="2030-06-01T13:00:00Z",
        expired_url="https://example.com/offer-ended",
        password=PASSWORD,
    )
    assert link["expired_url"] == "https://example.com/offer-ended"
    code = link["short_code"]
    clock.freeze(start + timedelta(hours=1))
    response = await client.get(f"/{code}?ref=poster", headers=BROWSER)
    assert response.status_code == 302
    assert response.headers["location"] == "https://example.com/offer-ended?ref=poster"
    await flush(app)
    events = await scan_events(app.ctx, link["id"])
    assert len(events) == 1 and bool(events[0]["expired"]) is True


async def test_without_a_fallback_an_expired_link_stays_410(
    app: XqrApp, client: httpx.AsyncClient, account: Account
) -> None:
    start = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)
    clock.freeze(start)
    link = await create_link(client, account, expires_at="2030-06-01T13:00:00Z")
    assert link["expired_url"] is None
    clock.freeze(start + timedelta(minutes=30))
    assert (await client.get(f"/{link['short_code']}", headers=BROWSER)).status_code == 302
    clock.freeze(start + timedelta(hours=2))
    assert (await client.get(f"/{link['short_code']}", headers=BROWSER)).status_code == 410
    await flush(app)
    events = await scan_events(app.ctx, link["id"])
    assert len(events) == 1 and bool(events[0]["expired"]) is False


async def test_an_expired_url_follows_the_destination_rules(
    client: httpx.AsyncClient, account: Account
) -> None:
    response = await client.post(
        "/api/v1/links",
        json={"url": "https://example.com", "expired_url": "javascript:alert(1)"},
        headers=account.headers,
    )
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "expired_url"


# --- routing by OS and language ------------------------------------------------------------

OS_RULES = [
    {"destination": "https://apps.apple.com/app/id1", "conditions": {"os": ["ios"]}},
    {
        "destination": "https://play.google.com/store/apps/details?id=x",
        "conditions": {"os": ["android"]},
    },
    {"destination": "https://example.com/windows", "conditions": {"os": ["windows"]}},
    {"destination": "https://example.com/mac", "conditions": {"os": ["macos"]}},
]


@pytest.mark.parametrize(
    ("user_agent", "expected"),
    [
        (IPHONE_UA, "https://apps.apple.com/app/id1"),
        (ANDROID_UA, "https://play.google.com/store/apps/details?id=x"),
        (WINDOWS_UA, "https://example.com/windows"),
        (MACOS_UA, "https://example.com/mac"),
        ("curl/8.5.0", "https://example.com/other"),
    ],
)
async def test_os_rules_route_real_user_agents(
    client: httpx.AsyncClient, account: Account, user_agent: str, expected: str
) -> None:
    link = await create_link(
        client, account, url="https://example.com/other", routing_rules=OS_RULES
    )
    assert link["routing_rules"][1]["conditions"] == {"os": ["android"]}
    response = await client.get(f"/{link['short_code']}", headers={"User-Agent": user_agent})
    assert response.status_code == 302
    assert response.headers["location"] == expected


LANGUAGE_RULES = [
    {"destination": "https://example.de/", "conditions": {"languages": ["de"]}},
    {"destination": "https://example.com.br/", "conditions": {"languages": ["pt-BR"]}},
    {
        "destination": "https://example.fr/ios",
        "conditions": {"languages": ["fr"], "os": ["ios"]},
    },
]


@pytest.mark.parametrize(
    ("accept_language", "user_agent", "expected"),
    [
        ("de-AT,de;q=0.9,en;q=0.8", CHROME_UA, "https://example.de/"),
        ("de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7", CHROME_UA, "https://example.de/"),
        ("en-US,en;q=0.9,de;q=0.8", CHROME_UA, "https://example.com/"),
        ("en;q=0.4, de;q=0.6", CHROME_UA, "https://example.de/"),
        ("pt-BR,pt;q=0.9,en-US;q=0.8,en;q=0.7", CHROME_UA, "https://example.com.br/"),
        ("pt-PT,pt;q=0.9", CHROME_UA, "https://example.com/"),
        ("fr-FR,fr;q=0.9", IPHONE_UA, "https://example.fr/ios"),
        ("fr-FR,fr;q=0.9", CHROME_UA, "https://example.com/"),  # every condition must hold
        ("*", CHROME_UA, "https://example.com/"),
        (None, CHROME_UA, "https://example.com/"),
    ],
)
async def test_language_rules_read_real_accept_language_headers(
    client: httpx.AsyncClient,
    account: Account,
    accept_language: str | None,
    user_agent: str,
    expected: str,
) -> None:
    link = await create_link(
        client, account, url="https://example.com/", routing_rules=LANGUAGE_RULES
    )
    headers = {"User-Agent": user_agent}
    if accept_language is not None:
        headers["Accept-Language"] = accept_language
    response = await client.get(f"/{link['short_code']}", headers=headers)
    assert response.headers["location"] == expected


# --- UTM -----------------------------------------------------------------------------------

UTM = {"source": "qr", "medium": "poster", "campaign": "spring"}


async def test_utm_parameters_are_added_to_the_destination(
    client: httpx.AsyncClient, account: Account
) -> None:
    link = await create_link(client, account, url="https://shop.example/p", utm=UTM)
    assert link["utm"] == UTM
    assert link["destination"] == "https://shop.example/p"  # stored as given
    response = await client.get(f"/{link['short_code']}", headers=BROWSER)
    assert query_of(response.headers["location"]) == [
        ("utm_source", "qr"),
        ("utm_medium", "poster"),
        ("utm_campaign", "spring"),
    ]


async def test_utm_parameters_in_the_url_win_and_the_visitors_come_last(
    client: httpx.AsyncClient, account: Account
) -> None:
    link = await create_link(
        client, account, url="https://shop.example/p?x=1&utm_source=print", utm=UTM
    )
    response = await client.get(
        f"/{link['short_code']}?utm_campaign=hijack&ref=abc&utm_term=shoes", headers=BROWSER
    )
    assert query_of(response.headers["location"]) == [
        ("x", "1"),
        ("utm_source", "print"),
        ("utm_medium", "poster"),
        ("utm_campaign", "spring"),
        ("ref", "abc"),
        ("utm_term", "shoes"),
    ]


async def test_utm_parameters_are_added_to_every_rule_destination(
    client: httpx.AsyncClient, account: Account
) -> None:
    link = await create_link(
        client,
        account,
        url="https://shop.example/",
        utm={"campaign": "launch"},
        routing_rules=[
            {
                "destination": "https://shop.example/ios?utm_campaign=app",
                "conditions": {"os": ["ios"]},
            },
            {"destination": "https://shop.example/android", "conditions": {"os": ["android"]}},
        ],
    )
    code = link["short_code"]
    ios = await client.get(f"/{code}", headers={"User-Agent": IPHONE_UA})
    assert ios.headers["location"] == "https://shop.example/ios?utm_campaign=app"
    android = await client.get(f"/{code}", headers={"User-Agent": ANDROID_UA})
    assert android.headers["location"] == "https://shop.example/android?utm_campaign=launch"
    desktop = await client.get(f"/{code}", headers=BROWSER)
    assert desktop.headers["location"] == "https://shop.example/?utm_campaign=launch"


async def test_utm_changes_apply_at_once_and_null_removes_them(
    client: httpx.AsyncClient, account: Account
) -> None:
    link = await create_link(client, account, url="https://shop.example/p", utm=UTM)
    code = link["short_code"]
    await client.get(f"/{code}", headers=BROWSER)
    response = await client.patch(
        f"/api/v1/links/{link['id']}", json={"utm": None}, headers=account.headers
    )
    assert response.json()["data"]["utm"] is None
    after = await client.get(f"/{code}", headers=BROWSER)
    assert after.headers["location"] == "https://shop.example/p"
    bad = await client.patch(
        f"/api/v1/links/{link['id']}", json={"utm": {"source": ""}}, headers=account.headers
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["details"][0]["field"] == "utm.source"


# --- social previews -----------------------------------------------------------------------

PREVIEW = {
    "title": "Spring sale <now>",
    "description": "Everything half price & more",
    "image_url": "https://cdn.example/spring.png",
}


async def test_slackbot_gets_the_preview_page_and_a_browser_the_redirect(
    app: XqrApp, client: httpx.AsyncClient, account: Account
) -> None:
    link = await create_link(client, account, url="https://shop.example/sale", preview=PREVIEW)
    assert link["preview"] == PREVIEW
    code = link["short_code"]
    for agent in (SLACKBOT_UA, TWITTERBOT_UA):
        crawler = await client.get(f"/{code}", headers={"User-Agent": agent})
        assert crawler.status_code == 200
        assert "location" not in crawler.headers
        page = crawler.text
        assert '<meta property="og:title" content="Spring sale &lt;now&gt;">' in page
        assert '<meta property="og:description" content="Everything half price &amp; more">' in page
        assert '<meta property="og:image" content="https://cdn.example/spring.png">' in page
        assert '<meta name="twitter:card" content="summary_large_image">' in page
        assert f'<meta property="og:url" content="http://testserver/{code}">' in page
        assert '<meta http-equiv="refresh" content="0;url=https://shop.example/sale">' in page
        assert "<script" not in page.lower()
    browser = await client.get(f"/{code}", headers=BROWSER)
    assert browser.status_code == 302
    assert browser.headers["location"] == "https://shop.example/sale"
    await flush(app)
    assert len(await scan_events(app.ctx, link["id"])) == 1  # the crawlers were not counted


async def test_a_protected_links_preview_does_not_reveal_the_destination(
    client: httpx.AsyncClient, account: Account
) -> None:
    link = await create_link(
        client, account, url="https://secret.example/s3cr3t", preview=PREVIEW, password=PASSWORD
    )
    crawler = await client.get(f"/{link['short_code']}", headers={"User-Agent": SLACKBOT_UA})
    assert crawler.status_code == 200 and "og:title" in crawler.text
    assert "s3cr3t" not in crawler.text and "refresh" not in crawler.text


async def test_a_preview_image_must_be_https(client: httpx.AsyncClient, account: Account) -> None:
    response = await client.post(
        "/api/v1/links",
        json={"url": "https://example.com", "preview": {"image_url": "http://cdn.example/a.png"}},
        headers=account.headers,
    )
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "preview.image_url"


async def test_controls_read_back_from_the_api(client: httpx.AsyncClient, account: Account) -> None:
    link = await create_link(
        client,
        account,
        password=PASSWORD,
        utm=UTM,
        preview=PREVIEW,
        expires_at="2099-01-01T00:00:00Z",
        expired_url="https://example.com/over",
    )
    read: dict[str, Any] = await get_link(client, account, link["id"])
    assert read["has_password"] is True
    assert read["utm"] == UTM and read["preview"] == PREVIEW
    assert read["expired_url"] == "https://example.com/over"
    assert read["health"] == {
        "status": "unknown",
        "status_code": None,
        "reason": None,
        "checked_at": None,
    }
