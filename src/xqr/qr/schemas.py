"""Request and response bodies of the QR endpoints."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import ConfigDict, Field

from xqr.core.schemas import RequestModel, ResponseModel, Timestamp
from xqr.qr.render import (
    CORNER_STYLES,
    DOT_STYLES,
    ERROR_CORRECTIONS,
    FRAME_STYLES,
    MAX_PNG_SIDE,
)

MAX_CONTENT = 2953  # the most bytes a QR code holds (version 40, error correction L)
MAX_URL = 2048

Format = Literal["svg", "png", "pdf"]


def _one_of(options: tuple[str, ...]) -> str:
    return ", ".join(f"`{option}`" for option in options)


FOREGROUND = "Hex colour of the modules (`#RGB` or `#RRGGBB`), darker than the background."
BACKGROUND = "Hex colour of the background and quiet zone."
CONTRAST = "The pair needs a WCAG contrast ratio of at least 3:1."
ERROR_CORRECTION = f"Error correction level: {_one_of(ERROR_CORRECTIONS)}; a logo raises it to H."
DOT_STYLE = f"Shape of the data modules (xQR extra): {_one_of(DOT_STYLES)}."
CORNER_STYLE = f"Shape of the three finder patterns (xQR extra): {_one_of(CORNER_STYLES)}."
LOGO_URL = (
    "Logo in the middle (xQR extra): the `public_url` of a published asset of this "
    "workspace, or a public https PNG, JPEG, GIF, WebP or SVG image of at most 1 MB."
)
SIZE = (
    "Pixels per module, 1–50 (the image is (modules + 8) × size pixels wide); a PNG may be at "
    f"most {MAX_PNG_SIDE:,} pixels a side."
)
FORMAT = "Image format: `svg`, `png` or `pdf` (vector, one page the size of the code and frame)."
EYE_COLOR = (
    "Colours of the three finder patterns (xQR extra): `outer` (the 7×7 ring) and `inner` "
    "(the 3×3 ball); each null draws that part like the modules. Each needs 3:1 contrast."
)
GRADIENT = (
    "A gradient over the modules (xQR extra): `type` `linear` (with `angle` in degrees, 0 left "
    "to right, 90 top to bottom) or `radial`, through 2 or 3 `colors`; each stop needs 3:1 "
    "contrast with the background."
)
FRAME = (
    f"A frame outside the quiet zone (xQR extra): `style` one of {_one_of(FRAME_STYLES)}, an "
    "optional call to action `text` (at most 30 characters; Latin, Greek, Cyrillic, Armenian "
    "and Georgian), `color` (default `#000000`) and `text_color` (default: the background on "
    "banners, the frame colour on boxes)."
)
QUIET_ZONE = "The margin around the code, in modules, 2–16 (default 4, the standard)."
LOGO_SIZE = "Largest share of the code's width the logo may take, 0.05–0.6 (default 0.22)."
WIDTH_MM = (
    "Printed width of the code with its quiet zone, in millimetres (5–2000); a frame adds to it. "
    "A PNG is drawn to it at `dpi`; SVG and PDF get it as their physical size."
)
DPI = "Resolution of a PNG drawn to `width_mm`, 72–2400 dots per inch (default 300); PNG only."


class EyeColorIn(RequestModel):
    outer: str | None = Field(None, description="Hex colour of the finder rings.")
    inner: str | None = Field(None, description="Hex colour of the finder balls.")


class GradientIn(RequestModel):
    type: str | None = Field(None, description="`linear` (default) or `radial`.")
    colors: list[str] = Field(description="2 or 3 hex colours, first stop to last.")
    angle: float | None = Field(None, description="Degrees, 0–360, for `linear` (default 0).")


class FrameIn(RequestModel):
    style: str | None = Field(None, description=f"One of {_one_of(FRAME_STYLES)}.")
    text: str | None = Field(None, max_length=200, description="Call to action, ≤ 30 characters.")
    color: str | None = Field(None, description="Hex colour of the frame.")
    text_color: str | None = Field(None, description="Hex colour of the text.")


class EyeColorOut(ResponseModel):
    outer: str | None
    inner: str | None


class GradientOut(ResponseModel):
    type: str
    colors: list[str]
    angle: float


class FrameOut(ResponseModel):
    style: str
    text: str | None
    color: str
    text_color: str


class StyleFields(RequestModel):
    """The design options beyond colours, shared by templates, generate and check."""

    eye_color: EyeColorIn | None = Field(None, description=EYE_COLOR)
    gradient: GradientIn | None = Field(None, description=GRADIENT)
    frame: FrameIn | None = Field(None, description=FRAME)
    quiet_zone: int | None = Field(None, description=QUIET_ZONE)
    logo_size: float | None = Field(None, description=LOGO_SIZE)


class DesignIn(StyleFields):
    """A template's design; unknown keys are rejected, left-out keys take their defaults."""

    foreground: str | None = Field(None, description=f"{FOREGROUND} Default `#000000`.")
    background: str | None = Field(None, description=f"{BACKGROUND} Default `#ffffff`. {CONTRAST}")
    error_correction: str | None = Field(None, description=f"{ERROR_CORRECTION} Default `M`.")
    logo_url: str | None = Field(None, max_length=MAX_URL, description=LOGO_URL)
    dot_style: str | None = Field(None, description=f"{DOT_STYLE} Default `square`.")
    corner_style: str | None = Field(None, description=f"{CORNER_STYLE} Default `square`.")


