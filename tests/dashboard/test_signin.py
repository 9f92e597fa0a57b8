"""Signing in and out, sessions, set-up links, CSRF and the pages' security headers."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from tests.conftest import Account, AccountFactory, make_settings
from tests.dashboard.conftest import PASSWORD, Dashboard, add_person, page, text_of
from xqr.accounts import service as accounts
from xqr.app import create_app
from xqr.context import AppContext
from xqr.core.clock import clock
from xqr.dashboard.web import SESSION_COOKIE


async def test_a_browser_opening_the_root_is_sent_to_the_dashboard(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/", headers={"Accept": "text/html,application/xhtml+xml"})
    assert response.status_code == 302
    assert response.headers["location"] == "/dashboard"
    # API clients still get the API's JSON answer for `/`
    api = await client.get("/", headers={"Accept": "application/json"})
    assert api.status_code == 404
    assert api.json()["error"]["code"] == "RESOURCE_NOT_FOUND"


async def test_pages_need_a_session_and_come_back_after_sign_in(
    browser: Dashboard, owner: Account
) -> None:
    response = await browser.get("/dashboard/settings/developers?x=1")
    assert response.status_code == 303
    assert (
        response.headers["location"]
        == "/dashboard/signin?next=/dashboard/settings/developers%3Fx%3D1"
    )
    form = page(await browser.get(response.headers["location"]))
    email = form.find("input", attrs={"name": "email"})
    password = form.find("input", attrs={"name": "password"})
    assert form.find("label", attrs={"for": email["id"]}).get_text(strip=True) == "Email"
    assert form.find("label", attrs={"for": password["id"]}).get_text(strip=True) == "Password"
    assert form.find("button", string="Sign in") is not None
    signed = await browser.post(
        "/dashboard/signin",
        {
            "email": "maria@example.com",
            "password": PASSWORD,
            "next": form.find("input", attrs={"name": "next"})["value"],
        },
    )
    assert signed.status_code == 303
    assert signed.headers["location"] == "/dashboard/settings/developers?x=1"
    cookie = signed.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/dashboard" in cookie
    assert "Secure" not in cookie  # the test server's public URL is http
    landing = await browser.get("/dashboard/settings/developers?x=1")
    assert landing.status_code == 200
    nav = page(landing).find("nav", attrs={"aria-label": "Main"})
    assert [a.get_text(strip=True) for a in nav.find_all("a")] == [
        "Links",
        "QR codes",
        "Analytics",
        "Reports",
        "Bio pages",
        "Assets",
        "Settings",
    ]


async def test_the_session_cookie_is_secure_when_the_public_url_is_https(
    db_url: str, tmp_path: Path, make_account: AccountFactory
) -> None:
    app = create_app(make_settings(db_url, tmp_path / "data", public_url="https://xqr.example"))
    async with app.api.router.lifespan_context(app.api):
        created = await AccountFactory(app.ctx)(owner="maria@example.com")
        await add_person(app.ctx, created.workspace_id, "maria@example.com", "owner")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://xqr.example") as http:
            response = await Dashboard(http).sign_in("maria@example.com")
    assert "Secure" in response.headers["set-cookie"]


async def test_wrong_password_and_unknown_email_get_the_same_answer(
    browser: Dashboard, owner: Account
) -> None:
    answers = []
    for email, password in [("maria@example.com", "not-the-password"), ("who@x.test", PASSWORD)]:
        await browser.get("/dashboard/signin")
        response = await browser.post("/dashboard/signin", {"email": email, "password": password})
        assert response.status_code == 401
        answers.append(page(response).find(attrs={"role": "alert"}).get_text(strip=True))
    assert answers == ["Wrong email or password.", "Wrong email or password."]


async def test_failed_sign_ins_are_limited_with_a_try_again_page(
    browser: Dashboard, owner: Account
) -> None:
    for _ in range(accounts.MAX_FAILURES_PER_ACCOUNT):
        await browser.get("/dashboard/signin")
        failed = await browser.post(
            "/dashboard/signin", {"email": "maria@example.com", "password": "not-the-password"}
        )
        assert failed.status_code == 401
    await browser.get("/dashboard/signin")
    limited = await browser.post(
        "/dashboard/signin", {"email": "maria@example.com", "password": PASSWORD}
    )
    assert limited.status_code == 429
    retry_after = int(limited.headers["retry-after"])
    assert 0 < retry_after <= accounts.THROTTLE_WINDOW.total_seconds()
    assert f"Too many failed sign-ins. Try again in {retry_after} s." in text_of(limited)
    assert SESSION_COOKIE not in limited.headers.get("set-cookie", "")


async def test_next_never_leads_to_another_site(browser: Dashboard, owner: Account) -> None:
    for target in ["https://evil.example/x", "//evil.example", "/\\evil.example", "/api/v1/links"]:
        browser.http.cookies.clear()
        await browser.get("/dashboard/signin")
        response = await browser.post(
            "/dashboard/signin",
            {"email": "maria@example.com", "password": PASSWORD, "next": target},
        )
        assert response.headers["location"] == "/dashboard"


async def test_sign_in_replaces_a_planted_session_cookie(
    browser: Dashboard, owner: Account
) -> None:
    browser.http.cookies.set(SESSION_COOKIE, "planted-by-someone-else", path="/dashboard")
    response = await browser.sign_in("maria@example.com")
    issued = re.search(f"{SESSION_COOKIE}=([^;]+)", response.headers["set-cookie"])
    assert issued is not None and issued.group(1) != "planted-by-someone-else"


async def test_signing_out_ends_the_session_on_the_server(
    browser: Dashboard, other_browser: Dashboard, owner: Account
) -> None:
    await browser.sign_in("maria@example.com")
    token = browser.http.cookies.get(SESSION_COOKIE, path="/dashboard")
    await browser.get("/dashboard/links")
    signed_out = await browser.post("/dashboard/signout")
    assert signed_out.status_code == 303
    assert signed_out.headers["location"] == "/dashboard/signin"
    # the old cookie, replayed from elsewhere, no longer works
    other_browser.http.cookies.set(SESSION_COOKIE, token, path="/dashboard")
    replay = await other_browser.get("/dashboard/links")
    assert replay.status_code == 303
    assert replay.headers["location"].startswith("/dashboard/signin")


async def test_an_idle_session_ends(browser: Dashboard, owner: Account, ctx: AppContext) -> None:
    await browser.sign_in("maria@example.com")
    assert (await browser.get("/dashboard/links")).status_code == 200
    clock.advance(timedelta(minutes=ctx.settings.session_idle_minutes - 1))
    assert (await browser.get("/dashboard/links")).status_code == 200  # activity keeps it
    clock.advance(timedelta(minutes=ctx.settings.session_idle_minutes - 1))
    assert (await browser.get("/dashboard/links")).status_code == 200
    clock.advance(timedelta(minutes=ctx.settings.session_idle_minutes + 1))
    ended = await browser.get("/dashboard/links")
    assert ended.status_code == 303


async def test_a_form_without_the_csrf_token_changes_nothing(
    browser: Dashboard, owner: Account, ctx: AppContext
) -> None:
    await browser.sign_in("maria@example.com")
    await browser.get("/dashboard/settings/developers")
    before = await _key_count(ctx, owner)
    form = {"name": "forged", "scopes": "*"}
    missing = await browser.post("/dashboard/settings/developers/keys", form, csrf=False)
    wrong = await browser.post(
        "/dashboard/settings/developers/keys", {**form, "csrf_token": "x" * 43}
    )
    cross_site = await browser.post(
        "/dashboard/settings/developers/keys",
        form,
        headers={"Origin": "https://evil.example"},
    )
    for response in (missing, wrong, cross_site):
        assert response.status_code == 403
        assert "This form has expired" in text_of(response)
    assert await _key_count(ctx, owner) == before


async def _key_count(ctx: AppContext, owner: Account) -> int:
    from uuid import UUID

    from xqr.auth import service as keys

    async with ctx.read_sessionmaker() as session:
        return len(await keys.list_keys(session, UUID(owner.workspace_id)))


async def test_the_sign_in_form_needs_its_token_too(browser: Dashboard, owner: Account) -> None:
    response = await browser.post(
        "/dashboard/signin", {"email": "maria@example.com", "password": PASSWORD}, csrf=False
    )
    assert response.status_code == 403
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")


async def test_pages_carry_a_strict_content_security_policy(
    browser: Dashboard, owner: Account
) -> None:
    await browser.sign_in("maria@example.com")
    for path in ["/dashboard/signin", "/dashboard/links", "/dashboard/settings/developers"]:
        response = await browser.get(path)
        policy = response.headers["content-security-policy"]
        directives = {
            name: value
            for name, _, value in (part.strip().partition(" ") for part in policy.split(";"))
        }
        assert directives["script-src"] == "'self'"
        assert "unsafe" not in policy
        assert directives["frame-ancestors"] == "'none'"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["cache-control"] == "no-store"
        assert not page(response).find("script", src=False)  # no inline script at all
        assert "style=" not in response.text


async def test_the_set_up_link_lets_a_new_member_choose_a_password(
    browser: Dashboard, owner: Account, ctx: AppContext
) -> None:
    await add_person(ctx, owner.workspace_id, "sam@example.com", "viewer", password=None)
    async with ctx.sessionmaker() as session:
        account = await accounts.ensure_account(session, "sam@example.com")
        token = await accounts.create_setup_link_token(session, account)
        await session.commit()
    invalid = await browser.get("/dashboard/setup?token=nonsense")
    assert invalid.status_code == 400
    assert "invalid, was already used, or has expired" in text_of(invalid)

    form = await browser.get(f"/dashboard/setup?token={token}")
    assert form.status_code == 200
    assert page(form).find("input", attrs={"name": "email"})["value"] == "sam@example.com"
    base = {"token": token, "email": "sam@example.com"}
    mismatch = await browser.post(
        "/dashboard/setup", {**base, "password": PASSWORD, "password_again": PASSWORD + "x"}
    )
    assert mismatch.status_code == 400
    assert page(mismatch).find(id="f-password_again-error").get_text(strip=True) == (
        "The two passwords are not the same."
    )
    common = await browser.post(
        "/dashboard/setup", {**base, "password": "password123", "password_again": "password123"}
    )
    assert common.status_code == 400
    assert "too common" in page(common).find(id="f-password-error").get_text()
    done = await browser.post(
        "/dashboard/setup", {**base, "password": PASSWORD, "password_again": PASSWORD}
    )
    assert done.status_code == 303
    assert (await browser.get("/dashboard/links")).status_code == 200
    again = await browser.get(f"/dashboard/setup?token={token}")
    assert again.status_code == 400


async def test_changing_ones_password_signs_out_the_other_sessions(
    browser: Dashboard, other_browser: Dashboard, owner: Account
) -> None:
    await browser.sign_in("maria@example.com")
    await other_browser.sign_in("maria@example.com")
    await browser.get("/dashboard/account")
    wrong = await browser.post(
        "/dashboard/account/password",
        {
            "current_password": "not-it-at-all",
            "new_password": "a-brand-new-password",
            "new_password_again": "a-brand-new-password",
        },
    )
    assert wrong.status_code == 400
    assert "This is not your current password." in text_of(wrong)
    changed = await browser.post(
        "/dashboard/account/password",
        {
            "current_password": PASSWORD,
            "new_password": "a-brand-new-password",
            "new_password_again": "a-brand-new-password",
        },
    )
    assert changed.status_code == 303
    assert (await browser.get("/dashboard/links")).status_code == 200
    assert (await other_browser.get("/dashboard/links")).status_code == 303


async def test_a_person_in_two_workspaces_switches_between_them(
    browser: Dashboard, owner: Account, make_account: AccountFactory, ctx: AppContext
) -> None:
    second = await make_account(name="Zebra Bikes", owner="zoe@example.com")
    await add_person(ctx, second.workspace_id, "maria@example.com", "viewer")
    stranger = await make_account(name="Not Maria's", owner="x@example.com")
    await browser.sign_in("maria@example.com")
    settings = page(await browser.get("/dashboard/settings/workspace"))
    switcher = settings.find("select", attrs={"name": "workspace_id"})
    options = {o.get_text(strip=True): o["value"] for o in switcher.find_all("option")}
    assert options == {
        "Maria's Coffee (owner)": owner.workspace_id,
        "Zebra Bikes (viewer)": second.workspace_id,
    }
    switched = await browser.post(
        "/dashboard/workspace",
        {"workspace_id": second.workspace_id, "next": "/dashboard/settings/workspace"},
    )
    assert switched.status_code == 303
    now = await browser.get("/dashboard/settings/workspace")
    assert "Zebra Bikes" in page(now).find(id="workspace-switch").find(selected=True).get_text()
    assert page(now).find("input", attrs={"name": "name"}) is None  # a viewer there
    refused = await browser.post("/dashboard/workspace", {"workspace_id": stranger.workspace_id})
    assert refused.status_code == 404


@pytest.mark.parametrize("path", ["/dashboard/nope", "/dashboard/settings/webhooks/not-an-id"])
async def test_unknown_pages_are_html_404s(browser: Dashboard, owner: Account, path: str) -> None:
    await browser.sign_in("maria@example.com")
    response = await browser.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert page(response).find("h1").get_text(strip=True) == "Not found"
