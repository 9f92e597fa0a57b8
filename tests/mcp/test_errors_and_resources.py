"""Resources read through `xqr mcp`, and failures as tool errors carrying code and message."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from mcp.shared.exceptions import MCPError

from tests.mcp.conftest import mcp_session
from tests.support.live import LiveServer
from xqr.client import AsyncXQR


async def test_every_resource_reads_as_json(live: LiveServer, tmp_path: Path) -> None:
    async with AsyncXQR(api_key=live.key, base_url=live.url) as api:
        link = await api.links.create("https://example.com/resource")
        template = await api.qr.templates.create("Resource")
        page = await api.bio.pages.create("Resource page")
    async with mcp_session(live, tmp_path / "mcp.err") as mcp:

        async def read(uri: str) -> object:
            result = await mcp.read_resource(uri)
            [content] = result.contents
            assert content.mime_type == "application/json"
            return json.loads(content.text)  # type: ignore[union-attr]

        assert (await read("xqr://workspace"))["id"] == live.workspace_id  # type: ignore[index]
        assert (await read("xqr://workspace/usage"))["plan"] == "enterprise"  # type: ignore[index]
        links = await read("xqr://links")
        assert link.id in {item["id"] for item in links["items"]}  # type: ignore[index]
        assert links["truncated"] is False  # type: ignore[index]
        single = await read(f"xqr://links/{link.id}")
        assert single["destination"] == "https://example.com/resource"  # type: ignore[index]
        templates = await read("xqr://templates")
        assert template.id in {t["id"] for t in templates["items"]}  # type: ignore[index]
        pages = await read("xqr://bio-pages")
        assert page.id in {p["id"] for p in pages["items"]}  # type: ignore[index]
        try:
            summary = await read("xqr://analytics/summary")
            assert isinstance(summary, dict)
        except MCPError as error:  # until the analytics endpoints exist
            assert "RESOURCE_NOT_FOUND" in str(error)

        with pytest.raises(MCPError, match="RESOURCE_NOT_FOUND"):
            await read(f"xqr://links/{uuid.uuid4()}")


async def test_api_errors_come_back_as_tool_errors_with_code_and_message(
    live: LiveServer, tmp_path: Path
) -> None:
    slug = f"mcp-{uuid.uuid4().hex[:8]}"
    read_only = live.make_key("links:read")
    async with mcp_session(live, tmp_path / "mcp.err") as mcp:
        missing = await mcp.call_tool("get_link", {"link_id": str(uuid.uuid4())})
        assert missing.is_error
        assert missing.content[0].text.startswith("RESOURCE_NOT_FOUND: ")  # type: ignore[union-attr]
        error = missing.structured_content["error"]  # type: ignore[index]
        assert (error["code"], error["status"]) == ("RESOURCE_NOT_FOUND", 404)
        assert error["message"] and error["request_id"].startswith("req_")

        await mcp.call_tool("create_link", {"url": "https://example.com", "custom_slug": slug})
        taken = await mcp.call_tool(
            "create_link", {"url": "https://example.com", "custom_slug": slug}
        )
        assert taken.is_error and taken.structured_content["error"]["code"] == "SLUG_TAKEN"  # type: ignore[index]

        invalid = await mcp.call_tool(
            "create_link", {"url": "https://example.com", "expires_at": "2001-01-01T00:00:00Z"}
        )
        assert invalid.is_error
        assert invalid.structured_content["error"]["code"] == "VALIDATION_ERROR"  # type: ignore[index]
        assert "expires_at" in invalid.content[0].text  # type: ignore[union-attr]

        out_of_range = await mcp.call_tool("generate_qr", {"content": "x", "size": 99})
        assert out_of_range.is_error and "size" in out_of_range.content[0].text  # type: ignore[union-attr]

    async with mcp_session(live, tmp_path / "mcp.err", key=read_only) as mcp:
        denied = await mcp.call_tool("create_link", {"url": "https://example.com"})
        assert denied.is_error
        assert denied.content[0].text.startswith("INSUFFICIENT_SCOPE: ")  # type: ignore[union-attr]
        assert "links:write" in denied.content[0].text  # type: ignore[union-attr]
