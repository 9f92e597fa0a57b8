from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xqr.links.destinations import MAX_URL_LENGTH, check_destination

OURS = frozenset({"xqr.co", "Links.Example.org:8443", "[::1]:8000"})


def check(url: str) -> str:
    return check_destination(url, blocked_hosts=OURS)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com",
        "https://example.com/",
        "http://example.com/path?q=1&r=%20#frag",
        "https://sub.example.co.uk:8443/a/b",
        "https://203.0.113.5/",
        "http://192.168.1.10/intranet",  # browsers go there, not the server
        "https://[2001:db8::1]:8080/x",
        "https://my_host.example.com/",
        "https://例え.jp/パス",
        "https://xn--r8jz45g.jp/",
        "https://www.xqr.co/",  # sub-domains are not our host unless listed
        "https://example.com/" + "a" * (MAX_URL_LENGTH - 20),
    ],
)
def test_valid_destinations_are_accepted_unchanged(url):
    assert check(url) == url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://Example.COM/Path?Q=A#F", "https://example.com/Path?Q=A#F"),
        ("Http://EXAMPLE.com:8080", "http://example.com:8080"),
        ("https://[2001:DB8::A]/X", "https://[2001:db8::a]/X"),
    ],
)
def test_only_scheme_and_host_case_are_normalised(url, expected):
    assert check(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "required"),
        ("javascript:alert(1)", "not javascript:"),
        ("JAVASCRIPT:alert(1)", "not javascript:"),
        ("data:text/html;base64,PHNjcmlwdD4=", "not data:"),
        ("ftp://example.com/file", "not ftp:"),
        ("mailto:someone@example.com", "not mailto:"),
        ("example.com", "absolute"),
        ("example.com:8080/x", "absolute"),
        ("//example.com/x", "absolute"),
        ("/relative/path", "absolute"),
        ("https:example.com", "absolute"),
        ("https:/example.com", "absolute"),
        ("https://", "host"),
        ("https:///path", "host"),
        ("https://user:pass@example.com/", "username or password"),
        ("https://paypal.com@evil.example/", "username or password"),
        ("https://example.com\\@evil.example/", "backslash"),
        ("https://exa mple.com/", "whitespace"),
        (" https://example.com/", "whitespace"),
        ("https://example.com/\n", "whitespace"),
        ("https://example.com/\x00", "control"),
        ("https://example.com/\u202egnp.exe", "invisible"),
        ("https://exa\u200bmple.com/", "invisible"),
        ("https://example.com:99999/", "port"),
        ("https://example.com:http/", "port"),
        ("https://[::zz]/", "not valid"),
        ("https://-bad-.example/", "not a valid host"),
        ("https://a..b/", "not a valid host"),
        ("https://%65xample.com/", "not a valid host"),
        ("https://example.com/" + "a" * MAX_URL_LENGTH, "2048"),
    ],
)
def test_invalid_destinations_are_rejected_with_a_clear_message(url, message):
    with pytest.raises(ValueError, match=message.replace("?", r"\?")) as caught:
        check(url)
    assert str(caught.value).endswith(".")


@pytest.mark.parametrize(
    "url",
    [
        "https://xqr.co/abc",
        "https://XQR.CO/abc",
        "http://xqr.co:80/abc",
        "https://xqr.co./abc",
        "https://links.example.org/abc",  # listed with a port: every port is blocked
        "https://links.example.org:9999/abc",
        "http://[::1]/abc",
        # [::1] is loopback: every loopback spelling a browser accepts is the same host
        "http://127.0.0.1:8000/abc",
        "http://localhost/abc",
        "http://app.localhost/abc",
        "http://2130706433/abc",
        "http://0x7f.1/abc",
        "http://[::ffff:127.0.0.1]/abc",
        "http://0.0.0.0/abc",
        "https://ｘｑｒ.ｃｏ/abc",  # full-width letters are mapped to ASCII by browsers
    ],
)
def test_our_own_short_link_hosts_are_refused_to_prevent_loops(url):
    with pytest.raises(ValueError, match="loop"):
        check(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://xqr.co.evil.example/",
        "https://localhost.example/",
        "http://1.2.3.4.5/",
        "http://10.0.0.1/",
    ],
)
def test_names_that_only_resemble_ours_are_not_blocked(url):
    assert check(url) == url


def test_nothing_is_blocked_without_blocked_hosts():
    assert check_destination("https://xqr.co/abc", blocked_hosts=frozenset()) == (
        "https://xqr.co/abc"
    )


url_like = st.text(max_size=200) | st.builds(
    "{}://{}{}".format,
    st.sampled_from(["http", "HTTPS", "ftp", "javascript", ""]),
    st.text(st.characters(codec="utf-8"), max_size=40),
    st.text(max_size=40),
)


@given(url_like)
def test_arbitrary_input_is_rejected_or_returned_with_only_case_changed(text):
    try:
        result = check(text)
    except ValueError:
        return
    assert result.startswith(("http://", "https://"))
    assert result.lower() == text.lower()
    assert len(result) <= MAX_URL_LENGTH
