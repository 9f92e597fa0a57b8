"""The MCP tools, one module per API section."""

from __future__ import annotations

from mcp.server import MCPServer

from xqr.client import AsyncXQR
from xqr.mcp.tools import analytics, assets, bio, domains, links, qr, reports, workspace

SECTIONS = (links, qr, analytics, bio, assets, workspace, reports, domains)


def register_tools(server: MCPServer, client: AsyncXQR) -> None:
    for section in SECTIONS:
        section.register(server, client)
