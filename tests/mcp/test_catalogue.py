"""What `xqr mcp` offers: exactly the reference's tools and resources, with descriptions,
annotations and input schemas that carry the API's constraints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.mcp.conftest import (
    ALL_TOOLS,
    REFERENCE_RESOURCES,
    REFERENCE_TEMPLATES,
    REFERENCE_TOOLS,
    REPORT_RESOURCES,
    REPORT_TOOLS,
    mcp_session,
)
from tests.support.live import LiveServer
from xqr.mcp import schemas

READ_ONLY = {
    "list_links", "get_link", "get_link_qr", "generate_qr", "list_qr_templates",
    "render_qr_template", "check_qr", "analytics_summary", "analytics_link_stats",
    "analytics_timeseries",
    "analytics_geography", "analytics_devices", "analytics_top_links", "list_bio_pages",
    "get_bio_page", "list_assets", "get_asset", "get_workspace", "get_workspace_usage",
    "list_workspace_members", "list_reports", "get_report_run", "list_domains",
}  # fmt: skip
DESTRUCTIVE = {"delete_link", "delete_asset", "update_link", "update_bio_page"}
NOT_IDEMPOTENT = {
    "create_link", "bulk_create_links", "create_qr_template", "create_bio_page",
    "create_report", "run_report", "create_domain",
}  # fmt: skip


def _property(tool: Any, name: str) -> dict[str, Any]:
    schema = tool.input_schema["properties"][name]
    options = [s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"]
    return {**options[0], **{k: v for k, v in schema.items() if k != "anyOf"}}


async def test_the_catalogue_is_the_references_tools_check_qr_and_the_reports_ones(
    live: LiveServer, tmp_path: Path
) -> None:
    async with mcp_session(live, tmp_path / "mcp.err") as session:
        tools = {tool.name: tool for tool in (await session.list_tools()).tools}
        resources = (await session.list_resources()).resources
        templates = (await session.list_resource_templates()).resource_templates
    assert sorted(str(r.uri) for r in resources) == sorted(REFERENCE_RESOURCES + REPORT_RESOURCES)
    assert [t.uri_template for t in templates] == REFERENCE_TEMPLATES
    assert all(r.mime_type == "application/json" and r.description for r in resources)
    assert len(resources) + len(templates) == 7 + len(REPORT_RESOURCES)
    assert set(REFERENCE_TOOLS) <= set(tools)
    assert sorted(tools) == sorted(ALL_TOOLS)
    assert len(tools) == 37 and set(REPORT_TOOLS) <= set(tools)
    for name, tool in tools.items():
        assert tool.description and len(tool.description) > 30, name
        assert tool.title, name
        hints = tool.annotations
        assert hints is not None, name
        assert hints.read_only_hint is (name in READ_ONLY), name
        assert hints.destructive_hint is (name in DESTRUCTIVE), name
        assert hints.idempotent_hint is (name not in NOT_IDEMPOTENT), name
        assert hints.open_world_hint is False, name
        assert tool.input_schema["type"] == "object"

    slug = _property(tools["create_link"], "custom_slug")
    assert (slug["minLength"], slug["maxLength"]) == (3, 64) and slug["pattern"]
    url = _property(tools["create_link"], "url")
    assert url["maxLength"] == 2048 and tools["create_link"].input_schema["required"] == ["url"]
    labels = _property(tools["create_link"], "labels")
    assert labels["maxItems"] == 10 and labels["items"]["maxLength"] == 50
    assert _property(tools["create_link"], "routing_rules")["maxItems"] == 20
    assert _property(tools["bulk_create_links"], "links")["maxItems"] == 100
    limit = _property(tools["list_links"], "limit")
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, 200, 50)
    assert _property(tools["list_links"], "offset")["minimum"] == 0
    size = _property(tools["generate_qr"], "size")
    assert (size["minimum"], size["maximum"]) == (1, 50)
    assert _property(tools["generate_qr"], "format")["enum"] == ["svg", "png", "pdf"]
    assert _property(tools["generate_qr"], "error_correction")["enum"] == ["L", "M", "Q", "H"]
    assert _property(tools["generate_qr"], "dot_style")["enum"] == list(schemas.DOT_STYLES)
    assert _property(tools["analytics_summary"], "period")["enum"] == ["7d", "30d", "90d", "all"]
    assert _property(tools["analytics_timeseries"], "granularity")["enum"] == ["hour", "day"]
    assert _property(tools["create_bio_page"], "theme")["enum"] == list(schemas.BIO_THEMES)
    assert _property(tools["create_report"], "format")["enum"] == ["csv", "json", "pdf"]
    assert _property(tools["create_report"], "recipients")["maxItems"] == 20
    assert tools["create_report"].input_schema["required"] == ["name", "kind"]
    assert _property(tools["list_assets"], "status")["enum"] == [
        "pending", "uploaded", "published",
    ]  # fmt: skip


def test_schema_choices_match_the_servers_own_lists() -> None:
    from xqr.bio.icons import icon_names
    from xqr.bio.themes import theme_names
    from xqr.qr.render.design import CORNER_STYLES, DOT_STYLES, ERROR_CORRECTIONS

    assert schemas.DOT_STYLES == DOT_STYLES
    assert schemas.CORNER_STYLES == CORNER_STYLES
    assert schemas.ERROR_CORRECTIONS == ERROR_CORRECTIONS
    assert list(schemas.BIO_THEMES) == theme_names()
    assert list(schemas.BIO_ICONS) == icon_names()
