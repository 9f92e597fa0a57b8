"""The MCP resources: read-only JSON views of the workspace."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable
from typing import Any, TypeVar

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError

from xqr.client import APIError, AsyncXQR, XQRError
from xqr.mcp.results import plain

JSON = "application/json"
# A resource is read whole; past this many items it says `truncated` (use the list tools).
MAX_ITEMS = 1000
T = TypeVar("T")


async def _read(work: Awaitable[Any]) -> str:
    try:
        value = await work
    except APIError as error:
        if error.status == 404:
            raise ResourceNotFoundError(f"{error.code}: {error.message}") from error
        raise ResourceError(f"{error.code}: {error.message}") from error
    except XQRError as error:
        raise ResourceError(f"CONNECTION_ERROR: {error}") from error
    return json.dumps(value, indent=2, ensure_ascii=False)


async def _collect(items: AsyncIterator[Any]) -> dict[str, Any]:
    collected: list[Any] = []
    truncated = False
    async for item in items:
        if len(collected) == MAX_ITEMS:
            truncated = True
            break
        collected.append(plain(item))
    return {"items": collected, "count": len(collected), "truncated": truncated}


async def _model(work: Awaitable[Any]) -> Any:
    return plain(await work)


def register_resources(server: MCPServer, client: AsyncXQR) -> None:
    @server.resource(
        "xqr://workspace",
        name="workspace",
        title="Workspace",
        description="Workspace details: name, plan, owner, creation time.",
        mime_type=JSON,
    )
    async def workspace() -> str:
        return await _read(_model(client.workspace.get()))

    @server.resource(
        "xqr://workspace/usage",
        name="workspace-usage",
        title="Usage vs limits",
        description="Current usage against the plan's limits, and API calls this cycle.",
        mime_type=JSON,
    )
    async def workspace_usage() -> str:
        return await _read(_model(client.workspace.usage()))

    @server.resource(
        "xqr://links",
        name="links",
        title="Short links",
        description=f"All short links, newest first (at most {MAX_ITEMS}).",
        mime_type=JSON,
    )
    async def links() -> str:
        return await _read(_collect(client.links.iter(page_size=200)))

    @server.resource(
        "xqr://links/{link_id}",
        name="link",
        title="Short link",
        description="One short link's details, by id.",
        mime_type=JSON,
    )
    async def link(link_id: str) -> str:
        return await _read(_model(client.links.get(link_id)))

    @server.resource(
        "xqr://analytics/summary",
        name="analytics-summary",
        title="30-day analytics",
        description="Scan KPIs of the last 30 days: scans, unique visitors, top countries "
        "and devices, trend.",
        mime_type=JSON,
    )
    async def analytics_summary() -> str:
        return await _read(_model(client.analytics.summary(period="30d")))

    @server.resource(
        "xqr://templates",
        name="qr-templates",
        title="QR templates",
        description=f"Saved QR design templates (at most {MAX_ITEMS}).",
        mime_type=JSON,
    )
    async def templates() -> str:
        return await _read(_collect(client.qr.templates.iter(page_size=200)))

    @server.resource(
        "xqr://bio-pages",
        name="bio-pages",
        title="Bio pages",
        description=f"Link-in-bio pages (at most {MAX_ITEMS}).",
        mime_type=JSON,
    )
    async def bio_pages() -> str:
        return await _read(_collect(client.bio.pages.iter(page_size=200)))

    @server.resource(
        "xqr://reports",
        name="reports",
        title="Saved reports",
        description=f"Saved analytics reports with their schedules (at most {MAX_ITEMS}).",
        mime_type=JSON,
    )
    async def reports() -> str:
        return await _read(_collect(client.reports.iter(page_size=200)))
