"""`client.webhooks` with a real receiver: test pings, deliveries, retries, secret rotation,
and `verify_signature` on what the receiver got."""

from __future__ import annotations

import time

import pytest

from tests.support.receiver import Receiver
from xqr.client import XQR, AsyncXQR, Delivery, NotFoundError, Webhook, verify_signature


def _wait_for_status(xqr: XQR, webhook_id: str, delivery_id: str, status: str) -> Delivery:
    deadline = time.monotonic() + 15
    while True:
        delivery = xqr.webhooks.get_delivery(webhook_id, delivery_id)
        if delivery.status == status or time.monotonic() > deadline:
            return delivery
        time.sleep(0.2)


def test_webhook_lifecycle_with_signed_deliveries(xqr: XQR) -> None:
    with Receiver([200]) as hook:
        webhook = xqr.webhooks.create(hook.url, ["link.created"], description="SDK test")
        assert isinstance(webhook, Webhook)
        secret = webhook.signing_secret
        assert secret and secret.startswith("whsec_")
        assert xqr.webhooks.get(webhook.id).signing_secret is None  # shown once only

        ping = xqr.webhooks.test(webhook.id)
        assert ping.event == "test.ping"
        [received] = hook.wait_for_sync(1)
        header = received.headers["x-xqr-signature"]
        assert verify_signature(secret, received.body, header)
        assert not verify_signature(secret, received.body + b" ", header)
        assert (
            _wait_for_status(xqr, webhook.id, ping.id, "succeeded").attempts[0].status_code == 200
        )

        deliveries = xqr.webhooks.deliveries(webhook.id)
        assert [d.id for d in deliveries.items] == [ping.id]
        assert [d.id for d in xqr.webhooks.iter_deliveries(webhook.id, status="succeeded")] == [
            ping.id
        ]

        retried = xqr.webhooks.retry(webhook.id, ping.id)
        assert retried.id == ping.id
        second = hook.wait_for_sync(2)[1]
        assert second.delivery_id == ping.id

        rotated = xqr.webhooks.rotate_secret(webhook.id)
        assert rotated.signing_secret and rotated.signing_secret != secret
        xqr.webhooks.test(webhook.id)
        third = hook.wait_for_sync(3)[2]
        assert verify_signature(
            rotated.signing_secret, third.body, third.headers["x-xqr-signature"]
        )
        assert not verify_signature(secret, third.body, third.headers["x-xqr-signature"])

        updated = xqr.webhooks.update(webhook.id, events=["*"], enabled=False, description=None)
        assert (updated.events, updated.enabled, updated.description) == (["*"], False, None)
        assert webhook.id in {w.id for w in xqr.webhooks.list().items}
        assert webhook.id in {w.id for w in xqr.webhooks.iter(page_size=1)}

        xqr.webhooks.delete(webhook.id)
        with pytest.raises(NotFoundError):
            xqr.webhooks.get(webhook.id)


async def test_async_webhooks(axqr: AsyncXQR) -> None:
    async with Receiver([200]) as hook:
        webhook = await axqr.webhooks.create(hook.url, ["*"])
        ping = await axqr.webhooks.test(webhook.id)
        [received] = await hook.wait_for(1)
        assert webhook.signing_secret
        assert verify_signature(
            webhook.signing_secret, received.body, received.headers["x-xqr-signature"]
        )
        assert (await axqr.webhooks.deliveries(webhook.id)).items[0].id == ping.id
        await axqr.webhooks.delete(webhook.id)


def test_verify_signature_is_importable_from_the_webhooks_package() -> None:
    import xqr.client
    import xqr.webhooks

    assert xqr.webhooks.verify_signature is xqr.client.verify_signature
    body = b'{"event":"test.ping"}'
    import hashlib
    import hmac

    header = "sha256=" + hmac.new(b"whsec_x", body, hashlib.sha256).hexdigest()
    assert xqr.webhooks.verify_signature("whsec_x", body, header)
    assert not xqr.webhooks.verify_signature("whsec_x", body, None)
