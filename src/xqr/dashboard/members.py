"""Settings → Members: list, add (with a one-time set-up link), change role, remove."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from xqr.accounts import service as accounts
from xqr.context import DbSession, ReadSession
from xqr.core.errors import ApiError
from xqr.dashboard.session import Me, SignedIn
from xqr.dashboard.web import (
    PREFIX,
    checked_form,
    ctx_of,
    field_errors,
    flash,
    redirect,
    render,
    text,
)
from xqr.workspaces import service as workspaces
from xqr.workspaces.roles import ROLE_ORDER, ROLE_SUMMARIES

router = APIRouter(prefix="/settings/members")
PAGE = f"{PREFIX}/settings/members"
MEMBERS_SHOWN = 200


def setup_link(request: Request, token: str) -> str:
    return f"{ctx_of(request).settings.public_url}{PREFIX}/setup?token={token}"


async def _members_page(
    request: Request,
    me: Me,
    session: DbSession | ReadSession,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    error: str = "",
    invited: dict[str, str] | None = None,
) -> Response:
    rows, total = await workspaces.list_members(
        session, me.workspace_id, limit=MEMBERS_SHOWN, offset=0
    )
    limit = me.tenant.plan.limit("members")
    return render(
        request,
        "settings/members.html.j2",
        status=status,
        me=me,
        section="settings",
        tab="members",
        members=sorted(rows, key=lambda m: (ROLE_ORDER.index(m.role) * -1, m.email)),  # type: ignore[arg-type]
        total=total,
        limit=limit,
        roles=ROLE_ORDER,
        role_summaries=ROLE_SUMMARIES,
        errors=errors or {},
        values=values or {"email": "", "role": "member"},
        error=error,
        invited=invited,
        confirm_remove=request.query_params.get("remove", ""),
    )


@router.get("")
async def members_page(request: Request, me: SignedIn, session: ReadSession) -> Response:
    return await _members_page(request, me, session)


@router.post("")
async def add_member(request: Request, me: SignedIn, session: DbSession) -> Response:
    form = await checked_form(request, me.csrf_token)
    values = {"email": text(form, "email", limit=400).strip(), "role": text(form, "role", limit=20)}
    try:
        member = await workspaces.add_member(
            session, me.tenant, email=values["email"], role=values["role"], actor_role=me.role
        )
        account = await accounts.ensure_account(session, member.email)
        token = None
        if account.password_hash is None:
            token = await accounts.create_setup_link_token(session, account)
    except ApiError as exc:
        await session.rollback()
        errors, summary = field_errors(exc)
        if not errors and exc.code == "CONFLICT":
            errors = {"email": exc.message}
        return await _members_page(
            request,
            me,
            session,
            status=400 if exc.status < 500 else 500,
            errors=errors,
            values=values,
            error=summary,
        )
    await session.commit()
    invited = {"email": member.email, "role": member.role}
    if token is not None:
        invited["link"] = setup_link(request, token)
    return await _members_page(request, me, session, status=201, invited=invited)


@router.post("/{member_id}/role")
async def change_role(
    request: Request, member_id: str, me: SignedIn, session: DbSession
) -> Response:
    form = await checked_form(request, me.csrf_token)
    role = text(form, "role", limit=20)
    try:
        member = await workspaces.change_member_role(
            session, me.tenant, member_id, role, actor_role=me.role
        )
    except ApiError as exc:
        await session.rollback()
        if exc.status == 404:
            raise
        return await _members_page(request, me, session, status=exc.status, error=exc.message)
    await session.commit()
    return flash(request, redirect(PAGE), f"{member.email} is now {member.role}.")


@router.post("/{member_id}/remove")
async def remove_member(
    request: Request, member_id: str, me: SignedIn, session: DbSession
) -> Response:
    await checked_form(request, me.csrf_token)
    try:
        member = await workspaces.remove_member(
            session, me.tenant, member_id, actor_role=me.role, actor_email=me.email
        )
    except ApiError as exc:
        await session.rollback()
        if exc.status == 404:
            raise
        return await _members_page(request, me, session, status=exc.status, error=exc.message)
    await session.commit()
    if member.email == me.email:
        return flash(request, redirect(PREFIX), f"You left {me.workspace_name}.")
    return flash(request, redirect(PAGE), f"{member.email} was removed from the workspace.")


@router.post("/{member_id}/setup-link")
async def new_setup_link(
    request: Request, member_id: str, me: SignedIn, session: DbSession
) -> Response:
    """A fresh one-time set-up link for a member who has not chosen a password yet."""
    await checked_form(request, me.csrf_token)
    me.require("admin", "send set-up links")
    member = await workspaces.get_member(session, me.workspace_id, member_id)
    account = await accounts.ensure_account(session, member.email)
    if account.password_hash is not None:
        return await _members_page(
            request,
            me,
            session,
            status=409,
            error=f"{member.email} has already chosen a password.",
        )
    token = await accounts.create_setup_link_token(session, account)
    await session.commit()
    invited = {"email": member.email, "role": member.role, "link": setup_link(request, token)}
    return await _members_page(request, me, session, invited=invited)
