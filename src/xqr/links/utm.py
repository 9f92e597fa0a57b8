"""Merging a link's UTM parameters into a destination URL (pure).

Precedence, strongest first: parameters already in the destination URL, then the link's
`utm` object, then the visitor's own query string (which the redirect adds only for names
the destination does not have). So a rule destination with its own `utm_campaign` keeps it,
and a visitor cannot replace the campaign a link is tagged with.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

UTM_KEYS = ("source", "medium", "campaign", "term", "content")


def utm_pairs(utm: Mapping[str, str] | None) -> list[tuple[str, str]]:
    """`utm_<name>` query pairs of a stored `utm` object, in the usual order."""
    if not utm:
        return []
    return [(f"utm_{key}", str(utm[key])) for key in UTM_KEYS if utm.get(key)]


def with_utm(destination: str, pairs: list[tuple[str, str]]) -> str:
    """`destination` with the UTM pairs it does not already have appended."""
    if not pairs:
        return destination
    parts = urlsplit(destination)
    existing = {key for key, _ in parse_qsl(parts.query, keep_blank_values=True)}
    extra = [(key, value) for key, value in pairs if key not in existing]
    if not extra:
        return destination
    query = parts.query + ("&" if parts.query else "") + urlencode(extra)
    return urlunsplit(parts._replace(query=query))
