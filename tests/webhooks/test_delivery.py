"""The dispatcher against real HTTP receivers: signatures, payloads, retries, failure rules."""

from __future__ import annotations

import itertools
import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from tests.conftest import Account, make_settings, set_plan
from tests.support.receiver import Receiver, Reply
from tests.support.waiting import eventually
from tests.webhooks.conftest import create_webhook, deliveries
from xqr.app import XqrApp, create_app
from xqr.context import AppContext
from xqr.core.clock import clock, isoformat
from xqr.webhooks import wakeup
from xqr.webhooks.dispatcher import DISABLED_REASON, Dispatcher
from xqr.webhooks.events import EVENT_TYPES
from xqr.webhooks.models import WebhookAttempt, WebhookDelivery
from xqr.webhooks.outbox import emit

API = "/api/v1/webhooks"


def reference_verify(signing_secret: str, raw_body: bytes, signature_header: str) -> None:
    # The API reference's snippet, verbatim:
    import hmac, hashlib  # noqa: E401, I001

    expected = hmac.new(signing_secret.encode(), raw_body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(f"sha256={expected}", signature_header)


async def _emit(ctx: AppContext, workspace_id: str, event: str, data: dict[str, Any]) -> None:
    async with ctx.sessionmaker() as session:
        await emit(session, uuid.UUID(workspace_id), event, data)
        await session.commit()


async def test_a_test_ping_arrives_signed_with_the_exact_payload_and_headers(
    client: httpx.AsyncClient, account: Account, dispatcher: Dispatcher, receiver: Receiver
) -> None:
    hook = await create_webhook(client, account, receiver.url)
    queued = await client.post(f"{API}/{hook['id']}/test", headers=account.headers)
    before = int(time.time())
    assert await dispatcher.drain() == 1
    [request] = receiver.requests
    assert request.method == "POST" and request.path == "/hook"
    reference_verify(hook["signing_secret"], request.body, request.headers["x-xqr-signature"])
    assert request.signed_with(hook["signing_secret"])
    assert not request.signed_with(hook["signing_secret"] + "x")
    payload = json.loads(request.body)
    assert list(payload) == ["event", "timestamp", "data"]
    assert payload == queued.json()["data"]["payload"]
    assert payload["event"] == "test.ping"
    assert payload["timestamp"].endswith("Z")
    headers = request.headers
    assert headers["content-type"] == "application/json"
    assert headers["x-xqr-event"] == "test.ping"
    assert headers["x-xqr-delivery"] == queued.json()["data"]["id"]
    assert abs(int(headers["x-xqr-timestamp"]) - before) <= 5
    assert headers["user-agent"].startswith("xQR-Webhooks/")
    assert headers["content-length"] == str(len(request.body))
    # the receiver got exactly the stored bytes
    async with dispatcher._sessionmaker() as session:  # type: ignore[misc]
        stored = await session.get(WebhookDelivery, uuid.UUID(headers["x-xqr-delivery"]))
        assert stored is not None and stored.payload.encode() == request.body
    [delivery] = await deliveries(client, account, hook["id"])
    assert delivery["status"] == "succeeded"
    [attempt] = delivery["attempts"]
    assert attempt["attempt"] == 1 and attempt["status_code"] == 200
    assert attempt["error"] is None and attempt["response_excerpt"] == "ok"
    assert isinstance(attempt["response_ms"], int) and attempt["at"].endswith("Z")


async def test_subscription_updated_arrives_when_the_plan_changes(
    client: httpx.AsyncClient,
    account: Account,
    ctx: AppContext,
    dispatcher: Dispatcher,
    receiver: Receiver,
) -> None:
    hook = await create_webhook(client, account, receiver.url, ["subscription.updated"])
    await set_plan(ctx, account.workspace_id, "business")
    await dispatcher.drain()
    [request] = receiver.requests
    reference_verify(hook["signing_secret"], request.body, request.headers["x-xqr-signature"])
    assert request.headers["x-xqr-event"] == "subscription.updated"
    payload = request.json()
    assert set(payload) == {"event", "timestamp", "data"}
    assert payload["event"] == "subscription.updated"
    assert payload["data"] == {
        "workspace_id": account.workspace_id,
        "plan": "business",
        "previous_plan": "enterprise",
    }


async def test_a_rotated_secret_signs_the_following_deliveries(
    client: httpx.AsyncClient, account: Account, dispatcher: Dispatcher, receiver: Receiver
) -> None:
    hook = await create_webhook(client, account, receiver.url)
    rotated = await client.post(f"{API}/{hook['id']}/rotate-secret", headers=account.headers)
    secret = rotated.json()["data"]["signing_secret"]
    await client.post(f"{API}/{hook['id']}/test", headers=account.headers)
    await dispatcher.drain()
    [request] = receiver.requests
    reference_verify(secret, request.body, request.headers["x-xqr-signature"])
    with pytest.raises(AssertionError):
        reference_verify(hook["signing_secret"], request.body, request.headers["x-xqr-signature"])


async def test_each_event_reaches_exactly_the_endpoints_subscribed_to_it(
    client: httpx.AsyncClient, account: Account, ctx: AppContext, dispatcher: Dispatcher
) -> None:
    with Receiver() as links, Receiver() as everything, Receiver() as disabled:
        await create_webhook(client, account, links.url, ["link.created", "link.threshold"])
        await create_webhook(client, account, everything.url, ["*"])
        off = await create_webhook(client, account, disabled.url, ["*"])
        await client.patch(f"{API}/{off['id']}", json={"enabled": False}, headers=account.headers)
        for event in EVENT_TYPES:
            await _emit(ctx, account.workspace_id, event, {"name": event})
        await dispatcher.drain()
        # deliveries are not ordered (docs/webhooks.md): compare as sets of events
        assert sorted(r.headers["x-xqr-event"] for r in links.requests) == [
            "link.created",
            "link.threshold",
        ]
        assert sorted(r.headers["x-xqr-event"] for r in everything.requests) == sorted(EVENT_TYPES)
        for request in everything.requests:
            assert request.json()["data"] == {"name": request.headers["x-xqr-event"]}
        assert disabled.requests == []


async def test_emit_rejects_unknown_events(ctx: AppContext, account: Account) -> None:
    with pytest.raises(ValueError, match="unknown webhook event"):
        await _emit(ctx, account.workspace_id, "link.exploded", {})


async def test_a_rolled_back_change_emits_nothing(
    client: httpx.AsyncClient,
    account: Account,
    ctx: AppContext,
    dispatcher: Dispatcher,
    receiver: Receiver,
) -> None:
    await create_webhook(client, account, receiver.url)
    async with ctx.sessionmaker() as session:
        queued = await emit(session, uuid.UUID(account.workspace_id), "link.created", {"id": "x"})
        assert len(queued) == 1
        await session.rollback()
    assert await dispatcher.drain() == 0
    async with ctx.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
    assert receiver.requests == []


async def test_a_failing_receiver_gets_the_delivery_on_the_attempt_it_recovers(
    client: httpx.AsyncClient, account: Account, dispatcher: Dispatcher, receiver: Receiver
) -> None:
    receiver.replies([500, Reply(502, body=b"bad gateway"), 404, 200])
    hook = await create_webhook(client, account, receiver.url)
    await client.post(f"{API}/{hook['id']}/test", headers=account.headers)
    await dispatcher.drain()
    requests = receiver.requests
    assert len(requests) == 4
    assert len({r.delivery_id for r in requests}) == 1
    assert len({r.body for r in requests}) == 1
    [delivery] = await deliveries(client, account, hook["id"])
    assert delivery["status"] == "succeeded"
    assert [(a["attempt"], a["status_code"]) for a in delivery["attempts"]] == [
        (1, 500),
        (2, 502),
        (3, 404),
        (4, 200),
    ]
    assert delivery["attempts"][1]["response_excerpt"] == "bad gateway"
    # the fast schedule (0, 0.05, ...) spaced the attempts
    times = [r.received_at for r in requests]
    assert all(later - earlier >= 0.045 for earlier, later in itertools.pairwise(times))
    webhook = (await client.get(f"{API}/{hook['id']}", headers=account.headers)).json()["data"]
    assert webhook["failing_since"] is None and webhook["enabled"] is True


async def test_six_failures_mark_the_delivery_failed_with_six_attempts_kept(
    client: httpx.AsyncClient,
    account: Account,
    ctx: AppContext,
    dispatcher: Dispatcher,
    receiver: Receiver,
) -> None:
    receiver.replies([500])
    hook = await create_webhook(client, account, receiver.url)
    await client.post(f"{API}/{hook['id']}/test", headers=account.headers)
    await dispatcher.drain()
    assert len(receiver.requests) == 6
    [delivery] = await deliveries(client, account, hook["id"])
    assert delivery["status"] == "failed"
    assert delivery["next_attempt_at"] is None
    assert [a["attempt"] for a in delivery["attempts"]] == [1, 2, 3, 4, 5, 6]
    assert {a["status_code"] for a in delivery["attempts"]} == {500}
    async with ctx.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(WebhookAttempt)) == 6
    assert await dispatcher.drain() == 0  # nothing more is sent
    webhook = (await client.get(f"{API}/{hook['id']}", headers=account.headers)).json()["data"]
    assert webhook["failing_since"] == delivery["attempts"][0]["at"]
    assert webhook["enabled"] is True


