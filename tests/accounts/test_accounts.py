"""Accounts: sign-in, its limits, sessions, set-up links — through the service, on both
databases."""

from __future__ import annotations

from datetime import timedelta

import pytest

from xqr.accounts import service as accounts
from xqr.accounts.models import Account
from xqr.context import AppContext
from xqr.core.clock import clock, utcnow
from xqr.core.errors import ApiError

PASSWORD = "plum-orchard-lantern-42"
IDLE = timedelta(hours=12)


async def _person(ctx: AppContext, email: str = "maria@example.com") -> Account:
    async with ctx.sessionmaker() as session:
        account = await accounts.ensure_account(session, email)
        await accounts.set_password(session, account, PASSWORD)
        await session.commit()
        return account


async def _sign_in(ctx: AppContext, email: str, password: str, address: str = "198.51.100.7"):
    async with ctx.sessionmaker() as session:
        try:
            return await accounts.sign_in(session, email, password, address)
        finally:
            await session.commit()


async def test_right_password_signs_in_and_email_case_does_not_matter(ctx: AppContext) -> None:
    account = await _person(ctx)
    signed = await _sign_in(ctx, "  Maria@Example.com ", PASSWORD)
    assert signed.id == account.id


async def test_unknown_email_and_wrong_password_get_the_same_refusal(ctx: AppContext) -> None:
    await _person(ctx)
    messages = []
    for email, password in [("maria@example.com", "wrong-password-1"), ("nobody@x.test", PASSWORD)]:
        with pytest.raises(accounts.SignInRefused) as refused:
            await _sign_in(ctx, email, password)
        messages.append(str(refused.value))
    assert messages[0] == messages[1] == "Wrong email or password."


async def test_a_member_without_a_password_cannot_sign_in(ctx: AppContext) -> None:
    async with ctx.sessionmaker() as session:
        await accounts.ensure_account(session, "new@example.com")
        await session.commit()
    with pytest.raises(accounts.SignInRefused):
        await _sign_in(ctx, "new@example.com", "")


async def test_failed_sign_ins_are_limited_per_account_whatever_the_address(
    ctx: AppContext,
) -> None:
    await _person(ctx)
    for n in range(accounts.MAX_FAILURES_PER_ACCOUNT):
        with pytest.raises(accounts.SignInRefused):
            await _sign_in(ctx, "maria@example.com", "wrong-password-1", f"198.51.100.{n}")
    with pytest.raises(accounts.SignInThrottled) as throttled:
        await _sign_in(ctx, "maria@example.com", PASSWORD, "203.0.113.9")
    window = int(accounts.THROTTLE_WINDOW.total_seconds())
    assert 0 < throttled.value.retry_after <= window
    assert f"Try again in {throttled.value.retry_after} s" in str(throttled.value)
    clock.advance(accounts.THROTTLE_WINDOW + timedelta(seconds=1))
    assert (await _sign_in(ctx, "maria@example.com", PASSWORD)).email == "maria@example.com"


async def test_failed_sign_ins_are_limited_per_address_whatever_the_account(
    ctx: AppContext,
) -> None:
    await _person(ctx)
    for n in range(accounts.MAX_FAILURES_PER_ADDRESS):
        with pytest.raises(accounts.SignInRefused):
            await _sign_in(ctx, f"guess{n}@example.com", "wrong-password-1", "192.0.2.50")
    with pytest.raises(accounts.SignInThrottled):
        await _sign_in(ctx, "maria@example.com", PASSWORD, "192.0.2.50")
    # the person, from their own address, is not locked out by someone else's guessing
    assert (await _sign_in(ctx, "maria@example.com", PASSWORD, "192.0.2.51")).email


async def test_each_sign_in_starts_a_new_session_with_its_own_token(ctx: AppContext) -> None:
    account = await _person(ctx)
    async with ctx.sessionmaker() as session:
        first = await accounts.start_session(session, account, None)
        second = await accounts.start_session(session, account, None)
        await session.commit()
    assert first.token != second.token
    assert first.session.id != second.session.id
    # only the token's hash is stored
    assert first.session.id == accounts.token_id(first.token) != first.token


async def test_sessions_end_when_idle_and_after_their_lifetime(ctx: AppContext) -> None:
    account = await _person(ctx)
    async with ctx.sessionmaker() as session:
        started = await accounts.start_session(session, account, None)
        await session.commit()
    async with ctx.read_sessionmaker() as session:
        row = await accounts.find_session(session, started.token)
    assert row is not None
    assert accounts.session_status(row, utcnow(), idle_timeout=IDLE) == "live"
    assert accounts.session_status(row, utcnow() + timedelta(minutes=2), idle_timeout=IDLE) == (
        "mark"
    )
    assert accounts.session_status(
        row, utcnow() + IDLE + timedelta(seconds=1), idle_timeout=IDLE
    ) == ("ended")
    far = row.expires_at + timedelta(seconds=1)
    row.last_seen_at = far - timedelta(minutes=1)
    assert accounts.session_status(row, far, idle_timeout=IDLE) == "ended"


async def test_changing_the_password_signs_out_the_other_sessions(ctx: AppContext) -> None:
    account = await _person(ctx)
    async with ctx.sessionmaker() as session:
        kept = await accounts.start_session(session, account, None)
        other = await accounts.start_session(session, account, None)
        await session.commit()
    async with ctx.sessionmaker() as session:
        fresh = await accounts.get_account(session, account.id)
        assert fresh is not None
        await accounts.set_password(
            session, fresh, "another-long-password", keep_session=kept.session.id
        )
        await session.commit()
    async with ctx.read_sessionmaker() as session:
        assert await accounts.find_session(session, kept.token) is not None
        assert await accounts.find_session(session, other.token) is None


async def test_a_set_up_link_works_once_and_expires_after_a_day(ctx: AppContext) -> None:
    async with ctx.sessionmaker() as session:
        account = await accounts.ensure_account(session, "new@example.com")
        token = await accounts.create_setup_link_token(session, account)
        late = await accounts.create_setup_link_token(session, account)
        await session.commit()
    async with ctx.sessionmaker() as session:
        found = await accounts.account_of_setup_token(session, token)
        assert found is not None and found.email == "new@example.com"
        await accounts.set_password(session, found, PASSWORD)
        await session.commit()
    async with ctx.sessionmaker() as session:
        # choosing the password used up every link of the account
        assert await accounts.account_of_setup_token(session, token) is None
        assert await accounts.account_of_setup_token(session, late) is None
        account = await accounts.ensure_account(session, "other@example.com")
        expiring = await accounts.create_setup_link_token(session, account)
        await session.commit()
    clock.advance(accounts.SETUP_LINK_LIFETIME + timedelta(seconds=1))
    async with ctx.sessionmaker() as session:
        assert await accounts.account_of_setup_token(session, expiring) is None


async def test_a_refused_password_names_the_rule(ctx: AppContext) -> None:
    async with ctx.sessionmaker() as session:
        account = await accounts.ensure_account(session, "new@example.com")
        with pytest.raises(ApiError) as refused:
            await accounts.set_password(session, account, "new@example.com")
    assert refused.value.code == "VALIDATION_ERROR"
    assert refused.value.details == [
        {"field": "password", "message": "Choose a password that is not your email address."}
    ]
