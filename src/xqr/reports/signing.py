"""Signed download URLs of report files (pure): an HMAC over the run id and an expiry, under
the server secret, so a link can be handed to a browser or a webhook receiver without a key."""

from __future__ import annotations

import hashlib
import hmac
import re
from enum import Enum

_HEX_SIGNATURE = re.compile(r"[0-9a-fA-F]{64}")


class DownloadUrlProblem(Enum):
    MALFORMED = "malformed"
    BAD_SIGNATURE = "bad_signature"
    EXPIRED = "expired"


def download_signature(secret: bytes, run_id: str, expires: int) -> str:
    message = f"xqr-report-download-v1\n{run_id}\n{expires}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def check_download_signature(
    secret: bytes, *, run_id: str, expires: str | None, signature: str | None, now: float
) -> DownloadUrlProblem | None:
    """None when we signed this URL for this run and it has not expired. The signature is
    checked first, so an edited `expires` reads as tampering, not as expiry."""
    if not expires or not signature or not expires.isdigit() or len(expires) > 12:
        return DownloadUrlProblem.MALFORMED
    expected = download_signature(secret, run_id, int(expires))
    if not _HEX_SIGNATURE.fullmatch(signature) or not hmac.compare_digest(
        expected, signature.lower()
    ):
        return DownloadUrlProblem.BAD_SIGNATURE
    if now >= int(expires):
        return DownloadUrlProblem.EXPIRED
    return None
