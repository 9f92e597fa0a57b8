"""Unknown prefixes are remembered briefly, and failed authentications are limited per address."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import httpx
from sqlalchemy import event

from tests.conftest import Account, AccountFactory, assert_error, make_settings
from tests.support.pollers import change_poller
from xqr.app import XqrApp, create_app
from xqr.auth import cache as key_cache
from xqr.auth.cache import KeyCache
from xqr.auth.failures import FailedAuthentications
from xqr.context import AppContext

WORKSPACE = "/api/v1/workspace"
LIMIT = 20  # the default XQR_AUTH_FAILURE_LIMIT
WINDOW = 60  # the default XQR_AUTH_FAILURE_WINDOW_SECONDS


def made_up(n: int) -> dict[str, str]:
    """A well-formed key whose prefix no key has (prefixes are hex; these start with 'f0')."""
    return {"Authorization": f"Bearer xqr_pk_f0{n:06x}." + "a" * 64}


@contextmanager
def key_lookups(ctx: AppContext) -> Iterator[list[str]]:
    """The statements that read api_keys, as the database receives them."""
    seen: list[str] = []

    def listener(conn: object, cursor: object, statement: str, *args: object) -> None:
        if "FROM api_keys" in statement:
            seen.append(statement)

    engines = {ctx.engine.sync_engine, ctx.read_engine.sync_engine}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", listener)


@asynccontextmanager
async def from_address(app: XqrApp, ip: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


def assert_refused(response: httpx.Response) -> None:
    error = assert_error(response, 429, "BURST_LIMIT_EXCEEDED")
    assert "failed authentications" in error["message"]
    assert 1 <= int(response.headers["retry-after"]) <= WINDOW
    assert "x-ratelimit-limit" not in response.headers


async def test_a_repeated_unknown_prefix_is_looked_up_once_per_interval(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    now = [0.0]
    ctx.parts.key_cache = KeyCache(ctx.read_engine, monotonic=lambda: now[0])
    with key_lookups(ctx) as lookups:
        for _ in range(5):
            assert_error(await client.get(WORKSPACE, headers=made_up(1)), 401, "INVALID_API_KEY")
        assert len(lookups) == 1
        now[0] += key_cache.UNKNOWN_PREFIX_SECONDS
        assert_error(await client.get(WORKSPACE, headers=made_up(1)), 401, "INVALID_API_KEY")
        assert len(lookups) == 2


async def test_a_key_created_right_after_a_failed_lookup_of_its_prefix_works(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    from xqr.auth import service as keys
    from xqr.workspaces import service

    async with ctx.sessionmaker() as session:
        workspace = await service.create_workspace(
            session, name="Fresh", plan="pro", owner_email="o@fresh.test"
        )
        created = await keys.create_key(
            session, service.tenant_for(workspace, ctx.plans), scopes="*"
        )
        bearer = {"Authorization": f"Bearer {created.plaintext}"}
        # Not committed yet: the server finds no key with this prefix, and remembers that.
        assert_error(await client.get(WORKSPACE, headers=bearer), 401, "INVALID_API_KEY")
        assert ctx.parts.key_cache.held(created.key.prefix) is not None
        await session.commit()
    response = await client.get(WORKSPACE, headers=bearer)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["id"] == str(workspace.id)


async def test_made_up_prefixes_from_one_address_get_429_and_cost_no_more_lookups(
    app: XqrApp, ctx: AppContext
) -> None:
    async with from_address(app, "198.51.100.7") as attacker:
        with key_lookups(ctx) as lookups:
            for n in range(LIMIT):
                response = await attacker.get(WORKSPACE, headers=made_up(n))
                assert_error(response, 401, "INVALID_API_KEY")
            for n in range(LIMIT, 3 * LIMIT):
                assert_refused(await attacker.get(WORKSPACE, headers=made_up(n)))
            # malformed keys and repeated prefixes are refused too, while it lasts
            assert_refused(await attacker.get(WORKSPACE, headers={"Authorization": "Bearer x"}))
            assert_refused(await attacker.get(WORKSPACE, headers=made_up(0)))
        assert len(lookups) == LIMIT


async def test_another_address_still_gets_401_and_a_known_valid_key_still_works(
    app: XqrApp, make_account: AccountFactory
) -> None:
    in_use = await make_account(name="In use", owner="a@in-use.test")
    unseen = await make_account(name="Unseen", owner="b@unseen.test")
    # The change log's poller would drop the new keys once more when it reads their creation;
    # let it read it now, so the key verified below stays held.
    await change_poller(app, "auth_changes").poll_once()
    async with (
        from_address(app, "198.51.100.8") as shared,
        from_address(app, "203.0.113.9") as other,
    ):
        assert (await shared.get(WORKSPACE, headers=in_use.headers)).status_code == 200
        for n in range(LIMIT):
            assert_error(await shared.get(WORKSPACE, headers=made_up(n)), 401, "INVALID_API_KEY")
        assert_refused(await shared.get(WORKSPACE, headers=made_up(LIMIT)))

        # someone else behind the same address, with a key this server holds verified
        response = await shared.get(WORKSPACE, headers=in_use.headers)
        assert response.status_code == 200
        assert response.json()["data"]["id"] == in_use.workspace_id
        # a key it would have to look up waits like the rest (documented)
        assert_refused(await shared.get(WORKSPACE, headers=unseen.headers))
        # a wrong secret for a known prefix is a failure like any other
        prefix = in_use.key.split(".")[0]
        forged = {"Authorization": f"Bearer {prefix}.{'Z' * 64}"}
        assert_refused(await shared.get(WORKSPACE, headers=forged))

        assert_error(await other.get(WORKSPACE, headers=made_up(LIMIT)), 401, "INVALID_API_KEY")
        assert (await other.get(WORKSPACE, headers=unseen.headers)).status_code == 200


async def test_the_refusal_ends_after_the_window(app: XqrApp, ctx: AppContext) -> None:
    now = [0.0]
    ctx.parts.failed_authentications = FailedAuthentications(
        limit=3, window=30, monotonic=lambda: now[0]
    )
    async with from_address(app, "198.51.100.10") as http:
        for n in range(3):
            assert_error(await http.get(WORKSPACE, headers=made_up(n)), 401, "INVALID_API_KEY")
        response = await http.get(WORKSPACE, headers=made_up(3))
        assert response.status_code == 429 and response.headers["retry-after"] == "30"
        now[0] += 29.5
        response = await http.get(WORKSPACE, headers=made_up(3))
        assert response.status_code == 429 and response.headers["retry-after"] == "1"
        now[0] += 0.5
        assert_error(await http.get(WORKSPACE, headers=made_up(3)), 401, "INVALID_API_KEY")


async def test_failures_count_against_the_forwarded_address_from_trusted_proxies_only(
    db_url: str, tmp_path: Path, account: Account
) -> None:
    settings = make_settings(
        db_url, tmp_path / "data", trusted_proxies="10.0.0.0/8", auth_failure_limit=2
    )
    application = create_app(settings)
    async with application.api.router.lifespan_context(application.api):
        async with from_address(application, "10.1.2.3") as proxy:
            for _ in range(2):
                await proxy.get(WORKSPACE, headers={**made_up(1), "X-Forwarded-For": "192.0.2.1"})
            refused = await proxy.get(
                WORKSPACE, headers={**made_up(1), "X-Forwarded-For": "192.0.2.1"}
            )
            assert_refused(refused)
            other = await proxy.get(
                WORKSPACE, headers={**made_up(1), "X-Forwarded-For": "192.0.2.2"}
            )
            assert_error(other, 401, "INVALID_API_KEY")
        # a peer that is not a trusted proxy is counted as itself, whatever it forwards
        async with from_address(application, "192.0.2.50") as direct:
            for n in range(2):
                await direct.get(
                    WORKSPACE, headers={**made_up(n), "X-Forwarded-For": f"10.9.9.{n}"}
                )
            assert_refused(
                await direct.get(WORKSPACE, headers={**made_up(5), "X-Forwarded-For": "10.9.9.9"})
            )


async def test_a_limit_of_zero_turns_the_refusals_off(db_url: str, tmp_path: Path) -> None:
    settings = make_settings(db_url, tmp_path / "data", auth_failure_limit=0)
    application = create_app(settings)
    async with (
        application.api.router.lifespan_context(application.api),
        from_address(application, "198.51.100.11") as http,
    ):
        for n in range(LIMIT + 5):
            assert_error(await http.get(WORKSPACE, headers=made_up(n)), 401, "INVALID_API_KEY")


async def test_concurrent_made_up_prefixes_start_no_more_lookups_than_the_limit(
    app: XqrApp, ctx: AppContext
) -> None:
    async with from_address(app, "198.51.100.12") as attacker:
        with key_lookups(ctx) as lookups:
            responses = await asyncio.gather(
                *(attacker.get(WORKSPACE, headers=made_up(n)) for n in range(3 * LIMIT))
            )
    assert len(lookups) <= LIMIT
    assert {r.status_code for r in responses} == {401, 429}
    assert sum(r.status_code == 401 for r in responses) <= LIMIT
    for response in responses:
        if response.status_code == 429:
            assert_refused(response)


async def test_ipv6_addresses_of_one_64_are_counted_together(app: XqrApp) -> None:
    for n in range(LIMIT):
        async with from_address(app, f"2001:db8:1:2::{n + 1:x}") as http:
            await http.get(WORKSPACE, headers=made_up(n))
    async with from_address(app, "2001:db8:1:2:ffff::1") as same_subscriber:
        assert_refused(await same_subscriber.get(WORKSPACE, headers=made_up(0)))
    async with from_address(app, "2001:db8:1:3::1") as neighbour:
        assert_error(await neighbour.get(WORKSPACE, headers=made_up(0)), 401, "INVALID_API_KEY")
