"""The MCP Inspector CLI (npm, pinned in tests/mcp/inspector/) lists and calls our tools.

Runs when Node.js is on the machine; the pinned packages are installed with `npm ci` into
tests/mcp/inspector/node_modules the first time (and kept there)."""

from __future__ import annotations

import json
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests.mcp.conftest import ALL_TOOLS
from tests.support.live import LiveServer
from tests.support.server import XQR
from xqr.client import XQR as Client

pytestmark = pytest.mark.backend_independent

FOLDER = Path(__file__).parent / "inspector"
CLI = FOLDER / "node_modules" / "@modelcontextprotocol" / "inspector" / "cli" / "build" / "cli.js"


@cache
def _inspector() -> str:
    """The inspector's CLI script, installing it first if needed; skips without Node.js."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("Node.js is not installed: the MCP Inspector CLI test needs node and npm")
    if not CLI.exists():
        installed = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"],
            cwd=FOLDER,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if installed.returncode != 0:
            pytest.skip(f"npm ci of the MCP Inspector failed (no registry?): {installed.stderr}")
    return str(CLI)


def _inspect(live: LiveServer, *args: str) -> Any:
    env = live.client_env()
    command = [
        "node",
        _inspector(),
        "--cli",
        "-e",
        f"XQR_API_KEY={env['XQR_API_KEY']}",
        "-e",
        f"XQR_BASE_URL={env['XQR_BASE_URL']}",
        XQR,
        "mcp",
        *args,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def test_inspector_lists_the_tools(live: LiveServer) -> None:
    tools = _inspect(live, "--method", "tools/list")["tools"]
    assert sorted(tool["name"] for tool in tools) == sorted(ALL_TOOLS)
    get_link = next(tool for tool in tools if tool["name"] == "get_link")
    assert get_link["annotations"]["readOnlyHint"] is True


def test_inspector_calls_tools(live: LiveServer) -> None:
    created = _inspect(
        live,
        "--method",
        "tools/call",
        "--tool-name",
        "create_link",
        "--tool-arg",
        "url=https://example.com/inspector",
    )
    assert created["isError"] is False
    link_id = created["structuredContent"]["id"]
    with Client(api_key=live.key, base_url=live.url) as client:
        assert client.links.get(link_id).destination == "https://example.com/inspector"

    missing = _inspect(
        live, "--method", "tools/call", "--tool-name", "get_link", "--tool-arg",
        "link_id=00000000-0000-0000-0000-000000000000",
    )  # fmt: skip
    assert missing["isError"] is True
    assert missing["content"][0]["text"].startswith("RESOURCE_NOT_FOUND")
