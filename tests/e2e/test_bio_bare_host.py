"""A bare bio host (`XQR_BIO_URL_BASE=https://xqr.bio`) served by a real `xqr serve`."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.support import bio_showcase
from tests.support.server import ServerProcess, xqr_env

pytestmark = pytest.mark.e2e

BIO_HOST = {"Host": "xqr.bio"}


def publish_page(server: ServerProcess, slug: str) -> None:
    headers = {"Authorization": f"Bearer {bio_showcase.bootstrap_key(server)}"}
    created = httpx.post(
        f"{server.url}/api/v1/bio/pages", json={"title": "Ada", "slug": slug}, headers=headers
    )
    assert created.status_code == 201, created.text
    page_id = created.json()["data"]["id"]
    published = httpx.post(f"{server.url}/api/v1/bio/pages/{page_id}/publish", headers=headers)
    assert published.status_code == 200


def test_the_bio_host_serves_pages_at_the_root(db_url: str, tmp_path: Path) -> None:
    env = xqr_env(db_url, tmp_path / "data", XQR_BIO_URL_BASE="https://xqr.bio")
    with ServerProcess(env, tmp_path) as server:
        publish_page(server, "ada")
        page = httpx.get(f"{server.url}/ada", headers=BIO_HOST)
        assert page.status_code == 200 and "<h1>Ada</h1>" in page.text
        assert httpx.get(f"{server.url}/bio/ada").status_code == 200
        assert httpx.get(f"{server.url}/nobody", headers=BIO_HOST).status_code == 404


def test_a_short_code_cached_on_the_main_host_does_not_shadow_the_bio_host(
    db_url: str, tmp_path: Path
) -> None:
    env = xqr_env(db_url, tmp_path / "data", XQR_BIO_URL_BASE="https://xqr.bio")
    with ServerProcess(env, tmp_path) as server:
        publish_page(server, "ada")
        assert httpx.get(f"{server.url}/ada").status_code == 404  # no short link `ada`
        assert httpx.get(f"{server.url}/ada", headers=BIO_HOST).status_code == 200
