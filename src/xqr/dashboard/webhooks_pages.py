"""Settings → Webhooks: endpoints, their secret (shown once), test events, the delivery log."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.datastructures import FormData
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
from xqr.webhooks import service as webhooks
from xqr.webhooks.events import EVENT_TYPES
from xqr.webhooks.secret_store import SigningSecrets

router = APIRouter(prefix="/settings/webhooks")
PAGE = f"{PREFIX}/settings/webhooks"
DELIVERIES_PER_PAGE = 20
EVENT_CHOICES = {"*": "Every event, including ones added later", **EVENT_TYPES}
ENDPOINTS_SHOWN = 100


def _values(form: FormData) -> dict[str, Any]:
    return {
        "url": text(form, "url").strip(),
        "events": [e for e in form.getlist("events") if isinstance(e, str)],
        "description": text(form, "description", limit=600).strip(),
        "enabled": form.get("enabled") == "on",
    }


def _secrets(request: Request) -> SigningSecrets:
    secrets: SigningSecrets = ctx_of(request).parts.webhook_secrets
    return secrets


def _allow_private(request: Request) -> bool:
    return ctx_of(request).settings.webhooks_allow_private


def _limit_note(me: Me, count: int) -> str:
    plan = me.tenant.plan
    limit = plan.limit("webhooks")
    if limit == 0:
        return (
            f"The {plan.name} plan has no webhooks. Move to the Pro plan or above to send "
            "events to your own endpoints."
        )
    if limit is not None and count >= limit:
        return (
            f"The {plan.name} plan allows {limit} webhook endpoints and this workspace has "
            f"{count}. Delete one, or move to a bigger plan."
        )
    return ""


@router.get("")
async def webhooks_page(request: Request, me: SignedIn, session: ReadSession) -> Response:
    rows, total = await webhooks.list_webhooks(
        session, me.workspace_id, limit=ENDPOINTS_SHOWN, offset=0
    )
    return render(
        request,
        "settings/webhooks.html.j2",
        me=me,
        section="settings",
        tab="webhooks",
        endpoints=[webhooks.webhook_view(e) for e in rows],
        total=total,
        limit_note=_limit_note(me, total),
    )


def _form_page(
    request: Request,
    me: Me,
    *,
    status: int = 200,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    error: str = "",
) -> Response:
    return render(
        request,
        "settings/webhook_new.html.j2",
        status=status,
        me=me,
        section="settings",
        tab="webhooks",
        event_types=EVENT_CHOICES,
        values=values or {"url": "", "events": ["*"], "description": "", "enabled": True},
        errors=errors or {},
        error=error,
    )


@router.get("/new")
async def new_webhook_page(request: Request, me: SignedIn) -> Response:
    me.require("admin", "add webhooks")
    return _form_page(request, me)


@router.post("")
async def create_webhook(request: Request, me: SignedIn, session: DbSession) -> Response:
    form = await checked_form(request, me.csrf_token)
    me.require("admin", "add webhooks")
    values = _values(form)
    try:
        endpoint, secret = await webhooks.create_webhook(
            session,
            me.tenant,
            url=values["url"],
            events=values["events"],
            description=values["description"] or None,
            allow_private=_allow_private(request),
            secrets=_secrets(request),
        )
    except ApiError as exc:
        await session.rollback()
        errors, summary = field_errors(exc)
        return _form_page(
            request, me, status=exc.status, values=values, errors=errors, error=summary
        )
    await session.commit()
    return await _detail_page(
        request,
        me,
        session,
        str(endpoint.id),
        status=201,
        secret=secret,
        notice="Endpoint added. Copy its signing secret now: it is shown only this once.",
    )


async def _detail_page(
    request: Request,
    me: Me,
    session: DbSession | ReadSession,
    webhook_id: str,
    *,
    status: int = 200,
    secret: str | None = None,
    notice: str = "",
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    error: str = "",
) -> Response:
    endpoint = webhooks.webhook_view(
        await webhooks.get_webhook(session, me.workspace_id, webhook_id)
    )
    offset = _offset(request)
    deliveries, total = await webhooks.list_deliveries(
        session, me.workspace_id, webhook_id, status=None, limit=DELIVERIES_PER_PAGE, offset=offset
    )
    return render(
        request,
        "settings/webhook.html.j2",
        status=status,
        me=me,
        section="settings",
        tab="webhooks",
        endpoint=endpoint,
        event_types=EVENT_CHOICES,
        values=values or endpoint,
        errors=errors or {},
        error=error,
        secret=secret,
        notice=notice,
        deliveries=deliveries,
        paging={"total": total, "limit": DELIVERIES_PER_PAGE, "offset": offset},
        confirm=request.query_params.get("confirm", ""),
    )


def _offset(request: Request) -> int:
    raw = request.query_params.get("offset", "0")
    return min(int(raw), 10_000_000) if raw.isdigit() else 0


@router.get("/{webhook_id}")
async def webhook_page(
    request: Request, webhook_id: str, me: SignedIn, session: ReadSession
) -> Response:
    return await _detail_page(request, me, session, webhook_id)


@router.get("/{webhook_id}/deliveries")
async def deliveries_fragment(
    request: Request, webhook_id: str, me: SignedIn, session: ReadSession
) -> Response:
    """The delivery log alone, for the page's Refresh button (htmx)."""
    offset = _offset(request)
    deliveries, total = await webhooks.list_deliveries(
        session, me.workspace_id, webhook_id, status=None, limit=DELIVERIES_PER_PAGE, offset=offset
    )
    endpoint = webhooks.webhook_view(
        await webhooks.get_webhook(session, me.workspace_id, webhook_id)
    )
    return render(
        request,
        "settings/webhook_deliveries.html.j2",
        me=me,
        endpoint=endpoint,
        deliveries=deliveries,
        paging={"total": total, "limit": DELIVERIES_PER_PAGE, "offset": offset},
    )


