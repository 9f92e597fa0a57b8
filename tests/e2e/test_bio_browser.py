"""Bio pages in headless Chromium against a real `xqr serve`: every theme at phone and desktop
size passes axe-core, the avatar loads under the CSP, and clicks land and are counted."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import bio_showcase, browser
from tests.support.server import ServerProcess, xqr_env

pytestmark = pytest.mark.e2e

BLOCKING = {"serious", "critical"}


@pytest.fixture(scope="module", autouse=True)
def _browser_tools() -> None:
    problem = browser.missing_tools()
    if problem:
        pytest.skip(f"headless browser tests skipped: {problem}")


def wait_for_stats(server: ServerProcess, key: str, page_id: str, views: int) -> dict[str, Any]:
    """The page's stats once `views` views are written (the scan writer flushes every 250 ms)."""
    deadline = time.monotonic() + 15
    while True:
        response = httpx.get(
            f"{server.url}/api/v1/bio/pages/{page_id}/stats",
            headers={"Authorization": f"Bearer {key}"},
        )
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()["data"]
        if data["views"] >= views or time.monotonic() > deadline:
            return data
        time.sleep(0.2)


def test_every_theme_in_chromium_is_accessible_and_counts_clicks(
    db_url: str, tmp_path: Path
) -> None:
    env = xqr_env(db_url, tmp_path / "data")
    with ServerProcess(env, tmp_path) as server:
        key = bio_showcase.bootstrap_key(server)
        themes = bio_showcase.themes(server, key)
        assert len(themes) >= 6
        landing = f"{server.url}/healthz"
        pages = bio_showcase.create_pages(server, key, themes, link_url=landing)
        phone_w, phone_h = browser.PHONE
        desk_w, desk_h = browser.DESKTOP
        steps: list[dict[str, Any]] = [
            {
                "name": f"{theme}-phone",
                "url": f"{server.url}/bio/{page['slug']}",
                "width": phone_w,
                "height": phone_h,
                "axe": True,
                "screenshot": str(tmp_path / f"{theme}-phone.png"),
            }
            for theme, page in zip(themes, pages, strict=True)
        ]
        first = f"{server.url}/bio/{pages[0]['slug']}"
        steps += [
            {
                "name": "desktop-click",
                "url": first,
                "width": desk_w,
                "height": desk_h,
                "axe": True,
                "screenshot": str(tmp_path / "desktop.png"),
                "click": "a.link >> nth=0",
            },
            {
                "name": "phone-click",
                "url": first,
                "width": phone_w,
                "height": phone_h,
                "click": "a.link >> nth=1",
            },
            {
                "name": "missing",
                "url": f"{server.url}/bio/nobody",
                "width": phone_w,
                "height": phone_h,
                "axe": True,
            },
        ]
        results = {result["name"]: result for result in browser.drive(steps)}

        titles = [title for title, _ in bio_showcase.SAMPLE_LINKS]
        for name, result in results.items():
            expected_status = 404 if name == "missing" else 200
            assert result["status"] == expected_status, name
            blocking = [v for v in result.get("violations", []) if v["impact"] in BLOCKING]
            assert blocking == [], (name, blocking)
            assert "script-src" not in (result["csp"] or "")
            if name == "missing":
                continue
            assert result["title"] == "Ada Lovelace"
            assert result["links"] == titles, name
            assert result["images"] and all(image["loaded"] for image in result["images"]), name
            width = desk_w if name == "desktop-click" else phone_w
            assert result["scrollWidth"] <= width, f"{name} scrolls sideways"
        for theme in themes:
            shot = tmp_path / f"{theme}-phone.png"
            assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        for name in ("desktop-click", "phone-click"):
            assert results[name]["click"] == {"url": landing, "status": 200}

        found = wait_for_stats(server, key, pages[0]["id"], views=3)
        assert found["views"] == 3  # its phone step, and the two click steps
        assert found["unique_visitors"] == 1
        assert found["clicks"] == 2
        assert [link["clicks"] for link in found["links"]] == [1, 1, 0, 0, 0, 0]
        assert found["links"][0]["ctr"] == 33.33  # percent
        other = wait_for_stats(server, key, pages[1]["id"], views=1)
        assert (other["views"], other["clicks"]) == (1, 0)
