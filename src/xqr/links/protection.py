"""Password-protected links: the argon2id hash, and the signed cookie that lets a visitor who
entered the right password through for 24 hours (no I/O).

The cookie is per link (`xqr_lp_<link id hex>`), scoped to the link's path, and says until
when it is valid; its HMAC covers the link, the expiry and a fingerprint of the password hash,
so changing or removing the password ends every cookie given for the old one.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# argon2-cffi's defaults: argon2id with RFC 9106's low-memory profile, as account passwords.
_hasher = PasswordHasher()
COOKIE_TTL = 24 * 3600
COOKIE_PREFIX = "xqr_lp_"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether `password` is the one hashed (slow by design: run it off the event loop)."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def cookie_name(link_id_hex: str) -> str:
    return COOKIE_PREFIX + link_id_hex


def _signature(secret: bytes, link_id_hex: str, password_hash: str, expires: int) -> str:
    fingerprint = hashlib.sha256(password_hash.encode()).hexdigest()[:16]
    message = f"{link_id_hex}:{expires}:{fingerprint}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:32]


def cookie_value(
    secret: bytes, link_id_hex: str, password_hash: str, now: float | None = None
) -> str:
    expires = int(now if now is not None else time.time()) + COOKIE_TTL
    return f"{expires}.{_signature(secret, link_id_hex, password_hash, expires)}"


def cookie_valid(
    secret: bytes, link_id_hex: str, password_hash: str, value: str, now: float | None = None
) -> bool:
    expires_text, _, signature = value.partition(".")
    if not expires_text.isdigit() or len(expires_text) > 12:
        return False
    expires = int(expires_text)
    if expires <= (now if now is not None else time.time()):
        return False
    expected = _signature(secret, link_id_hex, password_hash, expires)
    return hmac.compare_digest(expected, signature)


def cookie_from_header(cookie_header: str, name: str) -> str | None:
    """The value of cookie `name` in a Cookie header, if present."""
    for part in cookie_header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None
