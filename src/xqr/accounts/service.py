"""People who sign in: accounts, passwords, one-time set-up links, sessions, throttling.

Memberships and roles are the workspaces domain's; this module asks its service.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

import anyio
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from xqr.accounts import passwords, repository
from xqr.accounts.models import Account, AccountSession, AccountToken, SignInFailure
from xqr.core.clock import utcnow
from xqr.core.errors import ApiError, validation_error
from xqr.workspaces import service as workspaces

if TYPE_CHECKING:
    from xqr.workspaces.service import Workspace

SETUP_LINK_LIFETIME = timedelta(hours=24)
SESSION_LIFETIME = timedelta(days=30)  # absolute, whatever the activity
TOUCH_RESOLUTION = timedelta(minutes=1)
# Failed sign-ins within the window: per account (whatever the address) and per address.
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20
SIGN_IN_REFUSED = "Wrong email or password."


class SignInRefused(Exception):
    """Unknown email, no password yet, or wrong password: one message for all three."""

    def __init__(self) -> None:
        super().__init__(SIGN_IN_REFUSED)


class SignInThrottled(Exception):
    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(f"Too many failed sign-ins. Try again in {retry_after} s.")


@dataclass(frozen=True)
class StartedSession:
    token: str  # for the cookie; never stored
    session: AccountSession


def token_id(token: str) -> str:
    """What is stored for a session or set-up token: its SHA-256, so a copy of the database
    signs nobody in."""
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


async def get_account(session: AsyncSession, account_id: uuid.UUID) -> Account | None:
    return await repository.get(session, account_id)


async def ensure_account(session: AsyncSession, email: str) -> Account:
    """The account of `email`, created (without a password) if there is none."""
    email = normalise_email(email)
    account = await repository.by_email(session, email)
    if account is None:
        account = Account(email=email)
        try:
            async with session.begin_nested():
                session.add(account)
                await session.flush()
        except IntegrityError:  # created meanwhile by another request
            account = await repository.by_email(session, email)
            assert account is not None
    return account


def check_password(password: str, email: str) -> None:
    problem = passwords.password_problem(password, email)
    if problem is not None:
        raise validation_error("password", problem)


async def set_password(
    session: AsyncSession, account: Account, password: str, *, keep_session: str | None = None
) -> None:
    """Choose a new password; every session but `keep_session` (an id) is signed out, and
    outstanding set-up links stop working."""
    check_password(password, account.email)
    account.password_hash = await anyio.to_thread.run_sync(passwords.hash_password, password)
    account.password_changed_at = utcnow()
    await repository.delete_sessions_of(session, account.id, keep=keep_session)
    await repository.delete_tokens_of(session, account.id)
    await session.flush()


async def change_email(session: AsyncSession, account: Account, email: str) -> None:
    """The person signs in with `email` from now on, in every workspace they belong to."""
    new = normalise_email(email)
    if new == account.email:
        return
    workspaces.check_member_email(new)
    if await repository.by_email(session, new) is not None:
        raise ApiError("CONFLICT", f"{new} already has an account.")
    await workspaces.change_member_email(session, account.email, new)
    account.email = new
    await session.flush()


async def create_setup_link_token(
    session: AsyncSession, account: Account, lifetime: timedelta = SETUP_LINK_LIFETIME
) -> str:
    """A one-time token for `/dashboard/setup?token=…` (choose a password), valid `lifetime`."""
    token = secrets.token_urlsafe(32)
    await repository.delete_expired_tokens(session, utcnow())
    session.add(
        AccountToken(id=token_id(token), account_id=account.id, expires_at=utcnow() + lifetime)
    )
    await session.flush()
    return token


async def account_of_setup_token(session: AsyncSession, token: str) -> Account | None:
    """The account a valid, unexpired set-up token is for; None otherwise."""
    if not token or len(token) > 200:
        return None
    row = await repository.get_token(session, token_id(token))
    if row is None or row.expires_at <= utcnow():
        return None
    return await repository.get(session, row.account_id)


async def _throttled(session: AsyncSession, email: str, address: str, now: datetime) -> int:
    """Seconds until another attempt is allowed (0: allowed now)."""
    since = now - THROTTLE_WINDOW
    waits = [0.0]
    for times, limit in (
        (
            await repository.failures_since(session, email=email, since=since),
            MAX_FAILURES_PER_ACCOUNT,
        ),
        (
            await repository.failures_since(session, address=address, since=since),
            MAX_FAILURES_PER_ADDRESS,
        ),
    ):
        if len(times) >= limit:
            # Allowed again once the failure that filled the window ages out of it.
            waits.append((times[-limit] + THROTTLE_WINDOW - now).total_seconds())
    return max(0, int(max(waits) + 0.999))


async def sign_in(session: AsyncSession, email: str, password: str, address: str) -> Account:
    """The account if the password is right; SignInThrottled or SignInRefused otherwise.

    Commits its failure record itself is not done here: the caller commits either way, so a
    failure is counted even though the sign-in is refused.
    """
    email = normalise_email(email)[:320]
    now = utcnow()
    retry_after = await _throttled(session, email, address, now)
    if retry_after:
        raise SignInThrottled(retry_after)
    account = await repository.by_email(session, email)
    hashed = account.password_hash if account is not None else None
    if len(password) > passwords.MAX_LENGTH:
        password = password[: passwords.MAX_LENGTH]
    matches = await anyio.to_thread.run_sync(passwords.verify_password, hashed, password)
    if account is None or not matches:
        session.add(SignInFailure(email=email, address=address[:64], at=now))
        await repository.forget_failures_before(session, now - THROTTLE_WINDOW)
        await session.flush()
        raise SignInRefused
    await repository.forget_failures(session, email=email, before=now - THROTTLE_WINDOW)
    if account.password_hash and passwords.needs_rehash(account.password_hash):
        account.password_hash = await anyio.to_thread.run_sync(passwords.hash_password, password)
    return account


async def start_session(
    session: AsyncSession, account: Account, workspace_id: uuid.UUID | None
) -> StartedSession:
    """A new session (a new id at every sign-in, so a planted cookie is worthless)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = AccountSession(
        id=token_id(token),
        account_id=account.id,
        workspace_id=workspace_id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        expires_at=now + SESSION_LIFETIME,
    )
    session.add(row)
    await repository.delete_expired_sessions(session, now)
    await session.flush()
    return StartedSession(token=token, session=row)


