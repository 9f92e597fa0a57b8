"""`xqr serve` under concurrent load: every 302 it served is recorded exactly once, also when it
is stopped gracefully while requests are still arriving."""

from __future__ import annotations

import asyncio
import re
import signal
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from tests.links.linkkit import CHROME_UA
from tests.support.server import ServerProcess, xqr_env
from xqr.db.engine import make_engine, make_sessionmaker
from xqr.links.models import Link
from xqr.scans.models import ScanEvent

pytestmark = pytest.mark.e2e

REQUESTS = 2000
CONNECTIONS = 16


async def stored(db_url: str, link_id: str) -> tuple[int, int]:
    """(links.scan_count, number of scan_events) for a link, read from the database."""
    engine = make_engine(db_url)
    try:
        async with make_sessionmaker(engine)() as session:
            target = uuid.UUID(link_id)
            count = await session.scalar(select(Link.scan_count).where(Link.id == target))
            events = await session.scalar(
                select(func.count()).select_from(ScanEvent).where(ScanEvent.target_id == target)
            )
            return int(count or 0), int(events or 0)
    finally:
        await engine.dispose()


async def start(db_url: str, tmp_path: Path) -> tuple[ServerProcess, str]:
    # Idle connections are kept for the whole test: a client starved of CPU on a busy machine
    # can wait out the default 5 s between two requests, and a server closing the connection
    # just as the next request goes out fails that request on the client's side.
    env = xqr_env(db_url, tmp_path / "data", XQR_ACCESS_LOG="false", XQR_KEEP_ALIVE_SECONDS="300")
    server = await asyncio.to_thread(ServerProcess(env, tmp_path).start)
    key = re.findall(r"xqr_pk_[0-9a-f]{8}\.[A-Za-z0-9_-]{64}", server.stdout())[0]
    return server, key


async def fire(
    server: ServerProcess, code: str, *, stop_after: int | None = None
) -> tuple[int, int]:
    """REQUESTS GETs from CONNECTIONS clients at once; (302s received, failed requests).

    With `stop_after`, the server is sent SIGTERM once that many 302s have arrived, while the
    rest are still being sent."""
    received = 0
    failed = 0
    stopping: asyncio.Task[int] | None = None
    remaining = REQUESTS

    async def worker() -> None:
        nonlocal received, failed, stopping, remaining
        # one connection per client: httpx's shared pool, not the server, is slow at 16+
        async with httpx.AsyncClient(
            base_url=server.url,
            limits=httpx.Limits(max_connections=1),
            timeout=30,
            headers={"User-Agent": CHROME_UA},
        ) as client:
            while remaining > 0:
                remaining -= 1
                try:
                    response = await client.get(f"/{code}")
                except httpx.HTTPError:
                    failed += 1
                    continue
                assert response.status_code == 302, response.text
                received += 1
                if stop_after is not None and received == stop_after and stopping is None:
                    stopping = asyncio.create_task(asyncio.to_thread(server.stop))

    await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))
    if stopping is not None:
        assert_graceful(server, await stopping)
    return received, failed


def assert_graceful(server: ServerProcess, returncode: int) -> None:
    # uvicorn re-raises SIGTERM after its graceful shutdown, so -15 is a clean exit too
    assert returncode in (0, -signal.SIGTERM), server.stderr()
    assert "Application shutdown complete" in server.stderr()
    assert "Traceback" not in server.stderr()


async def create(server: ServerProcess, key: str) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=server.url) as client:
        response = await client.post(
            "/api/v1/links",
            json={"url": "https://example.com/load"},
            headers={"Authorization": f"Bearer {key}"},
        )
    assert response.status_code == 201, response.text
    data: dict[str, str] = response.json()["data"]
    return data


async def test_every_redirect_under_load_is_recorded_once_then_flushed_at_shutdown(
    db_url: str, tmp_path: Path
) -> None:
    server, key = await start(db_url, tmp_path)
    try:
        link = await create(server, key)
        received, failed = await fire(server, link["short_code"])
    finally:
        returncode = await asyncio.to_thread(server.stop)
    assert_graceful(server, returncode)
    assert (received, failed) == (REQUESTS, 0)
    assert await stored(db_url, link["id"]) == (REQUESTS, REQUESTS)


async def test_a_sigterm_during_load_loses_no_served_redirect_and_counts_no_other(
    db_url: str, tmp_path: Path
) -> None:
    server, key = await start(db_url, tmp_path)
    try:
        link = await create(server, key)
        received, failed = await fire(server, link["short_code"], stop_after=REQUESTS // 2)
    finally:
        await asyncio.to_thread(server.stop)
    assert received >= REQUESTS // 2
    assert received + failed == REQUESTS
    assert await stored(db_url, link["id"]) == (received, received)
