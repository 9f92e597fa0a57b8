# Generated from _async_resources.py by scripts/unasync.py: do not edit.
"""One resource object per API section: `client.links`, `client.qr`, `client.assets`, ….

Generated from its asynchronous twin: edit that one, not this module (see `scripts/unasync.py`).
"""

from __future__ import annotations

import mimetypes
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from xqr.client._envelope import data_of, model_of, page_of
from xqr.client._models import (
    AnalyticsSummary,
    Asset,
    BioIcon,
    BioPage,
    BioPageStats,
    BioTheme,
    BulkBatch,
    BulkResult,
    CountryShare,
    Delivery,
    DeviceBreakdown,
    Domain,
    Link,
    LinkStats,
    M,
    Member,
    Page,
    PresignedUpload,
    QRCheck,
    QRTemplate,
    Report,
    ReportRun,
    TimeseriesPoint,
    TopLink,
    Usage,
    Webhook,
    Workspace,
)
from xqr.client._types import (
    NOT_GIVEN,
    FilePath,
    Granularity,
    ImageFormat,
    NotGiven,
    Period,
    ProgressCallback,
    body_of,
    query_of,
)

if TYPE_CHECKING:
    from xqr.client._sync_client import XQR

DEFAULT_PAGE_SIZE = 100


def _when(value: datetime | str | NotGiven | None) -> str | NotGiven | None:
    """Datetimes go over the wire as ISO 8601 strings."""
    return value.isoformat() if isinstance(value, datetime) else value


class Resource:
    def __init__(self, client: XQR) -> None:
        self._client = client

    def _model(
        self, model: type[M], method: str, path: str, *, json: Any = None, params: Any = None
    ) -> M:
        response = self._client.request(method, path, json=json, params=params)
        return model_of(response, model)

    def _page(self, model: type[M], path: str, params: Mapping[str, Any]) -> Page[M]:
        response = self._client.request("GET", path, params=params)
        return page_of(response, model)

    def _iterate(
        self, model: type[M], path: str, params: Mapping[str, Any], page_size: int
    ) -> Iterator[M]:
        offset = 0
        while True:
            page = self._page(model, path, {**params, "limit": page_size, "offset": offset})
            yield from page.items
            offset += len(page.items)
            if not page.items or offset >= page.total:
                return

    def _items(self, model: type[M], path: str, params: Mapping[str, Any]) -> list[M]:
        """A list answer that is not paginated."""
        response = self._client.request("GET", path, params=params)
        return [model.model_validate(item) for item in data_of(response)]

    def _image(self, method: str, path: str, *, json: Any = None, params: Any = None) -> bytes:
        response = self._client.request(
            method,
            path,
            json=json,
            params=params,
            accept="image/svg+xml, image/png, application/pdf, application/zip",
        )
        return response.content

    def _delete(self, path: str) -> None:
        self._client.request("DELETE", path)


