"""Engine and session factory; SQLite runs in WAL mode with a busy timeout.

Engines never show bound parameters (`hide_parameters`): a failed statement's error, which is
logged, would otherwise carry the values it was writing, secrets included.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, SessionTransaction

SQLITE_BUSY_TIMEOUT_MS = 30_000
T = TypeVar("T")
logger = logging.getLogger("xqr.db")


def _unicode_lower(value: str | None) -> str | None:
    return value.lower() if isinstance(value, str) else value


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event (below) issue BEGIN instead of the driver.
    dbapi_connection.isolation_level = None
    # SQLite's own lower() folds only A–Z; searches must fold "Ä" like PostgreSQL does.
    dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin_immediate(conn: Any) -> None:
    # BEGIN IMMEDIATE takes the write lock up front, so two writers queue on the busy
    # timeout instead of failing with "database is locked" when a reader upgrades.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_begin_deferred(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN")


def _configure_sqlite(engine: Engine, *, read_only: bool) -> None:
    """WAL, busy timeout and the rest on each connection; BEGIN IMMEDIATE for writers."""
    event.listen(engine, "connect", _sqlite_on_connect)
    begin = _sqlite_begin_deferred if read_only else _sqlite_begin_immediate
    event.listen(engine, "begin", begin)


def create_private_sqlite_file(url: str) -> None:
    """Create a SQLite database file readable by its owner only (0600), as `secret.key` is,
    unless it exists. SQLite gives its `-wal` and `-shm` files the database file's mode."""
    parsed = make_url(url)
    path = parsed.database
    if not path or path == ":memory:" or path.startswith("file:") or parsed.query.get("uri"):
        return
    if not os.path.isdir(os.path.dirname(os.path.abspath(path))):
        return  # SQLite reports the missing folder itself
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def make_engine(url: str, *, read_only: bool = False, **kwargs: Any) -> AsyncEngine:
    """An engine; on SQLite `read_only` engines start plain transactions (no write lock)."""
    kwargs["hide_parameters"] = True
    if url.startswith("sqlite"):
        create_private_sqlite_file(url)
        engine = create_async_engine(
            url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs
        )
        _configure_sqlite(engine.sync_engine, read_only=read_only)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


class TransactionRunner:
    """Runs a synchronous function of a `Connection` inside one write transaction.

    For small transactions on the request path (the API's quota count). On a SQLite file the
    function runs on a synchronous connection in a thread of its own, so the whole transaction
    is one hop between the event loop and that thread; through aiosqlite every driver call is
    a hop (cursor, execute, fetch, close, commit, reset: nine for one upsert, about 1 ms of
    CPU against 0.3 ms). Elsewhere it runs on the async engine through `run_sync`.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sync: Engine | None = None
        self._thread: ThreadPoolExecutor | None = None
        url = engine.url
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            self._sync = create_engine(
                url.set(drivername="sqlite+pysqlite"),
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
                pool_size=1,
                hide_parameters=True,
            )
            _configure_sqlite(self._sync, read_only=False)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        sync = self._sync
        if sync is None:
            async with self.engine.begin() as conn:
                return await conn.run_sync(fn, *args)

        def transaction() -> T:
            with sync.begin() as conn:
                return fn(conn, *args)

        if self._thread is None:
            self._thread = ThreadPoolExecutor(1, thread_name_prefix="xqr-sqlite")
        return await asyncio.get_running_loop().run_in_executor(self._thread, transaction)

    async def close(self) -> None:
        if self._sync is not None and self._thread is not None:
            await asyncio.get_running_loop().run_in_executor(self._thread, self._sync.dispose)
            self._thread.shutdown(wait=False)
            self._thread = None


_ON_COMMIT = "xqr.on_commit"  # session.info: [(transaction asked in, callback), ...]


def on_commit(
    session: AsyncSession | Session, callback: Callable[[], None], *, once: bool = False
) -> bool:
    """Run `callback` once the session's transaction has committed; never if it rolls back.

    Asked inside a savepoint, the callback goes with the savepoint: dropped if it rolls back,
    and when it is released, run at the outer commit (not before). With `once`, a callback
    that already waits for this commit is not added again; the answer says whether it was
    added. Callbacks run in the order they were added; one that fails is logged, and the
    others still run (the commit has happened either way).
    """
    sync = session.sync_session if isinstance(session, AsyncSession) else session
    if not sync.in_transaction():
        sync.begin()
    waiting: list[tuple[SessionTransaction, Callable[[], None]]]
    waiting = sync.info.setdefault(_ON_COMMIT, [])
    if once and any(waiting_callback == callback for _, waiting_callback in waiting):
        return False
    transaction = sync.get_nested_transaction() or sync.get_transaction()
    assert transaction is not None
    waiting.append((transaction, callback))
    return True


@event.listens_for(Session, "after_commit")
def _run_on_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint was released: its callbacks wait for the outer commit
    for _, callback in session.info.pop(_ON_COMMIT, ()):
        try:
            callback()
        except Exception:
            logger.exception("a callback run after a commit failed")


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    waiting = session.info.get(_ON_COMMIT)
    if waiting:
        waiting[:] = [
            (transaction, callback)
            for transaction, callback in waiting
            if not _within(transaction, previous_transaction)
        ]


@event.listens_for(Session, "after_transaction_end")
def _forget_at_the_end(session: Session, transaction: SessionTransaction) -> None:
    # The whole transaction is over (committed, rolled back, or closed): nothing may carry
    # over to the session's next one.
    if transaction.parent is None:
        session.info.pop(_ON_COMMIT, None)


def _within(transaction: SessionTransaction | None, outer: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)


def dialect_name(session: AsyncSession) -> str:
    """`sqlite` or `postgresql`: where a query must differ between the two."""
    return session.get_bind().dialect.name
