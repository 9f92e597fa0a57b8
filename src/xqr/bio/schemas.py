"""Request and response bodies of the bio page endpoints."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import Field

from xqr.core.schemas import RequestModel, ResponseModel, Timestamp

LINKS_EXAMPLE = [
    {"title": "My shop", "url": "https://shop.example.com", "icon": "shop"},
    {"title": "Instagram", "url": "https://instagram.com/example", "icon": "instagram"},
]


class BioLinkIn(RequestModel):
    id: str | None = Field(
        None,
        description="Send back a link's `id` to keep it (and its click history) across updates; "
        "omitted or unknown ids get a new one.",
    )
    title: str = Field(description="Button text, 1–100 characters.")
    url: str = Field(description="Where the button leads: an absolute http(s) URL.")
    icon: str | None = Field(None, description="One of `GET /v1/bio/icons`, or null.")


class BioColorsIn(RequestModel):
    background: str | None = Field(None, description="Page background, `#rrggbb`.")
    text: str | None = Field(None, description="Title and bio text, `#rrggbb`.")
    button_background: str | None = Field(None, description="Link buttons, `#rrggbb`.")
    button_text: str | None = Field(None, description="Link button text, `#rrggbb`.")


COLORS = (
    "Custom colours laid over the theme; each must keep text at WCAG AA contrast (4.5:1) "
    "against what it sits on, or the request is refused naming the ratio. `null` removes them."
)


class BioPageCreate(RequestModel):
    title: str = Field(description="Page title, 1–100 characters.", examples=["Ada's links"])
    slug: str | None = Field(
        None,
        description="3–64 letters, digits and hyphens; made from the title when omitted.",
        examples=["ada"],
    )
    bio: str | None = Field(None, description="Up to 500 characters; line breaks are kept.")
    avatar_url: str | None = Field(
        None, description="An http(s) image URL, e.g. a published asset's `public_url`."
    )
    theme: str | None = Field(
        None, description="A theme name from `GET /v1/bio/themes`; default `classic`."
    )
    colors: BioColorsIn | None = Field(None, description=COLORS)
    links: list[BioLinkIn] | None = Field(
        None, description="Up to 50 links, in display order.", examples=[LINKS_EXAMPLE]
    )


class BioPageUpdate(RequestModel):
    title: str | None = None
    slug: str | None = None
    bio: str | None = None
    avatar_url: str | None = None
    theme: str | None = None
    colors: BioColorsIn | None = Field(None, description=COLORS)
    links: list[BioLinkIn] | None = Field(
        None, description="The whole new list; send existing `id`s to keep links' stats."
    )


class BioLinkOut(ResponseModel):
    id: uuid.UUID = Field(description="Send it back on update to keep the link's click stats.")
    title: str
    url: str
    icon: str | None


class BioPageOut(ResponseModel):
    id: uuid.UUID
    title: str
    slug: str
    bio: str | None
    avatar_url: str | None
    theme: str
    colors: dict[str, str] | None = Field(description="Custom colours over the theme, or null.")
    links: list[BioLinkOut]
    status: Literal["draft", "published"]
    published_at: Timestamp | None
    public_url: str = Field(description="Where the page is served once published.")
    created_at: Timestamp
    updated_at: Timestamp


class ThemeColors(ResponseModel):
    background: str
    text: str
    muted: str
    button_background: str
    button_text: str
    button_border: str


class ThemeOut(ResponseModel):
    name: str
    label: str
    description: str
    dark: bool
    colors: ThemeColors


class IconOut(ResponseModel):
    name: str
    label: str


class BioLinkStats(ResponseModel):
    id: uuid.UUID
    title: str
    url: str
    clicks: int
    ctr: float = Field(description="Clicks ÷ page views, in percent (2 decimals).")


class BioStatsPoint(ResponseModel):
    timestamp: Timestamp = Field(description="The day's midnight in the requested time zone.")
    views: int
    unique_visitors: int
    clicks: int


class BioStatsOut(ResponseModel):
    page_id: uuid.UUID
    period: Literal["7d", "30d", "90d", "all"] = Field(examples=["30d"])
    timezone: str = Field(examples=["UTC"])
    start: Timestamp = Field(description="First hour counted (UTC).")
    end: Timestamp = Field(description="End of the last day counted (UTC, exclusive).")
    views: int
    unique_visitors: int = Field(description="Visitor-days: distinct visitors summed per day.")
    clicks: int = Field(description="Clicks on the page's current links.")
    ctr: float = Field(description="Clicks ÷ views, in percent (2 decimals).")
    links: list[BioLinkStats]
    timeseries: list[BioStatsPoint]
