"""Request and response bodies of `/v1/domains`."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import ConfigDict, Field

from xqr.core.schemas import RequestModel, ResponseModel, Timestamp

Purpose = Literal["links", "bio", "both"]
Status = Literal["pending", "verified", "failed"]


class DomainCreate(RequestModel):
    hostname: str = Field(description="The host name, e.g. `go.example.com` (no scheme or port).")
    purpose: Purpose = Field("links", description="What the host serves: links, bio or both.")
    default: bool = Field(
        False, description="New links of the workspace go on this domain once it is verified."
    )
    not_found_url: str | None = Field(
        None, description="Where unknown codes on this host redirect (else the 404 page)."
    )
    root_url: str | None = Field(
        None, description="Where the bare host (`https://HOST/`) redirects (else the 404 page)."
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "hostname": "go.example.com",
                    "purpose": "links",
                    "default": True,
                    "root_url": "https://example.com/",
                }
            ]
        }
    )


class DomainUpdate(RequestModel):
    purpose: Purpose | None = Field(None, description="links, bio or both.")
    default: bool | None = Field(None, description="Make (or stop making) it the default.")
    not_found_url: str | None = Field(None, description="null clears it.")
    root_url: str | None = Field(None, description="null clears it.")

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"default": True}, {"not_found_url": None}]}
    )


class VerificationOut(ResponseModel):
    token: str = Field(description="The token the host must serve back through this server.")
    url: str = Field(description="The URL verification fetches.")
    last_error: str | None = Field(description="Why the last check failed, when it did.")
    verified_at: Timestamp | None
    checked_at: Timestamp | None


class DomainOut(ResponseModel):
    id: uuid.UUID
    hostname: str = Field(examples=["go.example.com"])
    purpose: Purpose
    status: Status = Field(
        description="pending until verified; failed when a verified host stopped answering "
        "(it keeps serving)."
    )
    default: bool
    not_found_url: str | None
    root_url: str | None
    verification: VerificationOut
    created_at: Timestamp
    updated_at: Timestamp


class TlsAskOut(ResponseModel):
    domain: str
    allowed: bool
