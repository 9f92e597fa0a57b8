"""Process-wide event counts read by `/metrics` (plain integers: counting must cost nothing)."""

from __future__ import annotations

# API requests refused for the plan's limits, by which limit: the monthly quota or the
# per-second burst limit.
QUOTA_REJECTIONS = {"monthly": 0, "burst": 0}
_REJECTION_CODES = {"RATE_LIMIT_EXCEEDED": "monthly", "BURST_LIMIT_EXCEEDED": "burst"}


def note_error(code: str) -> None:
    """Count an error answered to a client, when it is one `/metrics` reports."""
    limit = _REJECTION_CODES.get(code)
    if limit is not None:
        QUOTA_REJECTIONS[limit] += 1
