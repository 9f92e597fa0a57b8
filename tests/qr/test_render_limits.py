"""Rendering stays bounded: PNGs have a pixel cap, few renders run at once, in worker processes
that stop with the app, and redirects are answered while renders are in flight."""

from __future__ import annotations

import asyncio
import functools
import io
import multiprocessing
import os
import random
import signal
import string
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from tests.conftest import Account, AccountFactory, assert_error, make_settings
from tests.qr.conftest import decoded
from tests.qr.render_gate import (
    RenderGate,
    held_draw,
    imported_modules,
    open_gate,
    session_and_niceness,
)
from xqr.app import XqrApp, create_app
from xqr.config import Settings
from xqr.qr.render import MAX_PNG_SIDE, Design
from xqr.qr.render.worker import WORKER_NICENESS, RenderJob
from xqr.qr.render_pool import RenderPool
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


@pytest.fixture
def held(app: XqrApp) -> Iterator[RenderGate]:
    """The app's renders, drawn in its worker processes once the test releases them."""
    pool = QrRenderer.of(app.ctx).pool
    gate = RenderGate.new()
    pool.task = held_draw
    pool.worker_setup = functools.partial(open_gate, gate)
    try:
        yield gate
    finally:
        gate.release()  # a failed test must not leave the app's stop waiting on its renders


