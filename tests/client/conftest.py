"""One real `xqr serve` for the SDK tests (they create what they need, with unique names),
and SDK clients of it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.support.live import LiveServer, live_server
from xqr.client import XQR, AsyncXQR


@pytest.fixture(scope="session")
def live(
    database_template: object, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    with live_server(database_template, tmp_path_factory.mktemp("live")) as server:
        yield server


@pytest.fixture
def xqr(live: LiveServer) -> Iterator[XQR]:
    with XQR(api_key=live.key, base_url=live.url) as client:
        yield client


@pytest.fixture
async def axqr(live: LiveServer) -> AsyncIterator[AsyncXQR]:
    async with AsyncXQR(api_key=live.key, base_url=live.url) as client:
        yield client
