"""End to end: Caddy with on-demand TLS (its internal CA) in front of `xqr serve`, asking the
TLS `ask` endpoint; a short link on a custom host name, resolved to 127.0.0.1, over https.

The Caddyfile is the one docs/domains.md shows, with local ports and `tls internal`.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.live import LiveServer, live_server
from tests.support.server import free_port

CADDY = shutil.which("caddy")
pytestmark = pytest.mark.skipif(
    CADDY is None, reason="caddy is not installed (scripts/test-deps installs Debian's caddy)"
)

CADDYFILE = """\
{{
	admin off
	http_port {http}
	https_port {https}
	skip_install_trust
	on_demand_tls {{
		ask http://127.0.0.1:{xqr}/api/v1/domains/tls-ask
	}}
}}

https:// {{
	tls internal {{
		on_demand
	}}
	reverse_proxy 127.0.0.1:{xqr}
}}

http:// {{
	handle /.well-known/xqr-verify/* {{
		reverse_proxy 127.0.0.1:{xqr}
	}}
	handle {{
		redir https://{{host}}{{uri}} 308
	}}
}}
"""


def _wait_for_port(port: int, process: subprocess.Popen[bytes], deadline: float) -> None:
    while time.monotonic() < deadline:
        assert process.poll() is None, "caddy exited"
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"caddy did not listen on {port}")


@pytest.fixture(scope="module")
def ports() -> dict[str, int]:
    return {"http": free_port(), "https": free_port()}


@pytest.fixture(scope="module")
def live(
    database_template: Any, tmp_path_factory: pytest.TempPathFactory, ports: dict[str, int]
) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("caddy-live")
    # Verification goes through Caddy's plain-http site, as a public host's would.
    with live_server(
        database_template, folder, XQR_DOMAINS_VERIFY_VIA=f"127.0.0.1:{ports['http']}"
    ) as server:
        yield server


@pytest.fixture(scope="module")
def caddy(
    live: LiveServer, ports: dict[str, int], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("caddy")
    xqr_port = int(live.url.rsplit(":", 1)[1])
    config = folder / "Caddyfile"
    config.write_text(CADDYFILE.format(http=ports["http"], https=ports["https"], xqr=xqr_port))
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(folder),
        "XDG_DATA_HOME": str(folder / "data"),
        "XDG_CONFIG_HOME": str(folder / "config"),
    }
    log = (folder / "caddy.log").open("wb")
    assert CADDY is not None
    process = subprocess.Popen(
        [CADDY, "run", "--config", str(config), "--adapter", "caddyfile"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        _wait_for_port(ports["http"], process, deadline)
        _wait_for_port(ports["https"], process, deadline)
        yield folder
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _curl(host: str, port: int, path: str, cacert: Path) -> subprocess.CompletedProcess[str]:
    """curl resolving `host` to 127.0.0.1 and trusting Caddy's internal root only."""
    return subprocess.run(
        [
            "curl",
            "--silent",
            "--show-error",
            "--max-time",
            "30",
            "--resolve",
            f"{host}:{port}:127.0.0.1",
            "--cacert",
            str(cacert),
            "--output",
            "/dev/null",
            "--write-out",
            "%{http_code} %{redirect_url} %{ssl_verify_result}",
            f"https://{host}:{port}{path}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_short_link_on_a_custom_domain_over_https_through_caddy(
    live: LiveServer, caddy: Path, ports: dict[str, int]
) -> None:
    api = httpx.Client(
        base_url=f"{live.url}/api/v1", headers={"Authorization": f"Bearer {live.key}"}
    )
    created = api.post(
        "/domains", json={"hostname": "go.acme.test", "root_url": "https://acme.example/"}
    )
    assert created.status_code == 201, created.text
    verified = api.post(f"/domains/{created.json()['data']['id']}/verify").json()["data"]
    assert verified["status"] == "verified", verified
    link = api.post(
        "/links",
        json={
            "url": "https://acme.example/spring",
            "custom_slug": "spring",
            "domain": "go.acme.test",
        },
    ).json()["data"]
    assert link["short_url"] == "https://go.acme.test/spring"
    pending = api.post("/domains", json={"hostname": "pending.acme.test"})
    assert pending.status_code == 201

    # Caddy's internal CA is made when the first certificate is.
    cacert = caddy / "data" / "caddy" / "pki" / "authorities" / "local" / "root.crt"
    first = _curl(
        "go.acme.test", ports["https"], "/spring", cacert if cacert.exists() else Path("/dev/null")
    )
    deadline = time.monotonic() + 30
    while not cacert.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert cacert.exists(), (first.stderr, (caddy / "caddy.log").read_text()[-2000:])

    # Twice: the second redirect comes from the server's cached fast path.
    for _ in range(2):
        answer = _curl("go.acme.test", ports["https"], "/spring", cacert)
        assert answer.returncode == 0, answer.stderr
        assert answer.stdout == "302 https://acme.example/spring 0"
    root = _curl("go.acme.test", ports["https"], "/", cacert)
    assert root.stdout == "302 https://acme.example/ 0"

    # A host that is not verified gets no certificate, so no service.
    refused = _curl("pending.acme.test", ports["https"], "/spring", cacert)
    assert refused.returncode == 35, (refused.returncode, refused.stderr)  # TLS handshake failed
    assert refused.stdout.startswith("000 ")
