"""Every tool called through `xqr mcp`, its effect checked through the API (the SDK)."""

from __future__ import annotations

import asyncio
import base64
import io
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import zxingcpp
from mcp.client.session import ClientSession
from mcp.types import ImageContent
from PIL import Image

from tests.mcp.conftest import mcp_session, structured
from tests.support.live import LiveServer, png_file
from xqr.client import AsyncXQR, NotFoundError

DESKTOP = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36"
)


@pytest.fixture
async def api(live: LiveServer) -> AsyncIterator[AsyncXQR]:
    async with AsyncXQR(api_key=live.key, base_url=live.url) as client:
        yield client


def _image(result: object, mime_type: str) -> bytes:
    image = result.content[0]  # type: ignore[attr-defined]
    assert isinstance(image, ImageContent) and image.mime_type == mime_type
    return base64.b64decode(image.data)


def _decode(png: bytes) -> str:
    [found] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    return str(found.text)


async def test_every_tool_acts_through_the_api(
    live: LiveServer, api: AsyncXQR, tmp_path: Path
) -> None:
    """One `xqr mcp` process, all 30 tools; each effect is read back with the SDK."""
    async with mcp_session(live, tmp_path / "mcp.err") as mcp:
        await _links_tools(mcp, api)
        await _qr_tools(mcp, api)
        await _assets_tools(mcp, api, tmp_path)
        await _bio_tools(mcp, api)
        await _workspace_tools(mcp, live)
        await _analytics_tools(mcp, api)


async def _links_tools(mcp: ClientSession, api: AsyncXQR) -> None:
    label = f"mcp-{uuid.uuid4().hex[:8]}"
    created = structured(
        await mcp.call_tool(
            "create_link",
            {
                "url": "https://example.com/mcp",
                "labels": [label],
                "routing_rules": [
                    {
                        "destination": "https://example.de/",
                        "priority": 1,
                        "conditions": {"countries": ["DE"], "country_mode": "include"},
                    }
                ],
            },
        )
    )
    link = await api.links.get(created["id"])
    assert (link.destination, link.labels) == ("https://example.com/mcp", [label])
    assert link.routing_rules[0]["conditions"]["countries"] == ["DE"]

    got = structured(await mcp.call_tool("get_link", {"link_id": link.id}))
    assert got["short_url"] == link.short_url

    updated = structured(
        await mcp.call_tool(
            "update_link",
            {"link_id": link.id, "url": "https://example.com/changed", "enabled": False},
        )
    )
    assert updated["enabled"] is False
    after = await api.links.get(link.id)
    assert (after.destination, after.enabled, after.labels) == (
        "https://example.com/changed",
        False,
        [label],
    )

    bulk = structured(
        await mcp.call_tool(
            "bulk_create_links",
            {
                "links": [
                    {"url": "https://example.com/b1", "labels": [label]},
                    {"url": "https://example.com/b2", "labels": [label]},
                ]
            },
        )
    )
    assert len(bulk["created"]) == 2 and bulk["errors"] == []
    assert (await api.links.list(label=label)).total == 3

    first = structured(await mcp.call_tool("list_links", {"label": label, "limit": 2}))
    assert len(first["items"]) == 2
    assert first["pagination"] == {
        "total": 3,
        "limit": 2,
        "offset": 0,
        "has_more": True,
        "next_offset": 2,
    }
    rest = structured(await mcp.call_tool("list_links", {"label": label, "limit": 2, "offset": 2}))
    assert rest["items"][0]["id"] == link.id and rest["pagination"]["has_more"] is False

    png = _image(await mcp.call_tool("get_link_qr", {"link_id": link.id, "size": 4}), "image/png")
    assert _decode(png) == f"{link.short_url}?qr=1"
    svg = _image(
        await mcp.call_tool("get_link_qr", {"link_id": link.id, "format": "svg"}),
        "image/svg+xml",
    )
    assert svg.lstrip().startswith(b"<svg")

    deleted = structured(await mcp.call_tool("delete_link", {"link_id": link.id}))
    assert deleted == {"deleted": True, "type": "link", "id": link.id}
    with pytest.raises(NotFoundError):
        await api.links.get(link.id)


async def _qr_tools(mcp: ClientSession, api: AsyncXQR) -> None:
    png = _image(
        await mcp.call_tool(
            "generate_qr",
            {"content": "hello mcp", "size": 4, "dot_style": "dots", "error_correction": "Q"},
        ),
        "image/png",
    )
    assert _decode(png) == "hello mcp"
    svg = _image(
        await mcp.call_tool("generate_qr", {"content": "hello svg", "format": "svg"}),
        "image/svg+xml",
    )
    assert svg.lstrip().startswith(b"<svg")

    template = structured(
        await mcp.call_tool(
            "create_qr_template",
            {"name": "MCP", "design": {"foreground": "#14532d", "corner_style": "dot"}},
        )
    )
    stored = await api.qr.templates.get(template["id"])
    assert (stored.design.foreground, stored.design.corner_style) == ("#14532d", "dot")

    listed = structured(await mcp.call_tool("list_qr_templates", {"limit": 200}))
    assert template["id"] in {t["id"] for t in listed["items"]}
    assert listed["pagination"]["total"] == (await api.qr.templates.list()).total

    rendered = _image(
        await mcp.call_tool(
            "render_qr_template",
            {"template_id": template["id"], "content": "templated", "size": 4},
        ),
        "image/png",
    )
    assert _decode(rendered) == "templated"

    studio = _image(
        await mcp.call_tool(
            "generate_qr",
            {
                "content": "framed mcp",
                "size": 5,
                "gradient": {"type": "linear", "colors": ["#1e3a8a", "#b91c1c"], "angle": 45},
                "eye_color": {"outer": "#b91c1c"},
                "frame": {"style": "banner-bottom", "text": "Scan me"},
            },
        ),
        "image/png",
    )
    assert _decode(studio) == "framed mcp"
    pdf = await mcp.call_tool("generate_qr", {"content": "print", "format": "pdf", "width_mm": 30})
    assert pdf.content[0].type == "resource"
    assert pdf.content[0].resource.mime_type == "application/pdf"  # type: ignore[union-attr]
    report = structured(
        await mcp.call_tool("check_qr", {"content": "grey", "foreground": "#bbbbbb"})
    )
    assert (report["decodes"], report["decodes_clean"]) == (False, True)
    assert any("contrast ratio" in warning for warning in report["warnings"])


