"""A real `xqr serve` shared by a test module, for the SDK and MCP tests.

    @pytest.fixture(scope="module")
    def live(database_template, tmp_path_factory):
        with live_server(database_template, tmp_path_factory.mktemp("live")) as server:
            yield server

`server.key` is the full-scope key the first start prints; `server.make_key("links:read")`
creates another through `xqr admin`. The database is a fresh copy of the migrated template
(SQLite file or PostgreSQL database), like the `db_url` fixture's, but for the whole module.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import os
import re
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from tests.support.server import ServerProcess, run_xqr, xqr_env
from xqr.db.engine import make_engine

KEY_PATTERN = re.compile(r"xqr_pk_[0-9a-f]{8}\.[A-Za-z0-9_-]{64}")
_names = itertools.count()


async def _admin(url: str, statement: str) -> None:
    engine = make_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


def _run(coroutine: Any) -> Any:
    """asyncio.run, also where an event loop already runs in this thread (Playwright's sync
    API keeps one): then in a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@contextmanager
def module_database(template: Any, folder: Path) -> Iterator[str]:
    """A fresh migrated database from the session's template (see tests/conftest.py)."""
    if template.backend == "sqlite":
        target = folder / "xqr.db"
        shutil.copyfile(template.template, target)
        yield f"sqlite+aiosqlite:///{target}"
        return
    name = f"xqr_live_{os.getpid()}_{next(_names)}"
    _run(_admin(template.server_url, f"CREATE DATABASE {name} TEMPLATE {template.template}"))
    try:
        yield template.url_for(name)
    finally:
        _run(_admin(template.server_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@dataclass
class LiveServer:
    process: ServerProcess
    key: str
    workspace_id: str
    env: dict[str, str] = field(repr=False)
    _key_ids: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def url(self) -> str:
        return self.process.url

    def client_env(self, key: str | None = None) -> dict[str, str]:
        """Environment for a process talking to this server (`xqr mcp`, `xqr assets upload`)."""
        return {**self.env, "XQR_API_KEY": key or self.key, "XQR_BASE_URL": self.url}

    def api(self) -> httpx.Client:
        """An API client with this server's key; a long timeout, for a loaded test machine."""
        return httpx.Client(
            base_url=f"{self.url}/api/v1",
            headers={"Authorization": f"Bearer {self.key}"},
            timeout=120,
        )

    def make_key(self, scopes: str, workspace_id: str | None = None) -> str:
        """A new key (through `xqr admin key create`)."""
        result = run_xqr(
            self.env,
            "admin",
            "key",
            "create",
            "--workspace",
            workspace_id or self.workspace_id,
            "--scopes",
            scopes,
            "--json",
        )
        assert result.returncode == 0, result.stderr
        return str(json.loads(result.stdout)["key"])

    def revoke_key(self, key: str) -> None:
        prefix = key.removeprefix("xqr_pk_").split(".")[0]
        listed = run_xqr(
            self.env, "admin", "key", "list", "--workspace", self.workspace_id, "--json"
        )
        [key_id] = [row["id"] for row in json.loads(listed.stdout) if row["prefix"] == prefix]
        result = run_xqr(self.env, "admin", "key", "revoke", key_id)
        assert result.returncode == 0, result.stderr

    def make_workspace(self, plan: str, name: str = "Other") -> str:
        result = run_xqr(
            self.env, "admin", "workspace", "create", "--name", name, "--plan", plan, "--json"
        )
        assert result.returncode == 0, result.stderr
        return str(json.loads(result.stdout)["id"])


@contextmanager
def live_server(template: Any, folder: Path, **extra_env: str) -> Iterator[LiveServer]:
    """`xqr serve` on a fresh database; webhooks may target 127.0.0.1 (test receivers)."""
    with module_database(template, folder) as db_url:
        env = xqr_env(db_url, folder / "data", XQR_WEBHOOKS_ALLOW_PRIVATE="1", **extra_env)
        with ServerProcess(env, folder) as process:
            match = KEY_PATTERN.search(process.stdout())
            assert match, process.stdout()
            key = match.group(0)
            workspace = httpx.get(
                f"{process.url}/api/v1/workspace", headers={"Authorization": f"Bearer {key}"}
            ).json()["data"]
            yield LiveServer(process, key, workspace["id"], process.env)


def png_file(folder: Path, name: str = "logo.png", colour: str = "red") -> Path:
    """A small real PNG."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buffer, "PNG")
    path = folder / name
    path.write_bytes(buffer.getvalue())
    return path
