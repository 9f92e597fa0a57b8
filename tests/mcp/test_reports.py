"""The report tools and the `xqr://reports` resource through `xqr mcp` (stdio, official client)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx

from tests.mcp.conftest import mcp_session, structured
from tests.support.live import LiveServer


async def test_an_agent_creates_runs_and_downloads_a_report(
    live: LiveServer, tmp_path: Path
) -> None:
    async with mcp_session(live, tmp_path / "mcp.err") as mcp:
        created = structured(
            await mcp.call_tool(
                "create_report",
                {
                    "name": "Agent weekly",
                    "kind": "geography",
                    "period": {"start": "2026-01-01", "end": "2026-01-31"},
                    "timezone": "Europe/Berlin",
                    "format": "json",
                    "schedule": {"frequency": "weekly", "weekday": "monday", "hour": 9},
                },
            )
        )
        assert created["period"] == {"start": "2026-01-01", "end": "2026-01-31"}
        assert created["schedule"]["weekday"] == "monday" and created["next_run_at"]

        listed = structured(await mcp.call_tool("list_reports", {"limit": 200}))
        assert created["id"] in [item["id"] for item in listed["items"]]

        queued = structured(await mcp.call_tool("run_report", {"report_id": created["id"]}))
        assert queued["status"] == "queued"
        deadline = time.monotonic() + 60
        while True:
            run = structured(await mcp.call_tool("get_report_run", {"run_id": queued["id"]}))
            if run["status"] in ("completed", "failed") or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert run["status"] == "completed", run
        assert run["file"]["content_type"] == "application/json"
        document = httpx.get(run["download_url"]).json()  # signed: no key needed
        assert document["report"]["id"] == created["id"] and document["data"] == []

        result = await mcp.read_resource("xqr://reports")
        [content] = result.contents
        assert content.mime_type == "application/json"
        reports = json.loads(content.text)  # type: ignore[union-attr]
        assert created["id"] in [item["id"] for item in reports["items"]]


async def test_report_errors_come_back_as_tool_errors(live: LiveServer, tmp_path: Path) -> None:
    reader = live.make_key("reports:read,analytics:read")
    async with mcp_session(live, tmp_path / "mcp.err", key=reader) as mcp:
        refused = await mcp.call_tool("create_report", {"name": "No", "kind": "summary"})
        assert refused.is_error
        assert refused.content[0].text.startswith("INSUFFICIENT_SCOPE")  # type: ignore[union-attr]
    async with mcp_session(live, tmp_path / "mcp.err") as mcp:
        invalid = await mcp.call_tool(
            "create_report", {"name": "Bad", "kind": "summary", "timezone": "Mars/Base"}
        )
        assert invalid.is_error
        assert invalid.content[0].text.startswith("VALIDATION_ERROR")  # type: ignore[union-attr]
