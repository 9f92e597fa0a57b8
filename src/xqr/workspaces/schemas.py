"""Response shapes of the workspace endpoints (for the OpenAPI document)."""

from __future__ import annotations

from pydantic import BaseModel


class WorkspaceOut(BaseModel):
    id: str
    name: str
    plan: str
    owner: str | None
    created_at: str


class MemberOut(BaseModel):
    id: str
    email: str
    role: str
    created_at: str


class UsedVsLimit(BaseModel):
    used: int
    limit: int | None


class ApiCallsUsage(UsedVsLimit):
    cycle_start: str
    cycle_end: str


class UsageOut(BaseModel):
    plan: str
    api_keys: UsedVsLimit
    links: UsedVsLimit
    qr_templates: UsedVsLimit
    bio_pages: UsedVsLimit
    assets: UsedVsLimit
    storage_bytes: UsedVsLimit
    webhooks: UsedVsLimit
    members: UsedVsLimit
    api_calls: ApiCallsUsage
