"""Write docs/dashboard/*.png: every dashboard page, from a real `xqr serve` with sample data.

Run with ``python scripts/dashboard_screenshots.py`` (`make docs` does). Needs Debian's
Chromium (`scripts/test-deps`) and the `playwright` package (the test extra). Pages are shot
at desktop width (1280 px) and the main ones at phone width (375 px) too.

``python scripts/dashboard_screenshots.py analytics`` shoots only the analytics pages,
``python scripts/dashboard_screenshots.py --only reports`` only the report pages.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from tests.support import dashboard  # noqa: E402
from tests.support.receiver import Receiver  # noqa: E402
from tests.support.server import ServerProcess, xqr_env  # noqa: E402

IMAGES = ROOT / "docs" / "dashboard"
EMAIL = "maria@example.com"


def seed(base: str, key: str, hook_url: str) -> dict[str, str]:
    """Sample links, scans, a QR template, a bio page, an asset and a webhook endpoint."""
    api = httpx.Client(base_url=f"{base}/api/v1", headers={"Authorization": f"Bearer {key}"})
    campaigns = [
        ("https://shop.example.com/spring-sale", ["spring", "posters"], "spring"),
        ("https://shop.example.com/menu", ["restaurant"], "menu"),
        ("https://example.com/app", ["app", "packaging"], "get-the-app"),
        ("https://events.example.org/tickets/2027", ["events"], None),
        ("https://example.com/manual/coffee-grinder-x200.pdf", ["packaging"], None),
    ]
    ids: dict[str, str] = {}
    for url, labels, slug in campaigns:
        body: dict[str, object] = {"url": url, "labels": labels}
        if slug:
            body["custom_slug"] = slug
        if slug == "spring":
            body["routing_rules"] = [
                {
                    "destination": "https://shop.example.com/de/fruehling",
                    "conditions": {"countries": ["DE", "AT", "CH"], "device_types": ["mobile"]},
                },
                {
                    "destination": "https://shop.example.com/spring-sale?variant=b",
                    "conditions": {"percentage": 50},
                },
                {
                    "destination": "https://apps.apple.com/app/id1234567890",
                    "conditions": {"os": ["ios"], "languages": ["de", "pt-BR"]},
                },
            ]
            body["utm"] = {"source": "qr", "medium": "poster", "campaign": "spring-2027"}
            body["preview"] = {
                "title": "Spring sale: everything 30% off",
                "description": "Fresh styles for the new season, in store and online.",
                "image_url": "https://shop.example.com/images/spring.jpg",
            }
            body["expires_at"] = "2099-06-01T00:00:00Z"
            body["expired_url"] = "https://shop.example.com/summer"
        created = api.post("/links", json=body)
        created.raise_for_status()
        ids[slug or url] = created.json()["data"]["id"]
    for n, code in enumerate(["spring", "spring", "menu", "spring", "get-the-app"] * 3):
        httpx.get(
            f"{base}/{code}?qr=1",
            headers={
                "User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) "
                "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
                "X-Forwarded-For": f"203.0.113.{n}",
            },
        )
    api.post(
        "/qr/templates",
        json={
            "name": "Brand blue",
            "description": "Posters and packaging",
            "design": {"foreground": "#1f4fd1", "dot_style": "rounded", "corner_style": "rounded"},
        },
    ).raise_for_status()
    page = api.post(
        "/bio/pages",
        json={
            "title": "Maria's Coffee",
            "slug": "marias-coffee",
            "bio": "Roastery and café",
            "theme": "paper",
            "links": [{"title": "Menu", "url": "https://shop.example.com/menu"}],
        },
    ).json()["data"]
    api.post(f"/bio/pages/{page['id']}/publish").raise_for_status()
    hook = api.post(
        "/webhooks",
        json={
            "url": hook_url,
            "events": ["link.created", "link.scanned"],
            "description": "CRM sync",
        },
    ).json()["data"]
    return {"webhook_id": hook["id"], "spring": ids["spring"]}


def shoot(page: Any, name: str, *, phone: bool = False) -> None:
    page.set_viewport_size(dashboard.DESKTOP)
    page.screenshot(path=str(IMAGES / f"{name}.png"), full_page=True)
    print(f"docs/dashboard/{name}.png")
    if phone:
        page.set_viewport_size(dashboard.PHONE)
        page.screenshot(path=str(IMAGES / f"{name}-phone.png"), full_page=True)
        print(f"docs/dashboard/{name}-phone.png")
        page.set_viewport_size(dashboard.DESKTOP)


def seed_history(server: ServerProcess, key: str) -> None:
    """Two months of realistic scans (countries, devices, hours) over the workspace's links."""
    from tests.support.server import run_xqr

    workspace = httpx.get(
        f"{server.url}/api/v1/workspace", headers={"Authorization": f"Bearer {key}"}
    ).json()["data"]["id"]
    done = run_xqr(
        server.env,
        *("dev", "seed-scans", "--workspace", workspace, "--links", "5"),
        *("--events", "6000", "--days", "60", "--seed", "3"),
    )
    assert done.returncode == 0, done.stderr


