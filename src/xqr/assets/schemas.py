"""Request and response bodies of the asset endpoints."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import ConfigDict, Field

from xqr.core.schemas import RequestModel, ResponseModel, Timestamp


class PresignIn(RequestModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"filename": "logo.png", "content_type": "image/png"}]},
    )

    filename: str = Field(
        min_length=1,
        max_length=1024,
        description="The file's name; directories are dropped and the extension is made to "
        "match `content_type`.",
    )
    content_type: str = Field(
        min_length=1,
        max_length=255,
        description="image/png, image/jpeg, image/gif, image/webp, image/svg+xml or "
        "application/pdf.",
    )


class AssetOut(ResponseModel):
    id: uuid.UUID
    filename: str
    content_type: str
    size: int | None = Field(description="Bytes; null until the upload is confirmed.")
    status: Literal["pending", "uploaded", "published"]
    public_url: str | None = Field(description="Set once published.")
    created_at: Timestamp
    updated_at: Timestamp


class PresignOut(ResponseModel):
    asset_id: uuid.UUID
    presigned_url: str = Field(description="PUT the file's bytes here before `expires_at`.")
    method: Literal["PUT"]
    headers: dict[str, str] = Field(description="Headers the PUT must carry (Content-Type).")
    expires_at: Timestamp
    asset: AssetOut
