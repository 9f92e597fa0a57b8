"""Signed upload URLs for the filesystem backend: HMAC over asset id, content type, expiry."""

from __future__ import annotations

import hashlib
import hmac
import re
from enum import Enum

_HEX_SIGNATURE = re.compile(r"[0-9a-fA-F]{64}")


class UploadUrlProblem(Enum):
    MALFORMED = "malformed"
    BAD_SIGNATURE = "bad_signature"
    EXPIRED = "expired"


def upload_signature(secret: bytes, asset_id: str, content_type: str, expires: int) -> str:
    message = f"xqr-upload-v1\n{asset_id}\n{content_type}\n{expires}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def check_upload_signature(
    secret: bytes,
    *,
    asset_id: str,
    content_type: str,
    expires: str | None,
    signature: str | None,
    now: float,
) -> UploadUrlProblem | None:
    """None when the URL was signed by us for this asset and type and has not expired.

    The signature is checked before the expiry, so an edited `expires` reads as tampering.
    """
    if not expires or not signature or not expires.isdigit() or len(expires) > 12:
        return UploadUrlProblem.MALFORMED
    expected = upload_signature(secret, asset_id, content_type, int(expires))
    if not _HEX_SIGNATURE.fullmatch(signature) or not hmac.compare_digest(
        expected, signature.lower()
    ):
        return UploadUrlProblem.BAD_SIGNATURE
    if now >= int(expires):
        return UploadUrlProblem.EXPIRED
    return None
