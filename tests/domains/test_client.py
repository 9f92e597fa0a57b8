"""The SDK's `domains` resource and link `domain`, and `xqr domains …`, against a real
`xqr serve` whose verifications reach a local stand-in for the custom hosts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.domains.conftest import HostServer
from tests.mcp.conftest import mcp_session, structured
from tests.support.live import LiveServer, live_server
from tests.support.server import run_xqr
from xqr.client import XQR, APIError, AsyncXQR, Domain

E2E_SECRET = b"e2e-secret-not-for-production"  # tests/support/server.py's XQR_SECRET_KEY


@pytest.fixture(scope="module")
def hosts() -> Iterator[HostServer]:
    server = HostServer(E2E_SECRET)
    server.receiver.start()
    yield server
    server.receiver.stop()


@pytest.fixture(scope="module")
def live(
    database_template: Any, tmp_path_factory: pytest.TempPathFactory, hosts: HostServer
) -> Iterator[LiveServer]:
    with live_server(
        database_template,
        tmp_path_factory.mktemp("domains-live"),
        XQR_DOMAINS_VERIFY_VIA=hosts.address,
    ) as server:
        yield server


def test_the_sdk_adds_verifies_and_uses_a_domain(live: LiveServer) -> None:
    with XQR(api_key=live.key, base_url=live.url) as xqr:
        domain = xqr.domains.create("sdk.acme.test", root_url="https://acme.example/")
        assert isinstance(domain, Domain)
        assert domain.status == "pending"
        assert domain.verification is not None
        verified = xqr.domains.verify(domain.id)
        assert verified.status == "verified"
        link = xqr.links.create(
            "https://acme.example/sdk", custom_slug="sdk", domain=domain.hostname
        )
        assert link.short_url == "https://sdk.acme.test/sdk"
        assert link.domain == "sdk.acme.test"
        assert [d.hostname for d in xqr.domains.iter()].count("sdk.acme.test") == 1
        updated = xqr.domains.update(domain.id, root_url=None, default=True)
        assert updated.root_url is None and updated.default is True
        with pytest.raises(APIError) as refused:
            xqr.domains.delete(domain.id)
        assert refused.value.code == "CONFLICT"
        xqr.links.update(link.id, domain=None)
        xqr.domains.delete(domain.id)
        with pytest.raises(APIError) as gone:
            xqr.domains.get(domain.id)
        assert gone.value.status == 404
    served = httpx.get(f"{live.url}/{link.short_code}", follow_redirects=False)
    assert served.status_code == 302


async def test_the_async_sdk_lists_domains(live: LiveServer) -> None:
    async with AsyncXQR(api_key=live.key, base_url=live.url) as xqr:
        created = await xqr.domains.create("async.acme.test", purpose="both")
        page = await xqr.domains.list(limit=100)
        assert created.id in [d.id for d in page.items]
        assert (await xqr.domains.verify(created.id)).status == "verified"
        assert (await xqr.domains.get(created.id)).purpose == "both"


def test_the_cli_adds_lists_and_verifies(live: LiveServer, hosts: HostServer) -> None:
    env = live.client_env()
    added = run_xqr(env, "domains", "add", "cli.acme.test", "--purpose", "links", "--json")
    assert added.returncode == 0, added.stderr
    domain = json.loads(added.stdout)
    assert domain["hostname"] == "cli.acme.test" and domain["status"] == "pending"
    listed = run_xqr(env, "domains", "list")
    assert "cli.acme.test  pending  links" in listed.stdout
    hosts.mode = "wrong"
    try:
        failed = run_xqr(env, "domains", "verify", domain["id"])
    finally:
        hosts.mode = "right"
    assert failed.returncode == 1
    assert "last error:" in failed.stdout
    verified = run_xqr(env, "domains", "verify", domain["id"])
    assert verified.returncode == 0, verified.stderr
    assert "cli.acme.test  verified  links" in verified.stdout
    taken = run_xqr(env, "domains", "add", "CLI.acme.test")
    assert taken.returncode == 1
    assert "CONFLICT" in taken.stderr
    deleted = run_xqr(env, "domains", "delete", domain["id"])
    assert deleted.returncode == 0, deleted.stderr


async def test_an_agent_adds_verifies_and_uses_a_domain_through_mcp(
    live: LiveServer, tmp_path: Path
) -> None:
    async with mcp_session(live, tmp_path / "mcp.err") as mcp:
        created = structured(
            await mcp.call_tool(
                "create_domain", {"hostname": "mcp.acme.test", "root_url": "https://acme.example/"}
            )
        )
        assert created["status"] == "pending"
        verified = structured(await mcp.call_tool("verify_domain", {"domain_id": created["id"]}))
        assert verified["status"] == "verified"
        listed = structured(await mcp.call_tool("list_domains", {"limit": 200}))
        assert created["id"] in [item["id"] for item in listed["items"]]
        link = structured(
            await mcp.call_tool(
                "create_link", {"url": "https://acme.example/mcp", "domain": "mcp.acme.test"}
            )
        )
        assert link["short_url"].startswith("https://mcp.acme.test/")
        taken = await mcp.call_tool("create_domain", {"hostname": "MCP.acme.test"})
        assert taken.is_error
        assert "CONFLICT" in taken.content[0].text  # type: ignore[union-attr]