def alive(pid: int) -> bool:
    """Whether process `pid` exists and has not exited (a zombie has)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


async def until(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting until {what}")
        await asyncio.sleep(0.005)


async def test_redirects_are_answered_while_a_render_is_in_flight(
    client: httpx.AsyncClient, account: Account, held: RenderGate
) -> None:
    link = await client.post(
        "/api/v1/links", json={"url": "https://example.com/landing"}, headers=account.headers
    )
    code = link.json()["data"]["short_code"]
    render = asyncio.create_task(
        client.post(GENERATE, json={**OVERSIZED, "size": 4}, headers=account.headers)
    )
    try:
        await until(lambda: held.entered.value == 1, "the render started")
        redirect = await client.get(f"/{code}")
        assert redirect.status_code == 302
        assert redirect.headers["location"] == "https://example.com/landing"
        assert held.running.value == 1 and not render.done()  # the render is still held
    finally:
        held.release()
    assert (await render).status_code == 200


async def test_no_more_renders_run_at_once_than_the_setting_allows(
    app: XqrApp, client: httpx.AsyncClient, account: Account, held: RenderGate
) -> None:
    limiter = QrRenderer.of(app.ctx).pool.limiter
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
            lambda: held.entered.value + limiter.statistics().tasks_waiting == requests,
            "every request reached its render",
        )
        assert held.running.value == RENDERS_AT_ONCE
    finally:
        held.release()
    responses = await asyncio.gather(*renders)
    assert [response.status_code for response in responses] == [200] * requests
    assert held.entered.value == requests
    assert held.most_at_once.value == RENDERS_AT_ONCE


async def test_renders_waiting_their_turn_hold_no_database_connection(
    app: XqrApp, client: httpx.AsyncClient, account: Account, held: RenderGate
) -> None:
    link = await client.post(
        "/api/v1/links", json={"url": "https://example.com/"}, headers=account.headers
    )
    qr = f"/api/v1/links/{link.json()['data']['id']}/qr"
    limiter = QrRenderer.of(app.ctx).pool.limiter
    pool = app.ctx.read_engine.pool
    requests = 12
    renders = [
        asyncio.create_task(client.get(f"{qr}?size={size}", headers=account.headers))
        for size in range(1, requests + 1)
    ]
    try:
        await until(
            lambda: held.entered.value + limiter.statistics().tasks_waiting == requests,
            "every request reached its render",
        )
        # Background parts may borrow a connection for a moment; the requests keep none.
        await until(lambda: pool.checkedout() == 0, "no connection is checked out")
        assert held.running.value == RENDERS_AT_ONCE
    finally:
        held.release()
    responses = await asyncio.gather(*renders)
    assert [response.status_code for response in responses] == [200] * requests


async def test_renders_are_drawn_in_worker_processes(
    client: httpx.AsyncClient, account: Account, held: RenderGate
) -> None:
    held.release()
    response = await client.post(
        GENERATE, json={"content": "drawn elsewhere", "format": "png"}, headers=account.headers
    )
    assert response.status_code == 200, response.text
    assert decoded(response) == "drawn elsewhere"
    [pid] = held.drawn_by()
    assert pid != os.getpid()
    assert pid in {child.pid for child in multiprocessing.active_children()}


async def test_the_workers_stop_with_the_app(settings: Settings) -> None:
    before = {child.pid for child in multiprocessing.active_children()}
    application = create_app(settings)
    async with application.api.router.lifespan_context(application.api):
        account = await AccountFactory(application.ctx)()
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            responses = await asyncio.gather(
                *(
                    client.post(GENERATE, json={"content": f"code {n}"}, headers=account.headers)
                    for n in range(RENDERS_AT_ONCE)
                )
            )
        assert [response.status_code for response in responses] == [200] * RENDERS_AT_ONCE
        workers = {child.pid for child in multiprocessing.active_children()} - before
        assert workers
    assert not workers & {child.pid for child in multiprocessing.active_children()}
    assert [pid for pid in workers if alive(pid)] == []


async def test_a_cancelled_request_keeps_its_turn_until_its_drawing_ends(
    app: XqrApp, client: httpx.AsyncClient, account: Account, held: RenderGate
) -> None:
    limiter = QrRenderer.of(app.ctx).pool.limiter
    request = asyncio.create_task(
        client.post(GENERATE, json={"content": "given up"}, headers=account.headers)
    )
    await until(lambda: held.entered.value == 1, "the render started")
    request.cancel()
    with pytest.raises(asyncio.CancelledError):
        await request
    # The worker is still drawing it: the turn stays taken, so no other job queues behind it.
    assert limiter.statistics().borrowed_tokens == 1
    held.release()
    await until(lambda: limiter.statistics().borrowed_tokens == 0, "the turn was given back")
    response = await client.post(GENERATE, json={"content": "next"}, headers=account.headers)
    assert response.status_code == 200, response.text


async def test_a_worker_that_dies_fails_its_render_and_is_replaced(
    client: httpx.AsyncClient, account: Account, held: RenderGate
) -> None:
    render = asyncio.create_task(
        client.post(GENERATE, json={"content": "doomed"}, headers=account.headers)
    )
    await until(lambda: held.entered.value == 1, "the render started")
    os.kill(held.drawn_by()[0], signal.SIGKILL)
    assert_error(await render, 500, "INTERNAL_ERROR")
    held.release()
    response = await client.post(
        GENERATE, json={"content": "after the crash", "format": "png"}, headers=account.headers
    )
    assert decoded(response) == "after the crash"
    assert held.drawn_by()[-1] != held.drawn_by()[0]


async def test_a_worker_imports_the_engine_and_not_the_app() -> None:
    pool = RenderPool(1, task=imported_modules)
    try:
        listing = await pool.render(RenderJob("anything", Design(), 10, "svg"))
    finally:
        await pool.stop()
    modules = set(listing.decode().split())
    assert "xqr.qr.render.engine" in modules
    # Not the app, nor what the main module of the process that started the worker imports
    # (pytest's here, the `xqr` command's in a server: the whole app again).
    assert not modules & {"xqr.app", "xqr.cli", "fastapi", "sqlalchemy", "anyio", "_pytest"}


async def test_a_worker_is_a_session_of_its_own_at_a_lower_priority() -> None:
    """Where the kernel shares the CPU between sessions, drawing is not charged to the server's
    (whose event loop answers redirects); where they share a core, the server runs first."""
    pool = RenderPool(1, task=session_and_niceness)
    try:
        answer = await pool.render(RenderJob("anything", Design(), 10, "svg"))
    finally:
        await pool.stop()
    session, niceness = (int(value) for value in answer.split())
    assert session != os.getsid(0)
    assert niceness == min(19, os.getpriority(os.PRIO_PROCESS, 0) + WORKER_NICENESS)


WORKERS_THEN_SIGKILL = """
import asyncio, multiprocessing, os, signal
from xqr.qr.render import Design
from xqr.qr.render.worker import WORKER_NICENESS, RenderJob
from xqr.qr.render_pool import RenderPool

async def main():
    pool = RenderPool(2)
    jobs = [RenderJob(f"code {n}", Design(), 10, "png") for n in range(2)]
    await asyncio.gather(*(pool.render(job) for job in jobs))
    print(*(child.pid for child in multiprocessing.active_children()), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)

asyncio.run(main())
"""


def test_the_workers_exit_when_their_server_is_killed(tmp_path: Path) -> None:
    output = tmp_path / "server.out"
    with output.open("w") as out:  # a file: workers left behind would hold a pipe open
        server = subprocess.Popen([sys.executable, "-c", WORKERS_THEN_SIGKILL], stdout=out)
        assert server.wait(timeout=120) == -signal.SIGKILL
    workers = [int(pid) for pid in output.read_text().split()]
    assert workers
    try:
        deadline = time.monotonic() + 30
        while any(alive(pid) for pid in workers):
            assert time.monotonic() < deadline, "the workers outlived their server"
            time.sleep(0.05)
    finally:
        for pid in workers:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
