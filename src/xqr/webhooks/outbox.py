"""Emitting events: outbox rows written in the caller's transaction, so they commit together."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from xqr.core.clock import isoformat, utcnow
from xqr.webhooks.events import EVENT_TYPES, subscribed
from xqr.webhooks.models import WebhookDelivery, WebhookEndpoint
from xqr.webhooks.wakeup import events_emitted


def payload_bytes(event: str, data: dict[str, Any]) -> str:
    """The exact body every receiver gets: `{event, timestamp, data}`."""
    return json.dumps(
        {"event": event, "timestamp": isoformat(utcnow()), "data": data},
        separators=(",", ":"),
        ensure_ascii=False,
    )


# A workspace's enabled endpoints, read once by a caller that emits many events in one
# transaction (a bulk create) and passed to each `emit`.
Listeners = Sequence[WebhookEndpoint]


async def listeners(session: AsyncSession, workspace_id: uuid.UUID) -> Listeners:
    """The workspace's enabled endpoints, whatever they subscribe to."""
    query = select(WebhookEndpoint).where(
        WebhookEndpoint.workspace_id == workspace_id, WebhookEndpoint.enabled.is_(True)
    )
    return (await session.scalars(query)).all()


async def emit(
    session: AsyncSession,
    workspace_id: uuid.UUID,
    event: str,
    data: dict[str, Any],
    *,
    endpoint_id: uuid.UUID | None = None,
    known: Listeners | None = None,
) -> list[WebhookDelivery]:
    """Queue `event` for every enabled endpoint of the workspace subscribed to it (those in
    `known` when the caller has read them already in this transaction)."""
    if event not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event {event}")
    if endpoint_id is not None:
        query = select(WebhookEndpoint).where(
            WebhookEndpoint.workspace_id == workspace_id,
            WebhookEndpoint.enabled.is_(True),
            WebhookEndpoint.id == endpoint_id,
        )
        endpoints: Listeners = (await session.scalars(query)).all()
    elif known is not None:
        endpoints = known
    else:
        endpoints = await listeners(session, workspace_id)
    targets = [e for e in endpoints if endpoint_id is not None or subscribed(e.events, event)]
    if not targets:
        return []
    body = payload_bytes(event, data)
    now = utcnow()
    deliveries = [
        WebhookDelivery(
            endpoint_id=endpoint.id,
            workspace_id=workspace_id,
            event=event,
            payload=body,
            status="pending",
            next_attempt_at=now,
        )
        for endpoint in targets
    ]
    session.add_all(deliveries)
    await session.flush()
    await events_emitted(session)
    return deliveries


async def listening_workspaces(
    session: AsyncSession, workspace_ids: set[uuid.UUID], events: tuple[str, ...]
) -> set[uuid.UUID]:
    """Those of `workspace_ids` with an enabled endpoint subscribed to any of `events`.

    Lets high-volume emitters (the scan writer) skip building payloads nobody receives.
    """
    if not workspace_ids:
        return set()
    rows = await session.execute(
        select(WebhookEndpoint.workspace_id, WebhookEndpoint.events).where(
            WebhookEndpoint.workspace_id.in_(workspace_ids), WebhookEndpoint.enabled.is_(True)
        )
    )
    return {
        workspace_id
        for workspace_id, subscribed_to in rows.all()
        if any(subscribed(subscribed_to, event) for event in events)
    }
