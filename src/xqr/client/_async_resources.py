"""One resource object per API section: `client.links`, `client.qr`, `client.assets`, ….

Edit this module, not its generated synchronous twin (see `scripts/unasync.py`).
"""

from __future__ import annotations

import asyncio
import mimetypes
import os
from collections.abc import AsyncIterator, Mapping, Sequence
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
    from xqr.client._async_client import AsyncXQR

DEFAULT_PAGE_SIZE = 100


def _when(value: datetime | str | NotGiven | None) -> str | NotGiven | None:
    """Datetimes go over the wire as ISO 8601 strings."""
    return value.isoformat() if isinstance(value, datetime) else value


class AsyncResource:
    def __init__(self, client: AsyncXQR) -> None:
        self._client = client

    async def _model(
        self, model: type[M], method: str, path: str, *, json: Any = None, params: Any = None
    ) -> M:
        response = await self._client.request(method, path, json=json, params=params)
        return model_of(response, model)

    async def _page(self, model: type[M], path: str, params: Mapping[str, Any]) -> Page[M]:
        response = await self._client.request("GET", path, params=params)
        return page_of(response, model)

    async def _iterate(
        self, model: type[M], path: str, params: Mapping[str, Any], page_size: int
    ) -> AsyncIterator[M]:
        offset = 0
        while True:
            page = await self._page(model, path, {**params, "limit": page_size, "offset": offset})
            for item in page.items:
                yield item
            offset += len(page.items)
            if not page.items or offset >= page.total:
                return

    async def _items(self, model: type[M], path: str, params: Mapping[str, Any]) -> list[M]:
        """A list answer that is not paginated."""
        response = await self._client.request("GET", path, params=params)
        return [model.model_validate(item) for item in data_of(response)]

    async def _image(
        self, method: str, path: str, *, json: Any = None, params: Any = None
    ) -> bytes:
        response = await self._client.request(
            method,
            path,
            json=json,
            params=params,
            accept="image/svg+xml, image/png, application/pdf, application/zip",
        )
        return response.content

    async def _delete(self, path: str) -> None:
        await self._client.request("DELETE", path)


