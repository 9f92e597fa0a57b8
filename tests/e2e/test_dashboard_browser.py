"""The dashboard in Chromium against a real `xqr serve`: the newcomer's path, keys, webhooks,
roles, CSRF, the sign-in limit, accessibility (axe-core), the keyboard and the origin."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import dashboard
from tests.support.live import LiveServer, _admin, _run, live_server
from tests.support.receiver import Receiver
from tests.support.server import ServerProcess, run_xqr, xqr_env

pytestmark = pytest.mark.e2e

OWNER = "owner@localhost"
PAGES = [
    "/dashboard/links",
    "/dashboard/qr",
    "/dashboard/analytics",
    "/dashboard/bio",
    "/dashboard/assets",
    "/dashboard/settings/workspace",
    "/dashboard/settings/members",
    "/dashboard/settings/developers",
    "/dashboard/settings/webhooks",
    "/dashboard/settings/webhooks/new",
    "/dashboard/settings/usage",
    "/dashboard/account",
]


@pytest.fixture(scope="module", autouse=True)
def _browser_tools() -> None:
    problem = dashboard.missing()
    if problem:
        pytest.skip(f"dashboard browser tests skipped: {problem}")


@pytest.fixture(scope="module")
def server(
    database_template: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    with live_server(database_template, tmp_path_factory.mktemp("dash")) as live:
        done = run_xqr(
            live.env,
            "admin",
            "member",
            "set-password",
            OWNER,
            "--password-stdin",
            input=dashboard.PASSWORD + "\n",
        )
        assert done.returncode == 0, done.stderr
        yield live


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with dashboard.chromium() as chromium:
        yield chromium


@pytest.fixture
def page(browser: Any, server: LiveServer) -> Iterator[Any]:
    context = browser.new_context(viewport=dashboard.DESKTOP, base_url=server.url)
    tab = context.new_page()
    yield tab
    context.close()


def _signed_in(page: Any, server: LiveServer, email: str = OWNER) -> Any:
    dashboard.sign_in(page, server.url, email)
    return page


@contextmanager
def empty_database(template: Any, folder: Path) -> Iterator[str]:
    """A database nothing has touched: no SQLite file at all, or an empty PostgreSQL one."""
    if template.backend == "sqlite":
        yield f"sqlite+aiosqlite:///{folder / 'data' / 'xqr.db'}"
        return
    name = f"xqr_empty_{uuid.uuid4().hex[:12]}"
    _run(_admin(template.server_url, f"CREATE DATABASE {name}"))
    try:
        yield template.url_for(name)
    finally:
        _run(_admin(template.server_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def test_a_newcomer_goes_from_the_printed_link_to_a_signed_in_dashboard(
    database_template: Any, tmp_path: Path, browser: Any
) -> None:
    with empty_database(database_template, tmp_path) as db_url:
        env = xqr_env(db_url, tmp_path / "data")
        assert not (tmp_path / "data").exists()
        with ServerProcess(env, tmp_path) as fresh:
            link = dashboard.setup_link(fresh)
            assert link.startswith(f"{fresh.url}/dashboard/setup?token=")
            context = browser.new_context(viewport=dashboard.DESKTOP)
            tab = context.new_page()
            tab.goto(fresh.url + "/")
            assert tab.url == f"{fresh.url}/dashboard/signin"
            dashboard.choose_password(tab, link, "maria@example.com")
            assert tab.get_by_role("heading", name="Links", exact=True).is_visible()
            nav = tab.get_by_role("navigation", name="Main")
            for name in ["Links", "QR codes", "Analytics", "Bio pages", "Assets", "Settings"]:
                assert nav.get_by_role("link", name=name).is_visible()
            assert tab.get_by_text("maria@example.com").is_visible()
            # the link worked once
            tab.goto(link)
            assert "Set-up link not valid" in tab.content()
            context.close()
        # a restart prints no new link once someone has a password
        with ServerProcess(env, tmp_path) as again:
            assert "/dashboard/setup?token=" not in again.stdout()


def test_sign_in_and_out(page: Any, server: LiveServer) -> None:
    page.goto("/dashboard/settings/usage")
    assert "/dashboard/signin" in page.url
    page.get_by_label("Email").fill(OWNER)
    page.get_by_label("Password").fill(dashboard.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard/settings/usage")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/dashboard/signin")
    assert page.get_by_text("You are signed out.").is_visible()
    page.goto("/dashboard/links")
    assert "/dashboard/signin" in page.url


def test_a_key_created_in_developers_works_and_stops_when_revoked(
    page: Any, server: LiveServer
) -> None:
    _signed_in(page, server)
    page.goto("/dashboard/settings/developers")
    page.get_by_label("Name").fill("Browser key")
    page.get_by_role("checkbox", name="workspace:read").check()
    page.get_by_role("button", name="Create API key").click()
    key = page.get_by_role("textbox", name="API key").input_value()
    assert re.fullmatch(r"xqr_pk_[0-9a-f]{8}\.[A-Za-z0-9_-]{64}", key)
    answer = httpx.get(f"{server.url}/api/v1/workspace", headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 200

    page.goto("/dashboard/settings/developers")
    row = page.get_by_role("row").filter(has_text="Browser key")
    row.get_by_role("button", name="Revoke").click()
    dialog = page.get_by_role("dialog", name="Revoke this key?")
    assert dialog.is_visible()
    dialog.get_by_role("button", name="Revoke key").click()
    page.get_by_text("is revoked").wait_for()
    refused = httpx.get(
        f"{server.url}/api/v1/workspace", headers={"Authorization": f"Bearer {key}"}
    )
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "REVOKED_API_KEY"


def test_a_webhook_added_in_settings_gets_a_signed_test_event(
    page: Any, server: LiveServer
) -> None:
    _signed_in(page, server)
    with Receiver() as hook:
        page.goto("/dashboard/settings/webhooks")
        page.get_by_role("link", name="Add endpoint").click()
        page.get_by_label("Endpoint URL").fill(hook.url)
        page.get_by_role("checkbox", name="Every event").uncheck()
        page.get_by_role("checkbox", name="test.ping").check()
        page.get_by_label("Description (optional)").fill("Browser test")
        page.get_by_role("button", name="Add endpoint").click()
        secret = page.get_by_role("textbox", name="signing secret").input_value()
        assert secret.startswith("whsec_")
        page.get_by_role("button", name="Send test event").click()
        [request] = hook.wait_for_sync(1)
        assert request.headers["x-xqr-event"] == "test.ping"
        assert request.signed_with(secret)
        # the delivery log follows by itself (it refreshes while a delivery is pending)
        page.get_by_text("succeeded").first.wait_for(timeout=10_000)


def test_a_viewer_cannot_create_a_key_even_by_posting_the_form(
    page: Any, server: LiveServer
) -> None:
    added = run_xqr(
        server.env,
        "admin",
        "member",
        "add",
        "--workspace",
        server.workspace_id,
        "--email",
        "viewer@example.com",
        "--role",
        "viewer",
        "--password-stdin",
        input=dashboard.PASSWORD + "\n",
    )
    assert added.returncode == 0, added.stderr
    _signed_in(page, server, "viewer@example.com")
    page.goto("/dashboard/settings/developers")
    assert page.get_by_role("button", name="Create API key").count() == 0
    before = _key_names(server)
    token = page.locator("input[name=csrf_token]").first.input_value()
    forced = page.request.post(
        "/dashboard/settings/developers/keys",
        form={"csrf_token": token, "name": "sneaky", "scopes": "*"},
        max_redirects=0,
    )
    assert forced.status == 403
    assert "Only admins and above can create API keys." in forced.text()
    assert _key_names(server) == before


def test_a_request_without_the_csrf_token_changes_nothing(page: Any, server: LiveServer) -> None:
    _signed_in(page, server)
    page.goto("/dashboard/settings/developers")
    before = _key_names(server)
    forged = page.request.post(
        "/dashboard/settings/developers/keys",
        form={"name": "forged", "scopes": "*"},
        max_redirects=0,
    )
    assert forged.status == 403
    assert "This form has expired" in forged.text()
    assert _key_names(server) == before


def _key_names(server: LiveServer) -> list[str]:
    """The workspace's key names, as the owner's Developers page lists them."""
    with httpx.Client(base_url=server.url) as http:
        http.get("/dashboard/signin")
        form = re.search(r'name="csrf_token" value="([^"]+)"', http.get("/dashboard/signin").text)
        assert form is not None
        http.post(
            "/dashboard/signin",
            data={"csrf_token": form.group(1), "email": OWNER, "password": dashboard.PASSWORD},
        )
        listed = http.get("/dashboard/settings/developers").text
    table = listed.split('id="keys-heading"', 1)[1].split("</table>", 1)[0]
    return sorted(re.findall(r'<td data-label="Name">([^<]*)</td>', table))


def test_the_sign_in_limit(page: Any, server: LiveServer) -> None:
    run_xqr(
        server.env,
        "admin",
        "member",
        "add",
        "--workspace",
        server.workspace_id,
        "--email",
        "limited@example.com",
        "--role",
        "member",
        "--password-stdin",
        input=dashboard.PASSWORD + "\n",
    )
    for _ in range(5):
        page.goto("/dashboard/signin")
        page.get_by_label("Email").fill("limited@example.com")
        page.get_by_label("Password").fill("not-the-password")
        page.get_by_role("button", name="Sign in").click()
        assert page.get_by_role("alert").inner_text() == "Wrong email or password."
    page.goto("/dashboard/signin")
    page.get_by_label("Email").fill("limited@example.com")
    page.get_by_label("Password").fill(dashboard.PASSWORD)
    with page.expect_response("**/dashboard/signin") as answer:
        page.get_by_role("button", name="Sign in").click()
    assert answer.value.status == 429
    assert re.search(r"Too many failed sign-ins\. Try again in \d+ s\.", page.content())


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_every_page_passes_axe_and_loads_nothing_from_another_origin(
    page: Any, server: LiveServer, viewport: str
) -> None:
    page.set_viewport_size(dashboard.DESKTOP if viewport == "desktop" else dashboard.PHONE)
    requested: list[str] = []
    blocked: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on(
        "console",
        lambda message: (
            blocked.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.goto("/dashboard/signin")
    problems = {"/dashboard/signin": dashboard.axe_violations(page)}
    _signed_in(page, server)
    with Receiver() as hook:
        created = httpx.post(
            f"{server.url}/api/v1/webhooks",
            headers={"Authorization": f"Bearer {server.key}"},
            json={"url": hook.url, "events": ["*"]},
        ).json()["data"]
        for path in [*PAGES, f"/dashboard/settings/webhooks/{created['id']}"]:
            page.goto(path)
            problems[path] = dashboard.axe_violations(page)
        page.goto("/dashboard/settings/developers")
        page.get_by_role("button", name="Revoke").first.click()
        problems["revoke dialog"] = dashboard.axe_violations(page)
    assert {path: found for path, found in problems.items() if found} == {}
    assert [url for url in requested if not url.startswith(server.url)] == []
    assert blocked == []


def test_the_key_creation_flow_works_with_the_keyboard_alone(page: Any, server: LiveServer) -> None:
    _signed_in(page, server)
    page.goto("/dashboard/settings/developers")

    def tab_to(matches: Any, limit: int = 80) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate(matches):
                return
        raise AssertionError(f"Tab never reached {matches}")

    tab_to("() => document.activeElement.name === 'name'")
    page.keyboard.type("Keyboard key")
    tab_to("() => document.activeElement.value === 'links:read'")
    page.keyboard.press("Space")
    tab_to("() => document.activeElement.textContent.trim() === 'Create API key'")
    page.keyboard.press("Enter")
    page.wait_for_selector("#new-key")
    tab_to("() => document.activeElement.dataset.copy === 'new-key'")
    assert page.get_by_role("textbox", name="API key").input_value().startswith("xqr_pk_")
    assert "Keyboard key" in _key_names(server)
