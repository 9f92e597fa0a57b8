"""Shared fixtures: a migrated database per test (SQLite or PostgreSQL), the app, keys."""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher, profiles
from sqlalchemy import text

from tests.support import postgres
from xqr.accounts import passwords
from xqr.app import XqrApp, create_app
from xqr.config import Settings
from xqr.context import AppContext
from xqr.core.clock import clock
from xqr.db.engine import make_engine
from xqr.db.migrate import upgrade
from xqr.links import protection

BACKEND = os.environ.get("XQR_TEST_DB", "sqlite")
# The server secret of the tests' apps; processes that share their database need it too.
TEST_SECRET_KEY = "test-secret-not-for-production"
_counter = itertools.count()


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing() -> Iterator[None]:
    """Passwords hashed in this process use argon2id with its cheapest parameters: the
    production profile (64 MiB, 3 passes) costs ~0.2 s of CPU per hash or check, and most
    tests sign someone in. The servers the end-to-end tests start keep the production profile.
    """
    cheap = PasswordHasher.from_parameters(profiles.CHEAPEST)
    saved = passwords._hasher, protection._hasher
    passwords._hasher = protection._hasher = cheap
    yield
    passwords._hasher, protection._hasher = saved


def pytest_report_header() -> str:
    return f"xqr database backend: {BACKEND}"


async def _migrate(url: str) -> None:
    engine = make_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


async def _admin(url: str, *statements: str) -> None:
    engine = make_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()


@dataclass
class DatabaseTemplate:
    backend: str
    template: str  # a file path (SQLite) or a database name (PostgreSQL)
    server_url: str | None = None

    def url_for(self, name: str) -> str:
        assert self.server_url is not None
        return self.server_url.rsplit("/", 1)[0] + f"/{name}"


# Parallel runs (pytest-xdist): every worker is a process of its own with its own session
# fixtures. On PostgreSQL they share one server, so each names its template database after
# itself ("gw0", "gw1", …; "main" without xdist); test databases carry the process id.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
_cluster: postgres.TemporaryPostgres | None = None
# pytest-timeout: a hang fails with a traceback. The default (pyproject.toml) is for tests in
# process; tests marked e2e or slow start servers, workers or a browser, so get longer.
SLOW_TIMEOUT = 900


def pytest_configure(config: pytest.Config) -> None:
    """On PostgreSQL, start one throwaway cluster for the run, in the controlling process.

    Workers inherit its address through `XQR_TEST_POSTGRES_URL`, the variable that also points
    a run at an existing server."""
    global _cluster
    if BACKEND != "postgres" or hasattr(config, "workerinput"):
        return
    if os.environ.get("XQR_TEST_POSTGRES_URL"):
        return
    if not postgres.available():
        pytest.exit("XQR_TEST_DB=postgres but initdb/pg_ctl are not installed", 2)
    _cluster = postgres.TemporaryPostgres()
    os.environ["XQR_TEST_POSTGRES_URL"] = _cluster.start()


