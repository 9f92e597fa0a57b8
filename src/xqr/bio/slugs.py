"""Bio page slugs: the custom short-link rules, and slugs made from titles (pure)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from xqr.links.slugs import RESERVED, SLUG_MAX, SLUG_MIN, check_custom_slug

# Room for a "-NNNNN" suffix when a slug made from a title is already taken.
_BASE_MAX = SLUG_MAX - 6
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
# What a path segment must look like before it is worth a lookup.
SLUG_SHAPE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?")

__all__ = ["check_page_slug", "next_free", "slugify"]


def check_page_slug(slug: str) -> str:
    """The slug if allowed (as a custom short-link slug); ValueError otherwise."""
    return check_custom_slug(slug)


def slugify(title: str) -> str:
    """A valid slug from a title: ASCII letters and digits joined by hyphens, lower-case."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")[:_BASE_MAX].rstrip("-")
    if len(slug) < SLUG_MIN:
        slug = f"{slug}-page" if slug else "page"
    if slug in RESERVED:
        slug = f"{slug}-page"
    return slug


def next_free(base: str, taken: Iterable[str]) -> str:
    """`base`, else `base-2`, `base-3`, … — the first not in `taken` (lower-case slugs)."""
    used = set(taken)
    if base not in used:
        return base
    n = 2
    while f"{base}-{n}" in used:
        n += 1
    return f"{base}-{n}"
