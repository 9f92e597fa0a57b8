"""Password rules and hashing (argon2id). No I/O beyond reading the packaged word list."""

from __future__ import annotations

import functools
from importlib.resources import files

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10
MAX_LENGTH = 1024  # argon2 takes any length; this only bounds the work a request can ask for

# argon2-cffi's defaults are argon2id with RFC 9106's low-memory profile (64 MiB, 3 passes).
_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when there is no password, so both answers take as long."""
    return _hasher.hash("not a password anyone has")


@functools.cache
def common_passwords() -> frozenset[str]:
    text = files("xqr.accounts").joinpath("common-passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def password_problem(password: str, email: str) -> str | None:
    """Why `password` is refused for the person with `email`, or None when it is fine."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    folded = password.strip().lower()
    email = email.strip().lower()
    if folded in (email, email.split("@", 1)[0]):
        return "Choose a password that is not your email address."
    if folded in common_passwords():
        return "This password is too common. Choose one that is harder to guess."
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether `password` matches; an account without a password never matches, in the same
    time as one with a password."""
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
