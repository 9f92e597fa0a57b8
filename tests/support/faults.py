"""Faults for real `xqr serve` processes: steady traffic, database outages, scraping metrics.

    with FaultDatabase.create(tmp_path) as db:       # SQLite file or a PostgreSQL of its own
        server = start_server(db.url, tmp_path)
        traffic = Traffic(code, server.url).start()  # GETs at a steady rate, each one named
        db.outage.begin(); ...; db.outage.end()      # the database away, then back

Every request carries its own name in its Referer (`https://s17.example/`), which the scan
keeps as its referrer host, so the stored scans say exactly which answered requests they are.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from tests.support import postgres
from tests.support.server import ServerProcess, xqr_env
from xqr.db.engine import make_engine

BROWSER = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Safari/605.1.15"
)
KEY_PATTERN = re.compile(r"xqr_pk_[0-9a-f]{8}\.[A-Za-z0-9_-]{64}")


class SqliteWriteLock:
    """A SQLite outage: another process holds the database's write lock.

    SQLite has no server to stop; what stops its writers is another connection holding the
    write lock (a long maintenance transaction, a backup tool). Reads go on meanwhile (WAL)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None

    def begin(self) -> None:
        self._conn = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        self._conn.execute("BEGIN IMMEDIATE")

    def end(self) -> None:
        assert self._conn is not None
        self._conn.execute("ROLLBACK")
        self._conn.close()
        self._conn = None


class PostgresStopped:
    """A PostgreSQL outage: the server is stopped (`pg_ctl stop -m fast`), then started."""

    def __init__(self, cluster: postgres.TemporaryPostgres) -> None:
        self.cluster = cluster

    def begin(self) -> None:
        self.cluster.pause()

    def end(self) -> None:
        self.cluster.resume()


@dataclass
class FaultDatabase:
    url: str
    outage: SqliteWriteLock | PostgresStopped

    @classmethod
    @contextmanager
    def create(cls, backend: str, folder: Path) -> Iterator[FaultDatabase]:
        if backend == "sqlite":
            path = folder / "xqr.db"
            yield cls(f"sqlite+aiosqlite:///{path}", SqliteWriteLock(path))
            return
        cluster = postgres.TemporaryPostgres()  # of its own: this test stops it
        url = cluster.start()
        try:
            yield cls(url, PostgresStopped(cluster))
        finally:
            cluster.stop()

    def referrer_hosts(self) -> list[str]:
        """The referrer host of every stored scan event (one entry per row)."""

        async def read() -> list[str]:
            engine = make_engine(self.url)
            try:
                async with engine.connect() as conn:
                    found = await conn.execute(text("SELECT referrer_host FROM scan_events"))
                    return [row[0] for row in found]
            finally:
                await engine.dispose()

        return asyncio.run(read())

    def scan_count(self) -> int:
        async def read() -> int:
            engine = make_engine(self.url)
            try:
                async with engine.connect() as conn:
                    found = await conn.execute(text("SELECT sum(scan_count) FROM links"))
                    return int(found.scalar() or 0)
            finally:
                await engine.dispose()

        return asyncio.run(read())


def server_env(db_url: str, folder: Path, **extra: str) -> dict[str, str]:
    return xqr_env(db_url, folder / "data", XQR_ACCESS_LOG="0", **extra)


def start_server(env: dict[str, str], folder: Path, port: int | None = None) -> ServerProcess:
    """`xqr serve`, on `port` when it is free (a restart keeps its address)."""
    process = ServerProcess(env, folder)
    if port is not None:
        process._use_port(port)
    return process.start()


def first_key(server: ServerProcess) -> str:
    match = KEY_PATTERN.search(server.stdout())
    assert match, server.stdout()
    return match.group(0)


def create_link(server: ServerProcess, key: str) -> str:
    answer = httpx.post(
        f"{server.url}/api/v1/links",
        headers={"Authorization": f"Bearer {key}"},
        json={"url": "https://example.com/poster"},
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["data"]["short_code"])


def metrics(url: str) -> dict[str, float]:
    """`/metrics`, parsed with the Prometheus text parser: sample name{labels} → value."""
    body = httpx.get(f"{url}/metrics", timeout=10).text
    values: dict[str, float] = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            values[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return values


@dataclass
class Traffic:
    """GETs of one short code at a steady rate, from a thread; each request is named."""

    code: str
    url: str | None
    rate: float = 100.0
    answered: set[str] = field(default_factory=set)  # named requests answered 302
    # named requests that may have reached the server but whose answer was lost (the server
    # was killed while it was in flight): their scan may or may not be stored
    unknown: set[str] = field(default_factory=set)
    statuses: Counter[int] = field(default_factory=Counter)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _sent: int = 0

    def start(self) -> Traffic:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join(30)

    def _run(self) -> None:
        client = httpx.Client(timeout=10)
        due = time.monotonic()
        while not self._stop.is_set():
            due += 1 / self.rate
            url = self.url
            if url is not None:
                self._sent += 1
                name = f"s{self._sent}"
                try:
                    answer = client.get(
                        f"{url}/{self.code}",
                        headers={"User-Agent": BROWSER, "Referer": f"https://{name}.example/"},
                    )
                except httpx.ConnectError:
                    client.close()  # nobody listening: the request never arrived
                    client = httpx.Client(timeout=10)
                except httpx.HTTPError:
                    self.unknown.add(f"{name}.example")
                    client.close()
                    client = httpx.Client(timeout=10)
                else:
                    self.statuses[answer.status_code] += 1
                    if answer.status_code == 302:
                        self.answered.add(f"{name}.example")
            pause = due - time.monotonic()
            if pause > 0:
                self._stop.wait(pause)
            else:
                due = time.monotonic()  # behind (a slow answer): no burst to catch up
        client.close()

    def wait_for(self, more: int, timeout: float = 120.0) -> None:
        """Until `more` further requests have been answered 302."""
        target = len(self.answered) + more
        deadline = time.monotonic() + timeout
        while len(self.answered) < target:
            assert time.monotonic() < deadline, f"traffic stalled: {dict(self.statuses)}"
            time.sleep(0.05)


def settle(
    db: FaultDatabase, traffic: Traffic, dropped: int = 0, timeout: float = 180.0
) -> list[str]:
    """The stored referrer hosts, once every answered request's scan is stored (all but the
    `dropped` ones)."""
    deadline = time.monotonic() + timeout
    while True:
        stored = db.referrer_hosts()
        if len(traffic.answered - set(stored)) <= dropped:
            return stored
        assert time.monotonic() < deadline, (
            f"{len(traffic.answered - set(stored))} answered scans not stored"
        )
        time.sleep(0.5)


def assert_exactly_once(stored: list[str], traffic: Traffic, dropped: int = 0) -> None:
    """Each answered request stored once, but exactly `dropped` of them (reported dropped)
    never; nothing else but requests whose answer was lost in flight."""
    counts = Counter(stored)
    duplicates = [name for name, n in counts.items() if n > 1]
    assert not duplicates, f"{len(duplicates)} scans stored more than once: {duplicates[:5]}"
    missing = traffic.answered - set(counts)
    assert len(missing) == dropped, f"{len(missing)} answered scans not stored, {dropped} dropped"
    extra = set(counts) - traffic.answered
    assert extra <= traffic.unknown, f"stored but never answered: {sorted(extra)[:5]}"
