"""Workspace tools: get_workspace, get_workspace_usage, list_workspace_members."""

from __future__ import annotations

from mcp.server import MCPServer
from mcp.types import CallToolResult

from xqr.client import AsyncXQR
from xqr.mcp.hints import READ
from xqr.mcp.results import page_result, respond
from xqr.mcp.schemas import Limit, Offset


def register(server: MCPServer, client: AsyncXQR) -> None:
    @server.tool(
        title="Get workspace",
        description="The workspace the API key belongs to: name, plan, owner, creation time.",
        annotations=READ,
    )
    async def get_workspace() -> CallToolResult:
        return await respond(client.workspace.get())

    @server.tool(
        title="Get workspace usage",
        description="Current usage against the plan's limits (links, QR templates, bio pages, "
        "assets, storage, webhooks, members, API keys) and API calls this billing cycle. "
        "A limit of null means unlimited.",
        annotations=READ,
    )
    async def get_workspace_usage() -> CallToolResult:
        return await respond(client.workspace.usage())

    @server.tool(
        title="List workspace members",
        description="Members of the workspace with their roles (owner, admin, member, viewer). "
        "Paginated: pass the returned next_offset as offset for the next page.",
        annotations=READ,
    )
    async def list_workspace_members(limit: Limit = 50, offset: Offset = 0) -> CallToolResult:
        return await respond(client.workspace.members(limit=limit, offset=offset), page_result)