async def test_the_reference_schedule_spaces_attempts_by_the_injected_clock(
    db_url: str, tmp_path: Path, account: Account, client: httpx.AsyncClient
) -> None:
    start = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    clock.freeze(start)
    settings = make_settings(db_url, tmp_path / "ref", run_background=False)
    assert settings.retry_schedule == [0, 60, 300, 1800, 7200, 43200]
    application = create_app(settings)
    with Receiver([500]) as receiver:
        hook = await create_webhook(client, account, receiver.url)
        await client.post(f"{API}/{hook['id']}/test", headers=account.headers)
        dispatcher = Dispatcher(settings, sessionmaker=application.ctx.sessionmaker)
        try:
            seen = []
            for _ in range(8):
                made = await dispatcher.run_once()
                seen.append(made)
                [delivery] = await deliveries(client, account, hook["id"])
                if delivery["next_attempt_at"] is None:
                    break
                due = datetime.fromisoformat(delivery["next_attempt_at"].replace("Z", "+00:00"))
                clock.advance(due - clock.now() - timedelta(milliseconds=1))
                assert await dispatcher.run_once() == 0  # not yet due
                clock.advance(timedelta(milliseconds=2))
        finally:
            await dispatcher.close()
            await application.ctx.close()
    assert seen == [1] * 6
    [delivery] = await deliveries(client, account, hook["id"])
    assert delivery["status"] == "failed"
    at = [datetime.fromisoformat(a["at"].replace("Z", "+00:00")) for a in delivery["attempts"]]
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(at)]
    for gap, base in zip(gaps, [60, 300, 1800, 7200, 43200], strict=True):
        assert base <= gap <= base * 1.1 + 0.01, gaps