class LinksResource(Resource):
    """`/links`: short links, bulk creation and link QR codes."""

    def create(
        self,
        url: str,
        *,
        custom_slug: str | NotGiven | None = NOT_GIVEN,
        labels: Sequence[str] | NotGiven | None = NOT_GIVEN,
        routing_rules: Sequence[Mapping[str, Any]] | NotGiven | None = NOT_GIVEN,
        expires_at: datetime | str | NotGiven | None = NOT_GIVEN,
        password: str | NotGiven | None = NOT_GIVEN,
        expired_url: str | NotGiven | None = NOT_GIVEN,
        utm: Mapping[str, str] | NotGiven | None = NOT_GIVEN,
        preview: Mapping[str, str] | NotGiven | None = NOT_GIVEN,
        domain: str | NotGiven | None = NOT_GIVEN,
    ) -> Link:
        """Create a short link (scope `links:write`). `password` is write-only (the link
        answers `has_password`); `utm` keys: source, medium, campaign, term, content;
        `preview` keys: title, description, image_url."""
        body = body_of(
            url=url,
            custom_slug=custom_slug,
            labels=labels,
            routing_rules=routing_rules,
            expires_at=_when(expires_at),
            password=password,
            expired_url=expired_url,
            utm=dict(utm) if isinstance(utm, Mapping) else utm,
            preview=dict(preview) if isinstance(preview, Mapping) else preview,
            domain=domain,
        )
        return self._model(Link, "POST", "/links", json=body)

    def list(
        self,
        *,
        label: str | None = None,
        search: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
        health: str | None = None,
    ) -> Page[Link]:
        """One page of links, newest first (scope `links:read`); `health="broken"` lists the
        links whose destination failed its last check."""
        params = query_of(label=label, search=search, limit=limit, offset=offset, health=health)
        return self._page(Link, "/links", params)

    def iter(
        self,
        *,
        label: str | None = None,
        search: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Iterator[Link]:
        """Every matching link, fetching pages as the iteration goes."""
        return self._iterate(Link, "/links", query_of(label=label, search=search), page_size)

    def get(self, link_id: str) -> Link:
        return self._model(Link, "GET", f"/links/{link_id}")

    def update(
        self,
        link_id: str,
        *,
        url: str | NotGiven = NOT_GIVEN,
        custom_slug: str | NotGiven | None = NOT_GIVEN,
        labels: Sequence[str] | NotGiven | None = NOT_GIVEN,
        routing_rules: Sequence[Mapping[str, Any]] | NotGiven | None = NOT_GIVEN,
        enabled: bool | NotGiven = NOT_GIVEN,
        expires_at: datetime | str | NotGiven | None = NOT_GIVEN,
        password: str | NotGiven | None = NOT_GIVEN,
        expired_url: str | NotGiven | None = NOT_GIVEN,
        utm: Mapping[str, str] | NotGiven | None = NOT_GIVEN,
        preview: Mapping[str, str] | NotGiven | None = NOT_GIVEN,
        domain: str | NotGiven | None = NOT_GIVEN,
    ) -> Link:
        """Change the fields given; `None` clears a clearable field (scope `links:write`)."""
        body = body_of(
            url=url,
            custom_slug=custom_slug,
            labels=labels,
            routing_rules=routing_rules,
            enabled=enabled,
            expires_at=_when(expires_at),
            password=password,
            expired_url=expired_url,
            utm=dict(utm) if isinstance(utm, Mapping) else utm,
            preview=dict(preview) if isinstance(preview, Mapping) else preview,
            domain=domain,
        )
        return self._model(Link, "PATCH", f"/links/{link_id}", json=body)

    def delete(self, link_id: str) -> None:
        self._delete(f"/links/{link_id}")

    def bulk_create(self, links: Sequence[Mapping[str, Any]]) -> BulkResult:
        """Create up to 100 `{url, custom_slug?, labels?}` links; invalid items are reported."""
        return self._model(
            BulkResult, "POST", "/links/bulk", json={"links": [dict(x) for x in links]}
        )

    def bulk_status(self, batch_id: str) -> BulkBatch:
        return self._model(BulkBatch, "GET", f"/links/bulk/{batch_id}")

    def qr(
        self,
        link_id: str,
        *,
        size: int | None = None,
        format: ImageFormat | None = None,
        foreground: str | None = None,
        background: str | None = None,
        template_id: str | None = None,
        frame: str | None = None,
        frame_text: str | None = None,
        quiet_zone: int | None = None,
        width_mm: float | None = None,
        dpi: int | None = None,
    ) -> bytes:
        """The link's QR code image (SVG by default, PNG or PDF) as bytes (scope `qr:render`).

        `frame` (a style) and `frame_text` put a call to action around it; `width_mm` and
        `dpi` give it a printed size."""
        params = query_of(
            size=size,
            format=format,
            foreground=foreground,
            background=background,
            template_id=template_id,
            frame=frame,
            frame_text=frame_text,
            quiet_zone=quiet_zone,
            width_mm=width_mm,
            dpi=dpi,
        )
        return self._image("GET", f"/links/{link_id}/qr", params=params)


class QRTemplatesResource(Resource):
    """`/qr/templates`: saved QR designs."""

    def create(
        self,
        name: str,
        *,
        description: str | NotGiven | None = NOT_GIVEN,
        design: Mapping[str, Any] | NotGiven | None = NOT_GIVEN,
    ) -> QRTemplate:
        body = body_of(name=name, description=description, design=design)
        return self._model(QRTemplate, "POST", "/qr/templates", json=body)

    def list(self, *, limit: int | None = None, offset: int | None = None) -> Page[QRTemplate]:
        return self._page(QRTemplate, "/qr/templates", query_of(limit=limit, offset=offset))

    def iter(self, *, page_size: int = DEFAULT_PAGE_SIZE) -> Iterator[QRTemplate]:
        return self._iterate(QRTemplate, "/qr/templates", {}, page_size)

    def get(self, template_id: str) -> QRTemplate:
        return self._model(QRTemplate, "GET", f"/qr/templates/{template_id}")

    def update(
        self,
        template_id: str,
        *,
        name: str | NotGiven = NOT_GIVEN,
        description: str | NotGiven | None = NOT_GIVEN,
        design: Mapping[str, Any] | NotGiven | None = NOT_GIVEN,
    ) -> QRTemplate:
        """A merge patch: design keys given replace the stored ones (None resets one)."""
        body = body_of(name=name, description=description, design=design)
        return self._model(QRTemplate, "PATCH", f"/qr/templates/{template_id}", json=body)

    def delete(self, template_id: str) -> None:
        self._delete(f"/qr/templates/{template_id}")

    def render(
        self,
        template_id: str,
        content: str,
        *,
        size: int | NotGiven = NOT_GIVEN,
        format: ImageFormat | NotGiven = NOT_GIVEN,
        width_mm: float | NotGiven = NOT_GIVEN,
        dpi: int | NotGiven = NOT_GIVEN,
    ) -> bytes:
        """Render `content` with the template's design; the image's bytes."""
        body = body_of(content=content, size=size, format=format, width_mm=width_mm, dpi=dpi)
        return self._image("POST", f"/qr/templates/{template_id}/render", json=body)


class QRResource(Resource):
    """`/qr`: render QR codes; `.templates` manages saved designs."""

    def __init__(self, client: XQR) -> None:
        super().__init__(client)
        self.templates = QRTemplatesResource(client)

    def generate(
        self,
        content: str,
        *,
        size: int | NotGiven = NOT_GIVEN,
        format: ImageFormat | NotGiven = NOT_GIVEN,
        error_correction: str | NotGiven = NOT_GIVEN,
        foreground: str | NotGiven = NOT_GIVEN,
        background: str | NotGiven = NOT_GIVEN,
        dot_style: str | NotGiven = NOT_GIVEN,
        corner_style: str | NotGiven = NOT_GIVEN,
        logo_url: str | NotGiven = NOT_GIVEN,
        eye_color: Mapping[str, Any] | NotGiven = NOT_GIVEN,
        gradient: Mapping[str, Any] | NotGiven = NOT_GIVEN,
        frame: Mapping[str, Any] | NotGiven = NOT_GIVEN,
        quiet_zone: int | NotGiven = NOT_GIVEN,
        logo_size: float | NotGiven = NOT_GIVEN,
        width_mm: float | NotGiven = NOT_GIVEN,
        dpi: int | NotGiven = NOT_GIVEN,
    ) -> bytes:
        """Render `content` as an SVG (default), PNG or PDF image; the image's bytes.

        `eye_color` (`{"outer", "inner"}`), `gradient` (`{"type", "colors", "angle"}`) and
        `frame` (`{"style", "text", "color", "text_color"}`) are objects; see docs/qr.md."""
        body = body_of(
            content=content,
            size=size,
            format=format,
            error_correction=error_correction,
            foreground=foreground,
            background=background,
            dot_style=dot_style,
            corner_style=corner_style,
            logo_url=logo_url,
            eye_color=eye_color,
            gradient=gradient,
            frame=frame,
            quiet_zone=quiet_zone,
            logo_size=logo_size,
            width_mm=width_mm,
            dpi=dpi,
        )
        return self._image("POST", "/qr/generate", json=body)

    def check(
        self,
        content: str,
        *,
        scan_distance_cm: float | NotGiven = NOT_GIVEN,
        **design: Any,
    ) -> QRCheck:
        """Will this design scan? The same design fields as `generate`; a `QRCheck` report."""
        body = body_of(content=content, scan_distance_cm=scan_distance_cm, **design)
        return self._model(QRCheck, "POST", "/qr/check", json=body)

    def bulk(
        self,
        items: Sequence[Mapping[str, Any]],
        *,
        template_id: str | NotGiven = NOT_GIVEN,
        format: ImageFormat | NotGiven = NOT_GIVEN,
        size: int | NotGiven = NOT_GIVEN,
        width_mm: float | NotGiven = NOT_GIVEN,
        dpi: int | NotGiven = NOT_GIVEN,
    ) -> bytes:
        """Up to 500 codes (`{"link_id"}` or `{"content", "file_name"}` items) as a ZIP with
        `manifest.csv`; the ZIP's bytes."""
        body = body_of(
            items=[dict(item) for item in items],
            template_id=template_id,
            format=format,
            size=size,
            width_mm=width_mm,
            dpi=dpi,
        )
        return self._image("POST", "/qr/bulk", json=body)


class AnalyticsResource(Resource):
    """`/analytics`: scan statistics (scope `analytics:read`).

    `period` is 7d, 30d, 90d (calendar days ending today) or all; `timezone` (IANA) sets the
    day boundaries. Bots are not counted.
    """

    def summary(
        self, *, period: Period | None = None, timezone: str | None = None
    ) -> AnalyticsSummary:
        """Total scans, unique visitors, top countries and devices, trend, previous period."""
        params = query_of(period=period, timezone=timezone)
        return self._model(AnalyticsSummary, "GET", "/analytics/summary", params=params)

    def timeseries(
        self,
        *,
        period: Period | None = None,
        granularity: Granularity | None = None,
        link_id: str | None = None,
        timezone: str | None = None,
    ) -> list[TimeseriesPoint]:
        """Scans per `hour` or `day`, zero-filled."""
        params = query_of(
            period=period, granularity=granularity, link_id=link_id, timezone=timezone
        )
        return self._items(TimeseriesPoint, "/analytics/timeseries", params)

    def geography(
        self,
        *,
        period: Period | None = None,
        link_id: str | None = None,
        timezone: str | None = None,
    ) -> list[CountryShare]:
        """Scans per country with their share of the period's total."""
        params = query_of(period=period, link_id=link_id, timezone=timezone)
        return self._items(CountryShare, "/analytics/geography", params)

    def devices(
        self,
        *,
        period: Period | None = None,
        link_id: str | None = None,
        timezone: str | None = None,
    ) -> DeviceBreakdown:
        """Scans by device type, browser and operating system."""
        params = query_of(period=period, link_id=link_id, timezone=timezone)
        return self._model(DeviceBreakdown, "GET", "/analytics/devices", params=params)

    def top_links(
        self,
        *,
        period: Period | None = None,
        limit: int | None = None,
        timezone: str | None = None,
    ) -> list[TopLink]:
        """The most scanned links of the period (`limit` 1–100), with their `scans`."""
        params = query_of(period=period, limit=limit, timezone=timezone)
        return self._items(TopLink, "/analytics/top-links", params)

    def link_stats(
        self,
        link_id: str,
        *,
        period: Period | None = None,
        granularity: Granularity | None = None,
        timezone: str | None = None,
    ) -> LinkStats:
        """One link's totals, time series, geography, devices and QR-versus-direct split."""
        params = query_of(period=period, granularity=granularity, timezone=timezone)
        return self._model(LinkStats, "GET", f"/analytics/links/{link_id}", params=params)


class BioPagesResource(Resource):
    """`/bio/pages`: link-in-bio pages."""

    def create(
        self,
        title: str,
        *,
        slug: str | NotGiven = NOT_GIVEN,
        bio: str | NotGiven | None = NOT_GIVEN,
        avatar_url: str | NotGiven | None = NOT_GIVEN,
        theme: str | NotGiven = NOT_GIVEN,
        links: Sequence[Mapping[str, Any]] | NotGiven = NOT_GIVEN,
    ) -> BioPage:
        body = body_of(
            title=title,
            slug=slug,
            bio=bio,
            avatar_url=avatar_url,
            theme=theme,
            links=[dict(x) for x in links] if isinstance(links, Sequence) else links,
        )
        return self._model(BioPage, "POST", "/bio/pages", json=body)

    def list(self, *, limit: int | None = None, offset: int | None = None) -> Page[BioPage]:
        return self._page(BioPage, "/bio/pages", query_of(limit=limit, offset=offset))

    def iter(self, *, page_size: int = DEFAULT_PAGE_SIZE) -> Iterator[BioPage]:
        return self._iterate(BioPage, "/bio/pages", {}, page_size)

    def get(self, page_id: str) -> BioPage:
        return self._model(BioPage, "GET", f"/bio/pages/{page_id}")

    def update(
        self,
        page_id: str,
        *,
        title: str | NotGiven = NOT_GIVEN,
        slug: str | NotGiven = NOT_GIVEN,
        bio: str | NotGiven | None = NOT_GIVEN,
        avatar_url: str | NotGiven | None = NOT_GIVEN,
        theme: str | NotGiven = NOT_GIVEN,
        links: Sequence[Mapping[str, Any]] | NotGiven = NOT_GIVEN,
    ) -> BioPage:
        body = body_of(
            title=title,
            slug=slug,
            bio=bio,
            avatar_url=avatar_url,
            theme=theme,
            links=[dict(x) for x in links] if isinstance(links, Sequence) else links,
        )
        return self._model(BioPage, "PATCH", f"/bio/pages/{page_id}", json=body)

    def delete(self, page_id: str) -> None:
        self._delete(f"/bio/pages/{page_id}")

    def publish(self, page_id: str) -> BioPage:
        """Make the page public at its `public_url`."""
        return self._model(BioPage, "POST", f"/bio/pages/{page_id}/publish")

    def unpublish(self, page_id: str) -> BioPage:
        return self._model(BioPage, "POST", f"/bio/pages/{page_id}/unpublish")

    def stats(self, page_id: str, *, period: Period | None = None) -> BioPageStats:
        """Views, unique visitors, clicks and CTR per link, daily series (`analytics:read`)."""
        return self._model(
            BioPageStats,
            "GET",
            f"/bio/pages/{page_id}/stats",
            params=query_of(period=period),
        )


class BioResource(Resource):
    """Link-in-bio: `.pages`."""

    def __init__(self, client: XQR) -> None:
        super().__init__(client)
        self.pages = BioPagesResource(client)

    def themes(self) -> Page[BioTheme]:
        """The theme presets a page's `theme` may name."""
        return self._page(BioTheme, "/bio/themes", {})

    def icons(self) -> Page[BioIcon]:
        """The icons a bio link's `icon` may name."""
        return self._page(BioIcon, "/bio/icons", {})


class AssetsResource(Resource):
    """`/assets`: uploads (presign → PUT → confirm), publishing to the public CDN."""

    def presign(self, filename: str, content_type: str) -> PresignedUpload:
        body = {"filename": filename, "content_type": content_type}
        return self._model(PresignedUpload, "POST", "/assets/presign", json=body)

    def confirm(self, asset_id: str) -> Asset:
        return self._model(Asset, "POST", f"/assets/{asset_id}/confirm")

    def upload(
        self,
        path: FilePath,
        *,
        content_type: str | None = None,
        filename: str | None = None,
        publish: bool = False,
        progress: ProgressCallback | None = None,
    ) -> Asset:
        """Upload a file in one call: presign, PUT the bytes, confirm (and publish).

        `content_type` is guessed from the file name when left out; `progress` is called
        with (bytes sent, total bytes) as the upload goes.
        """
        name = filename or os.path.basename(os.fspath(path))
        kind = content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
        presigned = self.presign(name, kind)
        headers = presigned.headers or {"Content-Type": kind}
        self._client.put_file(presigned.presigned_url, path, headers=headers, progress=progress)
        asset = self.confirm(presigned.asset_id)
        if publish:
            asset = self.publish(asset.id)
        return asset

    def get(self, asset_id: str) -> Asset:
        return self._model(Asset, "GET", f"/assets/{asset_id}")

    def list(
        self,
        *,
        status: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> Page[Asset]:
        return self._page(Asset, "/assets", query_of(status=status, limit=limit, offset=offset))

    def iter(
        self, *, status: str | None = None, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Iterator[Asset]:
        return self._iterate(Asset, "/assets", query_of(status=status), page_size)

    def delete(self, asset_id: str) -> None:
        self._delete(f"/assets/{asset_id}")

    def publish(self, asset_id: str) -> Asset:
        """Copy a confirmed asset to the public CDN; the answer carries `public_url`."""
        return self._model(Asset, "POST", f"/assets/{asset_id}/publish")


class WebhooksResource(Resource):
    """`/webhooks`: endpoints, their deliveries, test pings, retries and secret rotation."""

    def create(
        self,
        url: str,
        events: Sequence[str],
        *,
        description: str | NotGiven | None = NOT_GIVEN,
    ) -> Webhook:
        """Register an endpoint; the answer's `signing_secret` is shown this once."""
        body = body_of(url=url, events=list(events), description=description)
        return self._model(Webhook, "POST", "/webhooks", json=body)

    def list(self, *, limit: int | None = None, offset: int | None = None) -> Page[Webhook]:
        return self._page(Webhook, "/webhooks", query_of(limit=limit, offset=offset))

    def iter(self, *, page_size: int = DEFAULT_PAGE_SIZE) -> Iterator[Webhook]:
        return self._iterate(Webhook, "/webhooks", {}, page_size)

    def get(self, webhook_id: str) -> Webhook:
        return self._model(Webhook, "GET", f"/webhooks/{webhook_id}")

    def update(
        self,
        webhook_id: str,
        *,
        url: str | NotGiven = NOT_GIVEN,
        events: Sequence[str] | NotGiven = NOT_GIVEN,
        description: str | NotGiven | None = NOT_GIVEN,
        enabled: bool | NotGiven = NOT_GIVEN,
    ) -> Webhook:
        body = body_of(
            url=url,
            events=list(events) if isinstance(events, Sequence) else events,
            description=description,
            enabled=enabled,
        )
        return self._model(Webhook, "PATCH", f"/webhooks/{webhook_id}", json=body)

    def delete(self, webhook_id: str) -> None:
        self._delete(f"/webhooks/{webhook_id}")

    def deliveries(
        self,
        webhook_id: str,
        *,
        status: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> Page[Delivery]:
        """Recent deliveries with every attempt, newest first."""
        params = query_of(status=status, limit=limit, offset=offset)
        return self._page(Delivery, f"/webhooks/{webhook_id}/deliveries", params)

    def iter_deliveries(
        self,
        webhook_id: str,
        *,
        status: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Iterator[Delivery]:
        return self._iterate(
            Delivery, f"/webhooks/{webhook_id}/deliveries", query_of(status=status), page_size
        )

    def get_delivery(self, webhook_id: str, delivery_id: str) -> Delivery:
        return self._model(Delivery, "GET", f"/webhooks/{webhook_id}/deliveries/{delivery_id}")

    def retry(self, webhook_id: str, delivery_id: str) -> Delivery:
        """Send a delivery again now, as a new series of attempts."""
        return self._model(
            Delivery, "POST", f"/webhooks/{webhook_id}/deliveries/{delivery_id}/retry"
        )

    def test(self, webhook_id: str) -> Delivery:
        """Queue a `test.ping` event to this endpoint only."""
        return self._model(Delivery, "POST", f"/webhooks/{webhook_id}/test")

    def rotate_secret(self, webhook_id: str) -> Webhook:
        """Replace the signing secret; the answer's `signing_secret` is the new one."""
        return self._model(Webhook, "POST", f"/webhooks/{webhook_id}/rotate-secret")


class DomainsResource(Resource):
    """`/domains`: custom domains and their verification (scopes `domains:read`,
    `domains:write`)."""

    def create(
        self,
        hostname: str,
        *,
        purpose: str | NotGiven = NOT_GIVEN,
        default: bool | NotGiven = NOT_GIVEN,
        not_found_url: str | NotGiven | None = NOT_GIVEN,
        root_url: str | NotGiven | None = NOT_GIVEN,
    ) -> Domain:
        """Add a host name (pending until `verify()` succeeds)."""
        body = body_of(
            hostname=hostname,
            purpose=purpose,
            default=default,
            not_found_url=not_found_url,
            root_url=root_url,
        )
        return self._model(Domain, "POST", "/domains", json=body)

    def list(self, *, limit: int | None = None, offset: int | None = None) -> Page[Domain]:
        return self._page(Domain, "/domains", query_of(limit=limit, offset=offset))

    def iter(self, *, page_size: int = DEFAULT_PAGE_SIZE) -> Iterator[Domain]:
        return self._iterate(Domain, "/domains", {}, page_size)

    def get(self, domain_id: str) -> Domain:
        return self._model(Domain, "GET", f"/domains/{domain_id}")

    def update(
        self,
        domain_id: str,
        *,
        purpose: str | NotGiven = NOT_GIVEN,
        default: bool | NotGiven = NOT_GIVEN,
        not_found_url: str | NotGiven | None = NOT_GIVEN,
        root_url: str | NotGiven | None = NOT_GIVEN,
    ) -> Domain:
        """Change the fields given; `None` clears a URL."""
        body = body_of(
            purpose=purpose, default=default, not_found_url=not_found_url, root_url=root_url
        )
        return self._model(Domain, "PATCH", f"/domains/{domain_id}", json=body)

    def delete(self, domain_id: str) -> None:
        self._delete(f"/domains/{domain_id}")

    def verify(self, domain_id: str) -> Domain:
        """Check the host now; the answer's `status` and `verification.last_error` tell."""
        return self._model(Domain, "POST", f"/domains/{domain_id}/verify")


class ReportsResource(Resource):
    """`/reports`: saved analytics reports, their runs and files (scopes `reports:read`,
    `reports:write`; creating, changing and running also need `analytics:read`).

    `period` is 7d, 30d, 90d, all, or `{"start": "2026-03-01", "end": "2026-03-31"}`;
    `schedule` is e.g. `{"frequency": "weekly", "weekday": "monday", "hour": 8}`.
    """

    def create(
        self,
        name: str,
        kind: str,
        *,
        period: str | Mapping[str, str] | NotGiven = NOT_GIVEN,
        timezone: str | NotGiven = NOT_GIVEN,
        granularity: Granularity | NotGiven = NOT_GIVEN,
        link_ids: Sequence[str] | NotGiven = NOT_GIVEN,
        labels: Sequence[str] | NotGiven = NOT_GIVEN,
        format: str | NotGiven = NOT_GIVEN,
        schedule: Mapping[str, Any] | NotGiven | None = NOT_GIVEN,
        recipients: Sequence[str] | NotGiven = NOT_GIVEN,
    ) -> Report:
        """Save a report (kind: summary, timeseries, geography, devices, top_links, links)."""
        body = body_of(
            name=name,
            kind=kind,
            period=dict(period) if isinstance(period, Mapping) else period,
            timezone=timezone,
            granularity=granularity,
            link_ids=list(link_ids) if isinstance(link_ids, Sequence) else link_ids,
            labels=list(labels) if isinstance(labels, Sequence) else labels,
            format=format,
            schedule=dict(schedule) if isinstance(schedule, Mapping) else schedule,
            recipients=list(recipients) if isinstance(recipients, Sequence) else recipients,
        )
        return self._model(Report, "POST", "/reports", json=body)

    def list(self, *, limit: int | None = None, offset: int | None = None) -> Page[Report]:
        return self._page(Report, "/reports", query_of(limit=limit, offset=offset))

    def iter(self, *, page_size: int = DEFAULT_PAGE_SIZE) -> Iterator[Report]:
        return self._iterate(Report, "/reports", {}, page_size)

    def get(self, report_id: str) -> Report:
        return self._model(Report, "GET", f"/reports/{report_id}")

    def update(self, report_id: str, **fields: Any) -> Report:
        """Change the given fields (`schedule=None` removes the schedule)."""
        return self._model(Report, "PATCH", f"/reports/{report_id}", json=fields)

    def delete(self, report_id: str) -> None:
        """Delete the report with its runs and files."""
        self._delete(f"/reports/{report_id}")

    def run(self, report_id: str) -> ReportRun:
        """Queue a run now (status `queued`); see `wait_for_run`."""
        return self._model(ReportRun, "POST", f"/reports/{report_id}/runs")

    def runs(
        self, report_id: str, *, limit: int | None = None, offset: int | None = None
    ) -> Page[ReportRun]:
        """The report's runs, newest first."""
        params = query_of(limit=limit, offset=offset)
        return self._page(ReportRun, f"/reports/{report_id}/runs", params)

    def get_run(self, run_id: str) -> ReportRun:
        return self._model(ReportRun, "GET", f"/reports/runs/{run_id}")

    def wait_for_run(
        self, run_id: str, *, timeout: float = 120.0, interval: float = 0.5
    ) -> ReportRun:
        """Poll the run until it has completed or failed (or `timeout` seconds passed)."""
        waited = 0.0
        while True:
            run = self.get_run(run_id)
            if run.finished or waited >= timeout:
                return run
            time.sleep(interval)
            waited += interval

    def download(self, run_id: str) -> bytes:
        """The completed run's file (CSV, JSON or PDF bytes)."""
        response = self._client.request("GET", f"/reports/runs/{run_id}/download", accept="*/*")
        return response.content


class WorkspaceResource(Resource):
    """`/workspace`: the key's workspace, its members and its usage."""

    def get(self) -> Workspace:
        return self._model(Workspace, "GET", "/workspace")

    def members(self, *, limit: int | None = None, offset: int | None = None) -> Page[Member]:
        return self._page(Member, "/workspace/members", query_of(limit=limit, offset=offset))

    def iter_members(self, *, page_size: int = DEFAULT_PAGE_SIZE) -> Iterator[Member]:
        return self._iterate(Member, "/workspace/members", {}, page_size)

    def usage(self) -> Usage:
        """Current usage against the plan's limits (`limit` None = unlimited)."""
        return self._model(Usage, "GET", "/workspace/usage")
