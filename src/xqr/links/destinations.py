"""The rules a link (or routing rule) destination URL must follow.

A destination is where visitors' browsers are sent, never fetched by the server, so private
and intranet addresses are allowed; what is refused:

- anything but an absolute `http://` or `https://` URL with a host (`javascript:`, `data:`,
  `ftp:`, relative URLs, `https:example.com`);
- more than 2,048 characters, whitespace, control and invisible formatting characters
  (zero-width, bidi overrides) and backslashes (browsers read
  `\\` as `/`, so `https://a.com\\@b.com` would go somewhere other than it seems);
- a username or password in the URL (`https://bank.com@evil.example/` is a phishing trick);
- a host that is one of our own short-link hosts (a loop), compared case-insensitively and
  ignoring the port and a trailing dot; sub-domains are not blocked unless listed.

The URL is returned with only its scheme and host lower-cased; non-ASCII characters are kept
as given (they are percent-encoded when the redirect is sent).
"""

from __future__ import annotations

import functools
import ipaddress
import re
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
    if _host_key(host) in _blocked_keys(blocked_hosts):
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


def _host_key(host: str) -> str:
    """A host compared without case, port, brackets or trailing dot."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    if host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".")


@functools.lru_cache(maxsize=16)
def _blocked_keys(blocked_hosts: frozenset[str]) -> frozenset[str]:
    return frozenset(_host_key(host) for host in blocked_hosts)
