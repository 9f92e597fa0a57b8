"""With XQR_REDIS_URL: burst limits shared by processes, cache changes published after commit,
and a Redis that goes away degrading the service (per-process limits, fast polling) without
failing a request. Two apps on one database and one Redis stand in for two processes."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis
from sqlalchemy import insert, update

from tests.conftest import AccountFactory
from tests.links.linkkit import BROWSER, create_link, quiet_settings, running
from tests.support.redis import RedisServer
from tests.support.waiting import eventually
from xqr.app import XqrApp
from xqr.auth.ratelimit import BurstLimiter
from xqr.auth.shared_burst import SharedBurstLimiter
from xqr.cluster.invalidation import CHANNEL, Subscriber
from xqr.cluster.link import RedisLink
from xqr.config import Settings
from xqr.db.changelog import ChangeLogPoller
from xqr.links.models import Link, LinkChange


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    with RedisServer() as server:
        yield server


@pytest.fixture
def settings(db_url: str, tmp_path: Path, redis: RedisServer) -> Settings:
    return quiet_settings(
        db_url,
        tmp_path / "data",
        redis_url=redis.url,
        cache_poll_interval_ms=100,
        redis_cache_poll_interval_ms=50_000,
    )


@pytest.fixture
async def two(settings: Settings) -> AsyncIterator[tuple[Any, Any]]:
    async with running(settings) as first, running(settings) as second:
        for app, _ in (first, second):
            await eventually(lambda a=app: a.ctx.parts.redis.up, "subscribed to redis")
        yield first, second


def subscriber(app: XqrApp) -> Subscriber:
    return next(part for part in app.background if isinstance(part, Subscriber))


async def publish(redis: RedisServer, kind: str, keys: list[str]) -> None:
    client = Redis.from_url(redis.url)
    try:
        body = json.dumps({"origin": "elsewhere", "kind": kind, "keys": keys})
        await client.publish(CHANNEL, body)
    finally:
        await client.aclose()


async def drained(app: XqrApp, redis: RedisServer) -> None:
    """Every message published so far has been applied in `app` (the channel keeps order)."""
    before = subscriber(app).applied
    await publish(redis, "links", ["no-such-code"])
    await eventually(lambda: subscriber(app).applied > before, "messages applied")


def pollers(app: XqrApp) -> list[ChangeLogPoller]:
    return [part for part in app.background if isinstance(part, ChangeLogPoller)]


async def test_a_burst_limit_is_one_bucket_for_every_process(two: Any) -> None:
    (app_a, client_a), (_, client_b) = two
    account = await AccountFactory(app_a.ctx)(plan="pro")  # 10 requests per second
    clients = [client_a, client_b] * 15
    started = time.monotonic()
    answers = await asyncio.gather(
        *(c.get("/api/v1/workspace", headers=account.headers) for c in clients)
    )
    refilled = math.ceil((time.monotonic() - started) * 10)
    ok = [r for r in answers if r.status_code == 200]
    refused = [r for r in answers if r.status_code == 429]
    # Each process alone would let 10 through (20 together); shared, the bucket holds 10 and
    # refills at 10 a second while the 30 are answered.
    assert 10 <= len(ok) <= 10 + refilled, [r.status_code for r in answers]
    assert len(ok) + len(refused) == 30
    error = refused[0].json()["error"]
    assert error["code"] == "BURST_LIMIT_EXCEEDED"
    assert int(refused[0].headers["retry-after"]) >= 1
    assert refused[0].headers["x-ratelimit-burst-remaining"] == "0"


async def test_gcra_allows_the_rate_at_once_then_refuses_with_retry_after(
    redis: RedisServer,
) -> None:
    links = [RedisLink(redis.url, timeout=1, fast_poll_ms=500) for _ in range(2)]
    try:
        for link in links:
            link.recovered()
        a, b = (SharedBurstLimiter(link, BurstLimiter) for link in links)
        first = await a.take("key-1", 1)
        assert (first.allowed, first.remaining) == (True, 0)
        second = await b.take("key-1", 1)  # another process, the same bucket
        assert (second.allowed, second.retry_after) == (False, 1)
        assert (await b.peek("key-1", 1)).remaining == 0
        assert (await a.take("key-2", 1)).allowed  # another key, its own bucket
    finally:
        for link in links:
            await link.close()


async def test_a_committed_change_is_published_with_its_kind_and_keys(
    two: Any, redis: RedisServer
) -> None:
    (app_a, client_a), _ = two
    account = await AccountFactory(app_a.ctx)()
    listener = Redis.from_url(redis.url)
    pubsub = listener.pubsub(ignore_subscribe_messages=True)
    try:
        await pubsub.subscribe(CHANNEL)
        await create_link(client_a, account, url="https://example.com/a", custom_slug="pub-one")

        async def published() -> Any:
            # (the key's creation just before may be published after the subscription)
            message = await pubsub.get_message(timeout=0.1)
            body = json.loads(message["data"]) if message else None
            return body if body and body["kind"] == "links" else None

        message = await eventually(published, "a published change")
        assert (message["kind"], message["keys"]) == ("links", ["pub-one"])
    finally:
        await pubsub.aclose()
        await listener.aclose()


async def test_a_published_change_drops_the_entry_in_every_process_at_once(
    two: Any, redis: RedisServer
) -> None:
    (app_a, client_a), (app_b, client_b) = two
    account = await AccountFactory(app_a.ctx)()
    await create_link(client_a, account, url="https://example.com/b", custom_slug="sub-one")
    # In one test process the create dropped B's entry at once; its messages arrive all the
    # same, and must have been applied before B caches the link again.
    await drained(app_b, redis)
    assert (await client_b.get("/sub-one", headers=BROWSER)).status_code == 302
    # Changed behind the services' back: no change-log row (the pollers would not see it) and
    # no in-process invalidation; only a message another process publishes.
    async with app_b.ctx.engine.begin() as conn:
        await conn.execute(update(Link).where(Link.code == "sub-one").values(enabled=False))
    assert (await client_b.get("/sub-one", headers=BROWSER)).status_code == 302
    await publish(redis, "links", ["sub-one"])

    async def answers_404() -> bool:
        response = await client_b.get("/sub-one", headers=BROWSER)
        return response.status_code == 404

    await eventually(answers_404, "the published change applied")


async def test_redis_away_degrades_to_per_process_limits_and_fast_polling(
    two: Any, redis: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="xqr.redis")
    (app_a, client_a), (app_b, client_b) = two
    for app in (app_a, app_b):
        assert {p.interval for p in pollers(app)} == {50.0}  # relaxed while subscribed
    ready = (await client_a.get("/readyz")).json()
    assert ready["status"] == "ready" and ready["checks"]["redis"]["ok"]
    account = await AccountFactory(app_a.ctx)(plan="pro")
    await create_link(client_a, account, url="https://example.com/c", custom_slug="away-one")
    assert (await client_b.get("/away-one", headers=BROWSER)).status_code == 302

    redis.stop()
    await eventually(lambda: not app_a.ctx.parts.redis.up and not app_b.ctx.parts.redis.up)
    for app in (app_a, app_b):
        assert {p.interval for p in pollers(app)} == {0.1}
    readiness = await client_a.get("/readyz")
    assert readiness.status_code == 200
    assert readiness.json()["status"] == "degraded"
    assert "burst limits are per process" in readiness.json()["checks"]["redis"]["reason"]

    # Requests are answered, limited by each process's own bucket (10 each, 20 together).
    started = time.monotonic()
    answers = await asyncio.gather(
        *(c.get("/api/v1/workspace", headers=account.headers) for c in [client_a, client_b] * 15)
    )
    refilled = math.ceil((time.monotonic() - started) * 10)
    statuses = [r.status_code for r in answers]
    assert set(statuses) <= {200, 429}
    assert 20 <= statuses.count(200) <= 20 + 2 * refilled, statuses

    # A change made while Redis is away reaches the other process through the change log.
    async with app_a.ctx.sessionmaker() as session:
        await session.execute(update(Link).where(Link.code == "away-one").values(enabled=False))
        await session.execute(insert(LinkChange).values(code="away-one"))
        await session.commit()

    async def b_answers_404() -> bool:
        return (await client_b.get("/away-one", headers=BROWSER)).status_code == 404

    await eventually(b_answers_404, "the change applied by polling")

    redis.start()
    await eventually(lambda: app_a.ctx.parts.redis.up and app_b.ctx.parts.redis.up)
    assert {p.interval for p in pollers(app_b)} == {50.0}
    assert (await client_a.get("/readyz")).json()["status"] == "ready"
    logged = [r.getMessage() for r in caplog.records if r.name == "xqr.redis"]
    # once per process and change of state, however many requests met the outage
    assert sum("unreachable" in line for line in logged) == 2, logged
    assert sum("connected" in line for line in logged) == 2, logged


async def test_without_redis_nothing_changes(db_url: str, tmp_path: Path) -> None:
    async with running(quiet_settings(db_url, tmp_path / "data")) as (app, client):
        assert app.ctx.parts.redis is None and app.ctx.parts.shared_burst is None
        ready = await client.get("/readyz")
        assert ready.status_code == 200
        body = ready.json()
        assert body["status"] == "ready" and body["reasons"] == []
        assert body["checks"]["database"] is True
        assert not any("redis" in name for name in body["checks"])  # nothing to report
        assert {p.interval for p in pollers(app)} == {0.5}


async def test_a_redis_not_running_at_start_fails_nothing(
    db_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="xqr.redis")
    settings = quiet_settings(
        db_url, tmp_path / "data", redis_url="redis://127.0.0.1:1/0", redis_timeout_ms=200
    )
    async with running(settings) as (app, client):
        account = await AccountFactory(app.ctx)()
        response = await client.get("/api/v1/workspace", headers=account.headers)
        assert response.status_code == 200
        ready = (await client.get("/readyz")).json()
        assert ready["status"] == "degraded"
        assert "127.0.0.1:1/0" in ready["checks"]["redis"]["reason"]
    assert any("not reachable at start" in r.getMessage() for r in caplog.records)


def test_the_redis_address_never_shows_a_password() -> None:
    from xqr.cluster.link import redis_address

    assert redis_address("redis://:s3cret@cache.internal:6380/2") == "cache.internal:6380/2"
    assert redis_address("rediss://user:s3cret@cache.internal") == "cache.internal:6379/0"