async def test_seven_days_of_failures_disable_the_endpoint_with_a_reason(
    client: httpx.AsyncClient,
    account: Account,
    ctx: AppContext,
    dispatcher: Dispatcher,
    receiver: Receiver,
) -> None:
    start = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    clock.freeze(start)
    receiver.replies([500])
    hook = await create_webhook(client, account, receiver.url)
    await _emit(ctx, account.workspace_id, "link.created", {"n": 1})
    await dispatcher.run_once()
    webhook = (await client.get(f"{API}/{hook['id']}", headers=account.headers)).json()["data"]
    assert webhook["failing_since"] == isoformat(start)
    # six days later it still fails, and is still enabled
    clock.advance(timedelta(days=6))
    await _emit(ctx, account.workspace_id, "link.created", {"n": 2})
    await dispatcher.run_once()
    webhook = (await client.get(f"{API}/{hook['id']}", headers=account.headers)).json()["data"]
    assert webhook["enabled"] is True and webhook["failing_since"] == isoformat(start)
    # a seventh day of failures disables it
    clock.advance(timedelta(days=1))
    await _emit(ctx, account.workspace_id, "link.created", {"n": 3})
    await dispatcher.run_once()
    webhook = (await client.get(f"{API}/{hook['id']}", headers=account.headers)).json()["data"]
    assert webhook["enabled"] is False
    assert webhook["disabled_reason"] == DISABLED_REASON
    assert "7 days" in webhook["disabled_reason"]
    sent = len(receiver.requests)
    # disabled: nothing more is sent, new events are not queued for it
    clock.advance(timedelta(days=1))
    await _emit(ctx, account.workspace_id, "link.created", {"n": 4})
    assert await dispatcher.run_once() == 0
    assert len(receiver.requests) == sent
    pending = await deliveries(client, account, hook["id"], status="pending")
    assert len(pending) == 3 and {d["payload"]["data"]["n"] for d in pending} == {1, 2, 3}
    # re-enabling resumes the pending deliveries
    receiver.replies([200])
    await client.patch(f"{API}/{hook['id']}", json={"enabled": True}, headers=account.headers)
    assert await dispatcher.run_once() == 3
    assert len(await deliveries(client, account, hook["id"], status="succeeded")) == 3


