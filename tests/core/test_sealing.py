"""Sealed values open only with the same server secret, purpose and context."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xqr.core.sealing import SEALED_PREFIX, Sealer, UnsealError, is_sealed
from xqr.webhooks.secret_store import SigningSecrets
from xqr.webhooks.signing import new_signing_secret

SERVER_SECRET = b"server-secret-for-tests"
CONTEXT = b"row-1"


@given(st.text(), st.binary(max_size=32))
def test_a_sealed_value_opens_to_what_was_sealed(plaintext: str, context: bytes) -> None:
    sealer = Sealer(SERVER_SECRET, "test")
    sealed = sealer.seal(plaintext, context)
    assert is_sealed(sealed)
    assert sealer.open(sealed, context) == plaintext


def test_sealing_twice_gives_two_different_values() -> None:
    sealer = Sealer(SERVER_SECRET, "test")
    assert sealer.seal("same", CONTEXT) != sealer.seal("same", CONTEXT)


@pytest.mark.parametrize(
    ("server_secret", "purpose", "context"),
    [
        (b"another-server-secret", "test", CONTEXT),
        (SERVER_SECRET, "another purpose", CONTEXT),
        (SERVER_SECRET, "test", b"row-2"),
    ],
)
def test_a_sealed_value_does_not_open_with_another_secret_purpose_or_context(
    server_secret: bytes, purpose: str, context: bytes
) -> None:
    sealed = Sealer(SERVER_SECRET, "test").seal("whsec_abc", CONTEXT)
    with pytest.raises(UnsealError):
        Sealer(server_secret, purpose).open(sealed, context)


@pytest.mark.parametrize(
    "damage",
    [
        lambda v: v[:40] + ("A" if v[40] != "A" else "B") + v[41:],  # a changed byte
        lambda v: v[:-10],  # cut short
        lambda v: SEALED_PREFIX + "!!not base64!!",
        lambda v: SEALED_PREFIX,
        lambda v: "whsec_plain",  # not sealed at all
    ],
)
def test_a_damaged_value_does_not_open(damage: object) -> None:
    sealer = Sealer(SERVER_SECRET, "test")
    sealed = sealer.seal("whsec_abc", CONTEXT)
    with pytest.raises(UnsealError):
        sealer.open(damage(sealed), CONTEXT)  # type: ignore[operator]


def test_signing_secrets_are_bound_to_their_endpoint_and_fit_the_column() -> None:
    secrets = SigningSecrets(SERVER_SECRET)
    endpoint, other = uuid.uuid4(), uuid.uuid4()
    secret = new_signing_secret()
    stored = secrets.seal(endpoint, secret)
    assert len(stored) <= 128
    assert secrets.open(endpoint, stored) == secret
    with pytest.raises(UnsealError):
        secrets.open(other, stored)  # copied to another endpoint's row
    # A secret stored in plain text by an earlier version is read as it is.
    assert secrets.open(endpoint, secret) == secret
