"""Signing secrets are stored sealed under the server secret; deliveries still verify at a
real receiver, plain secrets of earlier versions are sealed at start-up, and a changed
server secret makes deliveries fail with a clear error until the secret is rotated."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from sqlalchemy import Table, select, update

from tests.conftest import Account, make_settings
from tests.support.receiver import Receiver
from tests.webhooks.conftest import FAST_SCHEDULE, create_webhook, deliveries
from xqr.app import create_app
from xqr.context import AppContext
from xqr.core.sealing import SEALED_PREFIX
from xqr.webhooks.dispatcher import Dispatcher
from xqr.webhooks.models import WebhookEndpoint
from xqr.webhooks.secret_store import UNREADABLE_SECRET
from xqr.webhooks.signing import new_signing_secret

API = "/api/v1/webhooks"
ENDPOINTS: Table = WebhookEndpoint.__table__  # type: ignore[assignment]


async def stored_secret(ctx: AppContext, webhook_id: str) -> str:
    """The `secret` column as the database holds it."""
    async with ctx.engine.connect() as conn:
        value = await conn.scalar(
            select(ENDPOINTS.c.secret).where(ENDPOINTS.c.id == uuid.UUID(webhook_id))
        )
    assert isinstance(value, str)
    return value


async def ping(client: httpx.AsyncClient, account: Account, webhook_id: str) -> None:
    response = await client.post(f"{API}/{webhook_id}/test", headers=account.headers)
    assert response.status_code == 202, response.text


@asynccontextmanager
async def server_client(
    settings_dir: Path, db_url: str, **overrides: str
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of another server process's app on the same database."""
    application = create_app(
        make_settings(
            db_url,
            settings_dir,
            run_background=False,
            webhook_retry_schedule=FAST_SCHEDULE,
            **overrides,
        )
    )
    async with application.api.router.lifespan_context(application.api):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


async def test_the_database_holds_the_secret_sealed_and_deliveries_verify_with_it(
    client: httpx.AsyncClient,
    account: Account,
    ctx: AppContext,
    dispatcher: Dispatcher,
    receiver: Receiver,
) -> None:
    hook = await create_webhook(client, account, receiver.url)
    secret = hook["signing_secret"]
    stored = await stored_secret(ctx, hook["id"])
    assert stored.startswith(SEALED_PREFIX)
    assert secret not in stored and secret[len("whsec_") :] not in stored
    assert len(stored) <= 128  # the column's size
    await ping(client, account, hook["id"])
    assert await dispatcher.drain() == 1
    [request] = receiver.requests
    assert request.signed_with(secret)


async def test_a_rotated_secret_is_stored_sealed_too(
    client: httpx.AsyncClient,
    account: Account,
    ctx: AppContext,
    dispatcher: Dispatcher,
    receiver: Receiver,
) -> None:
    hook = await create_webhook(client, account, receiver.url)
    before = await stored_secret(ctx, hook["id"])
    rotated = await client.post(f"{API}/{hook['id']}/rotate-secret", headers=account.headers)
    secret = rotated.json()["data"]["signing_secret"]
    stored = await stored_secret(ctx, hook["id"])
    assert stored.startswith(SEALED_PREFIX) and stored != before and secret not in stored
    await ping(client, account, hook["id"])
    await dispatcher.drain()
    [request] = receiver.requests
    assert request.signed_with(secret)


async def test_plain_secrets_of_earlier_versions_sign_until_start_up_seals_them(
    client: httpx.AsyncClient,
    account: Account,
    ctx: AppContext,
    dispatcher: Dispatcher,
    receiver: Receiver,
    db_url: str,
    tmp_path: Path,
) -> None:
    hook = await create_webhook(client, account, receiver.url)
    plain = new_signing_secret()
    async with ctx.engine.begin() as conn:  # as a version before sealing stored it
        await conn.execute(
            update(ENDPOINTS).where(ENDPOINTS.c.id == uuid.UUID(hook["id"])).values(secret=plain)
        )
    await ping(client, account, hook["id"])
    await dispatcher.drain()
    assert receiver.requests[-1].signed_with(plain)
    assert await stored_secret(ctx, hook["id"]) == plain
    # The next start of a server seals it ...
    async with server_client(tmp_path / "next-start", db_url):
        pass
    stored = await stored_secret(ctx, hook["id"])
    assert stored.startswith(SEALED_PREFIX) and plain not in stored
    # ... and deliveries are still signed with the same secret.
    await ping(client, account, hook["id"])
    await dispatcher.drain()
    assert len(receiver.requests) == 2
    assert receiver.requests[-1].signed_with(plain)


async def test_with_another_server_secret_deliveries_fail_saying_to_rotate_until_rotated(
    client: httpx.AsyncClient,
    account: Account,
    ctx: AppContext,
    receiver: Receiver,
    db_url: str,
    tmp_path: Path,
) -> None:
    hook = await create_webhook(client, account, receiver.url)
    await ping(client, account, hook["id"])
    changed = make_settings(
        db_url,
        tmp_path / "changed",
        secret_key="another-server-secret",
        run_background=False,
        # Retries two seconds apart: one pass of the dispatcher makes exactly one attempt,
        # however slow the machine, and the retry after the rotation is soon due.
        webhook_retry_schedule="0,2,2,2,2,2",
    )
    dispatcher = Dispatcher(changed, sessionmaker=ctx.sessionmaker)
    try:
        assert await dispatcher.run_once() == 1
        assert receiver.requests == []  # nothing unsigned or wrongly signed goes out
        [delivery] = await deliveries(client, account, hook["id"])
        [attempt] = delivery["attempts"]
        assert attempt["error"] == UNREADABLE_SECRET and attempt["status_code"] is None
        assert delivery["status"] == "pending"
        # Rotating on a server with the new secret key mends it; the pending delivery is
        # retried with the new secret.
        async with server_client(
            tmp_path / "rotate", db_url, secret_key="another-server-secret"
        ) as other:
            rotated = await other.post(f"{API}/{hook['id']}/rotate-secret", headers=account.headers)
        assert rotated.status_code == 200, rotated.text
        secret = rotated.json()["data"]["signing_secret"]
        await dispatcher.drain()
    finally:
        await dispatcher.close()
    [request] = receiver.requests
    assert request.signed_with(secret)
    [delivery] = await deliveries(client, account, hook["id"])
    assert delivery["status"] == "succeeded"
