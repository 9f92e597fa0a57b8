"""Signatures and the retry schedule: pure functions, checked against the reference's snippet."""

from __future__ import annotations

import hashlib
import hmac
import random

from hypothesis import given
from hypothesis import strategies as st

from xqr.webhooks.schedule import retry_delay
from xqr.webhooks.signing import new_signing_secret, sign, verify_signature

secrets_ = st.text(min_size=1, max_size=80)
bodies = st.binary(max_size=2048)


def reference_accepts(signing_secret: str, raw_body: bytes, signature_header: str) -> bool:
    # The API reference's verification snippet, verbatim:
    expected = hmac.new(signing_secret.encode(), raw_body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(f"sha256={expected}", signature_header)
    return True


@given(secrets_, bodies)
def test_signatures_pass_the_reference_snippet_and_our_verifier(secret: str, body: bytes) -> None:
    header = sign(secret, body)
    assert header.startswith("sha256=") and len(header) == 7 + 64
    assert reference_accepts(secret, body, header)
    assert verify_signature(secret, body, header)


@given(secrets_, bodies, st.binary(min_size=1, max_size=8))
def test_a_changed_body_fails_verification(secret: str, body: bytes, extra: bytes) -> None:
    assert not verify_signature(secret, body + extra, sign(secret, body))


@given(secrets_, secrets_, bodies)
def test_another_secret_fails_verification(secret: str, other: str, body: bytes) -> None:
    if other != secret:
        assert not verify_signature(other, body, sign(secret, body))


def test_missing_or_malformed_headers_are_not_valid() -> None:
    body = b'{"event":"test.ping"}'
    assert not verify_signature("whsec_x", body, None)
    assert not verify_signature("whsec_x", body, "")
    assert not verify_signature("whsec_x", body, sign("whsec_x", body).removeprefix("sha256="))
    assert not verify_signature("", body, sign("", body))
    assert verify_signature("whsec_x", body.decode(), sign("whsec_x", body))


def test_signing_secrets_are_whsec_and_random() -> None:
    made = {new_signing_secret() for _ in range(50)}
    assert len(made) == 50
    assert all(s.startswith("whsec_") and len(s) >= 40 for s in made)


REFERENCE_SCHEDULE = [0, 60, 300, 1800, 7200, 43200]


@given(st.integers(min_value=0, max_value=5), st.integers())
def test_retry_delays_follow_the_schedule_with_at_most_ten_percent_jitter(
    attempts_made: int, seed: int
) -> None:
    delay = retry_delay(REFERENCE_SCHEDULE, attempts_made, random.Random(seed))
    base = REFERENCE_SCHEDULE[attempts_made]
    assert delay is not None
    assert base <= delay <= base * 1.1


def test_an_immediate_attempt_has_no_jitter_and_the_series_ends_after_six() -> None:
    assert retry_delay(REFERENCE_SCHEDULE, 0) == 0
    assert retry_delay(REFERENCE_SCHEDULE, 6) is None
    assert retry_delay([0, 0.05], 2) is None
