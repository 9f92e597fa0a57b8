"""The MCP server: `xqr mcp` (stdio, server.py) and `/mcp` on `xqr serve` (runtime.py)."""
