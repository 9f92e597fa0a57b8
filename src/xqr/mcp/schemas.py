"""Input types of the MCP tools: the API's constraints, written so the tool schemas show them.

The limits come from the pure modules that enforce them where those exist; the QR styles and
bio themes are listed here (a test checks them against the server's own lists) so that
starting the MCP server does not load the QR engine or the bio renderer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from xqr.client import NOT_GIVEN, NotGiven
from xqr.links.destinations import MAX_URL_LENGTH
from xqr.links.routing import (
    COUNTRY_MODES,
    DEVICE_TYPES,
    MAX_RULES,
    OPERATING_SYSTEMS,
    PRIORITY_MAX,
    PRIORITY_MIN,
)
from xqr.links.slugs import SLUG_MAX, SLUG_MIN

T = TypeVar("T")

MAX_LABELS = 10
MAX_LABEL_LENGTH = 50
MAX_BULK = 100
MAX_QR_CONTENT = 2953
MAX_BIO_LINKS = 50
SLUG_PATTERN = r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$"
HEX_COLOUR_PATTERN = r"^#?(?:[0-9a-fA-F]{3}){1,2}$"
URL_PATTERN = r"^https?://"

ERROR_CORRECTIONS = ("L", "M", "Q", "H")
DOT_STYLES = ("square", "rounded", "dots", "classy", "classy-rounded", "extra-rounded")
CORNER_STYLES = ("square", "rounded", "extra-rounded", "dot")
BIO_ICONS = (
    "website",
    "link",
    "email",
    "phone",
    "shop",
    "instagram",
    "x",
    "tiktok",
    "youtube",
    "facebook",
    "linkedin",
    "github",
    "spotify",
    "apple-music",
    "whatsapp",
    "telegram",
    "discord",
    "twitch",
    "pinterest",
    "snapchat",
    "threads",
    "mastodon",
    "bluesky",
)
BIO_THEMES = ("classic", "midnight", "ocean", "forest", "sunset", "lavender", "mono", "paper")
ASSET_STATUSES = ("pending", "uploaded", "published")

Id = Annotated[str, Field(min_length=1, max_length=64, json_schema_extra={"format": "uuid"})]
LinkId = Annotated[Id, Field(description="The link's id (a UUID, as returned by create_link).")]
Url = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_URL_LENGTH,
        pattern=URL_PATTERN,
        description="Absolute http(s) URL with a host.",
    ),
]
Slug = Annotated[
    str,
    Field(
        min_length=SLUG_MIN,
        max_length=SLUG_MAX,
        pattern=SLUG_PATTERN,
        description=f"{SLUG_MIN}–{SLUG_MAX} letters, digits and hyphens; not starting or "
        "ending with a hyphen.",
    ),
]
Label = Annotated[str, Field(min_length=1, max_length=MAX_LABEL_LENGTH)]
Labels = Annotated[
    list[Label],
    Field(
        max_length=MAX_LABELS,
        description=f"Tags, at most {MAX_LABELS}, each 1–{MAX_LABEL_LENGTH} characters.",
    ),
]
Limit = Annotated[int, Field(ge=1, le=200, description="Page size, 1–200.")]
Offset = Annotated[
    int, Field(ge=0, description="Items to skip (for the next page: offset + limit).")
]
Period = Annotated[
    Literal["7d", "30d", "90d", "all"], Field(description="Time window: 7d, 30d, 90d or all.")
]
Size = Annotated[int, Field(ge=1, le=50, description="Pixels per module, 1–50.")]
ImageFormat = Annotated[
    Literal["svg", "png", "pdf"],
    Field(description="svg (returned as image/svg+xml), png, or pdf (a vector page for print)."),
]
FRAME_STYLES = ("none", "box", "rounded-box", "banner-bottom", "banner-top")
QuietZone = Annotated[
    int, Field(ge=2, le=16, description="Margin around the code in modules (standard 4).")
]
WidthMm = Annotated[
    float,
    Field(ge=5, le=2000, description="Printed width of the code with its quiet zone, in mm."),
]
Dpi = Annotated[int, Field(ge=72, le=2400, description="PNG resolution for width_mm (300).")]
Colour = Annotated[
    str, Field(pattern=HEX_COLOUR_PATTERN, description="Hex colour, #RGB or #RRGGBB.")
]
ErrorCorrection = Annotated[
    Literal["L", "M", "Q", "H"], Field(description="Error correction level; a logo forces H.")
]
DotStyle = Annotated[
    Literal[DOT_STYLES],  # type: ignore[valid-type]
    Field(description="Shape of the data modules."),
]
CornerStyle = Annotated[
    Literal[CORNER_STYLES],  # type: ignore[valid-type]
    Field(description="Shape of the three finder patterns."),
]
QRContent = Annotated[
    str,
    Field(min_length=1, max_length=MAX_QR_CONTENT, description="Text or URL to encode."),
]
Theme = Annotated[
    Literal[BIO_THEMES],  # type: ignore[valid-type]
    Field(description="Theme preset of the page."),
]
BioIcon = Annotated[
    Literal[BIO_ICONS],  # type: ignore[valid-type]
    Field(description="Icon shown on the button."),
]
AssetStatus = Annotated[Literal["pending", "uploaded", "published"], Field()]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Hours(_Input):
    start: int | str = Field(description='0–23 or "HH:MM" (UTC unless timezone is given).')
    end: int | str = Field(description='0–23 or "HH:MM", exclusive; end < start wraps midnight.')
    timezone: str | None = Field(None, description="IANA time zone, e.g. Europe/Berlin.")


class Conditions(_Input):
    countries: list[Annotated[str, Field(min_length=2, max_length=2)]] | None = Field(
        None, description="ISO 3166-1 alpha-2 country codes."
    )
    country_mode: Literal[COUNTRY_MODES] | None = Field(  # type: ignore[valid-type]
        None, description="include (default) or exclude the countries."
    )
    device_types: list[Literal[DEVICE_TYPES]] | None = None  # type: ignore[valid-type]
    os: list[Literal[OPERATING_SYSTEMS]] | None = Field(  # type: ignore[valid-type]
        None, description="The visitor's operating system (from the User-Agent)."
    )
    languages: (
        list[Annotated[str, Field(pattern=r"^[A-Za-z]{2,3}(-([A-Za-z]{2}|[0-9]{3}))?$")]] | None
    ) = Field(
        None,
        description="Language tags such as de or pt-BR, matched against the visitor's most "
        "preferred Accept-Language (de also matches de-AT; pt-BR only pt-BR).",
    )
    hours: Hours | None = None
    percentage: int | None = Field(
        None, ge=0, le=100, description="Share of visitors (sticky per visitor), 0–100."
    )
    expires_at: datetime | None = Field(None, description="The rule is skipped after this.")


class RoutingRule(_Input):
    destination: Url
    priority: int = Field(
        0, ge=PRIORITY_MIN, le=PRIORITY_MAX, description="Lower is tried first; ties keep order."
    )
    conditions: Conditions | None = Field(None, description="All given conditions must hold.")


RoutingRules = Annotated[
    list[RoutingRule],
    Field(
        max_length=MAX_RULES,
        description=f"At most {MAX_RULES} rules; the first match wins, else the link's url.",
    ),
]


class Utm(_Input):
    """UTM parameters added to the destination (and every rule destination) at redirect time;
    parameters already in a destination URL win."""

    source: str | None = Field(None, min_length=1, max_length=200, examples=["qr"])
    medium: str | None = Field(None, min_length=1, max_length=200, examples=["poster"])
    campaign: str | None = Field(None, min_length=1, max_length=200)
    term: str | None = Field(None, min_length=1, max_length=200)
    content: str | None = Field(None, min_length=1, max_length=200)


class Preview(_Input):
    """The card chat apps and social networks show for the short URL."""

    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, min_length=1, max_length=500)
    image_url: str | None = Field(
        None, description="An https URL, such as a published asset's public_url."
    )


LinkPassword = Annotated[
    str,
    Field(
        min_length=4,
        max_length=128,
        description="Visitors must enter it before they are redirected (write-only; the link "
        "shows has_password). API clients send it in the X-Link-Password header.",
    ),
]
ExpiredUrl = Annotated[
    Url, Field(description="Where visitors go after expires_at, instead of 410 Gone.")
]


class BulkLink(_Input):
    url: Url
    custom_slug: Slug | None = None
    labels: Labels | None = None


class BioLinkIn(_Input):
    id: str | None = Field(
        None, max_length=64, description="An existing link's id, to keep its click stats."
    )
    title: str = Field(min_length=1, max_length=100, description="Button text.")
    url: Url
    icon: BioIcon | None = None


BioLinks = Annotated[
    list[BioLinkIn], Field(max_length=MAX_BIO_LINKS, description="The page's buttons, in order.")
]


class EyeColor(_Input):
    """Finder pattern colours; each left out is drawn like the modules."""

    outer: Colour | None = Field(None, description="The 7x7 rings.")
    inner: Colour | None = Field(None, description="The 3x3 balls.")


class Gradient(_Input):
    """A gradient over the modules; every stop needs 3:1 contrast with the background."""

    type: Literal["linear", "radial"] = "linear"
    colors: list[Colour] = Field(min_length=2, max_length=3, description="2 or 3 stops.")
    angle: float | None = Field(
        None, ge=0, le=360, description="linear only: 0 left to right, 90 top to bottom."
    )


class Frame(_Input):
    """A frame outside the quiet zone, with an optional call to action."""

    style: Literal[FRAME_STYLES] = "box"  # type: ignore[valid-type]
    text: str | None = Field(
        None,
        max_length=30,
        description="Call to action; Latin, Greek, Cyrillic (no CJK or right-to-left).",
    )
    color: Colour | None = None
    text_color: Colour | None = None


class StudioDesign(_Input):
    """Design options beyond colours and shapes."""

    eye_color: EyeColor | None = None
    gradient: Gradient | None = None
    frame: Frame | None = None
    quiet_zone: QuietZone | None = None
    logo_size: float | None = Field(
        None, ge=0.05, le=0.6, description="Largest share of the width the logo takes (0.22)."
    )


class Design(StudioDesign):
    foreground: Colour | None = None
    background: Colour | None = None
    error_correction: ErrorCorrection | None = None
    logo_url: str | None = Field(
        None,
        max_length=MAX_URL_LENGTH,
        description="public_url of a published asset, or a public https image URL.",
    )
    dot_style: DotStyle | None = None
    corner_style: CornerStyle | None = None


def given(value: T | None) -> T | NotGiven:
    """A tool argument left out (None) is an API field left out."""
    return NOT_GIVEN if value is None else value