DESIGN_EXAMPLE: dict[str, Any] = {
    "foreground": "#1e3a8a",
    "background": "#ffffff",
    "error_correction": "Q",
    "dot_style": "rounded",
    "corner_style": "extra-rounded",
}


class TemplateCreate(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"name": "Spring campaign", "description": "Posters", "design": DESIGN_EXAMPLE}
            ]
        }
    )

    name: str = Field(
        min_length=1, max_length=100, description="Template name.", examples=["Spring campaign"]
    )
    description: str | None = Field(
        None, max_length=500, description="Template description (at most 500 characters)."
    )
    design: DesignIn | None = Field(
        None,
        description="Design: foreground, background, error_correction, logo_url, dot_style, "
        "corner_style.",
        examples=[DESIGN_EXAMPLE],
    )


class TemplateUpdate(RequestModel):
    """A merge patch: only the fields sent change; design keys merge into the stored design."""

    name: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = Field(None, max_length=500, description="null clears it.")
    design: DesignIn | None = Field(
        None,
        description="Keys given replace the stored ones, a key set to null returns to its "
        "default, `design: null` resets the whole design.",
        examples=[{"dot_style": "dots"}],
    )


class DesignOut(ResponseModel):
    """Every design field, defaults filled."""

    foreground: str = Field(description=FOREGROUND, examples=["#000000"])
    background: str = Field(description=BACKGROUND, examples=["#ffffff"])
    error_correction: str = Field(description=ERROR_CORRECTION, examples=["M"])
    logo_url: str | None = Field(description=LOGO_URL)
    dot_style: str = Field(description=DOT_STYLE, examples=["square"])
    corner_style: str = Field(description=CORNER_STYLE, examples=["square"])
    eye_color: EyeColorOut | None = Field(description=EYE_COLOR)
    gradient: GradientOut | None = Field(description=GRADIENT)
    frame: FrameOut | None = Field(description=FRAME)
    quiet_zone: int = Field(description=QUIET_ZONE, examples=[4])
    logo_size: float = Field(description=LOGO_SIZE, examples=[0.22])


class TemplateOut(ResponseModel):
    id: uuid.UUID
    name: str
    description: str | None
    design: DesignOut
    created_at: Timestamp
    updated_at: Timestamp


