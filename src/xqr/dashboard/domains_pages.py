"""Settings → Domains: custom domains, their verification, and removal."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

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
from xqr.domains import service as domains

router = APIRouter(prefix="/settings/domains")
PAGE = f"{PREFIX}/settings/domains"
DOMAINS_SHOWN = 100
PURPOSES = [("links", "Short links"), ("bio", "Bio pages"), ("both", "Both")]


def _rules(request: Request) -> domains.DomainRules:
    return domains.DomainRules.from_settings(ctx_of(request).settings)


def _limit_note(me: Me, count: int) -> str:
    plan = me.tenant.plan
    limit = plan.limit("domains")
    if limit == 0:
        return (
            f"The {plan.name} plan has no custom domains. Move to the Pro plan or above to "
            "serve links on your own host names."
        )
    if limit is not None and count >= limit:
        return (
            f"The {plan.name} plan allows {limit} custom domains and this workspace has "
            f"{count}. Delete one, or move to a bigger plan."
        )
    return ""


async def _page(
    request: Request,
    me: Me,
    session: DbSession | ReadSession,
    *,
    status: int = 200,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    error: str = "",
) -> Response:
    rows, total = await domains.list_domains(
        session, me.workspace_id, limit=DOMAINS_SHOWN, offset=0
    )
    return render(
        request,
        "settings/domains.html.j2",
        status=status,
        me=me,
        section="settings",
        tab="domains",
        domains=[domains.domain_view(d) for d in rows],
        total=total,
        limit_note=_limit_note(me, total),
        purposes=PURPOSES,
        purpose_labels=dict(PURPOSES),
        values=values or {"hostname": "", "purpose": "links", "default": False},
        errors=errors or {},
        error=error,
    )


@router.get("")
async def domains_page(request: Request, me: SignedIn, session: ReadSession) -> Response:
    return await _page(request, me, session)


@router.post("")
async def add_domain(request: Request, me: SignedIn, session: DbSession) -> Response:
    form = await checked_form(request, me.csrf_token)
    me.require("admin", "add custom domains")
    hostname = text(form, "hostname", limit=300).strip()
    purpose = text(form, "purpose")
    purpose = purpose if purpose in dict(PURPOSES) else "links"
    default = form.get("default") == "on"
    values = {"hostname": hostname, "purpose": purpose, "default": default}
    try:
        domain = await domains.create_domain(
            session,
            me.tenant,
            _rules(request),
            hostname=hostname,
            purpose=purpose,
            default=default,
            not_found_url=None,
            root_url=None,
        )
    except ApiError as exc:
        await session.rollback()
        errors, summary = field_errors(exc)
        return await _page(
            request, me, session, status=exc.status, values=values, errors=errors, error=summary
        )
    await session.commit()
    message = f"{domain.hostname} added. Point it at this server, then verify it."
    return flash(request, redirect(PAGE), message)


@router.post("/{domain_id}/verify")
async def verify_domain(
    request: Request, domain_id: str, me: SignedIn, session: DbSession
) -> Response:
    await checked_form(request, me.csrf_token)
    me.require("admin", "verify custom domains")
    domain = await domains.verify_domain(session, me.workspace_id, _rules(request), domain_id)
    await session.commit()
    if domain.status == "verified":
        return flash(request, redirect(PAGE), f"{domain.hostname} is verified.")
    reason = domain.failure_reason or "it did not answer"
    return flash(request, redirect(PAGE), f"{domain.hostname} is not verified: {reason}", "error")


@router.post("/{domain_id}/delete")
async def delete_domain(
    request: Request, domain_id: str, me: SignedIn, session: DbSession
) -> Response:
    await checked_form(request, me.csrf_token)
    me.require("admin", "delete custom domains")
    try:
        await domains.delete_domain(session, me.workspace_id, domain_id)
    except ApiError as exc:
        await session.rollback()
        if exc.status == 404:
            raise
        return flash(request, redirect(PAGE), exc.message, "error")
    await session.commit()
    return flash(request, redirect(PAGE), "Domain deleted.")