def shoot_analytics(page: Any, server: ServerProcess, key: str, ids: dict[str, str]) -> None:
    """The analytics pages: empty, with two months of scans, a link's own, a refused range."""
    base = f"{server.url}/dashboard"
    page.goto(f"{base}/settings/workspace")
    page.get_by_label("Time zone").fill("Europe/Berlin")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/settings/workspace")
    page.goto(f"{base}/analytics?start=2020-01-01&end=2020-01-31")
    shoot(page, "analytics-empty", phone=True)
    seed_history(server, key)
    page.goto(f"{base}/analytics")
    shoot(page, "analytics", phone=True)
    page.goto(f"{base}/analytics?period=7d&granularity=hour&label=posters")
    shoot(page, "analytics-filtered")
    page.goto(f"{base}/analytics/links/{ids['spring']}")
    shoot(page, "analytics-link", phone=True)
    page.goto(f"{base}/analytics?start=2026-03-01&end=2026-02-01")
    shoot(page, "analytics-error")


def seed_reports(base: str, key: str) -> str:
    """Three saved reports, two of them run (waited for); the id of the first."""
    api = httpx.Client(base_url=f"{base}/api/v1", headers={"Authorization": f"Bearer {key}"})
    reports = [
        {
            "name": "Weekly links",
            "kind": "links",
            "period": "7d",
            "timezone": "Europe/Berlin",
            "schedule": {"frequency": "weekly", "weekday": "monday", "hour": 8},
            "recipients": ["marketing@example.com"],
        },
        {
            "name": "Monthly countries",
            "kind": "geography",
            "period": "30d",
            "format": "pdf",
            "schedule": {"frequency": "monthly", "day": 1, "hour": 7},
        },
        {"name": "Spring campaign", "kind": "summary", "labels": ["spring"], "format": "json"},
    ]
    for n in range(4):
        api.post(
            "/links", json={"url": f"https://shop.example.com/poster/{n}", "labels": ["posters"]}
        ).raise_for_status()
    ids = []
    for body in reports:
        created = api.post("/reports", json=body)
        created.raise_for_status()
        ids.append(created.json()["data"]["id"])
    for report_id in ids[:2]:
        run = api.post(f"/reports/{report_id}/runs").json()["data"]
        deadline = time.monotonic() + 60
        while run["status"] in ("queued", "running") and time.monotonic() < deadline:
            time.sleep(0.2)
            run = api.get(f"/reports/runs/{run['id']}").json()["data"]
    return ids[0]


def shoot_reports(page: Any, base: str, key: str) -> None:
    page.goto(f"{base}/dashboard/reports")
    shoot(page, "reports-empty")
    report_id = seed_reports(base, key)
    page.goto(f"{base}/dashboard/reports")
    shoot(page, "reports", phone=True)
    page.goto(f"{base}/dashboard/reports/{report_id}")
    shoot(page, "report", phone=True)
    page.goto(f"{base}/dashboard/reports/{report_id}/view")
    shoot(page, "report-view", phone=True)
    page.goto(f"{base}/dashboard/reports/{report_id}/edit")
    shoot(page, "report-edit", phone=True)
    page.goto(f"{base}/dashboard/reports/new")
    page.get_by_label("Name").fill("Autumn")
    page.get_by_label("Period", exact=True).select_option("custom")
    page.get_by_label("From (fixed dates)").fill("2026-10-31")
    page.get_by_label("To, included (fixed dates)").fill("2026-10-01")
    page.get_by_role("button", name="Save report").click()
    page.locator("#f-end-error").wait_for()
    shoot(page, "report-new-error")


