"""Settings → Domains: add a custom domain, see why it is not verified, delete it; roles."""

from __future__ import annotations

from tests.conftest import Account
from tests.dashboard.conftest import Dashboard, add_person, page, text_of
from xqr.context import AppContext


async def test_an_admin_adds_verifies_and_deletes_a_domain(
    browser: Dashboard, owner: Account
) -> None:
    await browser.sign_in("maria@example.com")
    empty = await browser.get("/dashboard/settings/domains")
    assert empty.status_code == 200
    assert "No custom domains" in text_of(empty)

    bad = await browser.post(
        "/dashboard/settings/domains", {"hostname": "https://go.example.com/x", "purpose": "links"}
    )
    assert bad.status_code == 400
    field = page(bad).find(id="f-hostname-error")
    assert field is not None and "scheme" in field.get_text()

    added = await browser.post(
        "/dashboard/settings/domains",
        {"hostname": "Go.Maria-Coffee.test", "purpose": "both", "default": "on"},
    )
    assert added.status_code == 303
    listing = await browser.get("/dashboard/settings/domains")
    text = text_of(listing)
    assert "go.maria-coffee.test" in text and "Pending" in text and "Default" in text
    assert "/.well-known/xqr-verify/" in text

    verify_form = page(listing).find("form", action=lambda a: a and a.endswith("/verify"))
    verified = await browser.post(verify_form["action"])
    assert verified.status_code == 303
    after = await browser.get("/dashboard/settings/domains")
    assert "is not verified" in text_of(after)
    assert "Pending" in text_of(after)

    delete_form = page(after).find("form", action=lambda a: a and a.endswith("/delete"))
    deleted = await browser.post(delete_form["action"])
    assert deleted.status_code == 303
    assert "No custom domains" in text_of(await browser.get("/dashboard/settings/domains"))


async def test_a_viewer_sees_domains_but_cannot_add_one(
    browser: Dashboard, owner: Account, ctx: AppContext
) -> None:
    await add_person(ctx, owner.workspace_id, "viewer@example.com", "viewer")
    await browser.sign_in("viewer@example.com")
    shown = await browser.get("/dashboard/settings/domains")
    assert shown.status_code == 200
    assert page(shown).find(id="f-hostname") is None
    refused = await browser.post(
        "/dashboard/settings/domains", {"hostname": "go.example.com", "purpose": "links"}
    )
    assert refused.status_code == 403