async def find_session(session: AsyncSession, token: str) -> AccountSession | None:
    """The session of a cookie token, live or not (see `session_status`)."""
    if not token or len(token) > 200:
        return None
    return await repository.get_session(session, token_id(token))


SessionStatus = Literal["live", "mark", "ended"]


def session_status(row: AccountSession, now: datetime, *, idle_timeout: timedelta) -> SessionStatus:
    """`ended` past its lifetime or idle too long; `mark` when its last activity is due to be
    recorded (at most once a minute); `live` otherwise."""
    if row.expires_at <= now or now - row.last_seen_at > idle_timeout:
        return "ended"
    if now - row.last_seen_at >= TOUCH_RESOLUTION:
        return "mark"
    return "live"


async def mark_active(session: AsyncSession, session_id: str, now: datetime) -> None:
    await repository.touch_session(session, session_id, now)


async def end_session(session: AsyncSession, session_id: str) -> None:
    await repository.delete_session(session, session_id)
    await session.flush()


async def switch_workspace(session: AsyncSession, session_id: str, workspace_id: uuid.UUID) -> None:
    """Act in `workspace_id` from now on (the caller has checked the membership)."""
    await repository.set_session_workspace(session, session_id, workspace_id)


async def password_matches(account: Account, password: str) -> bool:
    password = password[: passwords.MAX_LENGTH]
    return await anyio.to_thread.run_sync(
        passwords.verify_password, account.password_hash, password
    )


async def memberships(session: AsyncSession, account: Account) -> Sequence[tuple[Workspace, str]]:
    return await workspaces.memberships(session, account.email)
