"""`/mcp` on `xqr serve`: the same tools over streamable HTTP, authenticated by API key."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import httpx2
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client

from tests.mcp.conftest import ALL_TOOLS, structured
from tests.support.live import LiveServer
from xqr.client import AsyncXQR


@asynccontextmanager
async def http_session(live: LiveServer, key: str) -> AsyncIterator[ClientSession]:
    headers = {"Authorization": f"Bearer {key}"}
    async with (
        # httpx's default 5 s is too short for a busy machine running tests side by side
        httpx2.AsyncClient(headers=headers, timeout=60) as http,
        streamable_http_client(f"{live.url}/mcp", http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


async def test_tools_work_over_http_with_the_callers_key(live: LiveServer) -> None:
    async with http_session(live, live.key) as mcp:
        tools = (await mcp.list_tools()).tools
        assert sorted(tool.name for tool in tools) == sorted(ALL_TOOLS)
        created = structured(
            await mcp.call_tool("create_link", {"url": "https://example.com/over-http"})
        )
        usage = (await mcp.read_resource("xqr://workspace/usage")).contents[0]
        assert '"plan": "enterprise"' in usage.text  # type: ignore[union-attr]
    async with AsyncXQR(api_key=live.key, base_url=live.url) as api:
        assert (await api.links.get(created["id"])).destination == "https://example.com/over-http"

    read_only = live.make_key("links:read")
    async with http_session(live, read_only) as mcp:
        denied = await mcp.call_tool("create_link", {"url": "https://example.com"})
        assert denied.is_error
        assert denied.content[0].text.startswith("INSUFFICIENT_SCOPE: ")  # type: ignore[union-attr]
        assert structured(await mcp.call_tool("get_link", {"link_id": created["id"]}))["id"]


def test_requests_without_a_valid_key_are_refused_before_mcp(live: LiveServer) -> None:
    message = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    for headers in ({}, {"Authorization": "Bearer xqr_pk_00000000." + "a" * 64}):
        response = httpx.post(f"{live.url}/mcp", json=message, headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
        error = response.json()["error"]
        assert (error["code"], error["status"]) == ("INVALID_API_KEY", 401)
        assert response.json()["meta"]["request_id"] == response.headers["x-request-id"]