class AsyncLinksResource(AsyncResource):
    """`/links`: short links, bulk creation and link QR codes."""

    async def create(
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
        return await self._model(Link, "POST", "/links", json=body)

    async def list(
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
        return await self._page(Link, "/links", params)

    def iter(
        self,
        *,
        label: str | None = None,
        search: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> AsyncIterator[Link]:
        """Every matching link, fetching pages as the iteration goes."""
        return self._iterate(Link, "/links", query_of(label=label, search=search), page_size)

    async def get(self, link_id: str) -> Link:
        return await self._model(Link, "GET", f"/links/{link_id}")

    async def update(
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
        return await self._model(Link, "PATCH", f"/links/{link_id}", json=body)

    async def delete(self, link_id: str) -> None:
        await self._delete(f"/links/{link_id}")

    async def bulk_create(self, links: Sequence[Mapping[str, Any]]) -> BulkResult:
        """Create up to 100 `{url, custom_slug?, labels?}` links; invalid items are reported."""
        return await self._model(
            BulkResult, "POST", "/links/bulk", json={"links": [dict(x) for x in links]}
        )

    async def bulk_status(self, batch_id: str) -> BulkBatch:
        return await self._model(BulkBatch, "GET", f"/links/bulk/{batch_id}")

    async def qr(
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
        return await self._image("GET", f"/links/{link_id}/qr", params=params)


class AsyncQRTemplatesResource(AsyncResource):
    """`/qr/templates`: saved QR designs."""

    async def create(
        self,
        name: str,
        *,
        description: str | NotGiven | None = NOT_GIVEN,
        design: Mapping[str, Any] | NotGiven | None = NOT_GIVEN,
    ) -> QRTemplate:
        body = body_of(name=name, description=description, design=design)
        return await self._model(QRTemplate, "POST", "/qr/templates", json=body)

    async def list(
        self, *, limit: int | None = None, offset: int | None = None
    ) -> Page[QRTemplate]:
        return await self._page(QRTemplate, "/qr/templates", query_of(limit=limit, offset=offset))

    def iter(self, *, page_size: int = DEFAULT_PAGE_SIZE) -> AsyncIterator[QRTemplate]:
        return self._iterate(QRTemplate, "/qr/templates", {}, page_size)

    async def get(self, template_id: str) -> QRTemplate:
        return await self._model(QRTemplate, "GET", f"/qr/templates/{template_id}")

    async def update(
        self,
        template_id: str,
        *,
        name: str | NotGiven = NOT_GIVEN,
        description: str | NotGiven | None = NOT_GIVEN,
        design: Mapping[str, Any] | NotGiven | None = NOT_GIVEN,
    ) -> QRTemplate:
        """A merge patch: design keys given replace the stored ones (None resets one)."""
        body = body_of(name=name, description=description, design=design)
        return await self._model(QRTemplate, "PATCH", f"/qr/templates/{template_id}", json=body)

    async def delete(self, template_id: str) -> None:
        await self._delete(f"/qr/templates/{template_id}")

    async def render(
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
        return await self._image("POST", f"/qr/templates/{template_id}/render", json=body)


class AsyncQRResource(AsyncResource):
    """`/qr`: render QR codes; `.templates` manages saved designs."""

    def __init__(self, client: AsyncXQR) -> None:
        super().__init__(client)
        self.templates = AsyncQRTemplatesResource(client)

    async def generate(
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
        return await self._image("POST", "/qr/generate", json=body)

    async def check(
        self,
        content: str,
        *,
        scan_distance_cm: float | NotGiven = NOT_GIVEN,
        **design: Any,
    ) -> QRCheck:
        """Will this design scan? The same design fields as `generate`; a `QRCheck` report."""
        body = body_of(content=content, scan_distance_cm=scan_distance_cm, **design)
        return await self._model(QRCheck, "POST", "/qr/check", json=body)

    async def bulk(
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
        return await self._image("POST", "/qr/bulk", json=body)


class AsyncAnalyticsResource(AsyncResource):
    """`/analytics`: scan statistics (scope `analytics:read`).

    `period` is 7d, 30d, 90d (calendar days ending today) or all; `timezone` (IANA) sets the
    day boundaries. Bots are not counted.
    """

    async def summary(
        self, *, period: Period | None = None, timezone: str | None = None
    ) -> AnalyticsSummary:
        """Total scans, unique visitors, top countries and devices, trend, previous period."""
        params = query_of(period=period, timezone=timezone)
        return await self._model(AnalyticsSummary, "GET", "/analytics/summary", params=params)

    async def timeseries(
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
        return await self._items(TimeseriesPoint, "/analytics/timeseries", params)

    async def geography(
        self,
        *,
        period: Period | None = None,
        link_id: str | None = None,
        timezone: str | None = None,
    ) -> list[CountryShare]:
        """Scans per country with their share of the period's total."""
        params = query_of(period=period, link_id=link_id, timezone=timezone)
        return await self._items(CountryShare, "/analytics/geography", params)

    async def devices(
        self,
        *,
        period: Period | None = None,
        link_id: str | None = None,
        timezone: str | None = None,
    ) -> DeviceBreakdown:
        """Scans by device type, browser and operating system."""
        params = query_of(period=period, link_id=link_id, timezone=timezone)
        return await self._model(DeviceBreakdown, "GET", "/analytics/devices", params=params)

    async def top_links(
        self,
        *,
        period: Period | None = None,
        limit: int | None = None,
        timezone: str | None = None,
    ) -> list[TopLink]:
        """The most scanned links of the period (`limit` 1–100), with their `scans`."""
        params = query_of(period=period, limit=limit, timezone=timezone)
        return await self._items(TopLink, "/analytics/top-links", params)

    async def link_stats(
        self,
        link_id: str,
        *,
        period: Period | None = None,
        granularity: Granularity | None = None,
        timezone: str | None = None,
    ) -> LinkStats:
        """One link's totals, time series, geography, devices and QR-versus-direct split."""
        params = query_of(period=period, granularity=granularity, timezone=timezone)
        return await self._model(LinkStats, "GET", f"/analytics/links/{link_id}", params=params)


class AsyncBioPagesResource(AsyncResource):
    """`/bio/pages`: link-in-bio pages."""

    async def create(
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
        return await self._model(BioPage, "POST", "/bio/pages", json=body)

    async def list(self, *, limit: int | None = None, offset: int | None = None) -> Page[BioPage]:
        return await self._page(BioPage, "/bio/pages", query_of(limit=limit, offset=offset))

    def iter(self, *, page_size: int = DEFAULT_PAGE_SIZE) -> AsyncIterator[BioPage]:
        return self._iterate(BioPage, "/bio/pages", {}, page_size)

    async def get(self, page_id: str) -> BioPage:
        return await self._model(BioPage, "GET", f"/bio/pages/{page_id}")

    async def update(
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
        return await self._model(BioPage, "PATCH", f"/bio/pages/{page_id}", json=body)

    async def delete(self, page_id: str) -> None:
        await self._delete(f"/bio/pages/{page_id}")

    async def publish(self, page_id: str) -> BioPage:
        """Make the page public at its `public_url`."""
        return await self._model(BioPage, "POST", f"/bio/pages/{page_id}/publish")

    async def unpublish(self, page_id: str) -> BioPage:
        return await self._model(BioPage, "POST", f"/bio/pages/{page_id}/unpublish")

    async def stats(self, page_id: str, *, period: Period | None = None) -> BioPageStats:
        """Views, unique visitors, clicks and CTR per link, daily series (`analytics:read`)."""
        return await self._model(
            BioPageStats,
            "GET",
            f"/bio/pages/{page_id}/stats",
            params=query_of(period=period),
        )


class AsyncBioResource(AsyncResource):
    """Link-in-bio: `.pages`."""

    def __init__(self, client: AsyncXQR) -> None:
        super().__init__(client)
        self.pages = AsyncBioPagesResource(client)

    async def themes(self) -> Page[BioTheme]:
        """The theme presets a page's `theme` may name."""
        return await self._page(BioTheme, "/bio/themes", {})

    async def icons(self) -> Page[BioIcon]:
        """The icons a bio link's `icon` may name."""
        return await self._page(BioIcon, "/bio/icons", {})


class AsyncAssetsResource(AsyncResource):
    """`/assets`: uploads (presign → PUT → confirm), publishing to the public CDN."""

    async def presign(self, filename: str, content_type: str) -> PresignedUpload:
        body = {"filename": filename, "content_type": content_type}
        return await self._model(PresignedUpload, "POST", "/assets/presign", json=body)

    async def confirm(self, asset_id: str) -> Asset:
        return await self._model(Asset, "POST", f"/assets/{asset_id}/confirm")

    async def upload(
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
        presigned = await self.presign(name, kind)
        headers = presigned.headers or {"Content-Type": kind}
        await self._client.put_file(
            presigned.presigned_url, path, headers=headers, progress=progress
        )
        asset = await self.confirm(presigned.asset_id)
        if publish:
            asset = await self.publish(asset.id)
        return asset

    async def get(self, asset_id: str) -> Asset:
        return await self._model(Asset, "GET", f"/assets/{asset_id}")

    async def list(
        self,
        *,
        status: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> Page[Asset]:
        return await self._page(
            Asset, "/assets", query_of(status=status, limit=limit, offset=offset)
        )

    def iter(
        self, *, status: str | None = None, page_size: int = DEFAULT_PAGE_SIZE
    ) -> AsyncIterator[Asset]:
        return self._iterate(Asset, "/assets", query_of(status=status), page_size)

    async def delete(self, asset_id: str) -> None:
        await self._delete(f"/assets/{asset_id}")

    async def publish(self, asset_id: str) -> Asset:
        """Copy a confirmed asset to the public CDN; the answer carries `public_url`."""
        return await self._model(Asset, "POST", f"/assets/{asset_id}/publish")


class AsyncWebhooksResource(AsyncResource):
    """`/webhooks`: endpoints, their deliveries, test pings, retries and secret rotation."""

    async def create(
        self,
        url: str,
        events: Sequence[str],
        *,
        description: str | NotGiven | None = NOT_GIVEN,
    ) -> Webhook:
        """Register an endpoint; the answer's `signing_secret` is shown this once."""
        body = body_of(url=url, events=list(events), description=description)
        return await self._model(Webhook, "POST", "/webhooks", json=body)

    async def list(self, *, limit: int | None = None, offset: int | None = None) -> Page[Webhook]:
        return await self._page(Webhook, "/webhooks", query_of(limit=limit, offset=offset))

    def iter(self, *, page_size: int = DEFAULT_PAGE_SIZE) -> AsyncIterator[Webhook]:
        return self._iterate(Webhook, "/webhooks", {}, page_size)

    async def get(self, webhook_id: str) -> Webhook:
        return await self._model(Webhook, "GET", f"/webhooks/{webhook_id}")

    async def update(
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
        return await self._model(Webhook, "PATCH", f"/webhooks/{webhook_id}", json=body)

    async def delete(self, webhook_id: str) -> None:
        await self._delete(f"/webhooks/{webhook_id}")

    async def deliveries(
        self,
        webhook_id: str,
        *,
        status: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> Page[Delivery]:
        """Recent deliveries with every attempt, newest first."""
        params = query_of(status=status, limit=limit, offset=offset)
        return await self._page(Delivery, f"/webhooks/{webhook_id}/deliveries", params)

    def iter_deliveries(
        self,
        webhook_id: str,
        *,
        status: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> AsyncIterator[Delivery]:
        return self._iterate(
            Delivery, f"/webhooks/{webhook_id}/deliveries", query_of(status=status), page_size
        )

    async def get_delivery(self, webhook_id: str, delivery_id: str) -> Delivery:
        return await self._model(
            Delivery, "GET", f"/webhooks/{webhook_id}/deliveries/{delivery_id}"
        )

    async def retry(self, webhook_id: str, delivery_id: str) -> Delivery:
        """Send a delivery again now, as a new series of attempts."""
        return await self._model(
            Delivery, "POST", f"/webhooks/{webhook_id}/deliveries/{delivery_id}/retry"
        )

    async def test(self, webhook_id: str) -> Delivery:
        """Queue a `test.ping` event to this endpoint only."""
        return await self._model(Delivery, "POST", f"/webhooks/{webhook_id}/test")

    async def rotate_secret(self, webhook_id: str) -> Webhook:
        """Replace the signing secret; the answer's `signing_secret` is the new one."""
        return await self._model(Webhook, "POST", f"/webhooks/{webhook_id}/rotate-secret")


class AsyncDomainsResource(AsyncResource):
    """`/domains`: custom domains and their verification (scopes `domains:read`,
    `domains:write`)."""

    async def create(
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
        return await self._model(Domain, "POST", "/domains", json=body)

    async def list(self, *, limit: int | None = None, offset: int | None = None) -> Page[Domain]:
        return await self._page(Domain, "/domains", query_of(limit=limit, offset=offset))

    def iter(self, *, page_size: int = DEFAULT_PAGE_SIZE) -> AsyncIterator[Domain]:
        return self._iterate(Domain, "/domains", {}, page_size)

    async def get(self, domain_id: str) -> Domain:
        return await self._model(Domain, "GET", f"/domains/{domain_id}")

    async def update(
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
        return await self._model(Domain, "PATCH", f"/domains/{domain_id}", json=body)

    async def delete(self, domain_id: str) -> None:
        await self._delete(f"/domains/{domain_id}")

    async def verify(self, domain_id: str) -> Domain:
        """Check the host now; the answer's `status` and `verification.last_error` tell."""
        return await self._model(Domain, "POST", f"/domains/{domain_id}/verify")


class AsyncReportsResource(AsyncResource):
    """`/reports`: saved analytics reports, their runs and files (scopes `reports:read`,
    `reports:write`; creating, changing and running also need `analytics:read`).

    `period` is 7d, 30d, 90d, all, or `{"start": "2026-03-01", "end": "2026-03-31"}`;
    `schedule` is e.g. `{"frequency": "weekly", "weekday": "monday", "hour": 8}`.
    """

    async def create(
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
        return await self._model(Report, "POST", "/reports", json=body)

    async def list(self, *, limit: int | None = None, offset: int | None = None) -> Page[Report]:
        return await self._page(Report, "/reports", query_of(limit=limit, offset=offset))

    def iter(self, *, page_size: int = DEFAULT_PAGE_SIZE) -> AsyncIterator[Report]:
        return self._iterate(Report, "/reports", {}, page_size)

    async def get(self, report_id: str) -> Report:
        return await self._model(Report, "GET", f"/reports/{report_id}")

    async def update(self, report_id: str, **fields: Any) -> Report:
        """Change the given fields (`schedule=None` removes the schedule)."""
        return await self._model(Report, "PATCH", f"/reports/{report_id}", json=fields)

    async def delete(self, report_id: str) -> None:
        """Delete the report with its runs and files."""
        await self._delete(f"/reports/{report_id}")

    async def run(self, report_id: str) -> ReportRun:
        """Queue a run now (status `queued`); see `wait_for_run`."""
        return await self._model(ReportRun, "POST", f"/reports/{report_id}/runs")

    async def runs(
        self, report_id: str, *, limit: int | None = None, offset: int | None = None
    ) -> Page[ReportRun]:
        """The report's runs, newest first."""
        params = query_of(limit=limit, offset=offset)
        return await self._page(ReportRun, f"/reports/{report_id}/runs", params)

    async def get_run(self, run_id: str) -> ReportRun:
        return await self._model(ReportRun, "GET", f"/reports/runs/{run_id}")

    async def wait_for_run(
        self, run_id: str, *, timeout: float = 120.0, interval: float = 0.5
    ) -> ReportRun:
        """Poll the run until it has completed or failed (or `timeout` seconds passed)."""
        waited = 0.0
        while True:
            run = await self.get_run(run_id)
            if run.finished or waited >= timeout:
                return run
            await asyncio.sleep(interval)
            waited += interval

    async def download(self, run_id: str) -> bytes:
        """The completed run's file (CSV, JSON or PDF bytes)."""
        response = await self._client.request(
            "GET", f"/reports/runs/{run_id}/download", accept="*/*"
        )
        return response.content


class AsyncWorkspaceResource(AsyncResource):
    """`/workspace`: the key's workspace, its members and its usage."""

    async def get(self) -> Workspace:
        return await self._model(Workspace, "GET", "/workspace")

    async def members(self, *, limit: int | None = None, offset: int | None = None) -> Page[Member]:
        return await self._page(Member, "/workspace/members", query_of(limit=limit, offset=offset))

    def iter_members(self, *, page_size: int = DEFAULT_PAGE_SIZE) -> AsyncIterator[Member]:
        return self._iterate(Member, "/workspace/members", {}, page_size)

    async def usage(self) -> Usage:
        """Current usage against the plan's limits (`limit` None = unlimited)."""
        return await self._model(Usage, "GET", "/workspace/usage")