async def test_any_2xx_clears_failing_since(
    client: httpx.AsyncClient,
    account: Account,
    ctx: AppContext,
    dispatcher: Dispatcher,
    receiver: Receiver,
) -> None:
    start = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    clock.freeze(start)
    receiver.replies(lambda request: 500 if request.json()["data"]["ok"] is False else 204)
    hook = await create_webhook(client, account, receiver.url)
    await _emit(ctx, account.workspace_id, "link.created", {"ok": False})
    await dispatcher.run_once()
    get = f"{API}/{hook['id']}"
    assert (await client.get(get, headers=account.headers)).json()["data"]["failing_since"]
    clock.advance(timedelta(days=5))
    await _emit(ctx, account.workspace_id, "link.updated", {"ok": True})
    await dispatcher.run_once()
    assert (await client.get(get, headers=account.headers)).json()["data"]["failing_since"] is None
    # a new failure starts a new failing period, so 7 days are counted from it
    clock.advance(timedelta(days=3))
    await _emit(ctx, account.workspace_id, "link.deleted", {"ok": False})
    await dispatcher.run_once()
    data = (await client.get(get, headers=account.headers)).json()["data"]
    assert data["failing_since"] == isoformat(clock.now()) and data["enabled"] is True


async def test_the_response_excerpt_is_capped_at_20_kb(
    client: httpx.AsyncClient, account: Account, dispatcher: Dispatcher, receiver: Receiver
) -> None:
    receiver.replies([Reply(200, body=b"a" * 30_000 + b"\x00tail")])
    hook = await create_webhook(client, account, receiver.url)
    await client.post(f"{API}/{hook['id']}/test", headers=account.headers)
    await dispatcher.drain()
    [delivery] = await deliveries(client, account, hook["id"])
    assert delivery["status"] == "succeeded"
    assert delivery["attempts"][0]["response_excerpt"] == "a" * 20 * 1024


async def test_a_redirect_is_a_failure_and_is_not_followed(
    client: httpx.AsyncClient, account: Account, app: XqrApp
) -> None:
    # The next attempt an hour away: with the fast schedule, a slow machine would find it due
    # within this run_once, which sends whatever is due.
    settings = app.ctx.settings.model_copy(update={"webhook_retry_schedule": "0,3600"})
    dispatcher = Dispatcher(settings, sessionmaker=app.ctx.sessionmaker)
    with Receiver() as elsewhere, Receiver() as receiver:
        receiver.replies([Reply(302, headers={"Location": elsewhere.url})])
        hook = await create_webhook(client, account, receiver.url)
        await client.post(f"{API}/{hook['id']}/test", headers=account.headers)
        await dispatcher.run_once()
        await dispatcher.close()
        assert len(receiver.requests) == 1
        assert elsewhere.requests == []
        [delivery] = await deliveries(client, account, hook["id"])
        assert delivery["status"] == "pending"  # retried later, like any failure
        [attempt] = delivery["attempts"]
        assert attempt["status_code"] == 302
        assert "redirects are not followed" in attempt["error"]
        assert elsewhere.url in attempt["error"]


