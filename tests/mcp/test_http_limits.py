"""`/mcp` on a real `xqr serve` goes through the API's auth step: plan, burst and quota."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import AccountFactory, assert_error
from tests.mcp.conftest import ALL_TOOLS
from tests.support.live import LiveServer, live_server
from tests.support.server import run_xqr
from xqr.auth.ratelimit import BurstLimiter
from xqr.context import AppContext

# A plan whose monthly quota runs out within a test; the others keep the table's values.
SMALL_QUOTA_PLAN = "business"
SMALL_QUOTA = 3
_ids = itertools.count(1)


@pytest.fixture(scope="module")
def live(
    database_template: object, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("live-limits")
    plans = folder / "plans.toml"
    plans.write_text(f"[plans.{SMALL_QUOTA_PLAN}]\nmonthly_calls = {SMALL_QUOTA}\n")
    with live_server(database_template, folder, XQR_PLANS_FILE=str(plans)) as server:
        yield server


def key_on_plan(live: LiveServer, plan: str, name: str) -> str:
    workspace = live.make_workspace("pro", name=name)
    key = live.make_key("*", workspace)
    if plan != "pro":
        result = run_xqr(live.env, "admin", "workspace", "set-plan", workspace, plan)
        assert result.returncode == 0, result.stderr
    return key


def message(method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": next(_ids), "method": method, "params": params or {}}


def headers(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "Accept": "application/json, text/event-stream"}


def post(live: LiveServer, key: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{live.url}/mcp", json=body, headers=headers(key), timeout=30)


def test_a_free_workspace_key_is_refused_feature_not_available(live: LiveServer) -> None:
    key = key_on_plan(live, "free", "Downgraded")
    for method in ("initialize", "tools/list"):
        response = post(live, key, message(method))
        error = assert_error(response, 403, "FEATURE_NOT_AVAILABLE")
        assert "no API access" in error["message"]
        assert "www-authenticate" not in response.headers


async def test_a_pro_key_bursting_gets_429_beyond_its_burst(live: LiveServer) -> None:
    key = key_on_plan(live, "pro", "Bursty")
    limits = httpx.Limits(max_connections=100)
    async with httpx.AsyncClient(limits=limits, timeout=60) as http:
        responses = await asyncio.gather(
            *(
                http.post(f"{live.url}/mcp", json=message("tools/list"), headers=headers(key))
                for _ in range(100)
            )
        )
    answered = [r for r in responses if r.status_code == 200]
    refused = [r for r in responses if r.status_code != 200]
    # The bucket starts full (10), so at least those are answered; 100 at once exceed it.
    assert len(answered) >= 10
    assert refused
    for response in refused:
        assert_error(response, 429, "BURST_LIMIT_EXCEEDED")
        assert int(response.headers["retry-after"]) >= 1
        assert response.headers["x-ratelimit-burst-limit"] == "10"
        assert response.headers["x-ratelimit-burst-remaining"] == "0"
    for response in answered:
        assert len(response.json()["result"]["tools"]) == len(ALL_TOOLS)
        assert response.headers["x-ratelimit-burst-limit"] == "10"


def test_messages_are_not_counted_their_api_calls_are_and_a_used_quota_is_429(
    live: LiveServer,
) -> None:
    key = key_on_plan(live, SMALL_QUOTA_PLAN, "Small quota")
    call_tool = message("tools/call", {"name": "get_workspace", "arguments": {}})

    def remaining(body: dict[str, Any]) -> str:
        response = post(live, key, {**body, "id": next(_ids)})
        assert response.status_code == 200, response.text
        assert "error" not in response.json(), response.text
        assert not response.json()["result"].get("isError"), response.text
        return response.headers["x-ratelimit-remaining"]

    # Protocol messages are checked, not counted: the quota is untouched.
    assert remaining(message("initialize", _initialize_params())) == "3"
    assert remaining(message("tools/list")) == "3"
    # A tool call is answered under the quota it found; its one API call counts.
    assert remaining(call_tool) == "3"
    assert remaining(message("tools/list")) == "2"
    assert remaining(call_tool) == "2"
    assert remaining(call_tool) == "1"

    for body in (message("tools/list"), call_tool):
        response = post(live, key, body)
        assert_error(response, 429, "RATE_LIMIT_EXCEEDED")
        assert response.headers["x-ratelimit-remaining"] == "0"
        assert response.headers["x-ratelimit-limit"] == str(SMALL_QUOTA)
        assert int(response.headers["retry-after"]) > 0
    # The same quota refuses the REST API.
    response = httpx.get(f"{live.url}/api/v1/workspace", headers=headers(key))
    assert_error(response, 429, "RATE_LIMIT_EXCEEDED")


def _initialize_params() -> dict[str, Any]:
    return {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "xqr-tests", "version": "1"},
    }


async def test_a_tool_call_takes_one_burst_token_not_one_more_for_its_api_call(
    client: httpx.AsyncClient, make_account: AccountFactory, ctx: AppContext
) -> None:
    ctx.burst = BurstLimiter(monotonic=lambda: 1000.0)  # no refill during the test
    account = await make_account(plan="pro")
    call_tool = message("tools/call", {"name": "get_workspace", "arguments": {}})
    for expected in range(9, -1, -1):
        response = await client.post("/mcp", json=call_tool, headers=headers(account.key))
        assert response.status_code == 200, response.text
        result = response.json()["result"]
        assert not result.get("isError"), result
        assert result["structuredContent"]["id"] == account.workspace_id
        assert response.headers["x-ratelimit-burst-remaining"] == str(expected)
    response = await client.post("/mcp", json=call_tool, headers=headers(account.key))
    assert_error(response, 429, "BURST_LIMIT_EXCEEDED")
    # ten messages, ten API calls counted
    assert response.headers["x-ratelimit-remaining"] == str(1000 - 10)