async def _assets_tools(mcp: ClientSession, api: AsyncXQR, tmp_path: Path) -> None:
    asset = await api.assets.upload(png_file(tmp_path, "mcp.png"))
    listed = structured(await mcp.call_tool("list_assets", {"status": "uploaded"}))
    assert asset.id in {a["id"] for a in listed["items"]}
    got = structured(await mcp.call_tool("get_asset", {"asset_id": asset.id}))
    assert (got["filename"], got["status"]) == ("mcp.png", "uploaded")

    published = structured(await mcp.call_tool("publish_asset", {"asset_id": asset.id}))
    assert published["status"] == "published"
    stored = await api.assets.get(asset.id)
    assert stored.status == "published" and stored.public_url
    assert httpx.get(stored.public_url).status_code == 200

    structured(await mcp.call_tool("delete_asset", {"asset_id": asset.id}))
    with pytest.raises(NotFoundError):
        await api.assets.get(asset.id)


async def _bio_tools(mcp: ClientSession, api: AsyncXQR) -> None:
    page = structured(
        await mcp.call_tool(
            "create_bio_page",
            {
                "title": "MCP page",
                "theme": "forest",
                "links": [{"title": "Docs", "url": "https://example.com/docs", "icon": "link"}],
            },
        )
    )
    stored = await api.bio.pages.get(page["id"])
    assert (stored.title, stored.theme, stored.status) == ("MCP page", "forest", "draft")

    updated = structured(
        await mcp.call_tool("update_bio_page", {"page_id": page["id"], "bio": "Hello"})
    )
    assert updated["bio"] == "Hello"
    assert (await api.bio.pages.get(page["id"])).bio == "Hello"

    got = structured(await mcp.call_tool("get_bio_page", {"page_id": page["id"]}))
    assert got["links"][0]["title"] == "Docs"
    listed = structured(await mcp.call_tool("list_bio_pages", {}))
    assert page["id"] in {p["id"] for p in listed["items"]}

    published = structured(await mcp.call_tool("publish_bio_page", {"page_id": page["id"]}))
    assert published["status"] == "published"
    assert (await api.bio.pages.get(page["id"])).is_published
    assert httpx.get(published["public_url"]).status_code == 200


async def _workspace_tools(mcp: ClientSession, live: LiveServer) -> None:
    workspace = structured(await mcp.call_tool("get_workspace", {}))
    assert (workspace["id"], workspace["plan"]) == (live.workspace_id, "enterprise")
    usage = structured(await mcp.call_tool("get_workspace_usage", {}))
    assert usage["plan"] == "enterprise" and usage["links"]["limit"] is None
    members = structured(await mcp.call_tool("list_workspace_members", {}))
    assert [m["role"] for m in members["items"]] == ["owner"]
    assert members["pagination"]["total"] == 1


async def _analytics_tools(mcp: ClientSession, api: AsyncXQR) -> None:
    link = await api.links.create("https://example.com/mcp-analytics")
    for _ in range(2):
        assert httpx.get(link.short_url, headers={"User-Agent": DESKTOP}).status_code == 302
    deadline = time.monotonic() + 10
    while (await api.links.get(link.id)).scan_count < 2 and time.monotonic() < deadline:
        await asyncio.sleep(0.1)

    async def call(name: str, **arguments: object) -> Any:
        return structured(await mcp.call_tool(name, arguments))

    summary = await call("analytics_summary", period="7d")
    assert summary["total_scans"] == (await api.analytics.summary(period="7d")).total_scans >= 2
    stats = await call("analytics_link_stats", link_id=link.id, timezone="Europe/Paris")
    assert (stats["link"]["id"], stats["total_scans"], stats["timezone"]) == (
        link.id,
        2,
        "Europe/Paris",
    )
    series = await call("analytics_timeseries", granularity="hour", link_id=link.id)
    assert sum(point["scans"] for point in series["items"]) == 2
    geography = await call("analytics_geography", period="90d", link_id=link.id)
    assert [country["scans"] for country in geography["items"]] == [2]
    devices = await call("analytics_devices", link_id=link.id)
    assert [(d["name"], d["scans"]) for d in devices["device_types"]] == [("desktop", 2)]
    top = await call("analytics_top_links", limit=100, period="all")
    assert {item["id"]: item["scans"] for item in top["items"]}[link.id] == 2
