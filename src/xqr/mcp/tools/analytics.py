"""Analytics tools: analytics_summary, analytics_link_stats, analytics_timeseries,
analytics_geography, analytics_devices, analytics_top_links."""

from __future__ import annotations

from typing import Annotated, Literal

from mcp.server import MCPServer
from mcp.types import CallToolResult
from pydantic import Field

from xqr.client import AsyncXQR
from xqr.mcp.hints import READ
from xqr.mcp.results import respond
from xqr.mcp.schemas import Id, LinkId, Period

OptionalLinkId = Annotated[
    Id | None, Field(description="Only this link's scans (default: the whole workspace).")
]
Granularity = Annotated[
    Literal["hour", "day"],
    Field(description="Bucket size: hour or day (hour only for periods of up to 31 days)."),
]
TimeZone = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        description="IANA time zone for day boundaries, e.g. Europe/Berlin (default UTC).",
    ),
]


def register(server: MCPServer, client: AsyncXQR) -> None:
    @server.tool(
        title="Analytics summary",
        description="Workspace scan KPIs for a period: total scans, unique visitors, top "
        "countries and devices, the trend, and the change against the previous period. Bots "
        "are not counted.",
        annotations=READ,
    )
    async def analytics_summary(
        period: Period = "30d", timezone: TimeZone | None = None
    ) -> CallToolResult:
        return await respond(client.analytics.summary(period=period, timezone=timezone))

    @server.tool(
        title="Link analytics",
        description="Detailed scan statistics of one short link for a period: totals, time "
        "series, countries and devices.",
        annotations=READ,
    )
    async def analytics_link_stats(
        link_id: LinkId,
        period: Period = "30d",
        granularity: Granularity = "day",
        timezone: TimeZone | None = None,
    ) -> CallToolResult:
        return await respond(
            client.analytics.link_stats(
                link_id, period=period, granularity=granularity, timezone=timezone
            )
        )

    @server.tool(
        title="Scans over time",
        description="Scans per hour or per day over a period (zero-filled), for the workspace "
        "or one link.",
        annotations=READ,
    )
    async def analytics_timeseries(
        period: Period = "30d",
        granularity: Granularity = "day",
        link_id: OptionalLinkId = None,
        timezone: TimeZone | None = None,
    ) -> CallToolResult:
        return await respond(
            client.analytics.timeseries(
                period=period, granularity=granularity, link_id=link_id, timezone=timezone
            )
        )

    @server.tool(
        title="Scans by country",
        description="Scans per country (name, ISO code, scans, percentage of the period's "
        "total) for the workspace or one link.",
        annotations=READ,
    )
    async def analytics_geography(
        period: Period = "30d", link_id: OptionalLinkId = None, timezone: TimeZone | None = None
    ) -> CallToolResult:
        return await respond(
            client.analytics.geography(period=period, link_id=link_id, timezone=timezone)
        )

    @server.tool(
        title="Scans by device",
        description="Scans by device type (mobile, desktop, tablet), browser and operating "
        "system, for the workspace or one link.",
        annotations=READ,
    )
    async def analytics_devices(
        period: Period = "30d", link_id: OptionalLinkId = None, timezone: TimeZone | None = None
    ) -> CallToolResult:
        return await respond(
            client.analytics.devices(period=period, link_id=link_id, timezone=timezone)
        )

    @server.tool(
        title="Top links",
        description="The most scanned short links of a period, most scans first.",
        annotations=READ,
    )
    async def analytics_top_links(
        period: Period = "30d",
        limit: Annotated[int, Field(ge=1, le=100, description="How many links, 1–100.")] = 10,
        timezone: TimeZone | None = None,
    ) -> CallToolResult:
        return await respond(
            client.analytics.top_links(period=period, limit=limit, timezone=timezone)
        )
