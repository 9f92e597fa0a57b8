"""Webhook queries: endpoints, deliveries and attempts, and the dispatcher's lease claims.

Claims differ by backend. PostgreSQL locks the candidate rows with `FOR UPDATE SKIP LOCKED`,
so concurrent workers pass over each other's rows. SQLite has one writer at a time (our
engine opens write transactions with `BEGIN IMMEDIATE`), so a select followed by an update in
the same transaction is already exclusive. On both, the UPDATE repeats the due condition, so
a row is only ever claimed by one worker, and every later write is fenced by the claim's token.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, and_, bindparam, delete, func, insert, not_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from xqr.core.sealing import SEALED_PREFIX
from xqr.db.engine import dialect_name
from xqr.webhooks.attempts import ClaimedDelivery
from xqr.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

# --- endpoints -------------------------------------------------------------------------------


async def count_endpoints(session: AsyncSession, workspace_id: uuid.UUID) -> int:
    query = select(func.count()).select_from(WebhookEndpoint)
    return int(await session.scalar(query.where(WebhookEndpoint.workspace_id == workspace_id)) or 0)


async def list_endpoints(
    session: AsyncSession, workspace_id: uuid.UUID, limit: int, offset: int
) -> tuple[Sequence[WebhookEndpoint], int]:
    rows = await session.scalars(
        select(WebhookEndpoint)
        .where(WebhookEndpoint.workspace_id == workspace_id)
        .order_by(WebhookEndpoint.created_at.desc(), WebhookEndpoint.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return rows.all(), await count_endpoints(session, workspace_id)


async def get_endpoint(
    session: AsyncSession, workspace_id: uuid.UUID, endpoint_id: uuid.UUID
) -> WebhookEndpoint | None:
    return await session.scalar(
        select(WebhookEndpoint).where(
            WebhookEndpoint.id == endpoint_id, WebhookEndpoint.workspace_id == workspace_id
        )
    )


async def delete_endpoint(session: AsyncSession, endpoint_id: uuid.UUID) -> None:
    # Deliveries and attempts go with it (ON DELETE CASCADE).
    await session.execute(delete(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id))


async def plain_secrets(session: AsyncSession) -> list[tuple[uuid.UUID, str]]:
    """Endpoints whose signing secret is stored in plain text (written before sealing)."""
    query = select(WebhookEndpoint.id, WebhookEndpoint.secret).where(
        not_(WebhookEndpoint.secret.startswith(SEALED_PREFIX))
    )
    return [(row.id, row.secret) for row in await session.execute(query)]


async def replace_secret(
    session: AsyncSession, endpoint_id: uuid.UUID, *, old: str, new: str
) -> int:
    """Store `new` where the secret is still `old` (another process may have sealed it)."""
    result = await session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.secret == old)
        .values(secret=new)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# --- deliveries (the API's view) -------------------------------------------------------------


async def list_deliveries(
    session: AsyncSession, endpoint_id: uuid.UUID, status: str | None, limit: int, offset: int
) -> tuple[Sequence[WebhookDelivery], int]:
    where: list[ColumnElement[bool]] = [WebhookDelivery.endpoint_id == endpoint_id]
    if status is not None:
        where.append(WebhookDelivery.status == status)
    total = await session.scalar(select(func.count()).select_from(WebhookDelivery).where(*where))
    rows = await session.scalars(
        select(WebhookDelivery)
        .where(*where)
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return rows.all(), int(total or 0)


async def get_delivery(
    session: AsyncSession, endpoint_id: uuid.UUID, delivery_id: uuid.UUID
) -> WebhookDelivery | None:
    return await session.scalar(
        select(WebhookDelivery).where(
            WebhookDelivery.id == delivery_id, WebhookDelivery.endpoint_id == endpoint_id
        )
    )


async def attempts_of(
    session: AsyncSession, delivery_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, list[WebhookAttempt]]:
    """Every attempt of these deliveries, oldest first."""
    found: dict[uuid.UUID, list[WebhookAttempt]] = {d: [] for d in delivery_ids}
    if not delivery_ids:
        return found
    rows = await session.scalars(
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id.in_(list(delivery_ids)))
        .order_by(WebhookAttempt.series, WebhookAttempt.attempt, WebhookAttempt.at)
    )
    for attempt in rows:
        found[attempt.delivery_id].append(attempt)
    return found


# --- the dispatcher's claims -----------------------------------------------------------------

_DELIVERIES = cast(Table, WebhookDelivery.__table__)
_ENDPOINTS = cast(Table, WebhookEndpoint.__table__)
_ATTEMPTS = cast(Table, WebhookAttempt.__table__)
_D = _DELIVERIES.c
_E = _ENDPOINTS.c


def _due(now: datetime) -> ColumnElement[bool]:
    """Pending and due, or claimed by a worker whose lease ran out (it crashed or hung)."""
    return or_(
        and_(_D.status == "pending", _D.next_attempt_at <= now),
        and_(_D.status == "delivering", _D.lease_until < now),
    )


class Candidate(NamedTuple):
    """A due delivery with what its endpoint contributes to sending it."""

    id: uuid.UUID
    endpoint_id: uuid.UUID
    url: str
    secret: str  # as stored: sealed (see secret_store.py)
    endpoint_failing: bool


async def due_candidates(
    session: AsyncSession, *, now: datetime, limit: int, skip_endpoints: Collection[uuid.UUID]
) -> list[Candidate]:
    """Due deliveries of enabled endpoints, oldest first; locked on PostgreSQL.

    Taken-over leases and pending rows are two queries, not one with OR: each then walks the
    (status, next_attempt_at) index in order and stops at `limit`, instead of sorting every
    due row of a large backlog on every claim."""
    expired = await _candidates(
        session,
        and_(_D.status == "delivering", _D.lease_until < now),
        _D.lease_until,
        limit,
        skip_endpoints,
    )
    pending = await _candidates(
        session,
        and_(_D.status == "pending", _D.next_attempt_at <= now),
        _D.next_attempt_at,
        limit - len(expired),
        skip_endpoints,
    )
    return expired + pending


async def _candidates(
    session: AsyncSession,
    condition: ColumnElement[bool],
    order: Any,
    limit: int,
    skip_endpoints: Collection[uuid.UUID],
) -> list[Candidate]:
    if limit <= 0:
        return []
    query = (
        select(_D.id, _D.endpoint_id, _E.url, _E.secret, _E.failing_since.is_not(None))
        .select_from(_DELIVERIES.join(_ENDPOINTS))
        .where(condition, _E.enabled.is_(True))
        .order_by(order)
        .limit(limit)
    )
    if skip_endpoints:
        query = query.where(_D.endpoint_id.not_in(list(skip_endpoints)))
    if dialect_name(session) == "postgresql":
        query = query.with_for_update(skip_locked=True, of=_DELIVERIES)
    return [Candidate(*row) for row in await session.execute(query)]


async def claim(
    session: AsyncSession,
    candidates: Collection[Candidate],
    *,
    now: datetime,
    lease_until: datetime,
    token: str,
    open_secret: Callable[[uuid.UUID, str], str | None],
) -> list[ClaimedDelivery]:
    """Lease these deliveries to `token`; rows no longer due are left alone. `open_secret`
    turns an endpoint's stored secret into the one to sign with."""
    if not candidates:
        return []
    by_id = {c.id: c for c in candidates}
    result = await session.execute(
        update(_DELIVERIES)
        .where(_D.id.in_(list(by_id)), _due(now))
        .values(status="delivering", lease_until=lease_until, lease_token=token, updated_at=now)
        .returning(_D.id, _D.event, _D.payload, _D.attempts, _D.series)
    )
    claimed = []
    for delivery_id, event, payload, attempts, series in result:
        candidate = by_id[delivery_id]
        claimed.append(
            ClaimedDelivery(
                id=delivery_id,
                endpoint_id=candidate.endpoint_id,
                event=event,
                payload=payload,
                attempts=attempts,
                series=series,
                token=token,
                url=candidate.url,
                secret=open_secret(candidate.endpoint_id, candidate.secret),
                endpoint_failing=candidate.endpoint_failing,
            )
        )
    return claimed


