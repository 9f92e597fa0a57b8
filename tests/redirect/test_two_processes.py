"""Two `xqr serve` processes on one database: a change made through one reaches the other."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.links.linkkit import CHROME_UA
from tests.support.server import ServerProcess, xqr_env

pytestmark = pytest.mark.e2e
# Seconds. B polls every 500 ms, so it follows within about half a second (and the first poll
# after a commit applies it: tests/redirect/test_cache_invalidation.py); the bound leaves room
# for a busy CI machine without letting a missed change through.
FOLLOW_WITHIN = 2.5


@pytest.fixture
def two(db_url: str, tmp_path: Path) -> Iterator[tuple[ServerProcess, ServerProcess, str]]:
    env = xqr_env(db_url, tmp_path / "data", XQR_ACCESS_LOG="false")
    first = ServerProcess(env, tmp_path / "a").start()
    try:
        key = re.findall(r"xqr_pk_[0-9a-f]{8}\.[A-Za-z0-9_-]{64}", first.stdout())[0]
        second = ServerProcess(env, tmp_path / "b").start()
        try:
            yield first, second, key
        finally:
            second.stop()
    finally:
        first.stop()


def answer(server: ServerProcess, code: str) -> str | int:
    response = httpx.get(f"{server.url}/{code}", headers={"User-Agent": CHROME_UA})
    return (
        str(response.headers["location"]) if response.status_code == 302 else response.status_code
    )


def follows(server: ServerProcess, code: str, expected: str | int) -> float:
    """Seconds until `server` answers `expected` for `code`."""
    started = time.monotonic()
    while time.monotonic() - started < 5:
        if answer(server, code) == expected:
            return time.monotonic() - started
        time.sleep(0.02)
    raise AssertionError(f"{server.url}/{code} still answers {answer(server, code)!r}")


def test_changes_through_one_process_reach_the_other_on_its_next_poll(
    two: tuple[ServerProcess, ServerProcess, str],
) -> None:
    a, b, key = two
    api = httpx.Client(base_url=f"{a.url}/api/v1", headers={"Authorization": f"Bearer {key}"})

    def patch(link_id: str, **body: Any) -> None:
        response = api.patch(f"/links/{link_id}", json=body)
        assert response.status_code == 200, response.text

    # a code B has answered 404 for (and cached as unknown) starts working there
    assert answer(b, "xproc") == 404
    assert answer(b, "xproc") == 404
    created = api.post("/links", json={"url": "https://example.com/one", "custom_slug": "xproc"})
    assert created.status_code == 201, created.text
    link_id = created.json()["data"]["id"]
    assert follows(b, "xproc", "https://example.com/one") < FOLLOW_WITHIN
    assert answer(b, "xproc") == "https://example.com/one"  # now from B's cache

    patch(link_id, url="https://example.com/two")
    assert answer(a, "xproc") == "https://example.com/two"  # A at once
    assert follows(b, "xproc", "https://example.com/two") < FOLLOW_WITHIN

    patch(link_id, enabled=False)
    assert follows(b, "xproc", 404) < FOLLOW_WITHIN

    patch(link_id, enabled=True, custom_slug="xproc-renamed")
    assert follows(b, "xproc-renamed", "https://example.com/two") < FOLLOW_WITHIN
    assert answer(b, "xproc") == 404

    patch(
        link_id,
        expires_at="2999-01-01T00:00:00Z",
        routing_rules=[{"destination": "https://example.com/rule"}],
    )
    assert follows(b, "xproc-renamed", "https://example.com/rule") < FOLLOW_WITHIN

    assert api.delete(f"/links/{link_id}").status_code == 204
    assert follows(b, "xproc-renamed", 404) < FOLLOW_WITHIN
