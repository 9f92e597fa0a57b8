"""docs/webhooks.md stays true: its verification snippets accept real signed deliveries and
reject tampered ones, in Python and in Node; every event is documented."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from tests.conftest import Account
from tests.support.receiver import Receiver, RecordedRequest
from tests.webhooks.conftest import create_webhook
from xqr.webhooks.dispatcher import Dispatcher
from xqr.webhooks.events import EVENT_TYPES

DOC = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def code_block(language: str, containing: str) -> str:
    blocks = re.findall(rf"```{language}\n(.*?)```", DOC.read_text(), flags=re.S)
    [block] = [b for b in blocks if containing in b]
    return block


@pytest.fixture
async def delivery(
    client: httpx.AsyncClient, account: Account, dispatcher: Dispatcher, receiver: Receiver
) -> tuple[str, RecordedRequest]:
    hook = await create_webhook(client, account, receiver.url)
    await client.post(f"/api/v1/webhooks/{hook['id']}/test", headers=account.headers)
    await dispatcher.drain()
    [request] = receiver.requests
    return hook["signing_secret"], request


def test_every_event_is_documented() -> None:
    text = DOC.read_text()
    section = text.split("<!-- events:begin -->")[1].split("<!-- events:end -->")[0]
    assert re.findall(r"^\| `([a-z.]+)` \|", section, flags=re.M) == list(EVENT_TYPES)


async def test_the_python_snippets_verify_a_real_delivery(
    delivery: tuple[str, RecordedRequest],
) -> None:
    secret, request = delivery
    header = request.headers["x-xqr-signature"]
    namespace: dict[str, object] = {}
    exec(code_block("python", "def verify_xqr_signature"), namespace)
    verify = namespace["verify_xqr_signature"]
    assert callable(verify)
    assert verify(secret, request.body, header) is True
    assert verify(secret, request.body + b" ", header) is False
    assert verify(secret + "x", request.body, header) is False

    sdk = code_block("python", "verify_signature(")
    good = SimpleNamespace(headers={"X-XQR-Signature": header})
    exec(sdk, {"signing_secret": secret, "raw_body": request.body, "request": good})
    with pytest.raises(PermissionError):
        exec(sdk, {"signing_secret": secret, "raw_body": request.body[:-1], "request": good})


async def test_the_node_snippet_verifies_a_real_delivery(
    delivery: tuple[str, RecordedRequest], tmp_path: Path
) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed, so the Node.js snippet cannot be run")
    secret, request = delivery
    (tmp_path / "body.json").write_bytes(request.body)
    script = tmp_path / "verify.js"
    script.write_text(
        code_block("js", "function verifyXqrSignature")
        + """
const fs = require("fs");
const [secret, bodyPath, header] = process.argv.slice(2);
const body = fs.readFileSync(bodyPath);
console.log(JSON.stringify({
  valid: verifyXqrSignature(secret, body, header),
  tampered: verifyXqrSignature(secret, Buffer.concat([body, Buffer.from(" ")]), header),
  wrongSecret: verifyXqrSignature(secret + "x", body, header),
  missing: verifyXqrSignature(secret, body, undefined),
}));
"""
    )
    result = subprocess.run(
        [
            node,
            str(script),
            secret,
            str(tmp_path / "body.json"),
            request.headers["x-xqr-signature"],
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "valid": True,
        "tampered": False,
        "wrongSecret": False,
        "missing": False,
    }
