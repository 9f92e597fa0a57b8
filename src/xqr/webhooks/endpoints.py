"""`/v1/webhooks`: endpoints, their deliveries, test pings, retries and secret rotation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from xqr.context import Ctx, DbSession
from xqr.core.envelope import no_content, ok, page
from xqr.core.openapi import Envelope, ListEnvelope
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
from xqr.webhooks.secret_store import SECRETS_PART

router = APIRouter(prefix="/webhooks", tags=["Webhooks"])


@router.post(
    "",
    summary="Create webhook",
    status_code=201,
    response_model=Envelope[WebhookWithSecretOut],
)
async def create_webhook(
    request: Request, body: WebhookCreate, principal: WebhooksWrite, session: DbSession, ctx: Ctx
) -> Response:
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
        secrets=ctx.parts[SECRETS_PART],
    )
    data = service.webhook_view(endpoint, signing_secret=secret)
    await session.commit()
    return ok(request, data, status=201)


@router.get("", summary="List webhooks", response_model=ListEnvelope[WebhookOut])
async def list_webhooks(
    request: Request, principal: WebhooksRead, session: DbSession, pagination: Pagination
) -> Response:
    """The workspace's webhook endpoints, newest first. Scope: `webhooks:read`."""
    rows, total = await service.list_webhooks(
        session, principal.workspace_id, limit=pagination.limit, offset=pagination.offset
    )
    return page(
        request,
        [service.webhook_view(e) for e in rows],
        total=total,
        limit=pagination.limit,
        offset=pagination.offset,
    )


@router.get("/{webhook_id}", summary="Get webhook", response_model=Envelope[WebhookOut])
async def get_webhook(
    request: Request, webhook_id: str, principal: WebhooksRead, session: DbSession
) -> Response:
    """One webhook endpoint (never its secret). Scope: `webhooks:read`."""
    endpoint = await service.get_webhook(session, principal.workspace_id, webhook_id)
    return ok(request, service.webhook_view(endpoint))


@router.patch("/{webhook_id}", summary="Update webhook", response_model=Envelope[WebhookOut])
async def update_webhook(
    request: Request,
    webhook_id: str,
    body: WebhookUpdate,
    principal: WebhooksWrite,
    session: DbSession,
    ctx: Ctx,
) -> Response:
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
    return ok(request, data)


@router.delete("/{webhook_id}", summary="Delete webhook", status_code=204)
async def delete_webhook(webhook_id: str, principal: WebhooksWrite, session: DbSession) -> Response:
    """Delete the endpoint with its delivery history. Scope: `webhooks:write`."""
    await service.delete_webhook(session, principal.workspace_id, webhook_id)
    await session.commit()
    return no_content()


@router.get(
    "/{webhook_id}/deliveries",
    summary="List deliveries",
    response_model=ListEnvelope[DeliveryOut],
)
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
) -> Response:
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
    return page(request, items, total=total, limit=pagination.limit, offset=pagination.offset)


@router.get(
    "/{webhook_id}/deliveries/{delivery_id}",
    summary="Get delivery",
    response_model=Envelope[DeliveryOut],
)
async def get_delivery(
    request: Request, webhook_id: str, delivery_id: str, principal: WebhooksRead, session: DbSession
) -> Response:
    """One delivery with all its attempts. Scope: `webhooks:read`."""
    delivery = await service.get_delivery(session, principal.workspace_id, webhook_id, delivery_id)
    return ok(request, (await service.delivery_views(session, [delivery]))[0])


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/retry",
    summary="Retry delivery",
    status_code=202,
    response_model=Envelope[DeliveryOut],
)
async def retry_delivery(
    request: Request,
    webhook_id: str,
    delivery_id: str,
    principal: WebhooksWrite,
    session: DbSession,
) -> Response:
    """Send a delivery again now, as a new series of up to 6 attempts. Scope: `webhooks:write`.

    Receivers get the same payload and `X-XQR-Delivery` id again.
    """
    delivery = await service.retry_delivery(
        session, principal.workspace_id, webhook_id, delivery_id
    )
    data = (await service.delivery_views(session, [delivery]))[0]
    await session.commit()
    return ok(request, data, status=202)


@router.post(
    "/{webhook_id}/test",
    summary="Send test event",
    status_code=202,
    response_model=Envelope[DeliveryOut],
)
async def send_test(
    request: Request, webhook_id: str, principal: WebhooksWrite, session: DbSession
) -> Response:
    """Queue a `test.ping` event to this endpoint only. Scope: `webhooks:write`."""
    delivery = await service.send_test(session, principal.workspace_id, webhook_id)
    data = (await service.delivery_views(session, [delivery]))[0]
    await session.commit()
    return ok(request, data, status=202)


@router.post(
    "/{webhook_id}/rotate-secret",
    summary="Rotate signing secret",
    response_model=Envelope[WebhookWithSecretOut],
)
async def rotate_secret(
    request: Request, webhook_id: str, principal: WebhooksWrite, session: DbSession, ctx: Ctx
) -> Response:
    """Replace the signing secret and return the new one, once. Scope: `webhooks:write`.

    Deliveries sent from now on, retries included, are signed with the new secret.
    """
    endpoint, secret = await service.rotate_secret(
        session, principal.workspace_id, webhook_id, ctx.parts[SECRETS_PART]
    )
    data = service.webhook_view(endpoint, signing_secret=secret)
    await session.commit()
    return ok(request, data)
