"""Request and response bodies of the links endpoints (routing rules: `routing_schemas`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from xqr.core.schemas import RequestModel, ResponseModel, Timestamp, omitted_when_none
from xqr.links.routing_schemas import RoutingRuleOut, RoutingRules

UTM_FIELDS = ("source", "medium", "campaign", "term", "content")
MAX_UTM_LENGTH = 200
MAX_PASSWORD_LENGTH = 128
MIN_PASSWORD_LENGTH = 4


class Utm(RequestModel):
    """UTM parameters added to every destination at redirect time (see docs/links.md)."""

    source: str | None = Field(None, min_length=1, max_length=MAX_UTM_LENGTH, examples=["qr"])
    medium: str | None = Field(None, min_length=1, max_length=MAX_UTM_LENGTH)
    campaign: str | None = Field(None, min_length=1, max_length=MAX_UTM_LENGTH)
    term: str | None = Field(None, min_length=1, max_length=MAX_UTM_LENGTH)
    content: str | None = Field(None, min_length=1, max_length=MAX_UTM_LENGTH)


class Preview(RequestModel):
    """What chat apps and social networks show when the short URL is shared."""

    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, min_length=1, max_length=500)
    image_url: str | None = Field(
        None, description="An https URL, such as a published asset's public_url."
    )


class LinkCreate(RequestModel):
    url: str = Field(
        description="Destination URL (http or https).", examples=["https://example.com"]
    )
    custom_slug: str | None = Field(
        None, description="Custom short code: 3–64 letters, digits and hyphens."
    )
    labels: list[str] | None = Field(None, description="Up to 10 labels, 1–50 characters each.")
    routing_rules: RoutingRules | None = None
    expires_at: datetime | None = Field(None, description="ISO 8601; must be in the future.")
    password: str | None = Field(
        None,
        description="Visitors must enter it before they are redirected (write-only; "
        f"{MIN_PASSWORD_LENGTH}–{MAX_PASSWORD_LENGTH} characters).",
    )
    expired_url: str | None = Field(
        None, description="Where visitors go after `expires_at` (instead of 410 Gone)."
    )
    utm: Utm | None = None
    preview: Preview | None = None
    domain: str | None = Field(
        None,
        description="Host name of a verified custom domain of the workspace; omitted: the "
        "workspace's default domain, else the server's base; null: the server's base.",
    )


class LinkUpdate(RequestModel):
    url: str | None = None
    custom_slug: str | None = None
    labels: list[str] | None = None
    routing_rules: RoutingRules | None = Field(
        None, description="The whole new list; `[]` or null removes every rule."
    )
    enabled: bool | None = None
    expires_at: datetime | None = None
    password: str | None = Field(None, description="A new password; null removes it.")
    expired_url: str | None = Field(None, description="null removes it.")
    utm: Utm | None = Field(None, description="The whole new object; null or {} removes it.")
    preview: Preview | None = Field(
        None, description="The whole new object; null or {} removes it."
    )
    domain: str | None = Field(
        None,
        description="Move the link to another verified custom domain of the workspace "
        "(null: the server's base); its code must be free there.",
    )


class BulkCreate(RequestModel):
    items_validated_alone = frozenset({"links"})

    links: list[Any] = Field(
        description="Up to 100 `{url, custom_slug?, labels?}` objects, each validated alone.",
        examples=[
            [
                {"url": "https://example.com/a"},
                {"url": "https://example.com/b", "custom_slug": "bee"},
            ]
        ],
    )


class UtmOut(ResponseModel):
    source: str | None = Field(None, exclude_if=omitted_when_none)
    medium: str | None = Field(None, exclude_if=omitted_when_none)
    campaign: str | None = Field(None, exclude_if=omitted_when_none)
    term: str | None = Field(None, exclude_if=omitted_when_none)
    content: str | None = Field(None, exclude_if=omitted_when_none)


class PreviewOut(ResponseModel):
    title: str | None = Field(None, exclude_if=omitted_when_none)
    description: str | None = Field(None, exclude_if=omitted_when_none)
    image_url: str | None = Field(None, exclude_if=omitted_when_none)


class HealthOut(ResponseModel):
    """The last check of the link's destinations; `unknown` until one has run."""

    status: Literal["ok", "broken", "unknown"]
    status_code: int | None = Field(None, description="HTTP status of the broken destination.")
    reason: str | None = Field(None, description="Why the destination is broken.")
    checked_at: Timestamp | None


class LinkOut(ResponseModel):
    id: uuid.UUID
    short_url: str = Field(examples=["https://xqr.co/spring"])
    short_code: str
    domain: str | None = Field(
        None, description="The custom domain the link is on; null: the server's base."
    )
    destination: str
    enabled: bool
    labels: list[str]
    routing_rules: list[RoutingRuleOut]
    scan_count: int
    last_scan_at: Timestamp | None
    expires_at: Timestamp | None
    has_password: bool
    expired_url: str | None
    utm: UtmOut | None
    preview: PreviewOut | None
    health: HealthOut
    created_at: Timestamp
    updated_at: Timestamp


class BulkError(ResponseModel):
    index: int = Field(description="Position of the refused item in `links`.")
    code: str
    message: str


class BulkOut(ResponseModel):
    batch_id: uuid.UUID
    created: list[LinkOut]
    errors: list[BulkError]


class BatchItemOut(ResponseModel):
    """One item of a bulk create: `link_id` and `short_code` when created, else the error."""

    # In the order the items were always written: a failed one's `code` and `message` come
    # before its `status`.
    index: int
    code: str | None = Field(None, exclude_if=omitted_when_none)
    message: str | None = Field(None, exclude_if=omitted_when_none)
    status: Literal["created", "failed"]
    link_id: uuid.UUID | None = Field(None, exclude_if=omitted_when_none)
    short_code: str | None = Field(None, exclude_if=omitted_when_none)


class BatchOut(ResponseModel):
    id: uuid.UUID
    status: str = Field(examples=["completed"])
    total: int
    succeeded: int
    failed: int
    progress: int = Field(description="Percent of the items processed.")
    results: list[BatchItemOut]
    created_at: Timestamp
