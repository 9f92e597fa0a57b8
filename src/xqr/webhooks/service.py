"""Webhook endpoints and their deliveries: the rules behind `/v1/webhooks`."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from xqr.core.clock import utcnow
from xqr.core.errors import ApiError, not_found, validation_error
from xqr.core.ids import uuid7
from xqr.core.netguard import UnsafeURLError, check_url
from xqr.webhooks import repository
from xqr.webhooks.events import EVENT_TYPES
from xqr.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from xqr.webhooks.outbox import emit
from xqr.webhooks.schemas import AttemptOut, DeliveryOut, WebhookOut, WebhookWithSecretOut
from xqr.webhooks.secret_store import SigningSecrets
from xqr.webhooks.signing import new_signing_secret
from xqr.workspaces.service import hold_limits
from xqr.workspaces.tenant import Tenant

DELIVERY_STATUSES = ("pending", "delivering", "succeeded", "failed")
MAX_DESCRIPTION = 500
MANUAL_DISABLE_REASON = "Disabled through the API."


def parse_id(value: str, what: str) -> uuid.UUID:
    """A path id; a malformed one is simply not found."""
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        raise not_found(what) from None


async def check_webhook_url(url: str, *, allow_private: bool) -> str:
    """https and a public address, unless private addresses (and http) are allowed."""
    try:
        await check_url(url, allow_private=allow_private, require_https=not allow_private)
    except UnsafeURLError as exc:
        raise validation_error("url", str(exc)) from None
    return url


def check_events(events: list[str]) -> list[str]:
    if not events:
        raise validation_error("events", 'must name at least one event, or be ["*"]')
    if len(set(events)) != len(events):
        raise validation_error("events", "must not repeat an event")
    if "*" in events and len(events) > 1:
        raise validation_error("events", '"*" already means every event; send ["*"] alone')
    unknown = [e for e in events if e != "*" and e not in EVENT_TYPES]
    if unknown:
        raise validation_error(
            "events",
            f'unknown event {unknown[0]!r}; events are {", ".join(EVENT_TYPES)} or "*"',
        )
    return list(events)


def check_description(description: str | None) -> str | None:
    if description is not None and len(description) > MAX_DESCRIPTION:
        raise validation_error("description", f"must be at most {MAX_DESCRIPTION} characters")
    return description


async def count_webhooks(session: AsyncSession, workspace_id: uuid.UUID) -> int:
    return await repository.count_endpoints(session, workspace_id)


async def create_webhook(
    session: AsyncSession,
    tenant: Tenant,
    *,
    url: str,
    events: list[str],
    description: str | None,
    allow_private: bool,
    secrets: SigningSecrets,
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret, which is shown to the caller this once."""
    await hold_limits(session, tenant)
    tenant.ensure_within("webhooks", await count_webhooks(session, tenant.workspace_id))
    endpoint_id = uuid7()  # the sealed secret is bound to it
    secret = new_signing_secret()
    endpoint = WebhookEndpoint(
        id=endpoint_id,
        workspace_id=tenant.workspace_id,
        url=await check_webhook_url(url, allow_private=allow_private),
        events=check_events(events),
        description=check_description(description),
        secret=secrets.seal(endpoint_id, secret),
        enabled=True,
    )
    session.add(endpoint)
    await session.flush()
    return endpoint, secret


async def list_webhooks(
    session: AsyncSession, workspace_id: uuid.UUID, *, limit: int, offset: int
) -> tuple[Sequence[WebhookEndpoint], int]:
    return await repository.list_endpoints(session, workspace_id, limit, offset)


async def get_webhook(
    session: AsyncSession, workspace_id: uuid.UUID, webhook_id: str
) -> WebhookEndpoint:
    endpoint = await repository.get_endpoint(session, workspace_id, parse_id(webhook_id, "Webhook"))
    if endpoint is None:
        raise not_found("Webhook")
    return endpoint


async def update_webhook(
    session: AsyncSession,
    workspace_id: uuid.UUID,
    webhook_id: str,
    changes: dict[str, Any],
    *,
    allow_private: bool,
) -> WebhookEndpoint:
    """Apply the given fields; re-enabling clears `disabled_reason` and `failing_since`."""
    endpoint = await get_webhook(session, workspace_id, webhook_id)
    for field in ("url", "events", "enabled"):
        if field in changes and changes[field] is None:
            raise validation_error(field, "must not be null")
    if "url" in changes:
        endpoint.url = await check_webhook_url(changes["url"], allow_private=allow_private)
    if "events" in changes:
        endpoint.events = check_events(changes["events"])
    if "description" in changes:
        endpoint.description = check_description(changes["description"])
    if "enabled" in changes and changes["enabled"] != endpoint.enabled:
        endpoint.enabled = changes["enabled"]
        if endpoint.enabled:
            endpoint.disabled_reason = None
            endpoint.failing_since = None
        else:
            endpoint.disabled_reason = MANUAL_DISABLE_REASON
    endpoint.updated_at = utcnow()
    await session.flush()
    return endpoint


async def delete_webhook(session: AsyncSession, workspace_id: uuid.UUID, webhook_id: str) -> None:
    endpoint = await get_webhook(session, workspace_id, webhook_id)
    await repository.delete_endpoint(session, endpoint.id)


