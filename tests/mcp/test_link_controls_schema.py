"""The links tools' input schemas carry the link controls (password, expiry fallback, UTM,
preview, OS and language rules, the health filter), built in-process."""

from __future__ import annotations

from typing import Any

from xqr.client import AsyncXQR
from xqr.mcp.server import build_server


async def _tools() -> dict[str, Any]:
    async with AsyncXQR(api_key="xqr_pk_00000000." + "a" * 64, base_url="http://127.0.0.1:9") as c:
        server = build_server(c)
        return {tool.name: tool for tool in await server.list_tools()}


def _schema(tool: Any) -> dict[str, Any]:
    schema = tool.inputSchema if hasattr(tool, "inputSchema") else tool.input_schema
    return dict(schema)


async def test_create_and_update_link_take_the_link_controls() -> None:
    tools = await _tools()
    for name in ("create_link", "update_link"):
        schema = _schema(tools[name])
        properties = schema["properties"]
        for field in ("password", "expired_url", "utm", "preview"):
            assert field in properties, (name, field)
        definitions = schema.get("$defs", {})
        assert set(definitions["Utm"]["properties"]) == {
            "source",
            "medium",
            "campaign",
            "term",
            "content",
        }
        assert set(definitions["Preview"]["properties"]) == {"title", "description", "image_url"}
        conditions = definitions["Conditions"]["properties"]
        os_items = conditions["os"]["anyOf"][0]["items"]
        assert os_items["enum"] == ["ios", "android", "windows", "macos", "linux", "other"]
        assert "languages" in conditions
    update = _schema(tools["update_link"])["properties"]
    for field in ("clear_password", "clear_expired_url", "clear_utm", "clear_preview"):
        assert update[field]["type"] == "boolean"
    listing = _schema(tools["list_links"])["properties"]
    assert listing["health"]["anyOf"][0]["enum"] == ["ok", "broken", "unknown"]
