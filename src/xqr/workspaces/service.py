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
from xqr.workspaces.roles import require
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


def check_member_email(email: str) -> str:
    email = email.strip().lower()
    if not _EMAIL.match(email) or len(email) > 320:
        raise validation_error("email", "must be an email address")
    return email


def _check_member(email: str, role: str) -> tuple[str, str]:
    email = check_member_email(email)
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


async def add_member(
    session: AsyncSession,
    tenant: Tenant,
    *,
    email: str,
    role: str,
    actor_role: str = "owner",
) -> Member:
    """Add a member; only owners may add owners. `actor_role` is the role of whoever asks
    (the admin CLI acts as an owner)."""
    if role == "owner":
        require(actor_role, "owner", "add owners")
    require(actor_role, "admin", "add members")
    await hold_limits(session, tenant)
    tenant.ensure_within("members", await repository.count_members(session, tenant.workspace_id))
    return await _insert_member(session, tenant.workspace_id, email, role)


async def get_member(session: AsyncSession, workspace_id: uuid.UUID, member_id: str) -> Member:
    try:
        parsed = uuid.UUID(member_id)
    except ValueError:
        raise not_found("Member") from None
    member = await repository.get_member_by_id(session, workspace_id, parsed)
    if member is None:
        raise not_found("Member")
    return member


async def _ensure_owner_remains(session: AsyncSession, member: Member) -> None:
    if member.role == "owner" and await repository.count_owners(session, member.workspace_id) <= 1:
        raise ApiError(
            "CONFLICT",
            "A workspace needs at least one owner: make someone else an owner first.",
        )


async def change_member_role(
    session: AsyncSession, tenant: Tenant, member_id: str, role: str, *, actor_role: str
) -> Member:
    """Change a member's role; owners only may make or unmake owners, and the last owner
    stays an owner."""
    require(actor_role, "admin", "change roles")
    member = await get_member(session, tenant.workspace_id, member_id)
    _check_member(member.email, role)
    if "owner" in (role, member.role):
        require(actor_role, "owner", "change an owner's role or make owners")
    await hold_limits(session, tenant)
    if role != "owner":
        await _ensure_owner_remains(session, member)
    member.role = role
    await session.flush()
    return member


async def remove_member(
    session: AsyncSession,
    tenant: Tenant,
    member_id: str,
    *,
    actor_role: str,
    actor_email: str | None = None,
) -> Member:
    """Remove a member; anyone may leave, admins remove others, owners only remove owners, and
    the last owner cannot leave."""
    member = await get_member(session, tenant.workspace_id, member_id)
    if member.email != actor_email:
        require(actor_role, "admin", "remove members")
        if member.role == "owner":
            require(actor_role, "owner", "remove owners")
    await hold_limits(session, tenant)
    await _ensure_owner_remains(session, member)
    await session.delete(member)
    await session.flush()
    return member


async def memberships(session: AsyncSession, email: str) -> Sequence[tuple[Workspace, str]]:
    """Every workspace the person with `email` belongs to, with their role there."""
    return await repository.memberships_of(session, email.strip().lower())


async def first_owner_email(session: AsyncSession) -> str | None:
    """The owner of the oldest workspace (the one a first start creates)."""
    return await repository.first_owner_email(session)


async def role_of(session: AsyncSession, workspace_id: uuid.UUID, email: str) -> str | None:
    member = await repository.get_member(session, workspace_id, email.strip().lower())
    return None if member is None else member.role


async def change_member_email(session: AsyncSession, old: str, new: str) -> None:
    """The person behind `old` now signs in as `new`, in every workspace."""
    await repository.rename_member_email(session, old.strip().lower(), new.strip().lower())


def check_timezone(value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    value = value.strip()
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise validation_error(
            "timezone", "must be an IANA time zone such as Europe/Berlin"
        ) from None
    return value


async def update_workspace(
    session: AsyncSession,
    workspace: Workspace,
    *,
    name: str | None = None,
    timezone: str | None = None,
) -> Workspace:
    if name is not None:
        name = name.strip()
        if not name or len(name) > 200:
            raise validation_error("name", "must be 1–200 characters")
        workspace.name = name
    if timezone is not None:
        workspace.timezone = check_timezone(timezone)
    await session.flush()
    return workspace


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
