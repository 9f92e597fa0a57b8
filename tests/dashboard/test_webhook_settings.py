"""Settings → Webhooks: endpoints, the secret shown once, test events, the delivery log."""

from __future__ import annotations

import asyncio
import time

from tests.conftest import Account
from tests.dashboard.conftest import Dashboard, add_person, page, text_of
from tests.support.receiver import Receiver
from xqr.context import AppContext


async def _log_shows(browser: Dashboard, endpoint_id: str, text: str) -> str:
    """The delivery log fragment once it shows `text` (the dispatcher runs in the background)."""
    deadline = time.monotonic() + 10
    while True:
        fragment = await browser.get(f"/dashboard/settings/webhooks/{endpoint_id}/deliveries")
        if text in fragment.text or time.monotonic() > deadline:
            return fragment.text
        await asyncio.sleep(0.05)


async def test_an_endpoint_added_in_settings_receives_a_signed_test_event(
    browser: Dashboard, owner: Account
) -> None:
    await browser.sign_in("maria@example.com")
    await browser.get("/dashboard/settings/webhooks/new")
    async with Receiver() as hook:
        added = await browser.post(
            "/dashboard/settings/webhooks",
            {"url": hook.url, "events": ["link.created", "test.ping"], "description": "CRM"},
        )
        assert added.status_code == 201
        secret = page(added).find(id="signing-secret")["value"]
        assert secret.startswith("whsec_")
        endpoint_id = (
            page(added)
            .find("form", action=lambda a: a and a.endswith("/test"))["action"]
            .split("/")[-2]
        )
        shown_again = await browser.get(f"/dashboard/settings/webhooks/{endpoint_id}")
        assert secret not in shown_again.text

        sent = await browser.post(f"/dashboard/settings/webhooks/{endpoint_id}/test")
        assert sent.status_code == 303
        [request] = await hook.wait_for(1)
        assert request.headers["x-xqr-event"] == "test.ping"
        assert request.signed_with(secret)
        log = await _log_shows(browser, endpoint_id, "succeeded")
        assert "test.ping" in log and "succeeded" in log and "HTTP 200" in log

        # redeliver the same delivery: it arrives again, with the same delivery id
        delivery_id = (
            page(await browser.get(f"/dashboard/settings/webhooks/{endpoint_id}"))
            .find("form", action=lambda a: a and a.endswith("/redeliver"))["action"]
            .split("/")[-2]
        )
        again = await browser.post(
            f"/dashboard/settings/webhooks/{endpoint_id}/deliveries/{delivery_id}/redeliver"
        )
        assert again.status_code == 303
        first, second = await hook.wait_for(2)
        assert first.delivery_id == second.delivery_id == delivery_id

        # rotating shows a new secret once; events are signed with it from then on
        await browser.get(f"/dashboard/settings/webhooks/{endpoint_id}")
        rotated = await browser.post(f"/dashboard/settings/webhooks/{endpoint_id}/rotate")
        new_secret = page(rotated).find(id="signing-secret")["value"]
        assert new_secret != secret
        await browser.post(f"/dashboard/settings/webhooks/{endpoint_id}/test")
        third = (await hook.wait_for(3))[-1]
        assert third.signed_with(new_secret) and not third.signed_with(secret)

        deleted = await browser.post(f"/dashboard/settings/webhooks/{endpoint_id}/delete")
        assert deleted.status_code == 303
        listing = await browser.get("/dashboard/settings/webhooks")
        assert "No webhook endpoints" in text_of(listing)


async def test_endpoint_form_errors_are_shown_next_to_their_fields(
    browser: Dashboard, owner: Account
) -> None:
    await browser.sign_in("maria@example.com")
    await browser.get("/dashboard/settings/webhooks/new")
    bad = await browser.post(
        "/dashboard/settings/webhooks", {"url": "ftp://example.com/x", "events": ["link.created"]}
    )
    assert bad.status_code == 400
    assert page(bad).find(id="f-url-error") is not None
    assert page(bad).find("input", attrs={"name": "url"})["value"] == "ftp://example.com/x"
    no_events = await browser.post(
        "/dashboard/settings/webhooks", {"url": "https://example.com/hook"}
    )
    assert no_events.status_code == 400
    assert page(no_events).find(id="cb-events-error") is not None
    assert "No webhook endpoints" in text_of(await browser.get("/dashboard/settings/webhooks"))


async def test_a_viewer_sees_endpoints_but_cannot_change_them(
    browser: Dashboard, owner: Account, ctx: AppContext
) -> None:
    async with Receiver() as hook:
        await add_person(ctx, owner.workspace_id, "vic@example.com", "viewer")
        await browser.sign_in("maria@example.com")
        await browser.get("/dashboard/settings/webhooks/new")
        added = await browser.post(
            "/dashboard/settings/webhooks", {"url": hook.url, "events": ["*"]}
        )
        endpoint_id = (
            page(added)
            .find("form", action=lambda a: a and a.endswith("/test"))["action"]
            .split("/")[-2]
        )
        await browser.post("/dashboard/signout")
        await browser.sign_in("vic@example.com")
        shown = await browser.get(f"/dashboard/settings/webhooks/{endpoint_id}")
        assert shown.status_code == 200
        assert page(shown).find("button", string="Send test event") is None
        for action in ("test", "rotate", "delete"):
            refused = await browser.post(f"/dashboard/settings/webhooks/{endpoint_id}/{action}")
            assert refused.status_code == 403, action
        assert hook.requests == []
