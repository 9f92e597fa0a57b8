"""The webhook event list: the API reference's table, once."""

from __future__ import annotations

EVENT_TYPES: dict[str, str] = {
    "link.created": "Short link created",
    "link.updated": "Short link modified",
    "link.deleted": "Short link deleted",
    "link.scanned": "Link or QR code scanned",
    "link.threshold": "Scan count milestone reached",
    "link.broken": "A link's destination stopped working (health check)",
    "link.recovered": "A broken link's destination works again",
    "bio.published": "Bio page published",
    "bio.unpublished": "Bio page unpublished",
    "asset.uploaded": "Asset upload confirmed",
    "subscription.updated": "Workspace plan changed",
    "test.ping": "Test event from dashboard",
    "report.completed": "Report run completed (with a signed download URL)",
    "report.failed": "Report run failed",
    "domain.failed": "A verified custom domain stopped answering its check (it keeps serving)",
}

SCAN_THRESHOLDS = (10, 100, 1_000, 10_000, 100_000, 1_000_000)


def subscribed(events: list[str], event: str) -> bool:
    return "*" in events or event in events
