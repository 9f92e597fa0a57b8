"""Request and response bodies of the QR endpoints."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import ConfigDict, Field

from xqr.core.schemas import RequestModel, ResponseModel, Timestamp
from xqr.qr.render import CORNER_STYLES, DOT_STYLES, ERROR_CORRECTIONS, MAX_PNG_SIDE

MAX_CONTENT = 2953  # the most bytes a QR code holds (version 40, error correction L)
MAX_URL = 2048

Format = Literal["svg", "png"]


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
FORMAT = "Image format: `svg` or `png`."


class DesignIn(RequestModel):
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


class TemplateOut(ResponseModel):
    id: uuid.UUID
    name: str
    description: str | None
    design: DesignOut
    created_at: Timestamp
    updated_at: Timestamp


class GenerateRequest(RequestModel):
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
