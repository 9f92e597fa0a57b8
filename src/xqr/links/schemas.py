"""Request and response bodies of the links endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from xqr.core.schemas import RequestModel

ROUTING_RULES_EXAMPLE = [
    {
        "destination": "https://example.de/promo",
        "priority": 1,
        "conditions": {"countries": ["DE", "AT", "CH"], "country_mode": "include"},
    }
]


class LinkCreate(RequestModel):
    url: str = Field(
        description="Destination URL (http or https).", examples=["https://example.com"]
    )
    custom_slug: str | None = Field(
        None, description="Custom short code: 3–64 letters, digits and hyphens."
    )
    labels: list[str] | None = Field(None, description="Up to 10 labels, 1–50 characters each.")
    routing_rules: list[Any] | None = Field(
        None,
        description="Conditional routing rules (at most 20).",
        examples=[ROUTING_RULES_EXAMPLE],
    )
    expires_at: datetime | None = Field(None, description="ISO 8601; must be in the future.")


class LinkUpdate(RequestModel):
    url: str | None = None
    custom_slug: str | None = None
    labels: list[str] | None = None
    routing_rules: list[Any] | None = None
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


class LinkOut(BaseModel):
    id: str
    short_url: str
    short_code: str
    destination: str
    enabled: bool
    labels: list[str]
    routing_rules: list[dict[str, Any]]
    scan_count: int
    last_scan_at: str | None
    expires_at: str | None
    created_at: str
    updated_at: str


class BulkError(BaseModel):
    index: int
    code: str
    message: str


class BulkOut(BaseModel):
    batch_id: str
    created: list[LinkOut]
    errors: list[BulkError]


class BatchOut(BaseModel):
    id: str
    status: str
    total: int
    succeeded: int
    failed: int
    progress: int
    results: list[dict[str, Any]]
    created_at: str
