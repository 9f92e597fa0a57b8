"""What outcomes mean for deliveries and endpoints (pure functions)."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

from xqr.webhooks.attempts import (
    AttemptOutcome,
    ClaimedDelivery,
    endpoint_changes,
    next_delivery_state,
)

T0 = datetime(2026, 3, 1, tzinfo=UTC)
SCHEDULE = [0, 60, 300, 1800, 7200, 43200]
A, B = uuid.uuid4(), uuid.uuid4()


def outcome(
    endpoint: uuid.UUID,
    seconds: int,
    status: int | None,
    *,
    failing: bool = False,
    attempts: int = 0,
) -> AttemptOutcome:
    delivery = ClaimedDelivery(
        id=uuid.uuid4(),
        endpoint_id=endpoint,
        event="link.created",
        payload="{}",
        attempts=attempts,
        series=1,
        token="t",
        url="https://example.com/",
        secret="whsec_x",
        endpoint_failing=failing,
    )
    error = None if status is not None else "ConnectError"
    return AttemptOutcome(delivery, T0 + timedelta(seconds=seconds), status, 5, error, None)


def test_a_success_is_final_and_a_failure_waits_for_the_next_slot() -> None:
    rng = random.Random(1)
    ok = next_delivery_state(outcome(A, 0, 204), T0, SCHEDULE, rng)
    assert (ok["status"], ok["next_attempt_at"], ok["attempts"]) == ("succeeded", None, 1)
    retry = next_delivery_state(outcome(A, 0, 500, attempts=2), T0, SCHEDULE, rng)
    assert retry["status"] == "pending" and retry["attempts"] == 3
    assert T0 + timedelta(seconds=1800) <= retry["next_attempt_at"] <= T0 + timedelta(seconds=1980)
    last = next_delivery_state(outcome(A, 0, None, attempts=5), T0, SCHEDULE, rng)
    assert (last["status"], last["next_attempt_at"], last["attempts"]) == ("failed", None, 6)
    assert last["lease_token"] is None and last["lease_until"] is None


def test_redirects_are_failures() -> None:
    redirected = AttemptOutcome(outcome(A, 0, 302).delivery, T0, 302, 3, "redirect", None)
    assert not redirected.succeeded
    assert not AttemptOutcome(outcome(A, 0, 302).delivery, T0, 302, 3, None, None).succeeded


def test_a_healthy_endpoint_needs_no_write() -> None:
    changes = endpoint_changes([outcome(A, 0, 200), outcome(A, 1, 201)])
    assert (changes.recovered, changes.failing, changes.still_failing) == ([], {}, [])


def test_a_success_clears_a_failing_endpoint() -> None:
    changes = endpoint_changes([outcome(A, 0, 500, failing=True), outcome(A, 1, 200, failing=True)])
    assert changes.recovered == [A] and changes.failing == {}


def test_a_first_failure_starts_the_failing_period() -> None:
    changes = endpoint_changes([outcome(A, 3, 500), outcome(A, 1, 503), outcome(B, 2, 200)])
    assert changes.failing == {A: T0 + timedelta(seconds=1)}
    assert changes.restart == set() and changes.recovered == []


def test_failures_after_a_success_restart_the_period_from_the_first_of_them() -> None:
    changes = endpoint_changes(
        [outcome(A, 0, 500, failing=True), outcome(A, 1, 200), outcome(A, 2, 500)]
    )
    assert changes.failing == {A: T0 + timedelta(seconds=2)} and changes.restart == {A}
    assert changes.still_failing == []


def test_a_failing_endpoint_that_fails_again_is_checked_for_the_seven_day_rule() -> None:
    changes = endpoint_changes([outcome(A, 0, 500, failing=True)])
    assert changes.still_failing == [A] and changes.failing == {}
