"""Assets tools: list_assets, get_asset, publish_asset, delete_asset."""

from __future__ import annotations

from typing import Annotated

from mcp.server import MCPServer
from mcp.types import CallToolResult
from pydantic import Field

from xqr.client import AsyncXQR
from xqr.mcp.hints import DELETE, PUBLISH, READ
from xqr.mcp.results import deleted_result, page_result, respond
from xqr.mcp.schemas import AssetStatus, Id, Limit, Offset

AssetId = Annotated[Id, Field(description="The asset's id.")]


def register(server: MCPServer, client: AsyncXQR) -> None:
    @server.tool(
        title="List assets",
        description="List uploaded files (images, PDFs), newest first, optionally only those "
        "pending, uploaded (confirmed, private) or published (with a public_url). Paginated: "
        "pass the returned next_offset as offset for the next page.",
        annotations=READ,
    )
    async def list_assets(
        status: Annotated[
            AssetStatus | None, Field(description="Only assets in this state.")
        ] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> CallToolResult:
        return await respond(
            client.assets.list(status=status, limit=limit, offset=offset), page_result
        )

    @server.tool(
        title="Get asset",
        description="One asset: filename, content type, size, status and public_url.",
        annotations=READ,
    )
    async def get_asset(asset_id: AssetId) -> CallToolResult:
        return await respond(client.assets.get(asset_id))

    @server.tool(
        title="Publish asset",
        description="Copy a confirmed (uploaded) asset to the public CDN; the answer carries "
        "its public_url, usable e.g. as a QR logo or bio avatar. Publishing again is a no-op.",
        annotations=PUBLISH,
    )
    async def publish_asset(asset_id: AssetId) -> CallToolResult:
        return await respond(client.assets.publish(asset_id))

    @server.tool(
        title="Delete asset",
        description="Delete an asset and its stored files, private and public; its public_url "
        "stops working. Cannot be undone.",
        annotations=DELETE,
    )
    async def delete_asset(asset_id: AssetId) -> CallToolResult:
        return await respond(
            client.assets.delete(asset_id), lambda _: deleted_result("asset", asset_id)
        )
