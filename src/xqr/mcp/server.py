"""`build_server(client)`: the xQR MCP server, and `run_stdio()` behind `xqr mcp`."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from typing import Any

import anyio
from mcp.server import MCPServer
from mcp.server.context import ServerMiddleware

from xqr import __version__
from xqr.client import AsyncXQR
from xqr.mcp.resources import register_resources
from xqr.mcp.tools import register_tools

INSTRUCTIONS = """\
Manage an xQR workspace: short links with conditional routing, QR codes, scan analytics,
link-in-bio pages and uploaded assets. Ids are UUIDs returned by the create and list tools.
List tools are paginated (limit, offset; the answer gives next_offset). Errors come back as
tool errors starting with the API's error code (e.g. SLUG_TAKEN, RESOURCE_NOT_FOUND,
INSUFFICIENT_SCOPE) followed by its message."""


def build_server(client: AsyncXQR, middleware: Sequence[ServerMiddleware[Any]] = ()) -> MCPServer:
    """An MCP server whose tools and resources call the API through `client`."""
    server: MCPServer = MCPServer(
        name="xqr",
        title="xQR",
        version=__version__,
        instructions=INSTRUCTIONS,
        log_level="WARNING",
        middleware=middleware,
    )
    register_tools(server, client)
    register_resources(server, client)
    return server


def run_stdio(client: AsyncXQR) -> None:
    """Serve MCP over stdin/stdout. stdout carries the protocol only: logs go to stderr."""
    logging.basicConfig(
        stream=sys.stderr, level=logging.WARNING, format="%(levelname)s %(name)s %(message)s"
    )
    server = build_server(client)

    async def serve() -> None:
        try:
            await server.run_stdio_async()
        finally:
            await client.close()

    anyio.run(serve)
