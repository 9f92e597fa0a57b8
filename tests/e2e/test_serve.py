"""`xqr serve` as a real process: the first start prints a key; quota is exact across processes."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import httpx
import pytest

from tests.support.server import ServerProcess, run_xqr, xqr_env

pytestmark = pytest.mark.e2e


def test_first_start_prints_a_key_that_opens_the_workspace(db_url: str, tmp_path: Path) -> None:
    env = xqr_env(db_url, tmp_path / "data")
    with ServerProcess(env, tmp_path) as server:
        keys = re.findall(r"xqr_pk_[0-9a-f]{8}\.[A-Za-z0-9_-]{64}", server.stdout())
        assert len(keys) >= 1
        key = keys[0]
        response = httpx.get(
            f"{server.url}/api/v1/workspace", headers={"Authorization": f"Bearer {key}"}
        )
        assert response.status_code == 200
        assert response.json()["data"]["plan"] == "enterprise"
        assert response.headers["x-ratelimit-limit"] == "100000"
        # a secret in a query string still never reaches the logs
        httpx.get(f"{server.url}/api/v1/workspace?token={key}")
    secret = key.split(".")[1]
    assert secret not in server.stderr()
    # a second start does not create another workspace or print another key
    with ServerProcess(env, tmp_path) as again:
        assert "xqr_pk_" not in again.stdout()


def test_remaining_counts_down_by_one_across_two_processes(db_url: str, tmp_path: Path) -> None:
    env = xqr_env(db_url, tmp_path / "data")
    with ServerProcess(env, tmp_path) as first:
        key = re.findall(r"xqr_pk_[0-9a-f]{8}\.[A-Za-z0-9_-]{64}", first.stdout())[0]
        with ServerProcess(env, tmp_path) as second:
            headers = {"Authorization": f"Bearer {key}"}
            seen = []
            for i in range(20):
                server = first if i % 2 == 0 else second
                response = httpx.get(f"{server.url}/api/v1/workspace", headers=headers)
                assert response.status_code == 200
                seen.append(int(response.headers["x-ratelimit-remaining"]))
    assert seen == list(range(99999, 99999 - 20, -1))


def test_a_key_revoked_from_the_cli_stops_working_in_a_running_server(
    db_url: str, tmp_path: Path
) -> None:
    env = xqr_env(db_url, tmp_path / "data")
    with ServerProcess(env, tmp_path) as server:
        key = re.findall(r"xqr_pk_[0-9a-f]{8}\.[A-Za-z0-9_-]{64}", server.stdout())[0]
        headers = {"Authorization": f"Bearer {key}"}
        assert httpx.get(f"{server.url}/api/v1/workspace", headers=headers).status_code == 200
        workspace = httpx.get(f"{server.url}/api/v1/workspace", headers=headers).json()["data"]
        listed = run_xqr(env, "admin", "key", "list", "--workspace", workspace["id"], "--json")
        key_id = json.loads(listed.stdout)[0]["id"]
        assert run_xqr(env, "admin", "key", "revoke", key_id).returncode == 0
        deadline = time.monotonic() + 3
        status = None
        while time.monotonic() < deadline:
            response = httpx.get(f"{server.url}/api/v1/workspace", headers=headers)
            status = response.json().get("error", {}).get("code")
            if status == "REVOKED_API_KEY":
                break
            time.sleep(0.05)
        assert status == "REVOKED_API_KEY"
