"""Delivery attempts: what is sent, what came back, and what that means for the delivery and
its endpoint (pure: no I/O)."""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from xqr.webhooks.schedule import retry_delay


@dataclass(frozen=True)
class ClaimedDelivery:
    """A delivery this worker holds the lease of, with what it needs to send it."""

    id: uuid.UUID
    endpoint_id: uuid.UUID
    event: str
    payload: str
    attempts: int  # made before this one, in the current series
    series: int
    token: str
    url: str
    secret: str | None  # None: the stored secret does not open with this server's key
    endpoint_failing: bool = False  # its endpoint had `failing_since` set when claimed


@dataclass(frozen=True)
class AttemptOutcome:
    delivery: ClaimedDelivery
    at: datetime
    status_code: int | None
    response_ms: int
    error: str | None
    response_excerpt: str | None

    @property
    def succeeded(self) -> bool:
        return self.error is None and self.status_code is not None and 200 <= self.status_code < 300


def next_delivery_state(
    outcome: AttemptOutcome, now: datetime, schedule: Sequence[float], rng: random.Random
) -> dict[str, Any]:
    """The delivery row after this attempt: succeeded, failed, or pending its next attempt."""
    made = outcome.delivery.attempts + 1
    state: dict[str, Any] = {
        "b_id": outcome.delivery.id,
        "attempts": made,
        "last_status_code": outcome.status_code,
        "lease_until": None,
        "lease_token": None,
        "updated_at": now,
    }
    if outcome.succeeded:
        return {**state, "status": "succeeded", "next_attempt_at": None}
    delay = retry_delay(schedule, made, rng)
    if delay is None:
        return {**state, "status": "failed", "next_attempt_at": None}
    return {**state, "status": "pending", "next_attempt_at": now + timedelta(seconds=delay)}


def attempt_row(outcome: AttemptOutcome) -> dict[str, Any]:
    return {
        "delivery_id": outcome.delivery.id,
        "series": outcome.delivery.series,
        "attempt": outcome.delivery.attempts + 1,
        "at": outcome.at,
        "status_code": outcome.status_code,
        "response_ms": outcome.response_ms,
        "error": outcome.error,
        "response_excerpt": outcome.response_excerpt,
    }


@dataclass
class EndpointChanges:
    """Endpoint writes that a batch of outcomes calls for."""

    recovered: list[uuid.UUID] = field(default_factory=list)  # clear failing_since
    failing: dict[uuid.UUID, datetime] = field(default_factory=dict)  # set failing_since
    restart: set[uuid.UUID] = field(default_factory=set)  # ... even if it is set
    still_failing: list[uuid.UUID] = field(default_factory=list)  # check the 7-day rule


def endpoint_changes(outcomes: Sequence[AttemptOutcome]) -> EndpointChanges:
    """Any 2xx clears `failing_since`; the first failure after a success (or ever) sets it;
    an endpoint that was failing and failed again is checked against the 7-day rule.

    Writes that could not change anything, judged by whether the endpoint was failing when
    its deliveries were claimed, are left out: an endpoint that keeps answering 2xx costs no
    endpoint write at all."""
    changes = EndpointChanges()
    by_endpoint: dict[uuid.UUID, list[AttemptOutcome]] = {}
    for outcome in sorted(outcomes, key=lambda o: o.at):
        by_endpoint.setdefault(outcome.delivery.endpoint_id, []).append(outcome)
    for endpoint_id, items in by_endpoint.items():
        was_failing = any(o.delivery.endpoint_failing for o in items)
        last_ok = max((i for i, o in enumerate(items) if o.succeeded), default=None)
        failures = items if last_ok is None else items[last_ok + 1 :]
        if not failures:
            if was_failing:
                changes.recovered.append(endpoint_id)
        elif last_ok is not None:
            changes.failing[endpoint_id] = failures[0].at
            changes.restart.add(endpoint_id)
        elif was_failing:
            changes.still_failing.append(endpoint_id)
        else:
            changes.failing[endpoint_id] = failures[0].at
    return changes
