"""Password rules: length, the email, the packaged list of common passwords; argon2id hashes."""

from __future__ import annotations

import pytest

from xqr.accounts import passwords


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short-one", "at least 10 characters"),
        ("maria@example.com", "not your email"),
        ("MARIA@example.com", "not your email"),
        ("maria-from-the-shop", None),
        ("password123", "too common"),
        ("Qwertyuiop", "too common"),
        ("plum-orchard-lantern", None),
    ],
)
def test_password_rules(password: str, problem: str | None) -> None:
    found = passwords.password_problem(password, "maria@example.com")
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


def test_the_common_password_list_ships_with_the_package() -> None:
    common = passwords.common_passwords()
    assert len(common) > 1000
    assert "1234567890" in common
    assert all(len(word) >= passwords.MIN_LENGTH for word in common)


def test_hashes_are_argon2id_and_verify_only_the_right_password() -> None:
    hashed = passwords.hash_password("plum-orchard-lantern")
    assert hashed.startswith("$argon2id$")
    assert passwords.verify_password(hashed, "plum-orchard-lantern")
    assert not passwords.verify_password(hashed, "plum-orchard-lanterN")
    assert not passwords.verify_password(None, "plum-orchard-lantern")
    assert not passwords.verify_password("not a hash", "plum-orchard-lantern")
