"""Driving the dashboard in the system's Chromium with Playwright (Python), and axe-core.

Used by the dashboard browser tests and by `scripts/dashboard_screenshots.py`. Playwright's own
browser download cannot run here: `executable_path` points at Debian's Chromium.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.support.server import ServerProcess

AXE = Path(__file__).with_name("axe.min.js")
SETUP_LINK = re.compile(r"https?://\S+/dashboard/setup\?token=[A-Za-z0-9_-]+")
KEY_PATTERN = re.compile(r"xqr_pk_[0-9a-f]{8}\.[A-Za-z0-9_-]{64}")
PASSWORD = "plum-orchard-lantern-42"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if chromium_path() is None:
        return "Chromium is not installed (scripts/test-deps installs it with apt-get as root)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    return None


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium browser (Debian's), closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def setup_link(server: ServerProcess) -> str:
    found = SETUP_LINK.findall(server.stdout())
    assert found, f"no set-up link printed:\n{server.stdout()}"
    return str(found[-1])


def bootstrap_key(server: ServerProcess) -> str:
    found = KEY_PATTERN.findall(server.stdout())
    assert found, "no API key printed"
    return str(found[0])


def choose_password(page: Any, link: str, email: str, password: str = PASSWORD) -> None:
    """Follow a set-up link and choose a password, as a person does."""
    page.goto(link)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Repeat the password").fill(password)
    page.get_by_role("button", name="Save password and sign in").click()
    page.wait_for_url("**/dashboard/links")


def sign_in(page: Any, base_url: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/dashboard/signin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard/links")


def axe_violations(page: Any, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:
    """axe-core's violations of the given impacts on the page as it is now, one line each."""
    # Evaluated through the DevTools protocol: the page's CSP (no inline script) stays on.
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text() + "\n;true")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["target"][0] for node in v["nodes"][:3])
        for v in result["violations"]
        if v["impact"] in impacts
    ]