@router.post("/{webhook_id}")
async def update_webhook(
    request: Request, webhook_id: str, me: SignedIn, session: DbSession
) -> Response:
    form = await checked_form(request, me.csrf_token)
    me.require("admin", "change webhooks")
    values = _values(form)
    try:
        await webhooks.update_webhook(
            session,
            me.workspace_id,
            webhook_id,
            {
                "url": values["url"],
                "events": values["events"],
                "description": values["description"] or None,
                "enabled": values["enabled"],
            },
            allow_private=_allow_private(request),
        )
    except ApiError as exc:
        await session.rollback()
        if exc.status == 404:
            raise
        errors, summary = field_errors(exc)
        return await _detail_page(
            request,
            me,
            session,
            webhook_id,
            status=exc.status,
            values=values,
            errors=errors,
            error=summary,
        )
    await session.commit()
    return flash(request, redirect(f"{PAGE}/{webhook_id}"), "Endpoint saved.")


@router.post("/{webhook_id}/delete")
async def delete_webhook(
    request: Request, webhook_id: str, me: SignedIn, session: DbSession
) -> Response:
    await checked_form(request, me.csrf_token)
    me.require("admin", "delete webhooks")
    await webhooks.delete_webhook(session, me.workspace_id, webhook_id)
    await session.commit()
    return flash(request, redirect(PAGE), "Endpoint deleted. No more events are sent to it.")


@router.post("/{webhook_id}/rotate")
async def rotate_secret(
    request: Request, webhook_id: str, me: SignedIn, session: DbSession
) -> Response:
    await checked_form(request, me.csrf_token)
    me.require("admin", "rotate webhook secrets")
    _, secret = await webhooks.rotate_secret(
        session, me.workspace_id, webhook_id, _secrets(request)
    )
    await session.commit()
    return await _detail_page(
        request,
        me,
        session,
        webhook_id,
        secret=secret,
        notice="New signing secret. Events from now on are signed with it; copy it now, it is "
        "shown only this once.",
    )


@router.post("/{webhook_id}/test")
async def send_test(
    request: Request, webhook_id: str, me: SignedIn, session: DbSession
) -> Response:
    await checked_form(request, me.csrf_token)
    me.require("admin", "send test events")
    try:
        await webhooks.send_test(session, me.workspace_id, webhook_id)
    except ApiError as exc:
        await session.rollback()
        if exc.status == 404:
            raise
        return flash(request, redirect(f"{PAGE}/{webhook_id}"), exc.message, "error")
    await session.commit()
    message = "Test event queued: it appears in the delivery log below within a few seconds."
    return flash(request, redirect(f"{PAGE}/{webhook_id}"), message)


@router.post("/{webhook_id}/deliveries/{delivery_id}/redeliver")
async def redeliver(
    request: Request, webhook_id: str, delivery_id: str, me: SignedIn, session: DbSession
) -> Response:
    await checked_form(request, me.csrf_token)
    me.require("admin", "redeliver webhook events")
    try:
        await webhooks.retry_delivery(session, me.workspace_id, webhook_id, delivery_id)
    except ApiError as exc:
        await session.rollback()
        if exc.status == 404:
            raise
        return flash(request, redirect(f"{PAGE}/{webhook_id}"), exc.message, "error")
    await session.commit()
    return flash(request, redirect(f"{PAGE}/{webhook_id}"), "Delivery queued again.")
