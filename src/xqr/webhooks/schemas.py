"""Request and response bodies of `/v1/webhooks`."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import ConfigDict, Field

from xqr.core.schemas import RequestModel, ResponseModel, Timestamp


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


class WebhookOut(ResponseModel):
    id: uuid.UUID
    url: str
    events: list[str] = Field(examples=[["link.created", "link.threshold"]])
    description: str | None
    enabled: bool
    disabled_reason: str | None = Field(description="Why deliveries stopped, when they did.")
    failing_since: Timestamp | None = Field(
        description="First failure of the current failing streak; any 2xx clears it."
    )
    created_at: Timestamp
    updated_at: Timestamp


class WebhookWithSecretOut(WebhookOut):
    signing_secret: str = Field(description="`whsec_…`: shown only on creation and rotation.")


class AttemptOut(ResponseModel):
    attempt: int = Field(description="1–6 within its series.")
    series: int = Field(description="1, then one more for every manual retry.")
    at: Timestamp
    status_code: int | None
    response_ms: int | None
    error: str | None
    response_excerpt: str | None = Field(description="The response body's first 20 KB.")


class DeliveryOut(ResponseModel):
    id: uuid.UUID = Field(description="Also sent as `X-XQR-Delivery`; dedupe on it.")
    event: str
    status: Literal["pending", "delivering", "succeeded", "failed"]
    attempts: list[AttemptOut]
    payload: dict[str, Any] = Field(description="The JSON body sent.")
    created_at: Timestamp
    next_attempt_at: Timestamp | None = Field(description="While pending or delivering.")