async def rotate_secret(
    session: AsyncSession, workspace_id: uuid.UUID, webhook_id: str, secrets: SigningSecrets
) -> tuple[WebhookEndpoint, str]:
    """A new signing secret; deliveries sent from now on are signed with it."""
    endpoint = await get_webhook(session, workspace_id, webhook_id)
    secret = new_signing_secret()
    endpoint.secret = secrets.seal(endpoint.id, secret)
    endpoint.updated_at = utcnow()
    await session.flush()
    return endpoint, secret


async def seal_plain_secrets(session: AsyncSession, secrets: SigningSecrets) -> int:
    """Seal the secrets that rows written before sealing hold in plain text; how many."""
    sealed = 0
    for endpoint_id, plain in await repository.plain_secrets(session):
        sealed += await repository.replace_secret(
            session, endpoint_id, old=plain, new=secrets.seal(endpoint_id, plain)
        )
    return sealed


async def send_test(
    session: AsyncSession, workspace_id: uuid.UUID, webhook_id: str
) -> WebhookDelivery:
    """Queue a `test.ping` for this endpoint only."""
    endpoint = await get_webhook(session, workspace_id, webhook_id)
    if not endpoint.enabled:
        raise ApiError("CONFLICT", "This webhook is disabled; enable it before testing it.")
    deliveries = await emit(
        session,
        workspace_id,
        "test.ping",
        {"webhook_id": str(endpoint.id), "message": "This is a test event from xQR."},
        endpoint_id=endpoint.id,
    )
    return deliveries[0]


async def list_deliveries(
    session: AsyncSession,
    workspace_id: uuid.UUID,
    webhook_id: str,
    *,
    status: str | None,
    limit: int,
    offset: int,
) -> tuple[list[DeliveryOut], int]:
    endpoint = await get_webhook(session, workspace_id, webhook_id)
    if status is not None and status not in DELIVERY_STATUSES:
        raise validation_error("status", f"must be one of {', '.join(DELIVERY_STATUSES)}")
    rows, total = await repository.list_deliveries(session, endpoint.id, status, limit, offset)
    return await delivery_views(session, rows), total


async def get_delivery(
    session: AsyncSession, workspace_id: uuid.UUID, webhook_id: str, delivery_id: str
) -> WebhookDelivery:
    endpoint = await get_webhook(session, workspace_id, webhook_id)
    delivery = await repository.get_delivery(
        session, endpoint.id, parse_id(delivery_id, "Delivery")
    )
    if delivery is None:
        raise not_found("Delivery")
    return delivery


async def retry_delivery(
    session: AsyncSession, workspace_id: uuid.UUID, webhook_id: str, delivery_id: str
) -> WebhookDelivery:
    """Queue the delivery again now, as a new series of attempts."""
    endpoint = await get_webhook(session, workspace_id, webhook_id)
    delivery = await get_delivery(session, workspace_id, webhook_id, delivery_id)
    now = utcnow()
    if not endpoint.enabled:
        raise ApiError("CONFLICT", "This webhook is disabled; enable it before retrying.")
    if (
        delivery.status == "delivering"
        and delivery.lease_until is not None
        and delivery.lease_until > now
    ):
        raise ApiError("CONFLICT", "This delivery is being sent right now; retry it afterwards.")
    delivery.series += 1
    delivery.attempts = 0
    delivery.status = "pending"
    delivery.next_attempt_at = now
    delivery.lease_until = None
    delivery.lease_token = None
    delivery.updated_at = now
    await session.flush()
    return delivery


def webhook_view(endpoint: WebhookEndpoint) -> WebhookOut:
    """The webhook object of the API, without its secret."""
    return WebhookOut(**_webhook_fields(endpoint))


def webhook_view_with_secret(
    endpoint: WebhookEndpoint, signing_secret: str
) -> WebhookWithSecretOut:
    """The webhook object with its signing secret: only on creation and rotation."""
    return WebhookWithSecretOut(**_webhook_fields(endpoint), signing_secret=signing_secret)


def _webhook_fields(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": endpoint.id,
        "url": endpoint.url,
        "events": list(endpoint.events),
        "description": endpoint.description,
        "enabled": endpoint.enabled,
        "disabled_reason": endpoint.disabled_reason,
        "failing_since": endpoint.failing_since,
        "created_at": endpoint.created_at,
        "updated_at": endpoint.updated_at,
    }


def attempt_view(attempt: WebhookAttempt) -> AttemptOut:
    return AttemptOut(
        attempt=attempt.attempt,
        series=attempt.series,
        at=attempt.at,
        status_code=attempt.status_code,
        response_ms=attempt.response_ms,
        error=attempt.error,
        response_excerpt=attempt.response_excerpt,
    )


async def delivery_views(
    session: AsyncSession, deliveries: Sequence[WebhookDelivery]
) -> list[DeliveryOut]:
    attempts = await repository.attempts_of(session, [d.id for d in deliveries])
    return [
        DeliveryOut(
            id=d.id,
            event=d.event,
            status=d.status,
            attempts=[attempt_view(a) for a in attempts[d.id]],
            payload=json.loads(d.payload),
            created_at=d.created_at,
            next_attempt_at=d.next_attempt_at if d.status in ("pending", "delivering") else None,
        )
        for d in deliveries
    ]


async def queue_depth(session: AsyncSession) -> int:
    """Webhook deliveries waiting to be sent or being sent (for `/metrics`)."""
    return await repository.queue_depth(session)
