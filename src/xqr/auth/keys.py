"""API key format: `xqr_pk_{prefix}.{secret}` — generation, parsing and hashing (pure)."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

KEY_PREFIX = "xqr_pk_"
PREFIX_LENGTH = 8
SECRET_LENGTH = 64

# Published for secret scanners (docs/authentication.md).
KEY_PATTERN = re.compile(r"xqr_pk_([0-9a-f]{8})\.([A-Za-z0-9_-]{64})")
_FULL_KEY = re.compile(rf"\A{KEY_PATTERN.pattern}\Z")


@dataclass(frozen=True)
class ParsedKey:
    prefix: str
    secret: str

    @property
    def full(self) -> str:
        return f"{KEY_PREFIX}{self.prefix}.{self.secret}"


def generate_key() -> ParsedKey:
    """A new random key; the caller retries on a prefix collision."""
    secret = ""
    while len(secret) < SECRET_LENGTH:
        secret += secrets.token_urlsafe(SECRET_LENGTH)
    return ParsedKey(prefix=secrets.token_hex(PREFIX_LENGTH // 2), secret=secret[:SECRET_LENGTH])


def parse_key(value: str) -> ParsedKey | None:
    """The key's parts, or None when it is not in the documented format."""
    match = _FULL_KEY.match(value)
    if match is None:
        return None
    return ParsedKey(prefix=match.group(1), secret=match.group(2))


def hash_key(full_key: str) -> str:
    return hashlib.sha256(full_key.encode()).hexdigest()


def key_matches(full_key: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_key(full_key), stored_hash)


# What follows a key's prefix is taken as its secret even when cut short or mistyped.
_KEY_IN_TEXT = re.compile(r"xqr_pk_([0-9a-f]{8})\.[A-Za-z0-9_-]+")


def redact(text: str) -> str:
    """Replace every key's secret in `text`, keeping the prefix, which is safe to log."""
    return _KEY_IN_TEXT.sub(lambda m: f"{KEY_PREFIX}{m.group(1)}.[redacted]", text)
