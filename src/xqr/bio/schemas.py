"""Request and response bodies of the bio page endpoints."""

from __future__ import annotations

from pydantic import BaseModel, Field

from xqr.core.schemas import RequestModel

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
    links: list[BioLinkIn] | None = Field(
        None, description="Up to 50 links, in display order.", examples=[LINKS_EXAMPLE]
    )


class BioPageUpdate(RequestModel):
    title: str | None = None
    slug: str | None = None
    bio: str | None = None
    avatar_url: str | None = None
    theme: str | None = None
    links: list[BioLinkIn] | None = Field(
        None, description="The whole new list; send existing `id`s to keep links' stats."
    )


class BioLinkOut(BaseModel):
    id: str
    title: str
    url: str
    icon: str | None


class BioPageOut(BaseModel):
    id: str
    title: str
    slug: str
    bio: str | None
    avatar_url: str | None
    theme: str
    links: list[BioLinkOut]
    status: str
    published_at: str | None
    public_url: str
    created_at: str
    updated_at: str


class ThemeColors(BaseModel):
    background: str
    text: str
    muted: str
    button_background: str
    button_text: str
    button_border: str


class ThemeOut(BaseModel):
    name: str
    label: str
    description: str
    dark: bool
    colors: ThemeColors


class IconOut(BaseModel):
    name: str
    label: str


class LinkStats(BaseModel):
    id: str
    title: str
    url: str
    clicks: int
    ctr: float = Field(description="Clicks ÷ page views, in percent (2 decimals).")


class StatsPoint(BaseModel):
    timestamp: str = Field(description="The day's midnight in the requested time zone (UTC).")
    views: int
    unique_visitors: int
    clicks: int


class BioStatsOut(BaseModel):
    page_id: str
    period: str = Field(examples=["30d"])
    timezone: str = Field(examples=["UTC"])
    start: str = Field(description="First hour counted (UTC).")
    end: str = Field(description="End of the last day counted (UTC, exclusive).")
    views: int
    unique_visitors: int = Field(description="Visitor-days: distinct visitors summed per day.")
    clicks: int = Field(description="Clicks on the page's current links.")
    ctr: float = Field(description="Clicks ÷ views, in percent (2 decimals).")
    links: list[LinkStats]
    timeseries: list[StatsPoint]
