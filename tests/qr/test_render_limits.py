"""Rendering stays bounded: PNGs have a pixel cap, few renders run at once, in worker threads,
and redirects are answered while renders are in flight."""

from __future__ import annotations

import asyncio
import io
import random
import string
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.conftest import Account, AccountFactory, assert_error, make_settings
from xqr.app import XqrApp, create_app
from xqr.config import Settings
from xqr.qr.render import MAX_PNG_SIDE
from xqr.qr.rendering import QrRenderer

GENERATE = "/api/v1/qr/generate"
RENDERS_AT_ONCE = 2
# 2,900 random letters and digits: a version 40 symbol (177 modules) at error correction L.
LARGEST_CONTENT = "".join(random.Random(7).choices(string.ascii_letters + string.digits, k=2900))
OVERSIZED = {
    "content": LARGEST_CONTENT,
    "size": 50,
    "format": "png",
    "error_correction": "L",
    "dot_style": "dots",
}


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return make_settings(db_url, tmp_path / "data", qr_concurrent_renders=RENDERS_AT_ONCE)


def assert_size_capped(response: httpx.Response) -> None:
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == "size", error
    assert f"at most {MAX_PNG_SIDE:,} pixels a side" in error["message"], error


async def test_a_png_over_the_pixel_cap_is_refused_naming_size_and_the_cap(
    client: httpx.AsyncClient, account: Account
) -> None:
    response = await client.post(GENERATE, json=OVERSIZED, headers=account.headers)
    assert_size_capped(response)
    assert "9,250 pixels a side" in response.json()["error"]["message"]
    assert "use a size of at most 22" in response.json()["error"]["message"]


async def test_the_largest_size_the_message_offers_renders_within_the_cap(
    client: httpx.AsyncClient, account: Account
) -> None:
    response = await client.post(GENERATE, json={**OVERSIZED, "size": 22}, headers=account.headers)
    assert response.status_code == 200, response.text
    assert Image.open(io.BytesIO(response.content)).size == (185 * 22, 185 * 22)


async def test_svg_has_no_pixel_cap(client: httpx.AsyncClient, account: Account) -> None:
    response = await client.post(
        GENERATE, json={**OVERSIZED, "format": "svg"}, headers=account.headers
    )
    assert response.status_code == 200, response.text
    assert b'width="9250" height="9250"' in response.content[:300]


async def test_template_renders_have_the_same_cap(
    client: httpx.AsyncClient, account: Account
) -> None:
    created = await client.post(
        "/api/v1/qr/templates",
        json={"name": "Dots", "design": {"dot_style": "dots", "error_correction": "L"}},
        headers=account.headers,
    )
    assert created.status_code == 201, created.text
    response = await client.post(
        f"/api/v1/qr/templates/{created.json()['data']['id']}/render",
        json={"content": LARGEST_CONTENT, "size": 50, "format": "png"},
        headers=account.headers,
    )
    assert_size_capped(response)


@pytest.fixture
async def long_short_urls(db_url: str, tmp_path: Path) -> AsyncIterator[tuple[XqrApp, Account]]:
    """Short links under a 600-character base: their codes are version 20 symbols."""
    base = "https://go.example/" + "b" * 600
    application = create_app(make_settings(db_url, tmp_path / "long", short_url_base=base))
    async with application.api.router.lifespan_context(application.api):
        yield application, await AccountFactory(application.ctx)()


async def test_link_qr_codes_have_the_same_cap(long_short_urls: tuple[XqrApp, Account]) -> None:
    application, account = long_short_urls
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        link = await client.post(
            "/api/v1/links", json={"url": "https://example.com/"}, headers=account.headers
        )
        assert link.status_code == 201, link.text
        qr = f"/api/v1/links/{link.json()['data']['id']}/qr"
        refused = await client.get(f"{qr}?format=png&size=50", headers=account.headers)
        assert_size_capped(refused)
        assert (await client.get(f"{qr}?format=png&size=20", headers=account.headers)).is_success
        assert (await client.get(f"{qr}?format=svg&size=50", headers=account.headers)).is_success


