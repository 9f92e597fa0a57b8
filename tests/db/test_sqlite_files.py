"""SQLite database files are created readable by their owner only, like `secret.key`."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from xqr.config import Settings
from xqr.context import AppContext
from xqr.db.migrate import upgrade


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The common umask (022), under which files are created world-readable by default."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def settings_for(data_dir: Path) -> Settings:
    """The embedded default: `xqr.db` in the data dir."""
    return Settings(data_dir=data_dir, database_url=None, secret_key="k")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_the_database_and_its_wal_and_shm_files_are_created_0600(
    tmp_path: Path, usual_umask: None
) -> None:
    ctx = AppContext.from_settings(settings_for(tmp_path / "data"))  # as `xqr serve` starts
    try:
        await upgrade(ctx.engine)
        async with ctx.engine.connect() as conn:  # the -wal and -shm files exist while open
            await conn.execute(text("SELECT count(*) FROM workspaces"))
            files = {p.name: mode(p) for p in (tmp_path / "data").glob("xqr.db*")}
    finally:
        await ctx.close()
    assert files == {"xqr.db": 0o600, "xqr.db-wal": 0o600, "xqr.db-shm": 0o600}
    assert mode(tmp_path / "data" / "xqr.db") == 0o600  # and after the last connection closed


async def test_an_existing_database_file_keeps_its_mode(tmp_path: Path, usual_umask: None) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "xqr.db").touch(mode=0o640)
    ctx = AppContext.from_settings(settings_for(data))
    try:
        await upgrade(ctx.engine)
    finally:
        await ctx.close()
    assert mode(data / "xqr.db") == 0o640
