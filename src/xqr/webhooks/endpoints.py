"""`/v1/webhooks`: endpoints, their deliveries, test pings, retries and secret rotation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from xqr.context import Ctx, DbSession
from xqr.core.envelope import Envelope, ListEnvelope, no_content
from xqr.core.openapi import error_responses
from xqr.core.pagination import Pagination
from xqr.webhooks import service
from xqr.webhooks.auth import WebhooksRead, WebhooksWrite
from xqr.webhooks.schemas import (
    DeliveryOut,
    WebhookCreate,
    WebhookOut,
    WebhookUpdate,
    WebhookWithSecretOut,
)

router = APIRouter(prefix="/webhooks", tags=["Webhooks"])


@router.post("", summary="Create webhook", status_code=201)
async def create_webhook(
    request: Request, body: WebhookCreate, principal: WebhooksWrite, session: DbSession, ctx: Ctx
) -> Envelope[WebhookWithSecretOut]:
    """Register an HTTPS endpoint for some events (or `["*"]`). Scope: `webhooks:write`.

    The response carries `signing_secret` (`whsec_…`) this once; keep it to verify
    `X-XQR-Signature`. Counts against the plan's `webhooks` limit.
    """
    endpoint, secret = await service.create_webhook(
        session,
        principal.tenant,
        url=body.url,
        events=body.events,
        description=body.description,
        allow_private=ctx.settings.webhooks_allow_private,
        secrets=ctx.parts.webhook_secrets,
    )
    data = service.webhook_view_with_secret(endpoint, secret)
    await session.commit()
    return Envelope[WebhookWithSecretOut].of(request, data)


@router.get("", summary="List webhooks")
async def list_webhooks(
    request: Request, principal: WebhooksRead, session: DbSession, pagination: Pagination
) -> ListEnvelope[WebhookOut]:
    """The workspace's webhook endpoints, newest first. Scope: `webhooks:read`."""
    rows, total = await service.list_webhooks(
        session, principal.workspace_id, limit=pagination.limit, offset=pagination.offset
    )
    return ListEnvelope[WebhookOut].of(
        request,
        [service.webhook_view(e) for e in rows],
        total=total,
        limit=pagination.limit,
        offset=pagination.offset,
    )


@router.get("/{webhook_id}", summary="Get webhook")
async def get_webhook(
    request: Request, webhook_id: str, principal: WebhooksRead, session: DbSession
) -> Envelope[WebhookOut]:
    """One webhook endpoint (never its secret). Scope: `webhooks:read`."""
    endpoint = await service.get_webhook(session, principal.workspace_id, webhook_id)
    return Envelope[WebhookOut].of(request, service.webhook_view(endpoint))


@router.patch("/{webhook_id}", summary="Update webhook")
async def update_webhook(
    request: Request,
    webhook_id: str,
    body: WebhookUpdate,
    principal: WebhooksWrite,
    session: DbSession,
    ctx: Ctx,
) -> Envelope[WebhookOut]:
    """Change `url`, `events`, `description` or `enabled`. Scope: `webhooks:write`.

    Setting `enabled` to true resumes deliveries and clears `disabled_reason` and
    `failing_since`.
    """
    endpoint = await service.update_webhook(
        session,
        principal.workspace_id,
        webhook_id,
        body.model_dump(exclude_unset=True),
        allow_private=ctx.settings.webhooks_allow_private,
    )
    data = service.webhook_view(endpoint)
    await session.commit()
    return Envelope[WebhookOut].of(request, data)


@router.delete("/{webhook_id}", summary="Delete webhook", status_code=204)
async def delete_webhook(webhook_id: str, principal: WebhooksWrite, session: DbSession) -> Response:
    """Delete the endpoint with its delivery history. Scope: `webhooks:write`."""
    await service.delete_webhook(session, principal.workspace_id, webhook_id)
    await session.commit()
    return no_content()


@router.get("/{webhook_id}/deliveries", summary="List deliveries")
async def list_deliveries(
    request: Request,
    webhook_id: str,
    principal: WebhooksRead,
    session: DbSession,
    pagination: Pagination,
    status: Annotated[
        str | None,
        Query(
            description="Only deliveries in this status: pending, delivering, succeeded, failed."
        ),
    ] = None,
) -> ListEnvelope[DeliveryOut]:
    """Recent deliveries, newest first, with every attempt's status code, response time and
    response excerpt, and the payload sent. Scope: `webhooks:read`."""
    items, total = await service.list_deliveries(
        session,
        principal.workspace_id,
        webhook_id,
        status=status,
        limit=pagination.limit,
        offset=pagination.offset,
    )
    return ListEnvelope[DeliveryOut].of(
        request, items, total=total, limit=pagination.limit, offset=pagination.offset
    )


@router.get("/{webhook_id}/deliveries/{delivery_id}", summary="Get delivery")
async def get_delivery(
    request: Request, webhook_id: str, delivery_id: str, principal: WebhooksRead, session: DbSession
) -> Envelope[DeliveryOut]:
    """One delivery with all its attempts. Scope: `webhooks:read`."""
    delivery = await service.get_delivery(session, principal.workspace_id, webhook_id, delivery_id)
    [data] = await service.delivery_views(session, [delivery])
    return Envelope[DeliveryOut].of(request, data)


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/retry",
    summary="Retry delivery",
    status_code=202,
    responses=error_responses(409),
)
async def retry_delivery(
    request: Request,
    webhook_id: str,
    delivery_id: str,
    principal: WebhooksWrite,
    session: DbSession,
) -> Envelope[DeliveryOut]:
    """Send a delivery again now, as a new series of up to 6 attempts. Scope: `webhooks:write`.

    Receivers get the same payload and `X-XQR-Delivery` id again.
    """
    delivery = await service.retry_delivery(
        session, principal.workspace_id, webhook_id, delivery_id
    )
    [data] = await service.delivery_views(session, [delivery])
    await session.commit()
    return Envelope[DeliveryOut].of(request, data)


@router.post(
    "/{webhook_id}/test",
    summary="Send test event",
    status_code=202,
    responses=error_responses(409),
)
async def send_test(
    request: Request, webhook_id: str, principal: WebhooksWrite, session: DbSession
) -> Envelope[DeliveryOut]:
    """Queue a `test.ping` event to this endpoint only. Scope: `webhooks:write`."""
    delivery = await service.send_test(session, principal.workspace_id, webhook_id)
    [data] = await service.delivery_views(session, [delivery])
    await session.commit()
    return Envelope[DeliveryOut].of(request, data)


@router.post("/{webhook_id}/rotate-secret", summary="Rotate signing secret")
async def rotate_secret(
    request: Request, webhook_id: str, principal: WebhooksWrite, session: DbSession, ctx: Ctx
) -> Envelope[WebhookWithSecretOut]:
    """Replace the signing secret and return the new one, once. Scope: `webhooks:write`.

    Deliveries sent from now on, retries included, are signed with the new secret.
    """
    endpoint, secret = await service.rotate_secret(
        session, principal.workspace_id, webhook_id, ctx.parts.webhook_secrets
    )
    data = service.webhook_view_with_secret(endpoint, secret)
    await session.commit()
    return Envelope[WebhookWithSecretOut].of(request, data)
