from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xqr.scans.buffer import RawScan
from xqr.scans.enricher import Enricher
from xqr.scans.enrichment import (
    UserAgentInfo,
    client_ip,
    country_for,
    daily_salt,
    parse_trusted_proxies,
    parse_user_agent,
    referrer_host,
    visitor_hash,
    warm_up,
)

IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
ANDROID_CHROME_PHONE = (
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.6367.82 Mobile Safari/537.36"
)
ANDROID_TABLET = (
    "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.6367.82 Safari/537.36"
)
FIREFOX_ANDROID_TABLET = "Mozilla/5.0 (Android 13; Tablet; rv:125.0) Gecko/125.0 Firefox/125.0"
KINDLE = (
    "Mozilla/5.0 (Linux; Android 9; KFTRWI) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Silk/124.2.5 like Chrome/124.0.6367.179 Safari/537.36"
)
IPAD = (
    "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Mobile/15E148 Safari/604.1"
)
WINDOWS_CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
MACOS_SAFARI = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15"
)
INSTAGRAM_IN_APP = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 Instagram 330.0.0.0.0 (iPhone15,2; iOS 17_4; en_US)"
)
CUBOT_PHONE = (
    "Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
GOOGLEBOT_SMARTPHONE = (
    "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36 "
    "(compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
)
FACEBOOK = "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"
HEADLESS = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/124.0.0.0 Safari/537.36"
)


@pytest.fixture(scope="module", autouse=True)
def _rules_loaded():
    warm_up()


@pytest.mark.parametrize(
    ("ua", "expected"),
    [
        (IPHONE_SAFARI, UserAgentInfo("mobile", "Mobile Safari", "iOS", False)),
        (ANDROID_CHROME_PHONE, UserAgentInfo("mobile", "Chrome Mobile", "Android", False)),
        (ANDROID_TABLET, UserAgentInfo("tablet", "Chrome", "Android", False)),
        (FIREFOX_ANDROID_TABLET, UserAgentInfo("tablet", "Firefox Mobile", "Android", False)),
        (KINDLE, UserAgentInfo("tablet", "Amazon Silk", "Android", False)),
        (IPAD, UserAgentInfo("tablet", "Mobile Safari", "iOS", False)),
        (WINDOWS_CHROME, UserAgentInfo("desktop", "Chrome", "Windows", False)),
        (MACOS_SAFARI, UserAgentInfo("desktop", "Safari", "Mac OS X", False)),
        (INSTAGRAM_IN_APP, UserAgentInfo("mobile", "Instagram", "iOS", False)),
        (CUBOT_PHONE, UserAgentInfo("mobile", "Chrome Mobile", "Android", False)),
    ],
)
def test_browsers_are_people_with_their_device_browser_and_os(ua, expected):
    assert parse_user_agent(ua) == expected


@pytest.mark.parametrize(
    "ua",
    [
        GOOGLEBOT,
        GOOGLEBOT_SMARTPHONE,
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        FACEBOOK,
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "Twitterbot/1.0",
        "WhatsApp/2.23.20.0 A",
        "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
        "TelegramBot (like TwitterBot)",
        "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
        "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5",
        "Iframely/1.3.1 (+https://iframely.com/docs/about)",
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2)",
        HEADLESS,
        "curl/8.5.0",
        "Wget/1.21.4",
        "python-requests/2.31.0",
        "python-httpx/0.28.1",
        "Go-http-client/1.1",
        "okhttp/4.9.0",
        "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
        "PostmanRuntime/7.36.0",
    ],
)
def test_crawlers_preview_fetchers_and_http_clients_are_bots(ua):
    assert parse_user_agent(ua).is_bot


def test_googlebot_keeps_its_browser_family():
    info = parse_user_agent(GOOGLEBOT)
    assert info.browser == "Googlebot"
    assert parse_user_agent(GOOGLEBOT_SMARTPHONE).device_type == "mobile"


@pytest.mark.parametrize("ua", [None, "", "   "])
def test_missing_user_agent_is_a_desktop_bot(ua):
    assert parse_user_agent(ua) == UserAgentInfo("desktop", "Other", "Other", True)


def test_unknown_user_agent_is_other():
    assert parse_user_agent("SomeCustomThing") == UserAgentInfo("desktop", "Other", "Other", False)


def test_huge_user_agents_are_cut_before_parsing():
    info = parse_user_agent(IPHONE_SAFARI + " x" * 100_000)
    assert info.device_type == "mobile"


@given(st.text(max_size=300))
def test_any_user_agent_parses_to_a_known_device_type(ua):
    info = parse_user_agent(ua)
    assert info.device_type in ("mobile", "tablet", "desktop")
    assert info.browser and info.os


# --- client IP -------------------------------------------------------------------------------