def main() -> int:
    only_analytics = sys.argv[1:] == ["analytics"]
    only_reports = sys.argv[1:] == ["--only", "reports"]

    problem = dashboard.missing()
    if problem:
        print(f"dashboard screenshots skipped: {problem}", file=sys.stderr)
        return 1
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="xqr-dash-shots-") as folder, Receiver() as hook:
        work = Path(folder)
        env = xqr_env(
            f"sqlite+aiosqlite:///{work / 'xqr.db'}",
            work / "data",
            XQR_WEBHOOKS_ALLOW_PRIVATE="1",
            XQR_TRUSTED_PROXIES="127.0.0.1",
        )
        with ServerProcess(env, work) as server, dashboard.chromium() as browser:
            key = dashboard.bootstrap_key(server)
            context = browser.new_context(viewport=dashboard.DESKTOP)
            page = context.new_page()
            if only_reports:
                dashboard.choose_password(page, dashboard.setup_link(server), EMAIL)
                shoot_reports(page, server.url, key)
                return 0
            ids = seed(server.url, key, hook.url)
            if only_analytics:
                dashboard.choose_password(page, dashboard.setup_link(server), EMAIL)
                shoot_analytics(page, server, key, ids)
                return 0
            page.goto(f"{server.url}/dashboard/signin")
            shoot(page, "signin", phone=True)
            page.goto(dashboard.setup_link(server))
            shoot(page, "setup")
            dashboard.choose_password(page, dashboard.setup_link(server), EMAIL)
            for name, path, phone in [
                ("links", "/links", True),
                ("qr", "/qr", False),
                ("settings-workspace", "/settings/workspace", False),
                ("settings-usage", "/settings/usage", True),
            ]:
                page.goto(f"{server.url}/dashboard{path}")
                shoot(page, name, phone=phone)
            page.goto(f"{server.url}/dashboard/links/{ids['spring']}")
            page.get_by_role("button", name="Test", exact=True).click()
            page.locator("#test-result p").wait_for()
            shoot(page, "link-editor", phone=True)
            page.goto(f"{server.url}/dashboard/links/new")
            page.get_by_label("Destination URL").first.fill("https://example.com/new")
            page.get_by_label("Short code").fill("menu")
            page.locator("#slug-status span").wait_for()
            shoot(page, "link-new")
            page.goto(f"{server.url}/dashboard/qr/templates/new")
            page.get_by_label("Name").fill("Poster blue")
            page.get_by_label("Dots colour").fill("#1f4fd1")
            page.get_by_label("Dot style").select_option("rounded")
            page.locator("#f-gradient_type").select_option("linear")
            page.locator("#f-gradient_1").fill("#1f4fd1")
            page.locator("#f-gradient_2").fill("#7c1fd1")
            page.locator("#f-gradient_angle").fill("45")
            page.locator("#f-eye_mode").select_option("own")
            page.locator("#f-eye_outer").fill("#b91c1c")
            page.locator("#f-frame_style").select_option("banner-bottom")
            page.locator("#f-frame_color").fill("#1f4fd1")
            page.locator("#f-frame_text").fill("Scan for the menu")
            page.get_by_text("✓ Scannable").wait_for()
            page.get_by_text("Print at least").wait_for()
            page.wait_for_function(
                "() => { const i = document.getElementById('qr-preview'); return i.complete"
                " && !i.hasAttribute('aria-busy') && i.src.includes('frame_text'); }"
            )
            shoot(page, "qr-designer", phone=True)
            page.locator("#f-gradient_type").select_option("")
            page.get_by_label("Dots colour").fill("#cccccc")
            page.get_by_text("✗ Not scannable").wait_for()
            shoot(page, "qr-designer-refused")
            sample = work / "links.csv"
            sample.write_text(
                "url,custom_slug,labels\n"
                "https://shop.example.com/autumn,autumn,season|posters\n"
                "not a url,,posters\n"
                "https://shop.example.com/winter,,season\n"
            )
            page.goto(f"{server.url}/dashboard/links/import")
            page.locator("#f-file").set_input_files(str(sample))
            page.get_by_role("button", name="Preview").click()
            page.get_by_role("heading", name="Import 3 rows?").wait_for()
            shoot(page, "links-import-preview")
            page.get_by_role("button", name="Import 3 links").click()
            page.get_by_role("heading", name="Import finished").wait_for()
            shoot(page, "links-import-done")
            page.goto(f"{server.url}/dashboard/settings/developers")
            page.get_by_label("Name").fill("Website build")
            page.get_by_role("checkbox", name="links:read").check()
            page.get_by_role("checkbox", name="links:write").check()
            page.get_by_role("button", name="Create API key").click()
            page.wait_for_selector("#new-key")
            shoot(page, "settings-developers", phone=True)
            page.goto(f"{server.url}/dashboard/settings/developers")
            page.get_by_role("button", name="Create API key").click()
            page.wait_for_selector(".alert-error")
            shoot(page, "settings-developers-error")
            page.goto(f"{server.url}/dashboard/settings/members")
            page.get_by_label("Email").fill("sam@example.com")
            page.get_by_label("Role", exact=True).select_option("viewer")
            page.get_by_role("button", name="Add member").click()
            page.wait_for_selector("#setup-link")
            shoot(page, "settings-members", phone=True)
            page.goto(f"{server.url}/dashboard/settings/webhooks")
            shoot(page, "settings-webhooks")
            page.goto(f"{server.url}/dashboard/settings/webhooks/{ids['webhook_id']}")
            page.get_by_role("button", name="Send test event").click()
            try:
                page.get_by_text("succeeded").first.wait_for(timeout=15000)
            except Exception:
                page.screenshot(path="/tmp/fail.png", full_page=True)
                print(server.stderr()[-3000:])
                raise
            page.locator(".delivery summary").first.click()
            shoot(page, "settings-webhook", phone=True)
            page.goto(f"{server.url}/dashboard/settings/developers")
            page.get_by_role("button", name="Revoke").first.click()
            shoot(page, "confirm-dialog")
            shoot_analytics(page, server, key, ids)
            shoot_reports(page, server.url, key)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