class HeldRenders:
    """Wraps the renderer's engine: every render counts itself in, then waits for `release`."""

    def __init__(self, draw: Callable[..., bytes]) -> None:
        self.draw = draw
        self.released = threading.Event()
        self.lock = threading.Lock()
        self.entered = 0
        self.running = 0
        self.most_at_once = 0

    def __call__(self, *args: Any, **kwargs: Any) -> bytes:
        with self.lock:
            self.entered += 1
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        try:
            if not self.released.wait(timeout=60):
                raise RuntimeError("the test never released the render")
            return self.draw(*args, **kwargs)
        finally:
            with self.lock:
                self.running -= 1

    def release(self) -> None:
        self.released.set()


@pytest.fixture
def held(app: XqrApp) -> HeldRenders:
    renderer = QrRenderer.of(app.ctx)
    renders = HeldRenders(renderer.draw)
    renderer.draw = renders
    return renders


async def until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting until {what}")
        await asyncio.sleep(0.005)


async def test_redirects_are_answered_while_a_render_is_in_flight(
    client: httpx.AsyncClient, account: Account, held: HeldRenders
) -> None:
    link = await client.post(
        "/api/v1/links", json={"url": "https://example.com/landing"}, headers=account.headers
    )
    code = link.json()["data"]["short_code"]
    render = asyncio.create_task(
        client.post(GENERATE, json={**OVERSIZED, "size": 4}, headers=account.headers)
    )
    try:
        await until(lambda: held.entered == 1, "the render started")
        redirect = await client.get(f"/{code}")
        assert redirect.status_code == 302
        assert redirect.headers["location"] == "https://example.com/landing"
        assert held.running == 1 and not render.done()  # the render is still held
    finally:
        held.release()
    assert (await render).status_code == 200


async def test_no_more_renders_run_at_once_than_the_setting_allows(
    app: XqrApp, client: httpx.AsyncClient, account: Account, held: HeldRenders
) -> None:
    limiter = QrRenderer.of(app.ctx).limiter
    requests = 5
    renders = [
        asyncio.create_task(
            client.post(
                GENERATE, json={"content": f"code {n}", "format": "png"}, headers=account.headers
            )
        )
        for n in range(requests)
    ]
    try:
        # Every request has either started drawing or is waiting for a turn.
        await until(
            lambda: held.entered + limiter.statistics().tasks_waiting == requests,
            "every request reached its render",
        )
        assert held.running == RENDERS_AT_ONCE
    finally:
        held.release()
    responses = await asyncio.gather(*renders)
    assert [response.status_code for response in responses] == [200] * requests
    assert held.entered == requests
    assert held.most_at_once == RENDERS_AT_ONCE


async def test_renders_waiting_their_turn_hold_no_database_connection(
    app: XqrApp, client: httpx.AsyncClient, account: Account, held: HeldRenders
) -> None:
    link = await client.post(
        "/api/v1/links", json={"url": "https://example.com/"}, headers=account.headers
    )
    qr = f"/api/v1/links/{link.json()['data']['id']}/qr"
    limiter = QrRenderer.of(app.ctx).limiter
    pool = app.ctx.read_engine.pool
    requests = 12
    renders = [
        asyncio.create_task(client.get(f"{qr}?size={size}", headers=account.headers))
        for size in range(1, requests + 1)
    ]
    try:
        await until(
            lambda: held.entered + limiter.statistics().tasks_waiting == requests,
            "every request reached its render",
        )
        # Background parts may borrow a connection for a moment; the requests keep none.
        await until(lambda: pool.checkedout() == 0, "no connection is checked out")
        assert held.running == RENDERS_AT_ONCE
    finally:
        held.release()
    responses = await asyncio.gather(*renders)
    assert [response.status_code for response in responses] == [200] * requests
