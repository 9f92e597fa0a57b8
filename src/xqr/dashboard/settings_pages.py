"""Settings → Workspace, Usage and Developers (API keys)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from xqr.auth import service as keys
from xqr.auth.scopes import SCOPES
from xqr.context import DbSession, ReadSession
from xqr.core.errors import ApiError, validation_error
from xqr.dashboard.session import Me, SignedIn
from xqr.dashboard.web import (
    PREFIX,
    checked_form,
    ctx_of,
    field_errors,
    flash,
    not_found,
    redirect,
    render,
    text,
)
from xqr.workspaces import service as workspaces
from xqr.workspaces.plans import LIMIT_LABELS, PLAN_ORDER, cheapest_plan_with

router = APIRouter(prefix="/settings")

TIMEZONES_HINT = "An IANA time zone such as Europe/Berlin, America/New_York or UTC."


@router.get("")
@router.get("/")
async def settings_home(me: SignedIn) -> Response:
    return redirect(f"{PREFIX}/settings/workspace")


# --- workspace ------------------------------------------------------------------------


async def _workspace_page(
    request: Request,
    me: Me,
    session: DbSession | ReadSession,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    workspace = await workspaces.get_workspace(session, me.workspace_id)
    return render(
        request,
        "settings/workspace.html.j2",
        status=status,
        me=me,
        section="settings",
        tab="workspace",
        workspace=workspace,
        plans=PLAN_ORDER,
        errors=errors or {},
        values=values or {"name": workspace.name, "timezone": workspace.timezone},
        timezones_hint=TIMEZONES_HINT,
    )


@router.get("/workspace")
async def workspace_page(request: Request, me: SignedIn, session: ReadSession) -> Response:
    return await _workspace_page(request, me, session)


@router.post("/workspace")
async def update_workspace(request: Request, me: SignedIn, session: DbSession) -> Response:
    form = await checked_form(request, me.csrf_token)
    me.require("admin", "change the workspace's settings")
    values = {"name": text(form, "name", limit=400), "timezone": text(form, "timezone", limit=100)}
    workspace = await workspaces.get_workspace(session, me.workspace_id)
    try:
        await workspaces.update_workspace(
            session, workspace, name=values["name"], timezone=values["timezone"]
        )
    except ApiError as exc:
        await session.rollback()
        errors, _ = field_errors(exc)
        return await _workspace_page(request, me, session, status=400, errors=errors, values=values)
    await session.commit()
    return flash(request, redirect(f"{PREFIX}/settings/workspace"), "Workspace settings saved.")


@router.post("/workspace/plan")
async def change_plan(request: Request, me: SignedIn, session: DbSession) -> Response:
    form = await checked_form(request, me.csrf_token)
    me.require("owner", "change the plan")
    plan = text(form, "plan", limit=40)
    workspace = await workspaces.get_workspace(session, me.workspace_id)
    try:
        await workspaces.set_plan(session, workspace, plan)
    except ApiError as exc:
        await session.rollback()
        errors, _ = field_errors(exc)
        return await _workspace_page(request, me, session, status=400, errors=errors)
    await session.commit()
    return flash(
        request, redirect(f"{PREFIX}/settings/workspace"), f"The workspace is now on {plan}."
    )


# --- usage ----------------------------------------------------------------------------


@router.get("/usage")
async def usage_page(request: Request, me: SignedIn, session: ReadSession) -> Response:
    workspace = await workspaces.get_workspace(session, me.workspace_id)
    usage = await workspaces.usage(session, workspace, me.tenant.plan)
    meters = [
        {"name": name, "label": label[:1].upper() + label[1:], **getattr(usage, name).model_dump()}
        for name, label in LIMIT_LABELS.items()
    ]
    calls = usage.api_calls
    return render(
        request,
        "settings/usage.html.j2",
        me=me,
        section="settings",
        tab="usage",
        meters=meters,
        calls=calls,
    )


# --- developers (API keys) ------------------------------------------------------------


def _expiry(value: str, zone: str) -> datetime | None:
    """A date picked in the form: the key works until the end of that day, workspace time."""
    if not value:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise validation_error("expires_at", "must be a date (YYYY-MM-DD)") from None
    end = datetime.combine(day, time(23, 59, 59), tzinfo=ZoneInfo(zone))
    return end.astimezone(UTC)


async def _developers_page(
    request: Request,
    me: Me,
    session: DbSession | ReadSession,
    *,
    status: int = 200,
    created: keys.CreatedKey | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, object] | None = None,
    error: str = "",
) -> Response:
    rows = await keys.list_keys(session, me.workspace_id)
    plan = me.tenant.plan
    used = sum(1 for k in rows if k.revoked_at is None)
    blocked = ""
    if not plan.api_access:
        better = cheapest_plan_with(me.tenant.plans, "api_access") or "a paid plan"
        blocked = (
            f"The {plan.name} plan has no API access, so it cannot have API keys. "
            f"The {better} plan and above include the API."
        )
    elif plan.api_keys is not None and used >= plan.api_keys:
        blocked = (
            f"The {plan.name} plan allows {plan.api_keys} active API keys and this workspace "
            "has them all. Revoke one, or move to a bigger plan."
        )
    confirm = request.query_params.get("revoke", "")
    return render(
        request,
        "settings/developers.html.j2",
        status=status,
        me=me,
        section="settings",
        tab="developers",
        keys=rows,
        scopes=SCOPES,
        created=created,
        blocked=blocked,
        errors=errors or {},
        values=values or {"name": "", "scopes": [], "expires_at": ""},
        error=error,
        confirm_revoke=confirm,
        base_url=ctx_of(request).settings.public_url,
    )


@router.get("/developers")
async def developers_page(request: Request, me: SignedIn, session: ReadSession) -> Response:
    return await _developers_page(request, me, session)


@router.post("/developers/keys")
async def create_key(request: Request, me: SignedIn, session: DbSession) -> Response:
    form = await checked_form(request, me.csrf_token)
    me.require("admin", "create API keys")
    chosen = [s for s in form.getlist("scopes") if isinstance(s, str)]
    values: dict[str, object] = {
        "name": text(form, "name", limit=200),
        "scopes": chosen,
        "expires_at": text(form, "expires_at", limit=20),
    }
    try:
        created = await keys.create_key(
            session,
            me.tenant,
            scopes=chosen,
            name=str(values["name"]).strip(),
            expires_at=_expiry(str(values["expires_at"]), me.timezone),
        )
    except ApiError as exc:
        await session.rollback()
        errors, summary = field_errors(exc)
        return await _developers_page(
            request,
            me,
            session,
            status=exc.status if exc.status in (400, 403) else 400,
            errors=errors,
            values=values,
            error=summary,
        )
    await session.commit()
    # Shown once, in this answer only: it is never stored, so it cannot be shown again.
    return await _developers_page(request, me, session, status=201, created=created)


@router.post("/developers/keys/{key_id}/revoke")
async def revoke_key(request: Request, key_id: str, me: SignedIn, session: DbSession) -> Response:
    await checked_form(request, me.csrf_token)
    me.require("admin", "revoke API keys")
    try:
        parsed = uuid.UUID(key_id)
    except ValueError:
        raise not_found("API key") from None
    key = await keys.revoke_key(session, parsed, workspace_id=me.workspace_id)
    await session.commit()
    label = key.name or key.prefix
    return flash(request, redirect(f"{PREFIX}/settings/developers"), f"Key {label} is revoked.")
