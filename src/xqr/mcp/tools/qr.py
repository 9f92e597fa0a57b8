"""QR tools: generate_qr, list_qr_templates, create_qr_template, render_qr_template."""

from __future__ import annotations

from typing import Annotated

from mcp.server import MCPServer
from mcp.types import CallToolResult
from pydantic import Field

from xqr.client import NOT_GIVEN, AsyncXQR
from xqr.mcp.hints import CREATE, READ, RENDER
from xqr.mcp.results import image_result, page_result, respond
from xqr.mcp.schemas import (
    MAX_URL_LENGTH,
    Colour,
    CornerStyle,
    Design,
    DotStyle,
    ErrorCorrection,
    Id,
    ImageFormat,
    Limit,
    Offset,
    QRContent,
    Size,
    given,
)

TemplateId = Annotated[Id, Field(description="The QR template's id.")]


def register(server: MCPServer, client: AsyncXQR) -> None:
    @server.tool(
        title="Generate QR code",
        description="Render any text or URL as a QR code image (PNG or SVG) with optional "
        "colours, error correction, module and corner shapes and a logo. Colours need a "
        "contrast of at least 3:1. For a short link's own code use get_link_qr.",
        annotations=RENDER,
    )
    async def generate_qr(
        content: QRContent,
        format: ImageFormat = "png",
        size: Size = 10,
        error_correction: ErrorCorrection | None = None,
        foreground: Colour | None = None,
        background: Colour | None = None,
        dot_style: DotStyle | None = None,
        corner_style: CornerStyle | None = None,
        logo_url: Annotated[
            str | None,
            Field(
                max_length=MAX_URL_LENGTH,
                description="public_url of a published asset, or a public https image URL.",
            ),
        ] = None,
    ) -> CallToolResult:
        return await respond(
            client.qr.generate(
                content,
                format=format,
                size=size,
                error_correction=given(error_correction),
                foreground=given(foreground),
                background=given(background),
                dot_style=given(dot_style),
                corner_style=given(corner_style),
                logo_url=given(logo_url),
            ),
            lambda image: image_result(image, format, "QR code"),
        )

    @server.tool(
        title="List QR templates",
        description="List the workspace's saved QR designs (templates), newest first. "
        "Paginated: pass the returned next_offset as offset for the next page.",
        annotations=READ,
    )
    async def list_qr_templates(limit: Limit = 50, offset: Offset = 0) -> CallToolResult:
        return await respond(client.qr.templates.list(limit=limit, offset=offset), page_result)

    @server.tool(
        title="Create QR template",
        description="Save a named QR design (colours, error correction, module and corner "
        "shapes, logo) to reuse with render_qr_template or get_link_qr. Design keys left out "
        "take their defaults.",
        annotations=CREATE,
    )
    async def create_qr_template(
        name: Annotated[str, Field(min_length=1, max_length=100, description="Template name.")],
        description: Annotated[
            str | None, Field(max_length=500, description="What the template is for.")
        ] = None,
        design: Annotated[Design | None, Field(description="The design settings.")] = None,
    ) -> CallToolResult:
        return await respond(
            client.qr.templates.create(
                name,
                description=given(description),
                design=(design.model_dump(exclude_none=True) if design is not None else NOT_GIVEN),
            )
        )

    @server.tool(
        title="Render QR template",
        description="Render text or a URL as a QR code image using a saved template's design.",
        annotations=RENDER,
    )
    async def render_qr_template(
        template_id: TemplateId,
        content: QRContent,
        format: ImageFormat = "png",
        size: Size = 10,
    ) -> CallToolResult:
        return await respond(
            client.qr.templates.render(template_id, content, size=size, format=format),
            lambda image: image_result(image, format, f"QR code with template {template_id}"),
        )
