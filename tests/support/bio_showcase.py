"""Sample bio pages on a running `xqr serve`: one per theme, with an uploaded avatar.

Shared by the end-to-end bio tests and `scripts/bio_screenshots.py`.
"""

from __future__ import annotations

import io
import re
from typing import Any

import httpx
from PIL import Image, ImageDraw

from tests.support.server import ServerProcess

KEY_PATTERN = re.compile(r"xqr_pk_[0-9a-f]{8}\.[A-Za-z0-9_-]{64}")

SAMPLE_BIO = "Mathematician and writer.\nNotes on the Analytical Engine, talks and workshops."
SAMPLE_LINKS = [
    ("My website", "website"),
    ("Latest talk on YouTube", "youtube"),
    ("Instagram", "instagram"),
    ("Code on GitHub", "github"),
    ("Listen on Spotify", "spotify"),
    ("Write to me", "email"),
]


def bootstrap_key(server: ServerProcess) -> str:
    """The key `xqr serve` printed on its first start."""
    found = KEY_PATTERN.findall(server.stdout())
    assert found, server.stdout()
    return found[0]


def sample_avatar_png() -> bytes:
    """A small abstract avatar: overlapping circles on a warm square."""
    image = Image.new("RGB", (192, 192), (253, 230, 196))
    draw = ImageDraw.Draw(image)
    draw.ellipse((24, 40, 132, 148), fill=(37, 99, 235))
    draw.ellipse((72, 52, 172, 152), fill=(234, 88, 12))
    draw.ellipse((60, 84, 112, 136), fill=(250, 250, 250))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def upload_avatar(http: httpx.Client, api: str) -> str:
    """Presign, upload, confirm and publish a PNG; its public URL."""
    presigned = http.post(
        f"{api}/assets/presign", json={"filename": "avatar.png", "content_type": "image/png"}
    )
    presigned.raise_for_status()
    data = presigned.json()["data"]
    put = httpx.put(data["presigned_url"], content=sample_avatar_png(), headers=data["headers"])
    put.raise_for_status()
    http.post(f"{api}/assets/{data['asset_id']}/confirm").raise_for_status()
    published = http.post(f"{api}/assets/{data['asset_id']}/publish")
    published.raise_for_status()
    url: str = published.json()["data"]["public_url"]
    return url


def create_pages(
    server: ServerProcess, key: str, themes: list[str], *, link_url: str | None = None
) -> list[dict[str, Any]]:
    """One published page per theme (slug `{theme}-demo`), all sharing one uploaded avatar.

    `link_url` replaces every link's URL (tests point them back at the server itself).
    """
    api = f"{server.url}/api/v1"
    pages: list[dict[str, Any]] = []
    with httpx.Client(headers={"Authorization": f"Bearer {key}"}, timeout=30) as http:
        avatar = upload_avatar(http, api)
        for theme in themes:
            body = {
                "title": "Ada Lovelace",
                "slug": f"{theme}-demo",
                "bio": SAMPLE_BIO,
                "avatar_url": avatar,
                "theme": theme,
                "links": [
                    {
                        "title": title,
                        "url": link_url or f"https://example.com/{icon}",
                        "icon": icon,
                    }
                    for title, icon in SAMPLE_LINKS
                ],
            }
            created = http.post(f"{api}/bio/pages", json=body)
            created.raise_for_status()
            page_id = created.json()["data"]["id"]
            published = http.post(f"{api}/bio/pages/{page_id}/publish")
            published.raise_for_status()
            pages.append(published.json()["data"])
    return pages


def themes(server: ServerProcess, key: str) -> list[str]:
    response = httpx.get(
        f"{server.url}/api/v1/bio/themes", headers={"Authorization": f"Bearer {key}"}
    )
    response.raise_for_status()
    return [theme["name"] for theme in response.json()["data"]]
