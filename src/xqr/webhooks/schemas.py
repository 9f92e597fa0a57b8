"""Request and response bodies of `/v1/webhooks`."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from xqr.core.schemas import RequestModel


class WebhookCreate(RequestModel):
    url: str = Field(description="HTTPS endpoint URL on a public address.")
    events: list[str] = Field(description='Events to subscribe to, or `["*"]` for all.')
    description: str | None = Field(None, description="Human-readable label (≤ 500 chars).")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "url": "https://example.com/hooks/xqr",
                    "events": ["link.created", "link.threshold"],
                    "description": "Campaign dashboard",
                }
            ]
        }
    )


class WebhookUpdate(RequestModel):
    url: str | None = Field(None, description="New HTTPS endpoint URL.")
    events: list[str] | None = Field(None, description='Events, or `["*"]`.')
    description: str | None = Field(None, description="Label; null clears it.")
    enabled: bool | None = Field(
        None, description="false pauses deliveries; true resumes them and clears the failure state."
    )

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"enabled": True}, {"events": ["*"]}]}
    )


class WebhookOut(BaseModel):
    id: str
    url: str
    events: list[str]
    description: str | None
    enabled: bool
    disabled_reason: str | None
    failing_since: str | None
    created_at: str
    updated_at: str


class WebhookWithSecretOut(WebhookOut):
    signing_secret: str = Field(description="`whsec_…`: shown only on creation and rotation.")


class AttemptOut(BaseModel):
    attempt: int = Field(description="1–6 within its series.")
    series: int = Field(description="1, then one more for every manual retry.")
    at: str
    status_code: int | None
    response_ms: int | None
    error: str | None
    response_excerpt: str | None = Field(description="The response body's first 20 KB.")


class DeliveryOut(BaseModel):
    id: str = Field(description="Also sent as `X-XQR-Delivery`; dedupe on it.")
    event: str
    status: str = Field(description="pending, delivering, succeeded or failed.")
    attempts: list[AttemptOut]
    payload: dict[str, Any]
    created_at: str
    next_attempt_at: str | None
