"""The request pipeline: key → plan → burst → quota → scope, and the envelope of each failure."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from tests.conftest import Account, AccountFactory, assert_error, make_settings, set_plan
from xqr.app import create_app
from xqr.auth.ratelimit import BurstLimiter
from xqr.context import AppContext
from xqr.core.clock import clock, utcnow

WORKSPACE = "/api/v1/workspace"


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Basic dXNlcjpwYXNz",
        "Bearer not-a-key",
        "Bearer xqr_pk_0000000.short",
        "Bearer xqr_pk_00000000." + "a" * 64,  # well-formed, unknown prefix
    ],
)
async def test_missing_malformed_or_unknown_keys_get_invalid_api_key(
    client: httpx.AsyncClient, account: Account, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = await client.get(WORKSPACE, headers=headers)
    assert_error(response, 401, "INVALID_API_KEY")
    assert "rate_limit" not in response.json()["meta"]
    assert "x-ratelimit-limit" not in response.headers


async def test_a_known_prefix_with_the_wrong_secret_is_invalid(
    client: httpx.AsyncClient, account: Account
) -> None:
    prefix, secret = account.key.split(".")
    forged = f"{prefix}.{'A' * 64 if secret != 'A' * 64 else 'B' * 64}"
    response = await client.get(WORKSPACE, headers={"Authorization": f"Bearer {forged}"})
    assert_error(response, 401, "INVALID_API_KEY")


async def test_revoked_key_is_rejected_with_revoked_api_key(
    client: httpx.AsyncClient, account: Account, ctx: AppContext
) -> None:
    from uuid import UUID

    from xqr.auth import service

    async with ctx.sessionmaker() as session:
        await service.revoke_key(session, UUID(account.key_id))
        await session.commit()
    assert_error(await client.get(WORKSPACE, headers=account.headers), 401, "REVOKED_API_KEY")


async def test_expired_key_is_rejected_with_expired_api_key(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    account = await make_account(expires_at=utcnow() + timedelta(hours=1))
    assert (await client.get(WORKSPACE, headers=account.headers)).status_code == 200
    clock.freeze(utcnow() + timedelta(hours=1, seconds=1))
    assert_error(await client.get(WORKSPACE, headers=account.headers), 401, "EXPIRED_API_KEY")


async def test_free_plan_has_no_api_access(
    client: httpx.AsyncClient, make_account: AccountFactory, ctx: AppContext
) -> None:
    account = await make_account(plan="pro")
    await set_plan(ctx, account.workspace_id, "free")
    error = assert_error(
        await client.get(WORKSPACE, headers=account.headers), 403, "FEATURE_NOT_AVAILABLE"
    )
    assert "pro" in error["message"]


async def test_a_free_workspace_cannot_create_keys(make_account: AccountFactory) -> None:
    from xqr.core.errors import ApiError

    with pytest.raises(ApiError) as raised:
        await make_account(plan="free")
    assert raised.value.code == "FEATURE_NOT_AVAILABLE"
    assert "pro" in raised.value.message


async def test_missing_scope_is_insufficient_scope_naming_the_scope(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    account = await make_account(scopes="links:read,qr:render")
    response = await client.get(WORKSPACE, headers=account.headers)
    error = assert_error(response, 403, "INSUFFICIENT_SCOPE")
    assert error["message"] == "This endpoint requires the workspace:read scope."
    # the request passed the key checks, so it counts and carries the rate-limit headers
    assert response.headers["x-ratelimit-remaining"] == "99999"
    assert response.json()["meta"]["rate_limit"]["remaining"] == 99999


@pytest.mark.parametrize("scopes", ["workspace:read", "*", "links:read,workspace:read"])
async def test_the_named_scope_or_star_grants_access(
    client: httpx.AsyncClient, make_account: AccountFactory, scopes: str
) -> None:
    account = await make_account(scopes=scopes)
    assert (await client.get(WORKSPACE, headers=account.headers)).status_code == 200


async def test_remaining_counts_down_by_exactly_one_per_call(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    account = await make_account(plan="business")
    seen = []
    for path in [WORKSPACE, f"{WORKSPACE}/members", f"{WORKSPACE}/usage", WORKSPACE]:
        response = await client.get(path, headers=account.headers)
        seen.append(int(response.headers["x-ratelimit-remaining"]))
    # reading usage is not counted (docs/authentication.md#rate-limits)
    assert seen == [24999, 24998, 24998, 24997]


async def test_burst_limit_answers_429_with_retry_after(
    client: httpx.AsyncClient, make_account: AccountFactory, ctx: AppContext
) -> None:
    ctx.burst = BurstLimiter(monotonic=lambda: 1000.0)  # no refill during the test
    account = await make_account(plan="pro")
    for expected_remaining in range(9, -1, -1):
        response = await client.get(WORKSPACE, headers=account.headers)
        assert response.status_code == 200
        assert response.headers["x-ratelimit-burst-remaining"] == str(expected_remaining)
    response = await client.get(WORKSPACE, headers=account.headers)
    assert_error(response, 429, "BURST_LIMIT_EXCEEDED")
    assert int(response.headers["retry-after"]) >= 1
    assert response.headers["x-ratelimit-burst-limit"] == "10"
    assert response.headers["x-ratelimit-burst-remaining"] == "0"
    # a burst 429 does not count against the monthly quota
    assert response.headers["x-ratelimit-remaining"] == str(1000 - 10)


async def test_burst_tokens_refill_at_the_plan_rate(
    client: httpx.AsyncClient, make_account: AccountFactory, ctx: AppContext
) -> None:
    now = [0.0]
    ctx.burst = BurstLimiter(monotonic=lambda: now[0])
    account = await make_account(plan="pro")
    for _ in range(10):
        assert (await client.get(WORKSPACE, headers=account.headers)).status_code == 200
    assert (await client.get(WORKSPACE, headers=account.headers)).status_code == 429
    now[0] += 0.1  # one token at 10/s
    assert (await client.get(WORKSPACE, headers=account.headers)).status_code == 200
    assert (await client.get(WORKSPACE, headers=account.headers)).status_code == 429


async def test_monthly_quota_429_then_reset_at_the_next_cycle(db_url: str, tmp_path: Path) -> None:
    plans = tmp_path / "plans.toml"
    plans.write_text("[plans.pro]\nmonthly_calls = 3\n")
    application = create_app(make_settings(db_url, tmp_path / "data", plans_file=plans))
    async with application.api.router.lifespan_context(application.api):
        account = await AccountFactory(application.ctx)(plan="pro")
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            remaining = [
                (await client.get(WORKSPACE, headers=account.headers)).headers[
                    "x-ratelimit-remaining"
                ]
                for _ in range(3)
            ]
            assert remaining == ["2", "1", "0"]
            response = await client.get(WORKSPACE, headers=account.headers)
            assert_error(response, 429, "RATE_LIMIT_EXCEEDED")
            reset = int(response.headers["x-ratelimit-reset"])
            assert response.json()["meta"]["rate_limit"] == {
                "limit": 3,
                "remaining": 0,
                "reset": reset,
            }
            assert 0 < int(response.headers["retry-after"]) <= 31 * 86400
            # a quota 429 is not counted either: usage shows exactly 3 once the cycle resets
            clock.freeze(utcnow() + timedelta(seconds=int(response.headers["retry-after"]) + 1))
            response = await client.get(f"{WORKSPACE}/usage", headers=account.headers)
            assert response.status_code == 200
            assert response.headers["x-ratelimit-remaining"] == "3"  # usage is not counted
            assert int(response.headers["x-ratelimit-reset"]) > reset
            assert response.json()["data"]["api_calls"]["used"] == 0


async def test_a_key_of_another_workspace_never_sees_this_workspace(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    mine = await make_account(name="Mine", owner="me@mine.test")
    theirs = await make_account(name="Theirs", owner="them@theirs.test")
    body = (await client.get(WORKSPACE, headers=theirs.headers)).json()
    assert body["data"]["id"] == theirs.workspace_id != mine.workspace_id
    members = (await client.get(f"{WORKSPACE}/members", headers=theirs.headers)).json()
    assert [m["email"] for m in members["data"]] == ["them@theirs.test"]


async def test_the_secret_never_appears_in_logs(
    client: httpx.AsyncClient, account: Account, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = account.key.split(".")[1]
    prefix = account.key.split(".")[0]
    await client.get(WORKSPACE, headers=account.headers)
    await client.get(WORKSPACE, headers={"Authorization": f"Bearer {prefix}.{'Z' * 64}"})
    await client.get(f"{WORKSPACE}?api_key={account.key}", headers=account.headers)
    logging.getLogger("xqr.test").warning("a caller pasted %s into a log line", account.key)
    logging.getLogger("xqr.test").warning("Authorization: Bearer %s", account.key)
    for handler in logging.getLogger().handlers:
        handler.flush()
    assert secret not in caplog.text
    assert "[redacted]" in caplog.text


async def test_last_used_at_is_recorded(
    client: httpx.AsyncClient, account: Account, ctx: AppContext
) -> None:
    from uuid import UUID

    from xqr.auth import service

    await client.get(WORKSPACE, headers=account.headers)
    async with ctx.sessionmaker() as session:
        keys = await service.list_keys(session, UUID(account.workspace_id))
    assert keys[0].last_used_at is not None
