"""Custom domain fixtures: an app whose verifications reach a local server (`host_server`)
through `XQR_DOMAINS_VERIFY_VIA`, and helpers that add verified domains through the API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Account
from tests.links.linkkit import quiet_settings
from tests.support.receiver import Receiver, RecordedRequest, Reply
from xqr.config import Settings
from xqr.domains.verification import WELL_KNOWN_PREFIX, expected_answer


class HostServer:
    """A local HTTP server standing in for the custom hosts: by default it answers
    verification paths as this xQR server would (the host reaches us)."""

    def __init__(self, secret: bytes) -> None:
        self.secret = secret
        self.mode = "right"
        self.receiver = Receiver(self._reply, path="/")

    def _reply(self, request: RecordedRequest) -> Reply:
        if not request.path.startswith(WELL_KNOWN_PREFIX):
            return Reply(404, body=b"not here")
        token = request.path[len(WELL_KNOWN_PREFIX) :]
        if self.mode == "right":
            return Reply(200, body=expected_answer(self.secret, token).encode())
        if self.mode == "wrong":
            return Reply(200, body=expected_answer(b"another server", token).encode())
        if self.mode == "private-redirect":
            return Reply(302, headers={"Location": f"http://10.0.0.1{request.path}"})
        return Reply(503, body=b"down")

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.receiver.port}"


@pytest.fixture
def host_server() -> Iterator[HostServer]:
    from tests.conftest import TEST_SECRET_KEY

    server = HostServer(TEST_SECRET_KEY.encode())
    server.receiver.start()
    yield server
    server.receiver.stop()


@pytest.fixture
def settings(db_url: str, tmp_path: Path, host_server: HostServer) -> Settings:
    return quiet_settings(db_url, tmp_path / "data", domains_verify_via=host_server.address)


async def add_domain(
    client: httpx.AsyncClient, account: Account, hostname: str, **fields: Any
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/domains", json={"hostname": hostname, **fields}, headers=account.headers
    )
    assert response.status_code == 201, response.text
    return dict(response.json()["data"])


async def verify(client: httpx.AsyncClient, account: Account, domain_id: str) -> dict[str, Any]:
    response = await client.post(f"/api/v1/domains/{domain_id}/verify", headers=account.headers)
    assert response.status_code == 200, response.text
    return dict(response.json()["data"])


async def add_verified_domain(
    client: httpx.AsyncClient, account: Account, hostname: str, **fields: Any
) -> dict[str, Any]:
    domain = await add_domain(client, account, hostname, **fields)
    verified = await verify(client, account, domain["id"])
    assert verified["status"] == "verified", verified
    return verified


async def create_link(client: httpx.AsyncClient, account: Account, **body: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/links", json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    return dict(response.json()["data"])