class GenerateRequest(StyleFields):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "content": "https://example.com/spring",
                    "size": 12,
                    "format": "png",
                    "error_correction": "Q",
                    "foreground": "#1e3a8a",
                    "background": "#ffffff",
                    "dot_style": "rounded",
                    "corner_style": "extra-rounded",
                }
            ]
        }
    )

    content: str = Field(
        min_length=1,
        max_length=MAX_CONTENT,
        description="Text or URL to encode.",
        examples=["https://example.com"],
    )
    size: int = Field(10, ge=1, le=50, description=SIZE)
    format: Format = Field("svg", description=FORMAT)
    error_correction: str | None = Field(None, description=f"{ERROR_CORRECTION} Default `M`.")
    foreground: str | None = Field(None, description=f"{FOREGROUND} Default `#000000`.")
    background: str | None = Field(None, description=f"{BACKGROUND} Default `#ffffff`. {CONTRAST}")
    dot_style: str | None = Field(None, description=f"{DOT_STYLE} Default `square`.")
    corner_style: str | None = Field(None, description=f"{CORNER_STYLE} Default `square`.")
    logo_url: str | None = Field(None, max_length=MAX_URL, description=LOGO_URL)
    width_mm: float | None = Field(None, description=WIDTH_MM)
    dpi: int | None = Field(None, description=DPI)


class TemplateRenderRequest(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"content": "https://example.com/spring", "size": 8, "format": "png"}]
        }
    )

    content: str = Field(
        min_length=1,
        max_length=MAX_CONTENT,
        description="Text or URL to encode.",
        examples=["https://example.com"],
    )
    size: int = Field(10, ge=1, le=50, description=SIZE)
    format: Format = Field("svg", description=f"{FORMAT} (xQR extra).")
    width_mm: float | None = Field(None, description=WIDTH_MM)
    dpi: int | None = Field(None, description=DPI)


class CheckRequest(GenerateRequest):
    """The body of generate, plus the distance the code will be read from."""

    scan_distance_cm: float | None = Field(
        None, description="Distance the code is scanned from, 5–10,000 cm (default 30)."
    )


class CheckReport(ResponseModel):
    """Will it scan? See docs/qr.md for the camera model and the distance rule."""

    decodes: bool = Field(description="Decodes after the camera model's degradation.")
    decodes_clean: bool = Field(description="Decodes as rendered (proves little on its own).")
    reason: str | None = Field(description="Why it does not decode, when it does not.")
    contrast_ratio: float = Field(description="WCAG ratio, worst module colour vs background.")
    quiet_zone: int
    error_correction: str = Field(description="The level used (a logo raises it to H).")
    error_correction_budget_percent: int = Field(description="Share of codewords it restores.")
    logo_coverage_percent: float = Field(description="Share of the symbol the logo hides.")
    version: int
    modules: int = Field(description="Modules a side, quiet zone excluded.")
    scan_distance_cm: float
    min_print_width_mm: float = Field(description="Narrowest print (with quiet zone) to use.")
    warnings: list[str]


BULK_MAX_ITEMS = 500


class BulkItem(RequestModel):
    """A link (its QR code, encoding its short URL) or any content with a file name."""

    link_id: str | None = Field(None, description="A link of this workspace.")
    content: str | None = Field(None, min_length=1, max_length=MAX_CONTENT)
    file_name: str | None = Field(
        None, max_length=100, description="File name without extension (default: the slug)."
    )


class BulkRequest(RequestModel):
    items: list[BulkItem] = Field(
        min_length=1, max_length=BULK_MAX_ITEMS, description="At most 500, and the plan's limit."
    )
    template_id: str | None = Field(None, description="Design every code with this template.")
    size: int = Field(10, ge=1, le=50, description=SIZE)
    format: Format = Field("png", description=FORMAT)
    width_mm: float | None = Field(None, description=WIDTH_MM)
    dpi: int | None = Field(None, description=DPI)