PROXIES = parse_trusted_proxies("10.0.0.0/8, 192.168.1.5 ,2001:db8::/32")


def test_parse_trusted_proxies_reads_cidrs_and_single_addresses():
    assert [str(n) for n in PROXIES] == ["10.0.0.0/8", "192.168.1.5/32", "2001:db8::/32"]
    assert parse_trusted_proxies(["127.0.0.1", "::1"]) == parse_trusted_proxies("127.0.0.1,::1")
    assert parse_trusted_proxies("") == ()
    assert [str(n) for n in parse_trusted_proxies("*")] == ["0.0.0.0/0", "::/0"]


def test_parse_trusted_proxies_names_the_bad_entry():
    with pytest.raises(ValueError, match=r"'proxy.local'"):
        parse_trusted_proxies("10.0.0.1, proxy.local")


def test_without_trusted_proxies_the_peer_is_the_client():
    assert client_ip("203.0.113.9", "198.51.100.1", ()) == "203.0.113.9"


def test_forwarded_for_from_an_untrusted_peer_is_ignored():
    assert client_ip("203.0.113.9", "198.51.100.1", PROXIES) == "203.0.113.9"


def test_trusted_peer_gives_the_forwarded_client():
    assert client_ip("10.0.0.2", "198.51.100.1", PROXIES) == "198.51.100.1"


def test_chained_trusted_proxies_are_skipped_from_the_right():
    xff = "198.51.100.1, 192.168.1.5, 10.1.2.3"
    assert client_ip("10.0.0.2", xff, PROXIES) == "198.51.100.1"


def test_spoofed_entries_left_of_the_real_client_are_ignored():
    # The client sent "X-Forwarded-For: 1.2.3.4"; our proxy appended the real address.
    assert client_ip("10.0.0.2", "1.2.3.4, 198.51.100.7", PROXIES) == "198.51.100.7"
    assert client_ip("10.0.0.2", "10.0.0.99, 198.51.100.7", PROXIES) == "198.51.100.7"


def test_all_trusted_hops_give_the_leftmost():
    assert client_ip("10.0.0.2", "10.9.9.9, 10.0.0.3", PROXIES) == "10.9.9.9"


def test_invalid_entry_ends_the_walk_at_the_proxy_that_wrote_it():
    assert client_ip("10.0.0.2", "198.51.100.1, unknown", PROXIES) == "10.0.0.2"
    assert client_ip("10.0.0.2", "1.1.1.1, <script>, 10.0.0.3", PROXIES) == "10.0.0.3"
    assert client_ip("10.0.0.2", ", ,", PROXIES) == "10.0.0.2"


def test_forwarded_entries_may_carry_ports_and_brackets():
    assert client_ip("10.0.0.2", "198.51.100.1:52311", PROXIES) == "198.51.100.1"
    assert client_ip("10.0.0.2", "[2001:4860::8888]:443", PROXIES) == "2001:4860::8888"
    assert client_ip("10.0.0.2", "2001:4860:0:0::8888", PROXIES) == "2001:4860::8888"


def test_ipv6_peers_and_ipv4_mapped_peers():
    assert client_ip("2001:db8::1", "198.51.100.1", PROXIES) == "198.51.100.1"
    assert client_ip("::ffff:10.0.0.2", "198.51.100.1", PROXIES) == "198.51.100.1"
    assert client_ip("::ffff:203.0.113.9", None, ()) == "203.0.113.9"


def test_missing_or_garbage_peer_gives_empty_ip():
    assert client_ip(None, "198.51.100.1", PROXIES) == ""
    assert client_ip("not-an-ip", None, ()) == ""


@given(st.text(max_size=100), st.text(max_size=200))
def test_client_ip_never_raises(peer, xff):
    result = client_ip(peer, xff, PROXIES)
    assert isinstance(result, str)


# --- country ---------------------------------------------------------------------------------


def test_country_comes_from_the_offline_ip_table():
    assert country_for("8.8.8.8", None) == "US"
    assert country_for("2001:4860:4860::8888", None) == "US"


@pytest.mark.parametrize(
    "ip",
    ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "100.64.0.1", "::1", "fd00::1", ""],
)
def test_private_loopback_and_missing_addresses_are_unknown(ip):
    assert country_for(ip, None) == "XX"


def test_garbage_ip_is_unknown():
    assert country_for("not-an-ip", None) == "XX"


def test_a_valid_header_wins_over_the_ip():
    assert country_for("8.8.8.8", "de") == "DE"
    assert country_for("10.0.0.1", " FR ") == "FR"


@pytest.mark.parametrize("header", ["XX", "", "123", "Germany", "D"])
def test_unknown_or_invalid_header_falls_back_to_the_ip(header):
    assert country_for("8.8.8.8", header) == "US"


def test_tor_header_is_unknown():
    assert country_for("8.8.8.8", "T1") == "XX"