async def test_a_receiver_that_does_not_answer_times_out(
    db_url: str, tmp_path: Path, client: httpx.AsyncClient, account: Account
) -> None:
    # The send timeout is 10 s or half the lease, whichever is shorter.
    settings = make_settings(
        db_url, tmp_path / "t", run_background=False, webhook_lease_seconds=0.6
    )
    application = create_app(settings)
    dispatcher = Dispatcher(settings, sessionmaker=application.ctx.sessionmaker)
    with Receiver([Reply(200, delay=5)]) as receiver:
        hook = await create_webhook(client, account, receiver.url)
        await client.post(f"{API}/{hook['id']}/test", headers=account.headers)
        await dispatcher.run_once()  # the error below says the 0.3 s limit cut the send short
        [delivery] = await deliveries(client, account, hook["id"])
    await dispatcher.close()
    await application.ctx.close()
    [attempt] = delivery["attempts"]
    assert attempt["status_code"] is None
    assert attempt["error"] == "No response within 0.3 s."
    assert delivery["status"] == "pending"


async def test_a_receiver_that_is_down_is_a_failure(
    client: httpx.AsyncClient, account: Account, dispatcher: Dispatcher
) -> None:
    with Receiver() as gone:
        url = gone.url
    hook = await create_webhook(client, account, url)
    await client.post(f"{API}/{hook['id']}/test", headers=account.headers)
    await dispatcher.run_once()
    [delivery] = await deliveries(client, account, hook["id"])
    assert delivery["attempts"][0]["status_code"] is None
    assert "ConnectError" in delivery["attempts"][0]["error"]


async def _strict_dispatcher(db_url: str, tmp_path: Path) -> tuple[Dispatcher, XqrApp]:
    settings = make_settings(
        db_url, tmp_path / "strict", run_background=False, webhooks_allow_private=False
    )
    application = create_app(settings)
    return Dispatcher(settings, sessionmaker=application.ctx.sessionmaker), application


async def test_delivery_rechecks_the_url_and_refuses_private_addresses(
    db_url: str, tmp_path: Path, client: httpx.AsyncClient, account: Account, receiver: Receiver
) -> None:
    import socket

    # Created while private addresses were allowed; delivered by a server that forbids them.
    loopback = await create_webhook(client, account, receiver.url)
    https_loopback = await create_webhook(
        client, account, f"https://127.0.0.1:{receiver.port}/hook"
    )
    named = await create_webhook(
        client, account, f"https://{socket.gethostname()}:{receiver.port}/hook"
    )
    v6 = await create_webhook(client, account, f"https://[::1]:{receiver.port}/hook")
    local = await create_webhook(client, account, f"https://localhost:{receiver.port}/hook")
    others = [
        await create_webhook(client, account, url)
        for url in (
            "https://169.254.169.254/latest/meta-data",
            "https://10.0.0.1/hook",
            "https://[fd00::1]/hook",
            "https://[fe80::1]/hook",
        )
    ]
    hooks = [loopback, https_loopback, named, v6, local, *others]
    for hook in hooks:
        await client.post(f"{API}/{hook['id']}/test", headers=account.headers)
    dispatcher, application = await _strict_dispatcher(db_url, tmp_path)
    try:
        assert await dispatcher.run_once() == len(hooks)
    finally:
        await dispatcher.close()
        await application.ctx.close()
    assert receiver.requests == []
    errors = {}
    for hook in hooks:
        [delivery] = await deliveries(client, account, hook["id"])
        [attempt] = delivery["attempts"]
        assert attempt["status_code"] is None
        assert attempt["error"].startswith("Blocked by the URL-safety guard: ")
        errors[hook["id"]] = attempt["error"]
    assert "https" in errors[loopback["id"]]
    assert "not a public address" in errors[https_loopback["id"]]
    assert "not a public address" in errors[v6["id"]]
    assert "not a public address" in errors[named["id"]]
    assert "this machine" in errors[local["id"]]
    for hook in others:
        assert "not a public address" in errors[hook["id"]]


