"""Workspaces, members, plans and usage."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from xqr.auth.cache import EVERYTHING, log_auth_change
from xqr.core.clock import utcnow
from xqr.core.errors import ApiError, not_found, validation_error
from xqr.webhooks.outbox import emit
from xqr.workspaces import repository
from xqr.workspaces.billing import cycle_bounds
from xqr.workspaces.models import ROLES, Member, Workspace
from xqr.workspaces.plans import LIMIT_LABELS, PLAN_ORDER, Plan
from xqr.workspaces.schemas import ApiCallsUsage, MemberOut, UsageOut, UsedVsLimit, WorkspaceOut
from xqr.workspaces.tenant import Tenant
from xqr.workspaces.usage import count_usage

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def check_plan_name(plan: str) -> str:
    if plan not in PLAN_ORDER:
        raise validation_error("plan", f"must be one of {', '.join(PLAN_ORDER)}")
    return plan


async def hold_limits(session: AsyncSession, tenant: Tenant) -> None:
    """Serialise this workspace's plan-limit checks until the transaction ends, so two
    concurrent creates cannot both see room for one more."""
    await repository.lock(session, tenant.workspace_id)


def tenant_for(workspace: Workspace, plans: dict[str, Plan]) -> Tenant:
    return Tenant(workspace_id=workspace.id, plan=plans[workspace.plan], plans=plans)


async def create_workspace(
    session: AsyncSession, *, name: str, plan: str, owner_email: str | None = None
) -> Workspace:
    name = name.strip()
    if not name or len(name) > 200:
        raise validation_error("name", "must be 1–200 characters")
    workspace = Workspace(name=name, plan=check_plan_name(plan))
    session.add(workspace)
    await session.flush()
    if owner_email:
        await _insert_member(session, workspace.id, owner_email, "owner")
    return workspace


async def get_workspace(session: AsyncSession, workspace_id: uuid.UUID) -> Workspace:
    workspace = await repository.get(session, workspace_id)
    if workspace is None:
        raise not_found("Workspace")
    return workspace


async def list_workspaces(session: AsyncSession) -> Sequence[Workspace]:
    return await repository.list_all(session)


async def describe(session: AsyncSession, workspace: Workspace) -> WorkspaceOut:
    """The workspace object of the API (and of `xqr admin workspace --json`)."""
    return WorkspaceOut(
        id=workspace.id,
        name=workspace.name,
        plan=workspace.plan,
        owner=await repository.owner_email(session, workspace.id),
        created_at=workspace.created_at,
    )


async def set_plan(session: AsyncSession, workspace: Workspace, plan: str) -> Workspace:
    """Change the plan; emits `subscription.updated`."""
    previous = workspace.plan
    workspace.plan = check_plan_name(plan)
    await session.flush()
    if previous != plan:
        await log_auth_change(session, EVERYTHING)
        await emit(
            session,
            workspace.id,
            "subscription.updated",
            {"workspace_id": str(workspace.id), "plan": plan, "previous_plan": previous},
        )
    return workspace


def _check_member(email: str, role: str) -> tuple[str, str]:
    email = email.strip().lower()
    if not _EMAIL.match(email) or len(email) > 320:
        raise validation_error("email", "must be an email address")
    if role not in ROLES:
        raise validation_error("role", f"must be one of {', '.join(ROLES)}")
    return email, role


async def _insert_member(
    session: AsyncSession, workspace_id: uuid.UUID, email: str, role: str
) -> Member:
    email, role = _check_member(email, role)
    if await repository.get_member(session, workspace_id, email) is not None:
        raise ApiError("CONFLICT", f"{email} is already a member of this workspace.")
    member = Member(workspace_id=workspace_id, email=email, role=role)
    session.add(member)
    await session.flush()
    return member


async def add_member(session: AsyncSession, tenant: Tenant, *, email: str, role: str) -> Member:
    await hold_limits(session, tenant)
    tenant.ensure_within("members", await repository.count_members(session, tenant.workspace_id))
    return await _insert_member(session, tenant.workspace_id, email, role)


async def list_members(
    session: AsyncSession, workspace_id: uuid.UUID, *, limit: int, offset: int
) -> tuple[Sequence[Member], int]:
    return await repository.list_members(session, workspace_id, limit, offset)


def member_view(member: Member) -> MemberOut:
    return MemberOut(
        id=member.id, email=member.email, role=member.role, created_at=member.created_at
    )


def current_cycle(workspace: Workspace, now: datetime | None = None) -> tuple[datetime, datetime]:
    return cycle_bounds(workspace.created_at, now or utcnow())


async def usage(session: AsyncSession, workspace: Workspace, plan: Plan) -> UsageOut:
    """Used vs limit for every plan limit, and API calls in the current cycle."""
    start, end = current_cycle(workspace)
    counts: dict[str, UsedVsLimit] = {}
    for name in LIMIT_LABELS:
        if name == "members":
            used = await repository.count_members(session, workspace.id)
        else:
            used = await count_usage(session, workspace.id, name)
        counts[name] = UsedVsLimit(used=used, limit=plan.limit(name))
    api_calls = ApiCallsUsage(
        used=await repository.calls_in_cycle(session, workspace.id, start),
        limit=plan.monthly_calls,
        cycle_start=start,
        cycle_end=end,
    )
    return UsageOut(plan=plan.name, **counts, api_calls=api_calls)
