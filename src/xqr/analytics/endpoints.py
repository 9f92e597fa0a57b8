"""`/v1/analytics`: summary, timeseries, geography, devices, top links, one link's stats.

Read-only: they run on the read engine, so on SQLite they never wait for the scan writer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from xqr.analytics import service
from xqr.analytics.auth import AnalyticsRead
from xqr.analytics.schemas import (
    CountryShare,
    DevicesOut,
    LinkStatsOut,
    Point,
    SummaryOut,
    TopLinkOut,
)
from xqr.context import Ctx
from xqr.core.envelope import Envelope

router = APIRouter(prefix="/analytics", tags=["Analytics"])


async def read_session(ctx: Ctx) -> AsyncIterator[AsyncSession]:
    async with AsyncSession(ctx.read_engine, expire_on_commit=False) as session:
        yield session


ReadSession = Annotated[AsyncSession, Depends(read_session)]
Period = Annotated[
    Literal["7d", "30d", "90d", "all"],
    Query(description="7d, 30d, 90d: that many calendar days ending today, today included."),
]
Granularity = Annotated[
    Literal["hour", "day"],
    Query(description="Bucket size; hour only for periods of up to 31 days."),
]
TimeZone = Annotated[
    str,
    Query(
        max_length=64,
        description="IANA time zone for day boundaries (e.g. America/New_York).",
    ),
]
LinkId = Annotated[str | None, Query(description="Only this link's scans.")]


@router.get("/summary", summary="Summary")
async def summary(
    request: Request,
    principal: AnalyticsRead,
    session: ReadSession,
    period: Period = "30d",
    timezone: TimeZone = "UTC",
) -> Envelope[SummaryOut]:
    """Total scans, unique visitors, top countries and devices, a daily trend, and the
    previous period's totals with the change in percent. Scope: `analytics:read`."""
    query = service.Query.parse(period, timezone)
    return Envelope[SummaryOut].of(request, await service.summary(session, principal.tenant, query))


@router.get("/timeseries", summary="Timeseries")
async def timeseries(
    request: Request,
    principal: AnalyticsRead,
    session: ReadSession,
    period: Period = "30d",
    granularity: Granularity = "day",
    timezone: TimeZone = "UTC",
    link_id: LinkId = None,
) -> Envelope[list[Point]]:
    """Scans per hour or day of the period, zero-filled. Scope: `analytics:read`."""
    query = service.Query.parse(period, timezone, granularity)
    return Envelope[list[Point]].of(
        request, await service.timeseries(session, principal.tenant, query, link_id)
    )


@router.get("/geography", summary="Geography")
async def geography(
    request: Request,
    principal: AnalyticsRead,
    session: ReadSession,
    period: Period = "30d",
    timezone: TimeZone = "UTC",
    link_id: LinkId = None,
) -> Envelope[list[CountryShare]]:
    """Scans per visitor country with each one's share of the period. Scope: `analytics:read`."""
    query = service.Query.parse(period, timezone)
    return Envelope[list[CountryShare]].of(
        request, await service.geography(session, principal.tenant, query, link_id)
    )


@router.get("/devices", summary="Devices")
async def devices(
    request: Request,
    principal: AnalyticsRead,
    session: ReadSession,
    period: Period = "30d",
    timezone: TimeZone = "UTC",
    link_id: LinkId = None,
) -> Envelope[DevicesOut]:
    """Scans by device type (mobile, desktop, tablet), browser and operating system.

    Scope: `analytics:read`."""
    query = service.Query.parse(period, timezone)
    return Envelope[DevicesOut].of(
        request, await service.devices(session, principal.tenant, query, link_id)
    )


@router.get("/top-links", summary="Top links")
async def top_links(
    request: Request,
    principal: AnalyticsRead,
    session: ReadSession,
    ctx: Ctx,
    period: Period = "30d",
    timezone: TimeZone = "UTC",
    limit: Annotated[int, Query(ge=1, le=100, description="How many links (1–100).")] = 10,
) -> Envelope[list[TopLinkOut]]:
    """Link objects with their `scans` in the period, most scanned first (links without
    scans in the period are left out). Scope: `analytics:read`."""
    query = service.Query.parse(period, timezone)
    links = await service.top_links(
        session, principal.tenant, query, ctx.settings.short_base, limit
    )
    return Envelope[list[TopLinkOut]].of(request, links)


@router.get("/links/{link_id}", summary="Link stats")
async def link_stats(
    request: Request,
    link_id: str,
    principal: AnalyticsRead,
    session: ReadSession,
    ctx: Ctx,
    period: Period = "30d",
    granularity: Granularity = "day",
    timezone: TimeZone = "UTC",
) -> Envelope[LinkStatsOut]:
    """One link with its total and unique visitors, timeseries, geography, devices and its
    QR-versus-direct split. Scope: `analytics:read`."""
    query = service.Query.parse(period, timezone, granularity)
    stats = await service.link_stats(
        session, principal.tenant, query, ctx.settings.short_base, link_id
    )
    return Envelope[LinkStatsOut].of(request, stats)