# --- referrer, salt and visitor hash ---------------------------------------------------------


@pytest.mark.parametrize(
    ("referer", "host"),
    [
        ("https://www.Google.com/search?q=x", "www.google.com"),
        ("https://news.ycombinator.com:443/item", "news.ycombinator.com"),
        ("http://example.com./", "example.com"),
        ("android-app://com.google.android.gm/", "com.google.android.gm"),
        ("https://[2001:DB8::1]:8080/", "2001:db8::1"),
        (None, None),
        ("", None),
        ("not a url", None),
        ("/relative/path", None),
        ("https://exa mple.com/", None),
        ("http://[oops/", None),
    ],
)
def test_referrer_host(referer, host):
    assert referrer_host(referer) == host


def test_daily_salt_rotates_daily_and_depends_on_the_secret():
    day = date(2026, 3, 21)
    assert daily_salt(b"secret", day) == daily_salt(b"secret", day)
    assert daily_salt(b"secret", day) != daily_salt(b"secret", date(2026, 3, 22))
    assert daily_salt(b"secret", day) != daily_salt(b"other", day)
    assert len(daily_salt(b"secret", day)) == 32


def test_visitor_hash_is_stable_within_a_day_and_changes_across_days():
    today = daily_salt(b"secret", date(2026, 3, 21))
    tomorrow = daily_salt(b"secret", date(2026, 3, 22))
    first = visitor_hash("203.0.113.9", IPHONE_SAFARI, today)
    assert first == visitor_hash("203.0.113.9", IPHONE_SAFARI, today)
    assert first != visitor_hash("203.0.113.9", IPHONE_SAFARI, tomorrow)
    assert first != visitor_hash("203.0.113.10", IPHONE_SAFARI, today)
    assert first != visitor_hash("203.0.113.9", WINDOWS_CHROME, today)
    assert len(first) == 64
    assert int(first, 16) >= 0


def test_visitor_hash_never_contains_the_ip():
    salt = daily_salt(b"secret", date(2026, 3, 21))
    for ip in ("203.0.113.9", "2001:db8::1", "8.8.8.8"):
        digest = visitor_hash(ip, "ua", salt)
        assert ip not in digest
        assert ip.replace(".", "").replace(":", "") not in digest


def test_visitor_hash_separates_ip_from_user_agent():
    salt = b"s"
    assert visitor_hash("1.2.3.4", "5ua", salt) != visitor_hash("1.2.3.45", "ua", salt)


def test_visitor_hash_accepts_any_user_agent_text():
    assert len(visitor_hash("1.2.3.4", "bad \udcff surrogate", b"s")) == 64


# --- the enricher's memory of visitors --------------------------------------------------------


def _raw(ip: str, at: datetime, country_header: str | None = None) -> RawScan:
    return RawScan(
        occurred_at=at,
        workspace_id=uuid.UUID(int=1),
        kind="link",
        target_id=uuid.UUID(int=2),
        parent_id=None,
        ip=ip,
        user_agent=IPHONE_SAFARI,
        referer=None,
        country_header=country_header,
        qr=False,
    )


def test_a_remembered_visitor_gets_the_same_facts_as_a_new_one():
    morning = datetime(2026, 3, 21, 8, tzinfo=UTC)
    enricher = Enricher(b"secret")
    first = enricher.enrich(_raw("8.8.8.8", morning))
    again = enricher.enrich(_raw("8.8.8.8", morning + timedelta(hours=3)))
    fresh = Enricher(b"secret").enrich(_raw("8.8.8.8", morning + timedelta(hours=3)))
    assert first is not None and again is not None and fresh is not None
    assert first.visitor_hash == again.visitor_hash == fresh.visitor_hash
    assert first.visitor_hash == visitor_hash(
        "8.8.8.8", IPHONE_SAFARI, daily_salt(b"secret", morning.date())
    )
    assert first.country == again.country == "US"
    # a trusted country header still wins for a visitor already remembered
    with_header = enricher.enrich(_raw("8.8.8.8", morning, country_header="de"))
    assert with_header is not None and with_header.country == "DE"
    assert with_header.visitor_hash == first.visitor_hash


def test_the_next_day_a_remembered_visitor_gets_the_next_days_hash():
    enricher = Enricher(b"secret")
    day_one = datetime(2026, 3, 21, 23, 59, tzinfo=UTC)
    first = enricher.enrich(_raw("203.0.113.9", day_one))
    second = enricher.enrich(_raw("203.0.113.9", day_one + timedelta(minutes=2)))
    assert first is not None and second is not None
    assert first.visitor_hash != second.visitor_hash
    assert second.visitor_hash == visitor_hash(
        "203.0.113.9", IPHONE_SAFARI, daily_salt(b"secret", date(2026, 3, 22))
    )
