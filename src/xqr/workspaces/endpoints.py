"""`/v1/workspace`: the key's workspace, its members and its usage."""

from __future__ import annotations

from fastapi import APIRouter, Request

from xqr.context import Ctx, DbSession
from xqr.core.envelope import Envelope, ListEnvelope
from xqr.core.pagination import Pagination
from xqr.workspaces import service
from xqr.workspaces.auth import WorkspaceRead, WorkspaceUsageRead
from xqr.workspaces.schemas import MemberOut, UsageOut, WorkspaceOut

router = APIRouter(prefix="/workspace", tags=["Workspace"])


@router.get("", summary="Get workspace")
async def get_workspace(
    request: Request, principal: WorkspaceRead, session: DbSession
) -> Envelope[WorkspaceOut]:
    """Workspace name, plan, owner and creation time. Scope: `workspace:read`."""
    workspace = await service.get_workspace(session, principal.workspace_id)
    return Envelope[WorkspaceOut].of(request, await service.describe(session, workspace))


@router.get("/members", summary="List members")
async def list_members(
    request: Request, principal: WorkspaceRead, session: DbSession, pagination: Pagination
) -> ListEnvelope[MemberOut]:
    """Members with their roles (owner, admin, member, viewer). Scope: `workspace:read`."""
    members, total = await service.list_members(
        session, principal.workspace_id, limit=pagination.limit, offset=pagination.offset
    )
    return ListEnvelope[MemberOut].of(
        request,
        [service.member_view(m) for m in members],
        total=total,
        limit=pagination.limit,
        offset=pagination.offset,
    )


@router.get("/usage", summary="Get usage")
async def get_usage(
    request: Request, principal: WorkspaceUsageRead, session: DbSession, ctx: Ctx
) -> Envelope[UsageOut]:
    """Current usage against the plan's limits, and API calls in this billing cycle.

    Scope: `workspace:read`. A `limit` of null means unlimited. Not counted against the
    monthly API quota, and answered when it is used up (it says why calls get 429).
    """
    workspace = await service.get_workspace(session, principal.workspace_id)
    usage = await service.usage(session, workspace, ctx.plans[workspace.plan])
    return Envelope[UsageOut].of(request, usage)
