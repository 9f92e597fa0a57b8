"""Response bodies of the workspace endpoints."""

from __future__ import annotations

import uuid

from pydantic import Field

from xqr.core.schemas import ResponseModel, Timestamp


class WorkspaceOut(ResponseModel):
    id: uuid.UUID
    name: str
    plan: str = Field(examples=["pro"])
    owner: str | None = Field(description="The owner's email.")
    created_at: Timestamp


class MemberOut(ResponseModel):
    id: uuid.UUID
    email: str
    role: str = Field(description="owner, admin, member or viewer.")
    created_at: Timestamp


class UsedVsLimit(ResponseModel):
    used: int
    limit: int | None = Field(description="null means unlimited.")


class ApiCallsUsage(UsedVsLimit):
    cycle_start: Timestamp
    cycle_end: Timestamp


class UsageOut(ResponseModel):
    plan: str
    api_keys: UsedVsLimit
    links: UsedVsLimit
    qr_templates: UsedVsLimit
    bio_pages: UsedVsLimit
    assets: UsedVsLimit
    storage_bytes: UsedVsLimit
    webhooks: UsedVsLimit
    members: UsedVsLimit
    reports: UsedVsLimit
    domains: UsedVsLimit
    api_calls: ApiCallsUsage
