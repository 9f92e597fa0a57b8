"""Short codes: random generation and custom slug rules (pure)."""

from __future__ import annotations

import re
import secrets
import string

ALPHABET = string.ascii_letters + string.digits
RANDOM_LENGTH = 7
SLUG_MIN, SLUG_MAX = 3, 64

# Paths the server itself answers at the root; a short code there would shadow them.
RESERVED = frozenset(
    {
        "api",
        "bio",
        "docs",
        "static",
        "cdn",
        "_uploads",
        "healthz",
        "readyz",
        "metrics",
        "dashboard",
        "favicon.ico",
        "robots.txt",
        "mcp",
        "admin",
        "login",
        "logout",
        "signup",
        "settings",
        "assets",
        "well-known",
        ".well-known",
        "openapi.json",
        "sitemap.xml",
        "www",
        "xqr",
    }
)

_SLUG = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$")
# What the redirect path accepts as a code: random codes and custom slugs alike.
CODE_PATTERN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?$")


def random_code(length: int = RANDOM_LENGTH) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def check_custom_slug(slug: str) -> str:
    """The slug if it is allowed; ValueError with a user-facing message otherwise."""
    if not SLUG_MIN <= len(slug) <= SLUG_MAX:
        raise ValueError(f"must be {SLUG_MIN}–{SLUG_MAX} characters")
    if not _SLUG.fullmatch(slug):
        raise ValueError(
            "may contain only letters, digits and hyphens, and may not start or end with a hyphen"
        )
    if slug.lower() in RESERVED:
        raise ValueError(f"{slug!r} is reserved")
    return slug


def is_code_shaped(path_segment: str) -> bool:
    return bool(CODE_PATTERN.fullmatch(path_segment)) and path_segment.lower() not in RESERVED
