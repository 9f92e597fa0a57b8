"""Sign in, sign out, the one-time set-up link, one's own account, switching workspace."""

from __future__ import annotations

import functools
import uuid

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from xqr.accounts import service as accounts
from xqr.context import DbSession
from xqr.core.errors import ApiError
from xqr.dashboard.session import SignedIn, current_person
from xqr.dashboard.web import (
    FORM_COOKIE,
    PREFIX,
    SESSION_COOKIE,
    DashboardError,
    SignInNeeded,
    checked_form,
    ctx_of,
    field_errors,
    flash,
    redirect,
    render,
    set_cookie,
    text,
)
from xqr.scans.enrichment import client_ip, parse_trusted_proxies

router = APIRouter()

SETUP_LINK_INVALID = (
    "This set-up link is invalid, was already used, or has expired (links last 24 hours). "
    "Ask an admin of your workspace for a new one, or run "
    "`xqr admin member setup-link EMAIL` on the server."
)


@functools.cache
def _trusted(value: str) -> tuple[object, ...]:
    return parse_trusted_proxies(value)


def client_address(request: Request) -> str:
    peer = request.client.host if request.client else None
    trusted = _trusted(ctx_of(request).settings.trusted_proxies)
    return client_ip(peer, request.headers.get("x-forwarded-for"), trusted)  # type: ignore[arg-type]


def _safe_next(value: str | None) -> str:
    """Only a dashboard path of this server: never another site (an open redirect)."""
    if value and value.startswith(f"{PREFIX}") and not value.startswith("//") and "\\" not in value:
        return value
    return PREFIX


def _signed_in_response(
    request: Request, started: accounts.StartedSession, target: str
) -> Response:
    response = redirect(target)
    set_cookie(request, response, SESSION_COOKIE, started.token)
    response.delete_cookie(FORM_COOKIE, path=PREFIX)
    return response


@router.get("", include_in_schema=False)
@router.get("/", include_in_schema=False)
async def home(me: SignedIn) -> Response:
    return redirect(f"{PREFIX}/links")


@router.get("/signin")
async def signin_page(request: Request, next: str | None = None) -> Response:
    try:
        await current_person(request)
    except (SignInNeeded, DashboardError):
        return render(request, "auth/signin.html.j2", next=_safe_next(next), email="", error="")
    return redirect(_safe_next(next))


@router.post("/signin")
async def signin(request: Request, session: DbSession) -> Response:
    form = await checked_form(request, request.cookies.get(FORM_COOKIE, ""))
    email = text(form, "email", limit=320)
    target = _safe_next(text(form, "next"))
    try:
        account = await accounts.sign_in(
            session, email, text(form, "password", limit=4096), client_address(request)
        )
    except accounts.SignInThrottled as exc:
        await session.commit()
        return render(
            request,
            "auth/signin.html.j2",
            status=429,
            headers={"Retry-After": str(exc.retry_after)},
            next=target,
            email=email,
            error=str(exc),
        )
    except accounts.SignInRefused as exc:
        await session.commit()  # the failure counts towards the limit
        return render(
            request, "auth/signin.html.j2", status=401, next=target, email=email, error=str(exc)
        )
    joined = await accounts.memberships(session, account)
    started = await accounts.start_session(session, account, joined[0][0].id if joined else None)
    await session.commit()
    return _signed_in_response(request, started, target)


@router.post("/signout")
async def signout(request: Request, me: SignedIn, session: DbSession) -> Response:
    await checked_form(request, me.csrf_token)
    await accounts.end_session(session, me.session_id)
    await session.commit()
    response = redirect(f"{PREFIX}/signin")
    response.delete_cookie(SESSION_COOKIE, path=PREFIX)
    return flash(request, response, "You are signed out.")


@router.get("/setup")
async def setup_page(request: Request, session: DbSession, token: str = "") -> Response:
    account = await accounts.account_of_setup_token(session, token)
    if account is None:
        raise DashboardError(400, "Set-up link not valid", SETUP_LINK_INVALID)
    return render(
        request, "auth/setup.html.j2", token=token, email=account.email, errors={}, error=""
    )


@router.post("/setup")
async def setup(request: Request, session: DbSession) -> Response:
    form = await checked_form(request, request.cookies.get(FORM_COOKIE, ""))
    token = text(form, "token", limit=200)
    account = await accounts.account_of_setup_token(session, token)
    if account is None:
        raise DashboardError(400, "Set-up link not valid", SETUP_LINK_INVALID)
    email = text(form, "email", limit=320).strip() or account.email
    password = text(form, "password", limit=4096)
    errors: dict[str, str] = {}
    if password != text(form, "password_again", limit=4096):
        errors["password_again"] = "The two passwords are not the same."
    else:
        try:
            await accounts.change_email(session, account, email)
            await accounts.set_password(session, account, password)
        except ApiError as exc:
            errors, _ = field_errors(exc)
            if not errors:
                errors["email"] = exc.message
    if errors:
        await session.rollback()
        return render(
            request,
            "auth/setup.html.j2",
            status=400,
            token=token,
            email=email,
            errors=errors,
            error="The password was not saved. Correct the fields below.",
        )
    joined = await accounts.memberships(session, account)
    started = await accounts.start_session(session, account, joined[0][0].id if joined else None)
    await session.commit()
    response = _signed_in_response(request, started, PREFIX)
    return flash(request, response, "Your password is set and you are signed in.")


@router.get("/account")
async def account_page(request: Request, me: SignedIn) -> Response:
    return render(request, "auth/account.html.j2", me=me, section="account", errors={})


@router.post("/account/password")
async def change_password(request: Request, me: SignedIn, session: DbSession) -> Response:
    form = await checked_form(request, me.csrf_token)
    account = await accounts.get_account(session, me.account_id)
    assert account is not None
    errors: dict[str, str] = {}
    new = text(form, "new_password", limit=4096)
    if not await accounts.password_matches(account, text(form, "current_password", limit=4096)):
        errors["current_password"] = "This is not your current password."
    elif new != text(form, "new_password_again", limit=4096):
        errors["new_password_again"] = "The two passwords are not the same."
    else:
        try:
            await accounts.set_password(session, account, new, keep_session=me.session_id)
        except ApiError as exc:
            errors = {"new_password": field_errors(exc)[0].get("password", exc.message)}
    if errors:
        await session.rollback()
        return render(
            request, "auth/account.html.j2", status=400, me=me, section="account", errors=errors
        )
    await session.commit()
    response = redirect(f"{PREFIX}/account")
    return flash(request, response, "Password changed. Your other sessions are signed out.")


@router.post("/workspace")
async def switch_workspace(request: Request, me: SignedIn, session: DbSession) -> Response:
    form = await checked_form(request, me.csrf_token)
    try:
        workspace_id = uuid.UUID(text(form, "workspace_id", limit=64))
    except ValueError:
        raise DashboardError(400, "Bad request", "Choose a workspace from the list.") from None
    if all(m.workspace_id != workspace_id for m in me.memberships):
        raise DashboardError(404, "Not found", "You are not a member of that workspace.")
    await accounts.switch_workspace(session, me.session_id, workspace_id)
    await session.commit()
    name = next(m.name for m in me.memberships if m.workspace_id == workspace_id)
    target = _safe_next(text(form, "next"))
    return flash(request, redirect(target), f"Switched to {name}.")