async def next_due_at(session: AsyncSession) -> datetime | None:
    """When the earliest delivery of an enabled endpoint becomes claimable, if any."""
    joined = _DELIVERIES.join(_ENDPOINTS)
    pending = await session.scalar(
        select(_D.next_attempt_at)
        .select_from(joined)
        .where(_D.status == "pending", _E.enabled.is_(True))
        .order_by(_D.next_attempt_at)
        .limit(1)
    )
    leased = await session.scalar(
        select(_D.lease_until)
        .select_from(joined)
        .where(_D.status == "delivering", _E.enabled.is_(True))
        .order_by(_D.lease_until)
        .limit(1)
    )
    found = [t for t in (pending, leased) if t is not None]
    return min(found) if found else None


async def lease_holders(
    session: AsyncSession, ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, str | None]:
    """The current claim token of each delivery (locking the rows on PostgreSQL)."""
    if not ids:
        return {}
    query = select(_D.id, _D.lease_token).where(_D.id.in_(list(ids)))
    if dialect_name(session) == "postgresql":
        query = query.with_for_update(of=_DELIVERIES)
    return {row.id: row.lease_token for row in await session.execute(query)}


async def finish_attempts(
    session: AsyncSession, deliveries: list[dict[str, Any]], attempts: list[dict[str, Any]]
) -> None:
    """Write the deliveries' new state (`b_id` names the row) and their attempt rows."""
    if deliveries:
        await session.execute(
            update(_DELIVERIES).where(_D.id == bindparam("b_id")),
            deliveries,
        )
    if attempts:
        await session.execute(insert(_ATTEMPTS), attempts)