async def test_the_background_dispatcher_of_the_server_delivers_within_a_moment(
    db_url: str, tmp_path: Path, client: httpx.AsyncClient, account: Account, receiver: Receiver
) -> None:
    settings = make_settings(db_url, tmp_path / "bg", run_background=True)
    application = create_app(settings)
    async with application.api.router.lifespan_context(application.api):
        assert isinstance(application.ctx.parts.webhook_dispatcher, Dispatcher)
        hook = await create_webhook(client, account, receiver.url)
        started = time.monotonic()
        await client.post(f"{API}/{hook['id']}/test", headers=account.headers)
        await receiver.wait_for(1, timeout=5)
        assert time.monotonic() - started < 2
        # a slow send in flight when the server stops is finished and recorded
        receiver.replies([Reply(200, delay=0.5)])
        await client.post(f"{API}/{hook['id']}/test", headers=account.headers)
        await receiver.wait_for(2, timeout=5)
    statuses = [d["status"] for d in await deliveries(client, account, hook["id"])]
    assert statuses == ["succeeded", "succeeded"]


class _WakeRecorder:
    """Registered as a dispatcher is, to see whether a transaction wakes dispatchers."""

    def __init__(self, woken: list[str]) -> None:
        self.woken = woken

    def wake(self) -> None:
        self.woken.append("woken")


async def _outbox_size(ctx: AppContext) -> int:
    async with ctx.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(WebhookDelivery)) or 0)


async def test_a_commit_in_the_same_process_wakes_the_dispatcher_at_once(
    db_url: str, tmp_path: Path, client: httpx.AsyncClient, account: Account, receiver: Receiver
) -> None:
    # Polling every 30 s: only the commit's wake-up can explain a prompt delivery.
    settings = make_settings(
        db_url, tmp_path / "bg", run_background=True, webhook_poll_interval_ms=30_000
    )
    application = create_app(settings)
    async with application.api.router.lifespan_context(application.api):
        dispatcher = application.ctx.parts.webhook_dispatcher
        # its first look found nothing: it sleeps until woken (asyncio keeps the waiters)
        await eventually(lambda: dispatcher._wake._waiters, "the dispatcher's first look")
        ctx = application.ctx
        hook = await create_webhook(client, account, receiver.url)
        started = time.monotonic()
        await _emit(ctx, account.workspace_id, "link.created", {"n": 1})
        await receiver.wait_for(1, timeout=5)
        assert time.monotonic() - started < 2
        # a rolled-back emit wakes no one (dispatchers are woken at the commit, synchronously)
        # and leaves nothing to send
        woken: list[str] = []
        listener = _WakeRecorder(woken)
        wakeup.register(listener)
        try:
            async with ctx.sessionmaker() as session:
                await emit(session, uuid.UUID(account.workspace_id), "link.created", {"n": 2})
                await session.rollback()
        finally:
            wakeup.unregister(listener)
        assert woken == []
        assert await _outbox_size(ctx) == 1
        assert len(receiver.requests) == 1
    assert [d["status"] for d in await deliveries(client, account, hook["id"])] == ["succeeded"]


async def test_a_stopping_dispatcher_gives_back_what_it_claimed_but_did_not_send(
    db_url: str, tmp_path: Path, client: httpx.AsyncClient, account: Account, ctx: AppContext
) -> None:
    settings = make_settings(db_url, tmp_path / "stop", run_background=False)
    dispatcher = Dispatcher(settings, per_endpoint=1)  # one send at a time, four claimed
    with Receiver([Reply(200, delay=0.5)]) as receiver:
        hook = await create_webhook(client, account, receiver.url)
        for n in range(4):
            await _emit(ctx, account.workspace_id, "link.created", {"n": n})
        await dispatcher.start()
        await receiver.wait_for(1)
        await dispatcher.stop()  # waits for the send in flight
        assert len(receiver.requests) == 1
    items = await deliveries(client, account, hook["id"])
    assert sorted(d["status"] for d in items) == ["pending", "pending", "pending", "succeeded"]
    async with ctx.sessionmaker() as session:
        rows = (await session.scalars(select(WebhookDelivery))).all()
        assert all(r.lease_token is None and r.lease_until is None for r in rows)
        assert sorted(r.attempts for r in rows) == [0, 0, 0, 1]
