"""Scans survive faults: real `xqr serve` processes under steady traffic are killed (`kill -9`),
lose their database for 20 s and are stopped (SIGTERM) meanwhile, and run out of journal
space; every request answered 302 is then stored exactly once (or, journal full, reported
dropped). See docs/scans.md for the guarantees these show.

Database outage: PostgreSQL is a server of the test's own, stopped and started again; SQLite
has no server, so another process holds its write lock (reads go on).
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import BACKEND
from tests.support.faults import (
    FaultDatabase,
    Traffic,
    assert_exactly_once,
    create_link,
    first_key,
    metrics,
    server_env,
    settle,
    start_server,
)
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.database]

OUTAGE_SECONDS = 20.0


@pytest.fixture
def db(tmp_path: Path) -> Iterator[FaultDatabase]:
    with FaultDatabase.create(BACKEND, tmp_path) as database:
        yield database


def _readyz(url: str) -> httpx.Response:
    return httpx.get(f"{url}/readyz", timeout=10)


def test_kill_9_mid_run_loses_no_scan_and_stores_none_twice(
    db: FaultDatabase, tmp_path: Path
) -> None:
    env = server_env(db.url, tmp_path)
    server = start_server(env, tmp_path)
    code = create_link(server, first_key(server))
    traffic = Traffic(code, server.url).start()
    try:
        traffic.wait_for(300)
        assert server.process is not None
        server.process.send_signal(signal.SIGKILL)  # mid-run: scans buffered and in flight
        server.process.wait()
        traffic.url = None
        server = start_server(env, tmp_path, server.port)
        traffic.url = server.url
        traffic.wait_for(200)
    finally:
        traffic.stop()
    stored = settle(db, traffic)
    server.stop()
    assert_exactly_once(stored, traffic)
    assert db.scan_count() == len(stored)
    assert "left in the scan journal" in server.stderr()


def test_database_outage_and_sigterm_meanwhile_lose_no_scan(
    db: FaultDatabase, tmp_path: Path
) -> None:
    env = server_env(db.url, tmp_path)
    server = start_server(env, tmp_path)
    code = create_link(server, first_key(server))
    traffic = Traffic(code, server.url).start()
    try:
        traffic.wait_for(200)
        db.outage.begin()
        began = time.monotonic()
        try:
            # Redirects keep being answered; readiness says why scans are not stored.
            traffic.wait_for(200)
            wait_until(lambda: _readyz(server.url).status_code == 503, timeout=60)
            assert _readyz(server.url).json()["reasons"]
            assert server.process is not None
            server.process.send_signal(signal.SIGTERM)
            try:
                exit_code = server.process.wait(timeout=25)  # within systemd's stop timeout
            except subprocess.TimeoutExpired:
                pytest.fail(f"SIGTERM in a database outage did not end it:\n{server.stderr()}")
            traffic.url = None
            # uvicorn ends by re-raising the signal it stopped for, once shut down
            assert exit_code in (0, -signal.SIGTERM), server.stderr()
            assert "stay in the scan journal" in server.stderr()
            remaining = OUTAGE_SECONDS - (time.monotonic() - began)
            if remaining > 0:
                time.sleep(remaining)  # the outage lasts its full length
        finally:
            db.outage.end()
        server = start_server(env, tmp_path, server.port)
        traffic.url = server.url
        traffic.wait_for(200)
    finally:
        traffic.stop()
    stored = settle(db, traffic)
    server.stop()
    assert_exactly_once(stored, traffic)
    assert db.scan_count() == len(stored)


def test_a_full_journal_keeps_redirecting_and_reports_dropped_scans(
    db: FaultDatabase, tmp_path: Path
) -> None:
    # The journal's disk "fills" at its configured limit (64 KiB, a few hundred scans): the
    # same code path as a full disk, whose write errors are counted as drops likewise.
    env = server_env(db.url, tmp_path, XQR_SCAN_JOURNAL_MAX_BYTES=str(64 * 1024))
    server = start_server(env, tmp_path)
    code = create_link(server, first_key(server))
    traffic = Traffic(code, server.url).start()
    try:
        traffic.wait_for(100)
        db.outage.begin()
        try:
            wait_until(lambda: metrics(server.url)["xqr_scans_dropped_total"] > 0, timeout=120)
            answered_at_first_drop = len(traffic.answered)
            traffic.wait_for(100)  # redirects go on while scans are dropped
            ready = _readyz(server.url)
            assert ready.status_code == 503
            assert any("journal is full" in reason for reason in ready.json()["reasons"])
            assert ready.json()["checks"]["scans_dropped"] > 0
            assert len(traffic.answered) > answered_at_first_drop
        finally:
            db.outage.end()
        traffic.wait_for(100)
    finally:
        traffic.stop()
    wait_until(lambda: metrics(server.url)["xqr_scan_writer_lag_scans"] == 0, timeout=120)
    dropped = int(metrics(server.url)["xqr_scans_dropped_total"])
    stored = settle(db, traffic, dropped=dropped)
    server.stop()
    assert dropped > 0
    assert_exactly_once(stored, traffic, dropped=dropped)
