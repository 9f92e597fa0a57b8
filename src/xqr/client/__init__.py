"""The xQR Python SDK: `XQR` (sync) and `AsyncXQR` (asyncio) over httpx.

    from xqr.client import XQR

    with XQR() as xqr:                      # XQR_API_KEY, XQR_BASE_URL
        link = xqr.links.create("https://example.com", labels=["spring"])
        png = xqr.links.qr(link.id, format="png")
        for link in xqr.links.iter(label="spring"):
            ...

Every API section is a resource object: `links`, `qr` (`qr.templates`), `analytics`,
`bio` (`bio.pages`), `assets`, `webhooks`, `domains`, `reports`, `workspace`. Responses are
pydantic models that keep fields they do not know. Lists return a `Page` (`items`, `total`, `limit`,
`offset`); `.iter(...)` walks every page.

Exceptions:

    XQRError                        anything the SDK raises
    ├── XQRConnectionError          server unreachable, timeout
    └── APIError                    an error answer: .code .status .message .request_id
        ├── ValidationError         400 VALIDATION_ERROR (.details), malformed body
        ├── AuthenticationError     401 INVALID_API_KEY, REVOKED_API_KEY, EXPIRED_API_KEY
        ├── PermissionDeniedError   403 INSUFFICIENT_SCOPE, FEATURE_NOT_AVAILABLE,
        │                               PLAN_LIMIT_EXCEEDED, INVALID_UPLOAD_URL
        ├── NotFoundError           404 RESOURCE_NOT_FOUND
        ├── ConflictError           409 SLUG_TAKEN, CONFLICT
        ├── RateLimitError          429 BURST_LIMIT_EXCEEDED, RATE_LIMIT_EXCEEDED (.retry_after)
        └── ServerError             5xx INTERNAL_ERROR

Other statuses (405, 413, …) raise `APIError` itself. Retries: a 429 is retried after
`Retry-After` (unless that is over a minute away); 5xx answers and connection errors are
retried with backoff for GET, HEAD, PUT and DELETE only; `max_retries` (default 2) bounds
them. `verify_signature(secret, raw_body, header)` checks a webhook's `X-XQR-Signature`.
"""

from xqr.client._async_client import AsyncXQR
from xqr.client._config import RetryPolicy
from xqr.client._errors import (
    APIError,
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ValidationError,
    XQRConnectionError,
    XQRError,
)
from xqr.client._models import (
    AnalyticsSummary,
    ApiCallsUsage,
    Asset,
    BioIcon,
    BioLink,
    BioLinkStats,
    BioPage,
    BioPageStats,
    BioStatsPoint,
    BioTheme,
    BulkBatch,
    BulkItemError,
    BulkResult,
    CountryShare,
    Delivery,
    DeliveryAttempt,
    DeviceBreakdown,
    Domain,
    DomainVerification,
    Link,
    LinkHealth,
    LinkStats,
    Member,
    NamedShare,
    Page,
    PeriodChange,
    PresignedUpload,
    PreviousPeriod,
    QRCheck,
    QRDesign,
    QRTemplate,
    Report,
    ReportFile,
    ReportRun,
    ReportSchedule,
    TimeseriesPoint,
    TopLink,
    TrendPoint,
    Usage,
    UsageItem,
    Webhook,
    Workspace,
    XQRModel,
)
from xqr.client._sync_client import XQR
from xqr.client._types import NOT_GIVEN, NotGiven
from xqr.webhooks.signing import verify_signature

__all__ = [
    "NOT_GIVEN",
    "XQR",
    "APIError",
    "AnalyticsSummary",
    "ApiCallsUsage",
    "Asset",
    "AsyncXQR",
    "AuthenticationError",
    "BioIcon",
    "BioLink",
    "BioLinkStats",
    "BioPage",
    "BioPageStats",
    "BioStatsPoint",
    "BioTheme",
    "BulkBatch",
    "BulkItemError",
    "BulkResult",
    "ConflictError",
    "CountryShare",
    "Delivery",
    "DeliveryAttempt",
    "DeviceBreakdown",
    "Domain",
    "DomainVerification",
    "Link",
    "LinkHealth",
    "LinkStats",
    "Member",
    "NamedShare",
    "NotFoundError",
    "NotGiven",
    "Page",
    "PeriodChange",
    "PermissionDeniedError",
    "PresignedUpload",
    "PreviousPeriod",
    "QRCheck",
    "QRDesign",
    "QRTemplate",
    "RateLimitError",
    "Report",
    "ReportFile",
    "ReportRun",
    "ReportSchedule",
    "RetryPolicy",
    "ServerError",
    "TimeseriesPoint",
    "TopLink",
    "TrendPoint",
    "Usage",
    "UsageItem",
    "ValidationError",
    "Webhook",
    "Workspace",
    "XQRConnectionError",
    "XQRError",
    "XQRModel",
    "verify_signature",
]
