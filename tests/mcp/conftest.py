"""`xqr mcp` as a subprocess, driven by the official SDK's stdio client, against a real
`xqr serve` shared by the MCP tests."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.types import CallToolResult

from tests.support.live import LiveServer, live_server
from tests.support.server import XQR

# The reference's "MCP Server" section, in its order.
REFERENCE_TOOLS = [
    "create_link", "list_links", "get_link", "update_link", "delete_link",
    "bulk_create_links", "get_link_qr",
    "generate_qr", "list_qr_templates", "create_qr_template", "render_qr_template",
    "analytics_summary", "analytics_link_stats", "analytics_timeseries", "analytics_geography",
    "analytics_devices", "analytics_top_links",
    "list_bio_pages", "get_bio_page", "create_bio_page", "update_bio_page", "publish_bio_page",
    "list_assets", "get_asset", "publish_asset", "delete_asset",
    "get_workspace", "get_workspace_usage", "list_workspace_members",
]  # fmt: skip
# Beyond the reference: checking a printed code, and saved analytics reports.
EXTRA_TOOLS = ["check_qr"]
REPORT_TOOLS = ["list_reports", "create_report", "run_report", "get_report_run"]
DOMAIN_TOOLS = ["list_domains", "create_domain", "verify_domain"]
ALL_TOOLS = REFERENCE_TOOLS + EXTRA_TOOLS + REPORT_TOOLS + DOMAIN_TOOLS
REFERENCE_RESOURCES = [
    "xqr://workspace",
    "xqr://workspace/usage",
    "xqr://links",
    "xqr://analytics/summary",
    "xqr://templates",
    "xqr://bio-pages",
]
REFERENCE_TEMPLATES = ["xqr://links/{link_id}"]
# Beyond the reference: saved analytics reports.
REPORT_RESOURCES = ["xqr://reports"]


@pytest.fixture(scope="session")
def live(
    database_template: object, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    with live_server(database_template, tmp_path_factory.mktemp("live")) as server:
        yield server


@asynccontextmanager
async def mcp_session(
    live: LiveServer, errlog: Path, key: str | None = None
) -> AsyncIterator[ClientSession]:
    """An initialized MCP session with a fresh `xqr mcp` process."""
    params = StdioServerParameters(command=XQR, args=["mcp"], env=live.client_env(key))
    with errlog.open("a") as log:
        async with (
            stdio_client(params, errlog=log) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            yield session


def structured(result: CallToolResult) -> Any:
    """The tool's JSON answer (its structured content, checked against its text)."""
    assert not result.is_error, result.content
    text = result.content[0].text  # type: ignore[union-attr]
    assert json.loads(text) == result.structured_content or json.loads(text) == (
        result.structured_content or {}
    ).get("items")
    return result.structured_content
