"""Webhook signatures: `X-XQR-Signature: sha256=<hex HMAC-SHA256 of the raw body>`.

Pure functions, no I/O. The signed bytes are the exact request body; receivers must verify
before parsing it. `verify_signature` is re-exported by the SDK.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"
SIGNATURE_PREFIX = "sha256="


def new_signing_secret() -> str:
    """A fresh signing secret: `whsec_` and 32 random bytes, URL-safe base64."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def sign(secret: str, raw_body: bytes) -> str:
    """The `X-XQR-Signature` value for `raw_body`."""
    digest = hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def verify_signature(secret: str, raw_body: bytes | str, header: str | None) -> bool:
    """Whether `header` (the `X-XQR-Signature` value) signs `raw_body` with `secret`.

    Compares in constant time; a missing or malformed header is simply not valid.
    """
    if not header or not secret:
        return False
    body = raw_body.encode() if isinstance(raw_body, str) else raw_body
    return hmac.compare_digest(sign(secret, body).encode(), header.strip().encode())


def delivery_headers(
    *, secret: str, body: bytes, event: str, delivery_id: str, timestamp: int, user_agent: str
) -> dict[str, str]:
    """Every header a delivery carries."""
    return {
        "Content-Type": "application/json",
        "User-Agent": user_agent,
        "X-XQR-Event": event,
        "X-XQR-Delivery": delivery_id,
        "X-XQR-Timestamp": str(timestamp),
        "X-XQR-Signature": sign(secret, body),
    }
