"""`xqr serve`'s app: start-up objects are kept out of the garbage collector's full passes."""

from __future__ import annotations

import gc

import httpx
import pytest

from xqr.app import create_app, create_server_app
from xqr.config import Settings


async def test_the_server_app_freezes_what_start_up_loaded_and_unfreezes_at_shutdown(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("xqr.app.get_settings", lambda: settings)
    app = create_server_app()
    assert app.freeze_after_start and app.exit_after_stop
    # `xqr serve` ends its process seconds after shutdown; this process is pytest's.
    app.exit_after_stop = False
    assert gc.get_freeze_count() == 0
    async with app.api.router.lifespan_context(app.api):
        assert gc.get_freeze_count() > 10_000  # modules, routes, warmed caches
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            assert (await http.get("/healthz")).status_code == 200
    assert gc.get_freeze_count() == 0  # a test process starting many apps keeps nothing frozen


async def test_apps_made_by_create_app_do_not_freeze(settings: Settings) -> None:
    app = create_app(settings)
    async with app.api.router.lifespan_context(app.api):
        assert gc.get_freeze_count() == 0
