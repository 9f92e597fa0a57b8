"""Write the bio page, assets and first-run guide screenshots of docs/dashboard.md.

Run with ``python scripts/dashboard_bio_screenshots.py`` (`make docs` does). Needs Debian's
Chromium (`scripts/test-deps`) and the `playwright` package (the test extra). Each page is shot
at desktop width (1280 px) and at phone width (375 px).
"""

from __future__ import annotations

import io
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from tests.support import dashboard  # noqa: E402
from tests.support.server import ServerProcess, run_xqr, xqr_env  # noqa: E402

IMAGES = ROOT / "docs" / "dashboard"
EMAIL = "maria@example.com"
NEWCOMER = "sam@example.com"
PHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)


def _image(colour: str, label: str, size: int = 256) -> bytes:
    picture = Image.new("RGB", (size, size), colour)
    draw = ImageDraw.Draw(picture)
    draw.ellipse((size // 4, size // 4, 3 * size // 4, 3 * size // 4), fill="#ffffff")
    draw.text((size // 2 - 12, size // 2 - 6), label, fill=colour)
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    return buffer.getvalue()


def _upload(api: httpx.Client, name: str, data: bytes, kind: str, publish: bool) -> dict[str, Any]:
    presigned = api.post("/assets/presign", json={"filename": name, "content_type": kind})
    presigned.raise_for_status()
    body = presigned.json()["data"]
    httpx.put(body["presigned_url"], content=data, headers=body["headers"]).raise_for_status()
    api.post(f"/assets/{body['asset_id']}/confirm").raise_for_status()
    if publish:
        published = api.post(f"/assets/{body['asset_id']}/publish")
        published.raise_for_status()
        return dict(published.json()["data"])
    return dict(body["asset"])


def seed(base: str, key: str) -> dict[str, str]:
    """A bio page with a picture, links, views and clicks; assets of every status."""
    api = httpx.Client(base_url=f"{base}/api/v1", headers={"Authorization": f"Bearer {key}"})
    avatar = _upload(api, "maria.png", _image("#8a4b00", "M"), "image/png", publish=True)
    logo = _upload(api, "logo.png", _image("#1f4fd1", "xQR"), "image/png", publish=True)
    _upload(api, "spring-poster.png", _image("#146c2e", "SALE"), "image/png", publish=False)
    _upload(
        api,
        "menu.pdf",
        b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
        "application/pdf",
        publish=True,
    )
    api.post("/assets/presign", json={"filename": "banner.webp", "content_type": "image/webp"})
    api.post(
        "/qr/templates", json={"name": "Brand blue", "design": {"logo_url": logo["public_url"]}}
    ).raise_for_status()
    page = api.post(
        "/bio/pages",
        json={
            "title": "Maria's Coffee",
            "slug": "marias-coffee",
            "bio": "Roastery and café in Lisbon.\nOpen every day from 8 to 6.",
            "avatar_url": avatar["public_url"],
            "theme": "paper",
            "links": [
                {"title": "Today's menu", "url": "https://shop.example.com/menu", "icon": "shop"},
                {"title": "Instagram", "url": "https://instagram.com/marias", "icon": "instagram"},
                {"title": "Write to us", "url": "https://example.com/contact", "icon": "email"},
            ],
        },
    ).json()["data"]
    api.post(f"/bio/pages/{page['id']}/publish").raise_for_status()
    api.post("/bio/pages", json={"title": "Spring pop-up", "theme": "sunset"}).raise_for_status()
    for n in range(6):
        headers = {"User-Agent": PHONE_UA, "X-Forwarded-For": f"203.0.113.{n}"}
        httpx.get(f"{base}/bio/marias-coffee", headers=headers)
        link = page["links"][n % 3]["id"]
        if n % 2 == 0:
            httpx.get(f"{base}/bio/marias-coffee/l/{link}", headers=headers)
    return {"page_id": page["id"]}


def shoot(page: Any, name: str, *, full_page: bool = True) -> None:
    for suffix, viewport in (("", dashboard.DESKTOP), ("-phone", dashboard.PHONE)):
        page.set_viewport_size(viewport)
        page.wait_for_timeout(300)  # let the layout settle after the resize
        page.wait_for_function("() => [...document.images].every((i) => i.complete)")
        page.screenshot(path=str(IMAGES / f"{name}{suffix}.png"), full_page=full_page)
        print(f"docs/dashboard/{name}{suffix}.png")
    page.set_viewport_size(dashboard.DESKTOP)


def main() -> int:
    problem = dashboard.missing()
    if problem:
        print(f"dashboard screenshots skipped: {problem}", file=sys.stderr)
        return 1
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="xqr-bio-shots-") as folder:
        work = Path(folder)
        env = xqr_env(
            f"sqlite+aiosqlite:///{work / 'xqr.db'}",
            work / "data",
            XQR_TRUSTED_PROXIES="127.0.0.1",
        )
        with ServerProcess(env, work) as server, dashboard.chromium() as browser:
            key = dashboard.bootstrap_key(server)
            ids = seed(server.url, key)
            # The Pro plan, so the storage meter has a limit to show.
            me = httpx.get(
                f"{server.url}/api/v1/workspace", headers={"Authorization": f"Bearer {key}"}
            )
            run_xqr(server.env, "admin", "workspace", "set-plan", me.json()["data"]["id"], "pro")
            context = browser.new_context(viewport=dashboard.DESKTOP)
            page = context.new_page()
            dashboard.choose_password(page, dashboard.setup_link(server), EMAIL)
            page.goto(f"{server.url}/dashboard/bio")
            shoot(page, "bio")
            page.goto(f"{server.url}/dashboard/bio/{ids['page_id']}")
            page.frame_locator("#bio-preview").locator("img.avatar").wait_for()
            shoot(page, "bio-editor")
            page.get_by_text("Custom colours").click()
            page.get_by_label("Use these colours instead of the theme's").check()
            page.get_by_label("Button colour").fill("#f4d35e")
            page.get_by_label("Button text colour").fill("#ffffff")
            page.get_by_role("button", name="Save page").click()
            page.locator(".alert-error").first.wait_for()
            shoot(page, "bio-editor-contrast")
            page.goto(f"{server.url}/dashboard/assets")
            shoot(page, "assets")
            page.locator(".asset-card").filter(has_text="logo.png").get_by_role(
                "button", name="Delete logo.png"
            ).click()
            page.get_by_role("dialog").get_by_role("button", name="Delete file").click()
            page.locator(".flash-error").wait_for()
            page.set_viewport_size(dashboard.DESKTOP)
            page.screenshot(path=str(IMAGES / "assets-in-use.png"))
            print("docs/dashboard/assets-in-use.png")
            context.close()

            workspace = run_xqr(
                server.env, "admin", "workspace", "create", "--name", "Sam's Bakery", "--json"
            )
            workspace_id = workspace.stdout.split('"id": "')[1].split('"')[0]
            run_xqr(
                server.env,
                *("admin", "member", "add", "--workspace", workspace_id, "--email", NEWCOMER),
                *("--role", "owner", "--password-stdin"),
                input=dashboard.PASSWORD + "\n",
            )
            context = browser.new_context(viewport=dashboard.DESKTOP)
            page = context.new_page()
            dashboard.sign_in(page, server.url, NEWCOMER)
            page.get_by_role("link", name="Create a short link").click()
            page.get_by_label("Destination URL").first.fill("https://bakery.example.com/menu")
            page.get_by_label("Short code").fill("bakery-menu")
            page.get_by_role("button", name="Create link").click()
            page.get_by_text("Link created.").wait_for()
            page.goto(f"{server.url}/dashboard/links")
            with page.expect_download():
                page.locator(".guide").get_by_role("link", name="Download PNG").click()
            page.locator("[data-step=qr].done").wait_for()
            shoot(page, "first-run", full_page=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
