"""QR tools: generate_qr, check_qr, list_qr_templates, create_qr_template,
render_qr_template."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server import MCPServer
from mcp.types import CallToolResult
from pydantic import Field

from xqr.client import NOT_GIVEN, AsyncXQR
from xqr.mcp.hints import CREATE, READ, RENDER
from xqr.mcp.results import image_result, model_result, page_result, respond
from xqr.mcp.schemas import (
    MAX_URL_LENGTH,
    Colour,
    CornerStyle,
    Design,
    DotStyle,
    Dpi,
    ErrorCorrection,
    EyeColor,
    Frame,
    Gradient,
    Id,
    ImageFormat,
    Limit,
    Offset,
    QRContent,
    QuietZone,
    Size,
    WidthMm,
    given,
)

TemplateId = Annotated[Id, Field(description="The QR template's id.")]
LogoUrl = Annotated[
    str | None,
    Field(
        max_length=MAX_URL_LENGTH,
        description="public_url of a published asset, or a public https image URL.",
    ),
]
LogoSize = Annotated[
    float | None,
    Field(ge=0.05, le=0.6, description="Largest share of the width the logo takes (0.22)."),
]


def _object(value: Any) -> Any:
    return value.model_dump(exclude_none=True) if value is not None else NOT_GIVEN


def register(server: MCPServer, client: AsyncXQR) -> None:
    @server.tool(
        title="Generate QR code",
        description="Render any text or URL as a QR code image (PNG, SVG or a vector PDF for "
        "print) with optional colours, error correction, module and corner shapes, eye "
        "colours, a gradient, a frame with a call to action, a logo and a printed size "
        "(width_mm, dpi). Colours need a contrast of at least 3:1, and a design that does not "
        "scan is refused with the reason (check_qr reports on one first). For a short link's "
        "own code use get_link_qr.",
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
        logo_url: LogoUrl = None,
        eye_color: EyeColor | None = None,
        gradient: Gradient | None = None,
        frame: Frame | None = None,
        quiet_zone: QuietZone | None = None,
        logo_size: LogoSize = None,
        width_mm: WidthMm | None = None,
        dpi: Dpi | None = None,
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
                eye_color=_object(eye_color),
                gradient=_object(gradient),
                frame=_object(frame),
                quiet_zone=given(quiet_zone),
                logo_size=given(logo_size),
                width_mm=given(width_mm),
                dpi=given(dpi),
            ),
            lambda image: image_result(image, format, "QR code"),
        )

    @server.tool(
        title="Check QR scannability",
        description="Will a QR design scan once printed? Renders it, degrades it the way a "
        "phone camera sees a print and decodes it. Returns decodes, decodes_clean, "
        "contrast_ratio, quiet_zone, error_correction, logo_coverage_percent, version, "
        "modules, min_print_width_mm for scan_distance_cm (default 30) and plain-sentence "
        "warnings. Takes the design options of generate_qr.",
        annotations=RENDER,
    )
    async def check_qr(
        content: QRContent,
        scan_distance_cm: Annotated[
            float | None, Field(ge=5, le=10_000, description="Reading distance, cm (30).")
        ] = None,
        error_correction: ErrorCorrection | None = None,
        foreground: Colour | None = None,
        background: Colour | None = None,
        dot_style: DotStyle | None = None,
        corner_style: CornerStyle | None = None,
        logo_url: LogoUrl = None,
        eye_color: EyeColor | None = None,
        gradient: Gradient | None = None,
        frame: Frame | None = None,
        quiet_zone: QuietZone | None = None,
        logo_size: LogoSize = None,
    ) -> CallToolResult:
        design = {
            name: value
            for name, value in {
                "error_correction": error_correction,
                "foreground": foreground,
                "background": background,
                "dot_style": dot_style,
                "corner_style": corner_style,
                "logo_url": logo_url,
                "eye_color": _object(eye_color),
                "gradient": _object(gradient),
                "frame": _object(frame),
                "quiet_zone": quiet_zone,
                "logo_size": logo_size,
            }.items()
            if value is not None and value is not NOT_GIVEN
        }
        return await respond(
            client.qr.check(content, scan_distance_cm=given(scan_distance_cm), **design),
            model_result,
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
        "shapes, eye colours, gradient, frame with a call to action, quiet zone, logo) to "
        "reuse with render_qr_template or get_link_qr. Design keys left out "
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
        description="Render text or a URL as a QR code image (PNG, SVG or print PDF) using a "
        "saved template's design, optionally at a printed size (width_mm, dpi).",
        annotations=RENDER,
    )
    async def render_qr_template(
        template_id: TemplateId,
        content: QRContent,
        format: ImageFormat = "png",
        size: Size = 10,
        width_mm: WidthMm | None = None,
        dpi: Dpi | None = None,
    ) -> CallToolResult:
        return await respond(
            client.qr.templates.render(
                template_id,
                content,
                size=size,
                format=format,
                width_mm=given(width_mm),
                dpi=given(dpi),
            ),
            lambda image: image_result(image, format, f"QR code with template {template_id}"),
        )
