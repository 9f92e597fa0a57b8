"""The rules a link (or routing rule) destination URL must follow.

A destination is where visitors' browsers are sent, never fetched by the server, so private
and intranet addresses are allowed; what is refused:

- anything but an absolute `http://` or `https://` URL with a host (`javascript:`, `data:`,
  `ftp:`, relative URLs, `https:example.com`);
- more than 2,048 characters, whitespace, control and invisible formatting characters
  (zero-width, bidi overrides) and backslashes (browsers read
  `\\` as `/`, so `https://a.com\\@b.com` would go somewhere other than it seems);
- a username or password in the URL (`https://bank.com@evil.example/` is a phishing trick);
- a host that is one of our own short-link hosts (a loop), compared as browsers resolve
  names: case, a trailing dot, the port, IPv6 brackets and spellings, the numeric IPv4 forms
  browsers accept (`2130706433`, `0x7f.1`, `127.1`) and full-width characters do not matter,
  and every loopback name and address (`localhost`, `*.localhost`, `127.0.0.0/8`, `::1`,
  and `0.0.0.0`, which reaches this machine too) counts as one host, so a server on
  `localhost` also refuses `127.0.0.1`. Sub-domains are not blocked unless listed.

The URL is returned with only its scheme and host lower-cased; non-ASCII characters are kept
as given (they are percent-encoded when the redirect is sent).
"""

from __future__ import annotations

import functools
import ipaddress
import re
import string
import unicodedata
from urllib.parse import urlsplit

MAX_URL_LENGTH = 2048

_FORBIDDEN_CHARS = re.compile(r"[\x00-\x20\x7f-\x9f\\\s]")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
_HOST_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)")


def check_destination(url: str, *, blocked_hosts: frozenset[str]) -> str:
    """Validate a destination URL and return it with scheme and host lower-cased.

    Raises ValueError with a message fit to show the user.
    """
    if not isinstance(url, str) or not url:
        raise ValueError("A destination URL is required.")
    if len(url) > MAX_URL_LENGTH:
        raise ValueError(f"The URL is longer than {MAX_URL_LENGTH} characters.")
    if bad := _FORBIDDEN_CHARS.search(url):
        what = "a backslash" if bad.group() == "\\" else "whitespace or control characters"
        raise ValueError(f"The URL must not contain {what}; percent-encode it.")
    if not url.isascii() and any(unicodedata.category(c) == "Cf" for c in url):
        raise ValueError("The URL must not contain invisible formatting characters.")

    scheme, sep, rest = url.partition(":")
    scheme = scheme.lower()
    if scheme not in ("http", "https") or not rest.startswith("//"):
        # "example.com:8080/" has no scheme at all, so it gets the second message.
        other_scheme = scheme not in ("http", "https") and not rest[:1].isdigit()
        if sep and other_scheme and _SCHEME.fullmatch(scheme):
            raise ValueError(f"Only http:// and https:// URLs are allowed, not {scheme}:.")
        raise ValueError("The URL must be absolute and start with http:// or https://.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValueError("The URL's host or port is not valid.") from None

    netloc = parts.netloc
    if "@" in netloc:
        raise ValueError("The URL must not contain a username or password (user@host).")
    host = parts.hostname or ""
    if not host:
        raise ValueError("The URL must include a host, as in https://example.com/.")
    if not _valid_host(host):
        raise ValueError(f"{host!r} is not a valid host name.")
    if port == 0:
        raise ValueError("The URL's port is not valid.")
    if is_own_host(host, blocked_hosts):
        raise ValueError("The URL points to this short-link service itself, which would loop.")

    # Only the scheme and the host part of the authority change case; the rest stays verbatim.
    if netloc.startswith("["):
        host_part = netloc[: netloc.index("]") + 1]
    else:
        host_part = netloc.rsplit(":", 1)[0] if ":" in netloc else netloc
    new_netloc = host_part.lower() + netloc[len(host_part) :]
    return scheme + "://" + new_netloc + url[len(scheme) + 3 + len(netloc) :]


def _valid_host(host: str) -> bool:
    if ":" in host:  # urlsplit only returns a colon in the host for a bracketed IPv6 literal
        try:
            ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            return False
        return True
    if len(host) > 253:
        return False
    name = host[:-1] if host.endswith(".") else host
    if not name:
        return False
    if not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            return False
    return all(_HOST_LABEL.fullmatch(label) for label in name.split("."))


def is_own_host(host: str, own_hosts: frozenset[str]) -> bool:
    """Whether `host` (a URL's host name) is one of `own_hosts`, as a browser resolves names."""
    return _host_key(host) in _blocked_keys(own_hosts)


# The key every loopback (and unspecified) name or address compares as.
LOOPBACK_KEY = "localhost"
_DECIMAL, _OCTAL, _HEX = frozenset("0123456789"), frozenset("01234567"), frozenset(string.hexdigits)


def _host_key(host: str) -> str:
    """A host as compared for loops: the name or address a browser would connect to, without
    case, port, brackets or trailing dot; any loopback host is `LOOPBACK_KEY`."""
    host = host.strip().lower()
    if host.startswith("["):
        host = host[1 : host.find("]")] if "]" in host else host[1:]
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    if not host.isascii():
        # Browsers map names as IDNA does: full-width letters, digits and dots become ASCII.
        try:
            host = host.encode("idna").decode("ascii").lower()
        except UnicodeError:
            return host.rstrip(".")
    host = host.rstrip(".")
    address = _ip_address(host)
    if address is not None:
        if address.is_loopback or address.is_unspecified:
            return LOOPBACK_KEY
        return str(address)
    if host == LOOPBACK_KEY or host.endswith("." + LOOPBACK_KEY):  # RFC 6761
        return LOOPBACK_KEY
    return host


def _ip_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if ":" in host:
        try:
            v6 = ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            return None
        return v6.ipv4_mapped or v6
    return _browser_ipv4(host)


def _browser_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address a browser reads in `host` (the URL Standard's IPv4 parser, which
    takes `127.1`, `2130706433`, `0x7f.0.0.1` and `0177.0.0.1`), or None for a name."""
    parts = host.split(".")
    last = parts[-1]
    ends_in_number = bool(last) and (
        set(last) <= _DECIMAL or (last.startswith("0x") and set(last[2:]) <= _HEX)
    )
    if not ends_in_number or len(parts) > 4:
        return None
    numbers = []
    for part in parts:
        if part.startswith("0x"):
            digits, allowed, base = part[2:], _HEX, 16
        elif len(part) > 1 and part.startswith("0"):
            digits, allowed, base = part[1:], _OCTAL, 8
        else:
            digits, allowed, base = part, _DECIMAL, 10
        if not part or not set(digits) <= allowed:
            return None
        numbers.append(int(digits, base) if digits else 0)
    *leading, final = numbers
    if any(n > 255 for n in leading) or final >= 256 ** (5 - len(numbers)):
        return None
    value = final + sum(n * 256 ** (3 - i) for i, n in enumerate(leading))
    return ipaddress.IPv4Address(value)


@functools.lru_cache(maxsize=16)
def _blocked_keys(blocked_hosts: frozenset[str]) -> frozenset[str]:
    return frozenset(_host_key(host) for host in blocked_hosts)
