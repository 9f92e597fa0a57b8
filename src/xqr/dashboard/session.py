"""Who is signed in: the session cookie resolved to a person, a workspace and a role."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends
from starlette.requests import Request

from xqr.accounts import service as accounts
from xqr.core.clock import utcnow
from xqr.dashboard.web import SESSION_COOKIE, DashboardError, SignInNeeded, ctx_of
from xqr.workspaces import service as workspaces
from xqr.workspaces.roles import Role, at_least, require
from xqr.workspaces.tenant import Tenant


@dataclass(frozen=True)
class Membership:
    workspace_id: uuid.UUID
    name: str
    role: str


@dataclass(frozen=True)
class Me:
    """The signed-in person, acting in one of their workspaces."""

    account_id: uuid.UUID
    email: str
    session_id: str
    csrf_token: str
    workspace_id: uuid.UUID
    workspace_name: str
    plan: str
    timezone: str
    role: str
    memberships: tuple[Membership, ...]
    tenant: Tenant

    def can(self, needed: Role) -> bool:
        return at_least(self.role, needed)

    def require(self, needed: Role, action: str) -> None:
        require(self.role, needed, action)


def _next_path(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


async def current_person(request: Request) -> Me:
    """The signed-in person, or SignInNeeded. Reads on a read-only session; writes (the
    once-a-minute activity mark, ending an idle session) in short transactions of their own."""
    ctx = ctx_of(request)
    token = request.cookies.get(SESSION_COOKIE, "")
    idle = timedelta(minutes=ctx.settings.session_idle_minutes)
    async with ctx.read_sessionmaker() as db:
        row = await accounts.find_session(db, token)
        account = await accounts.get_account(db, row.account_id) if row is not None else None
        joined = await accounts.memberships(db, account) if account is not None else []
    if row is None or account is None:
        raise SignInNeeded(_next_path(request))
    now = utcnow()
    status = accounts.session_status(row, now, idle_timeout=idle)
    if status != "live":
        async with ctx.sessionmaker() as db:
            if status == "ended":
                await accounts.end_session(db, row.id)
            else:
                await accounts.mark_active(db, row.id, now)
            await db.commit()
        if status == "ended":
            raise SignInNeeded(_next_path(request))
    memberships = tuple(Membership(w.id, w.name, role) for w, role in joined)
    chosen = next((w for w, _ in joined if w.id == row.workspace_id), None)
    if chosen is None and joined:
        chosen = joined[0][0]
    if chosen is None:
        async with ctx.sessionmaker() as db:
            await accounts.end_session(db, row.id)
            await db.commit()
        raise DashboardError(
            403,
            "No workspace",
            f"{account.email} is not a member of any workspace any more. Ask an admin of your "
            "workspace to add you again.",
        )
    role = next(r for w, r in joined if w.id == chosen.id)
    return Me(
        account_id=account.id,
        email=account.email,
        session_id=row.id,
        csrf_token=row.csrf_token,
        workspace_id=chosen.id,
        workspace_name=chosen.name,
        plan=chosen.plan,
        timezone=chosen.timezone,
        role=role,
        memberships=memberships,
        tenant=workspaces.tenant_for(chosen, ctx.plans),
    )


SignedIn = Annotated[Me, Depends(current_person)]
