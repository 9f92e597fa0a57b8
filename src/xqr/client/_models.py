"""Typed response models. Unknown fields are kept (`extra="allow"`), so a newer server's
additions never break an older client; read them as attributes or through `model_extra`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field


class XQRModel(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    def to_dict(self) -> dict[str, Any]:
        """The model as JSON-ready data (timestamps as ISO 8601 strings)."""
        return self.model_dump(mode="json")


M = TypeVar("M", bound=XQRModel)


class Page(XQRModel, Generic[M]):
    """One page of a list endpoint, with the pagination from `meta`."""

    items: list[M]
    total: int
    limit: int
    offset: int

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.items) < self.total

    def __iter__(self) -> Iterator[M]:  # type: ignore[override]
        """Iterate over the page's items (not the model's fields)."""
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


# --- links ---------------------------------------------------------------------------


class LinkHealth(XQRModel):
    """The last check of a link's destinations: ok, broken (with status_code and reason) or
    unknown."""

    status: str = "unknown"
    status_code: int | None = None
    reason: str | None = None
    checked_at: datetime | None = None


class Link(XQRModel):
    id: str
    short_url: str
    short_code: str
    destination: str
    enabled: bool = True
    labels: list[str] = Field(default_factory=list)
    routing_rules: list[dict[str, Any]] = Field(default_factory=list)
    scan_count: int = 0
    last_scan_at: datetime | None = None
    expires_at: datetime | None = None
    has_password: bool = False
    expired_url: str | None = None
    utm: dict[str, str] | None = None
    preview: dict[str, str] | None = None
    health: LinkHealth | None = None
    domain: str | None = Field(None, description="The custom domain; None: the server's base.")
    created_at: datetime
    updated_at: datetime


class BulkItemError(XQRModel):
    index: int
    code: str
    message: str


class BulkResult(XQRModel):
    batch_id: str
    created: list[Link] = Field(default_factory=list)
    errors: list[BulkItemError] = Field(default_factory=list)


class BulkBatch(XQRModel):
    id: str
    status: str
    total: int
    succeeded: int
    failed: int
    progress: int
    results: list[dict[str, Any]] = Field(default_factory=list)
    created_at: datetime | None = None


# --- QR ------------------------------------------------------------------------------


class QRDesign(XQRModel):
    foreground: str | None = None
    background: str | None = None
    error_correction: str | None = None
    logo_url: str | None = None
    dot_style: str | None = None
    corner_style: str | None = None
    eye_color: dict[str, Any] | None = None
    gradient: dict[str, Any] | None = None
    frame: dict[str, Any] | None = None
    quiet_zone: int | None = None
    logo_size: float | None = None


class QRCheck(XQRModel):
    """The scannability report of `client.qr.check` (see docs/qr.md)."""

    decodes: bool
    decodes_clean: bool
    reason: str | None = None
    contrast_ratio: float
    quiet_zone: int
    error_correction: str
    error_correction_budget_percent: int
    logo_coverage_percent: float
    version: int
    modules: int
    scan_distance_cm: float
    min_print_width_mm: float
    warnings: list[str] = Field(default_factory=list)


class QRTemplate(XQRModel):
    id: str
    name: str
    description: str | None = None
    design: QRDesign = Field(default_factory=QRDesign)
    created_at: datetime
    updated_at: datetime


# --- assets --------------------------------------------------------------------------


class Asset(XQRModel):
    id: str
    filename: str
    content_type: str
    size: int | None = None
    status: str
    public_url: str | None = None
    created_at: datetime
    updated_at: datetime


class PresignedUpload(XQRModel):
    asset_id: str
    presigned_url: str
    method: str = "PUT"
    headers: dict[str, str] = Field(default_factory=dict)
    expires_at: datetime | None = None
    asset: Asset | None = None


# --- webhooks ------------------------------------------------------------------------


class Webhook(XQRModel):
    id: str
    url: str
    events: list[str]
    description: str | None = None
    enabled: bool = True
    disabled_reason: str | None = None
    failing_since: datetime | None = None
    created_at: datetime
    updated_at: datetime
    signing_secret: str | None = Field(
        None, description="Only on creation and on rotate_secret(); None otherwise."
    )


class DeliveryAttempt(XQRModel):
    attempt: int
    series: int = 1
    at: datetime
    status_code: int | None = None
    response_ms: int | None = None
    error: str | None = None
    response_excerpt: str | None = None


class Delivery(XQRModel):
    id: str
    event: str
    status: str
    attempts: list[DeliveryAttempt] = Field(default_factory=list)
    payload: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime
    next_attempt_at: datetime | None = None


# --- custom domains ------------------------------------------------------------------


class DomainVerification(XQRModel):
    token: str
    url: str
    last_error: str | None = None
    verified_at: datetime | None = None
    checked_at: datetime | None = None


class Domain(XQRModel):
    """A custom domain: `status` is pending, verified or failed (a failed one keeps serving)."""

    id: str
    hostname: str
    purpose: str = "links"
    status: str = "pending"
    default: bool = False
    not_found_url: str | None = None
    root_url: str | None = None
    verification: DomainVerification | None = None
    created_at: datetime
    updated_at: datetime


# --- workspace -----------------------------------------------------------------------


class Workspace(XQRModel):
    id: str
    name: str
    plan: str
    owner: str | None = None
    created_at: datetime


class Member(XQRModel):
    id: str
    email: str
    role: str
    created_at: datetime


class UsageItem(XQRModel):
    used: int
    limit: int | None = Field(None, description="None means unlimited.")


class ApiCallsUsage(UsageItem):
    cycle_start: datetime | None = None
    cycle_end: datetime | None = None


class Usage(XQRModel):
    plan: str
    api_keys: UsageItem | None = None
    links: UsageItem | None = None
    qr_templates: UsageItem | None = None
    bio_pages: UsageItem | None = None
    assets: UsageItem | None = None
    storage_bytes: UsageItem | None = None
    webhooks: UsageItem | None = None
    members: UsageItem | None = None
    reports: UsageItem | None = None
    domains: UsageItem | None = None
    api_calls: ApiCallsUsage | None = None


# --- bio pages -----------------------------------------------------------------------


class BioLink(XQRModel):
    id: str | None = Field(None, description="Send it back on update to keep the link's stats.")
    title: str
    url: str
    icon: str | None = None


class BioPage(XQRModel):
    id: str
    title: str
    slug: str
    bio: str | None = None
    avatar_url: str | None = None
    theme: str | None = None
    colors: dict[str, str] | None = Field(
        None, description="Custom colours laid over the theme (page, text, button, button_text)."
    )
    links: list[BioLink] = Field(default_factory=list)
    status: str = Field("draft", description="draft or published.")
    published_at: datetime | None = None
    public_url: str | None = None
    created_at: datetime
    updated_at: datetime

    @property
    def is_published(self) -> bool:
        return self.status == "published"


class BioTheme(XQRModel):
    name: str
    label: str | None = None
    description: str | None = None
    dark: bool | None = None
    colors: dict[str, str] = Field(default_factory=dict)


class BioIcon(XQRModel):
    name: str
    label: str | None = None


class BioLinkStats(XQRModel):
    id: str
    title: str
    url: str
    clicks: int = 0
    ctr: float = Field(0.0, description="clicks ÷ page views, in percent.")


class BioStatsPoint(XQRModel):
    timestamp: datetime
    views: int = 0
    unique_visitors: int = 0
    clicks: int = 0


class BioPageStats(XQRModel):
    page_id: str
    period: str
    timezone: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    views: int = 0
    unique_visitors: int = 0
    clicks: int = 0
    ctr: float = Field(0.0, description="clicks ÷ views, in percent.")
    links: list[BioLinkStats] = Field(default_factory=list)
    timeseries: list[BioStatsPoint] = Field(default_factory=list)


# --- analytics ---------------------------------------------------------------------


class TimeseriesPoint(XQRModel):
    timestamp: datetime
    scans: int = 0


class TrendPoint(TimeseriesPoint):
    unique_visitors: int = 0


class CountryShare(XQRModel):
    country: str
    country_code: str
    scans: int = 0
    percentage: float = 0.0


class NamedShare(XQRModel):
    name: str
    scans: int = 0
    percentage: float = 0.0


class DeviceBreakdown(XQRModel):
    device_types: list[NamedShare] = Field(default_factory=list)
    browsers: list[NamedShare] = Field(default_factory=list)
    os: list[NamedShare] = Field(default_factory=list)


class PreviousPeriod(XQRModel):
    start: datetime | None = None
    end: datetime | None = None
    total_scans: int = 0
    unique_visitors: int = 0


class PeriodChange(XQRModel):
    total_scans: float | None = Field(None, description="Percent; None when the previous was 0.")
    unique_visitors: float | None = None


class AnalyticsSummary(XQRModel):
    period: str
    timezone: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    total_scans: int = 0
    unique_visitors: int = 0
    top_countries: list[CountryShare] = Field(default_factory=list)
    top_devices: list[NamedShare] = Field(default_factory=list)
    trend: list[TrendPoint] = Field(default_factory=list)
    previous: PreviousPeriod | None = None
    change: PeriodChange | None = None


class TopLink(Link):
    scans: int = Field(0, description="Scans in the period.")


class LinkStats(XQRModel):
    period: str
    timezone: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    link: Link
    total_scans: int = 0
    unique_visitors: int = 0
    timeseries: list[TimeseriesPoint] = Field(default_factory=list)
    geography: list[CountryShare] = Field(default_factory=list)
    devices: DeviceBreakdown = Field(default_factory=DeviceBreakdown)
    sources: list[NamedShare] = Field(default_factory=list)


class ReportSchedule(XQRModel):
    frequency: str = Field(description="daily, weekly or monthly.")
    hour: int = Field(description="0–23 in the report's time zone.")
    weekday: str | None = None
    day: int | None = None


class Report(XQRModel):
    """A saved report. `period` is a named period ("30d") or `{"start", "end"}` (dates)."""

    id: str
    name: str
    kind: str
    period: str | dict[str, str]
    timezone: str
    granularity: str
    link_ids: list[str] = Field(default_factory=list)
    labels: list[str] = Field(default_factory=list)
    format: str
    schedule: ReportSchedule | None = None
    recipients: list[str] = Field(default_factory=list)
    next_run_at: datetime | None = None
    created_at: datetime
    updated_at: datetime


class ReportFile(XQRModel):
    filename: str
    content_type: str
    size: int


class ReportRun(XQRModel):
    """One run of a report; `file` and `download_url` once it has completed."""

    id: str
    report_id: str
    status: str
    trigger: str
    scheduled_for: datetime | None = None
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    period_start: datetime | None = None
    period_end: datetime | None = None
    row_count: int | None = None
    error: str | None = None
    file: ReportFile | None = None
    download_url: str | None = None
    download_url_expires_at: datetime | None = None
    email_status: str | None = None
    email_error: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in ("completed", "failed")
