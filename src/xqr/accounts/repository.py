"""Account, session, set-up token and sign-in failure queries."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from xqr.accounts.models import Account, AccountSession, AccountToken, SignInFailure


async def by_email(session: AsyncSession, email: str) -> Account | None:
    return await session.scalar(select(Account).where(Account.email == email))


async def get(session: AsyncSession, account_id: uuid.UUID) -> Account | None:
    return await session.get(Account, account_id)


async def get_session(session: AsyncSession, session_id: str) -> AccountSession | None:
    return await session.get(AccountSession, session_id)


async def touch_session(session: AsyncSession, session_id: str, now: datetime) -> None:
    await session.execute(
        update(AccountSession).where(AccountSession.id == session_id).values(last_seen_at=now)
    )


async def set_session_workspace(
    session: AsyncSession, session_id: str, workspace_id: uuid.UUID
) -> None:
    await session.execute(
        update(AccountSession)
        .where(AccountSession.id == session_id)
        .values(workspace_id=workspace_id)
    )


async def delete_session(session: AsyncSession, session_id: str) -> None:
    await session.execute(delete(AccountSession).where(AccountSession.id == session_id))


async def delete_sessions_of(
    session: AsyncSession, account_id: uuid.UUID, *, keep: str | None = None
) -> None:
    statement = delete(AccountSession).where(AccountSession.account_id == account_id)
    if keep is not None:
        statement = statement.where(AccountSession.id != keep)
    await session.execute(statement)


async def delete_expired_sessions(session: AsyncSession, now: datetime) -> None:
    await session.execute(delete(AccountSession).where(AccountSession.expires_at <= now))


async def get_token(session: AsyncSession, token_id: str) -> AccountToken | None:
    return await session.get(AccountToken, token_id)


async def delete_tokens_of(session: AsyncSession, account_id: uuid.UUID) -> None:
    await session.execute(delete(AccountToken).where(AccountToken.account_id == account_id))


async def failures_since(
    session: AsyncSession, *, email: str | None = None, address: str | None = None, since: datetime
) -> list[datetime]:
    """Times of failed sign-ins for the email or the address since `since`, oldest first."""
    statement = select(SignInFailure.at).where(SignInFailure.at > since)
    if email is not None:
        statement = statement.where(SignInFailure.email == email)
    if address is not None:
        statement = statement.where(SignInFailure.address == address)
    rows = await session.scalars(statement.order_by(SignInFailure.at))
    return list(rows.all())


async def forget_failures(session: AsyncSession, *, email: str, before: datetime) -> None:
    await session.execute(
        delete(SignInFailure).where((SignInFailure.email == email) | (SignInFailure.at <= before))
    )


async def forget_failures_before(session: AsyncSession, before: datetime) -> None:
    """Failed sign-ins too old to count any more."""
    await session.execute(delete(SignInFailure).where(SignInFailure.at <= before))


async def delete_expired_tokens(session: AsyncSession, now: datetime) -> None:
    await session.execute(delete(AccountToken).where(AccountToken.expires_at <= now))


async def any_password_set(session: AsyncSession) -> bool:
    found = await session.scalar(
        select(Account.id).where(Account.password_hash.is_not(None)).limit(1)
    )
    return found is not None
