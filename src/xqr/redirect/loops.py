"""Redirect loops through this server's own names: a hop count in the Location, and its cap.

Links are refused when their destination is on a known name of this server
(`links.destinations`), but a loop can still form: a link saved before one of its names was
configured, or a name of this server that no setting lists (a DNS alias). So a redirect that
leads back here — to a known name, or to the very host the request came in on — carries a hop
count in its Location (`xqr_hop=1`), and a request that arrives with one passes it on, one
higher, wherever it redirects, so the count also survives other shorteners that forward
query parameters (most do). At `MAX_HOPS` the answer is `508 Loop Detected` and no scan is
recorded: a visit caught in such a loop records a handful of scans, not one per turn until
the client gives up.

Only redirects that can lead home pay for this: what a destination looks like is worked out
once, when its link is loaded into the cache (`home_of`); per request it is one comparison
with the Host header, and parsing a query string that is there anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from xqr.links.destinations import is_own_host
from xqr.links.slugs import is_code_shaped

HOP_PARAM = "xqr_hop"
MAX_HOPS = 5
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class Home:
    """A destination shaped like a short link (`/{code}`), which may be served here."""

    known: bool  # on a name of this server the settings list
    netloc: bytes  # `host[:port]` as a client following it sends it in its Host header


def home_of(destination: str, own_hosts: frozenset[str]) -> Home | None:
    """How `destination` may lead back to this server, or None when it cannot."""
    parts = urlsplit(destination)
    if not is_code_shaped(parts.path[1:]):
        return None  # only `/{code}` is answered with a redirect
    host = parts.hostname or ""
    try:
        port = parts.port
        name = host.encode("idna") if not host.isascii() else host.encode()
    except (ValueError, UnicodeError):
        return None
    netloc = b"[%s]" % name if b":" in name else name
    if port is not None and port != _DEFAULT_PORTS.get(parts.scheme):
        netloc += b":%d" % port
    return Home(is_own_host(host, own_hosts), netloc.lower())


def hop_of(pairs: list[tuple[str, str]]) -> int:
    """The hop count a request carries (0 without one, or with one that is not a number)."""
    hop = 0
    for key, value in pairs:
        if key == HOP_PARAM:
            hop = int(value) if value.isascii() and value.isdigit() and len(value) < 4 else 0
    return hop