def pytest_unconfigure(config: pytest.Config) -> None:
    global _cluster
    if _cluster is not None:
        os.environ.pop("XQR_TEST_POSTGRES_URL", None)
        _cluster.stop()
        _cluster = None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked e2e or slow get `SLOW_TIMEOUT` unless they set their own.

    On PostgreSQL, only the tests that use a database run: every database fixture starts from
    `database_template`, and a test without one (rendering, parsing, packaging, the CLI's own
    start-up) does the same thing on either backend, so the SQLite run covers it. Tests that
    make a database of their own on the backend under test are marked `database`; tests that
    check nothing that depends on the database (a packaged SDK, the MCP Inspector, the
    analytics and report pages in Chromium, whose numbers other tests check on both) are
    marked `backend_independent`."""
    for item in items:
        slow = item.get_closest_marker("e2e") or item.get_closest_marker("slow")
        if slow and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(SLOW_TIMEOUT))
    if BACKEND == "postgres":
        without = [
            item
            for item in items
            if item.get_closest_marker("backend_independent") is not None
            or (
                "database_template" not in getattr(item, "fixturenames", ())
                and item.get_closest_marker("database") is None
            )
        ]
        if without:
            config.hook.pytest_deselected(items=without)
            dropped = set(without)
            items[:] = [item for item in items if item not in dropped]


@pytest.fixture(scope="session")
def database_template() -> Iterator[DatabaseTemplate]:
    if BACKEND == "postgres":
        server_url = os.environ.get("XQR_TEST_POSTGRES_URL")
        assert server_url, "pytest_configure starts a cluster or XQR_TEST_POSTGRES_URL names one"
        name = f"xqr_template_{WORKER}"
        template = DatabaseTemplate("postgres", name, server_url)
        asyncio.run(
            _admin(
                server_url,
                f"DROP DATABASE IF EXISTS {name} WITH (FORCE)",
                f"CREATE DATABASE {name}",
            )
        )
        asyncio.run(_migrate(template.url_for(name)))
        try:
            yield template
        finally:
            asyncio.run(_admin(server_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    else:
        folder = Path(tempfile.mkdtemp(prefix="xqr-sqlite-"))
        path = folder / "template.db"
        asyncio.run(_migrate(f"sqlite+aiosqlite:///{path}"))
        yield DatabaseTemplate("sqlite", str(path))
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
async def db_url(database_template: DatabaseTemplate, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, migrated database for one test."""
    if database_template.backend == "sqlite":
        target = tmp_path / "xqr.db"
        shutil.copyfile(database_template.template, target)
        yield f"sqlite+aiosqlite:///{target}"
        return
    name = f"xqr_test_{os.getpid()}_{next(_counter)}"
    assert database_template.server_url is not None
    await _admin(
        database_template.server_url,
        f"CREATE DATABASE {name} TEMPLATE {database_template.template}",
    )
    yield database_template.url_for(name)
    await _admin(database_template.server_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(autouse=True)
def _reset_clock() -> Iterator[None]:
    clock.reset()
    yield
    clock.reset()


def make_settings(db_url: str, data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "database_url": db_url,
        "public_url": "http://testserver",
        "secret_key": TEST_SECRET_KEY,
        "webhooks_allow_private": True,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return make_settings(db_url, tmp_path / "data")


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[XqrApp]:
    application = create_app(settings)
    async with application.api.router.lifespan_context(application.api):
        yield application


@pytest.fixture
def ctx(app: XqrApp) -> AppContext:
    return app.ctx


@pytest.fixture
async def client(app: XqrApp) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@dataclass
class Account:
    workspace_id: str
    key: str
    key_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


class AccountFactory:
    """Creates workspaces and keys through the services, as the admin CLI does."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    async def __call__(
        self,
        *,
        plan: str = "enterprise",
        scopes: str = "*",
        name: str = "Acme",
        owner: str | None = "owner@acme.test",
        workspace_id: str | None = None,
        expires_at: Any = None,
    ) -> Account:
        from uuid import UUID

        from xqr.auth import service as keys
        from xqr.workspaces import service

        async with self.ctx.sessionmaker() as session:
            if workspace_id is None:
                workspace = await service.create_workspace(
                    session, name=name, plan=plan, owner_email=owner
                )
            else:
                workspace = await service.get_workspace(session, UUID(workspace_id))
            created = await keys.create_key(
                session,
                service.tenant_for(workspace, self.ctx.plans),
                scopes=scopes,
                expires_at=expires_at,
            )
            await session.commit()
            return Account(str(workspace.id), created.plaintext, str(created.key.id))


@pytest.fixture
def make_account(ctx: AppContext) -> AccountFactory:
    return AccountFactory(ctx)


@pytest.fixture
async def account(make_account: AccountFactory) -> Account:
    return await make_account()


async def set_plan(ctx: AppContext, workspace_id: str, plan: str) -> None:
    from uuid import UUID

    from xqr.workspaces import service

    async with ctx.sessionmaker() as session:
        workspace = await service.get_workspace(session, UUID(workspace_id))
        await service.set_plan(session, workspace, plan)
        await session.commit()


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The exact error envelope; returns the error object."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "meta"}, body
    error = body["error"]
    assert error["code"] == code, body
    assert error["status"] == status
    assert isinstance(error["message"], str) and error["message"]
    assert body["meta"]["request_id"] == response.headers["x-request-id"]
    return dict(error)
