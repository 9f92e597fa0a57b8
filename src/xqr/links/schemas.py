"""Request and response bodies of the links endpoints (routing rules: `routing_schemas`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from xqr.core.schemas import RequestModel, ResponseModel, Timestamp, omitted_when_none
from xqr.links.routing_schemas import RoutingRuleOut, RoutingRules


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


class LinkUpdate(RequestModel):
    url: str | None = None
    custom_slug: str | None = None
    labels: list[str] | None = None
    routing_rules: RoutingRules | None = Field(
        None, description="The whole new list; `[]` or null removes every rule."
    )
    enabled: bool | None = None
    expires_at: datetime | None = None


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


class LinkOut(ResponseModel):
    id: uuid.UUID
    short_url: str = Field(examples=["https://xqr.co/spring"])
    short_code: str
    destination: str
    enabled: bool
    labels: list[str]
    routing_rules: list[RoutingRuleOut]
    scan_count: int
    last_scan_at: Timestamp | None
    expires_at: Timestamp | None
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
