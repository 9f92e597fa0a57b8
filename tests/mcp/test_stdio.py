"""`xqr mcp` keeps stdout for the protocol: every line it writes is a JSON-RPC message."""

from __future__ import annotations

import json
import subprocess

from mcp.types import LATEST_PROTOCOL_VERSION

from tests.mcp.conftest import ALL_TOOLS
from tests.support.live import LiveServer
from tests.support.server import XQR, run_xqr


def _message(id_: int | None, method: str, params: dict[str, object]) -> str:
    message: dict[str, object] = {"jsonrpc": "2.0", "method": method, "params": params}
    if id_ is not None:
        message["id"] = id_
    return json.dumps(message) + "\n"


def test_stdout_carries_only_json_rpc_and_logs_go_to_stderr(live: LiveServer) -> None:
    requests = (
        _message(
            1,
            "initialize",
            {
                "protocolVersion": LATEST_PROTOCOL_VERSION,
                "capabilities": {},
                "clientInfo": {"name": "test", "version": "1"},
            },
        )
        + _message(None, "notifications/initialized", {})
        + _message(2, "tools/list", {})
        + _message(3, "tools/call", {"name": "get_link", "arguments": {"link_id": "nope"}})
        + _message(4, "tools/call", {"name": "generate_qr", "arguments": {"size": 0}})
        + _message(5, "resources/read", {"uri": "xqr://links/nope"})
    )
    process = subprocess.Popen(
        [XQR, "mcp"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=live.client_env(),
    )
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(requests)
    process.stdin.flush()
    messages = []
    # stdin stays open until every answer is in (EOF makes the server stop at once)
    while len([m for m in messages if "id" in m]) < 5:
        line = process.stdout.readline()
        assert line, "xqr mcp closed stdout early"
        messages.append(json.loads(line))  # any stray print would fail here
    rest, _ = process.communicate(timeout=30)  # closes stdin: the server exits
    messages += [json.loads(line) for line in rest.splitlines() if line.strip()]
    assert process.returncode == 0
    assert all(message["jsonrpc"] == "2.0" for message in messages)
    answered = {message["id"]: message for message in messages if "id" in message}
    assert set(answered) == {1, 2, 3, 4, 5}
    assert answered[1]["result"]["serverInfo"]["name"] == "xqr"
    assert len(answered[2]["result"]["tools"]) == len(ALL_TOOLS)
    assert answered[3]["result"]["isError"] is True
    assert answered[4]["result"]["isError"] is True
    assert "RESOURCE_NOT_FOUND" in answered[5]["error"]["message"]


def test_without_an_api_key_it_exits_with_a_message_on_stderr(live: LiveServer) -> None:
    env = {k: v for k, v in live.client_env().items() if k != "XQR_API_KEY"}
    result = run_xqr(env, "mcp")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "XQR_API_KEY" in result.stderr