async def release(session: AsyncSession, deliveries: Collection[ClaimedDelivery]) -> None:
    """Give back claimed deliveries that were not sent: due again at once, for any worker."""
    if deliveries:
        await session.execute(
            update(_DELIVERIES)
            .where(_D.id == bindparam("b_id"), _D.lease_token == bindparam("b_token"))
            .values(status="pending", lease_until=None, lease_token=None),
            [{"b_id": d.id, "b_token": d.token} for d in deliveries],
        )


async def mark_endpoints_recovered(
    session: AsyncSession, endpoint_ids: Collection[uuid.UUID]
) -> None:
    if endpoint_ids:
        await session.execute(
            update(_ENDPOINTS)
            .where(_E.id.in_(list(endpoint_ids)), _E.failing_since.is_not(None))
            .values(failing_since=None)
        )


async def mark_endpoints_failing(
    session: AsyncSession, since: dict[uuid.UUID, datetime], *, restart: Collection[uuid.UUID]
) -> None:
    """Set `failing_since` where unset; for `restart` ones (a success came first) reset it."""
    for endpoint_id, at in since.items():
        query = update(_ENDPOINTS).where(_E.id == endpoint_id)
        if endpoint_id not in restart:
            query = query.where(_E.failing_since.is_(None))
        await session.execute(query.values(failing_since=at))


async def disable_failing_endpoints(
    session: AsyncSession,
    endpoint_ids: Collection[uuid.UUID],
    *,
    failing_before: datetime,
    reason: str,
    now: datetime,
) -> list[uuid.UUID]:
    """Disable those of `endpoint_ids` failing since `failing_before` or earlier."""
    if not endpoint_ids:
        return []
    result = await session.execute(
        update(_ENDPOINTS)
        .where(
            _E.id.in_(list(endpoint_ids)),
            _E.enabled.is_(True),
            _E.failing_since <= failing_before,
        )
        .values(enabled=False, disabled_reason=reason, updated_at=now)
        .returning(_E.id)
    )
    return [row.id for row in result]


async def queue_depth(session: AsyncSession) -> int:
    """Deliveries waiting to be sent or being sent (every endpoint, every workspace)."""
    found = await session.scalar(
        select(func.count())
        .select_from(_DELIVERIES)
        .where(_D.status.in_(("pending", "delivering")))
    )
    return int(found or 0)
