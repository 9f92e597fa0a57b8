"""The HTTP server's redirect fast path, spoken to over raw sockets: keep-alive, HTTP/1.0,
HEAD, pipelining and bodies behave as HTTP says, and answers equal the ASGI path's."""

from __future__ import annotations

import re
import socket
import time

import httpx
import pytest

from tests.support.server import ServerProcess, xqr_env
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e
BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> tuple[ServerProcess, str, str]:
    tmp = tmp_path_factory.mktemp("fast")
    env = xqr_env(f"sqlite+aiosqlite:///{tmp / 'xqr.db'}", tmp / "data", XQR_KEEP_ALIVE_SECONDS="1")
    server = ServerProcess(env, tmp).start()
    key = re.findall(r"xqr_pk_[0-9a-f]{8}\.[A-Za-z0-9_-]{64}", server.stdout())[0]
    created = httpx.post(
        f"{server.url}/api/v1/links",
        json={"url": "https://example.com/landing?a=1", "custom_slug": "fast-path"},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert created.status_code == 201
    yield server, key, "fast-path"
    server.stop()


def _exchange(server: ServerProcess, payload: bytes, *, until_close: bool = False) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(payload)
        data = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            data += chunk
            if not until_close and data.count(b"\r\n\r\n") >= payload.count(b"\r\n\r\n"):
                break
        return data


def _get(code: str, extra: bytes = b"", version: bytes = b"1.1", method: bytes = b"GET") -> bytes:
    return (
        method + b" /" + code.encode() + b" HTTP/" + version + b"\r\nHost: x\r\n"
        b"User-Agent: " + BROWSER.encode() + b"\r\n" + extra + b"\r\n"
    )


def test_cached_and_uncached_answers_are_identical(served: tuple[ServerProcess, str, str]) -> None:
    server, key, _ = served
    created = httpx.post(  # a new code, so the first answer is the ASGI path's
        f"{server.url}/api/v1/links",
        json={"url": "https://example.com/landing?a=1", "custom_slug": "fresh-code"},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert created.status_code == 201
    code = created.json()["data"]["short_code"]
    first = httpx.get(f"{server.url}/{code}?utm_source=x&qr=1", headers={"User-Agent": BROWSER})
    second = httpx.get(f"{server.url}/{code}?utm_source=x&qr=1", headers={"User-Agent": BROWSER})
    for response in (first, second):
        assert response.status_code == 302
        assert response.headers["location"] == "https://example.com/landing?a=1&utm_source=x"
        assert response.headers["cache-control"] == "private, max-age=0"
        assert response.headers["content-length"] == "0"
        assert "date" in response.headers
    # The same headers in the same order, whichever way the answer was rendered.
    assert [h for h in first.headers.raw if h[0] != b"date"] == [
        h for h in second.headers.raw if h[0] != b"date"
    ]


def test_keep_alive_serves_several_requests_on_one_connection(
    served: tuple[ServerProcess, str, str],
) -> None:
    server, _, code = served
    httpx.get(f"{server.url}/{code}")  # cache it
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        for _ in range(3):
            sock.sendall(_get(code))
            response = sock.recv(65536)
            assert response.startswith(b"HTTP/1.1 302 Found\r\n")
            assert b"connection: close" not in response


def _read_response(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_a_connection_in_use_stays_open_and_an_idle_one_closes_after_the_timeout(
    served: tuple[ServerProcess, str, str],
) -> None:
    server, _, code = served  # XQR_KEEP_ALIVE_SECONDS=1
    httpx.get(f"{server.url}/{code}")
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        # 2.4 s of requests 0.6 s apart: longer than the timeout, never idle for all of it
        for path in [code, "api/v1/openapi.json", code, code]:
            sock.sendall(_get(path))
            response = _read_response(sock)
            assert re.match(rb"HTTP/1\.1 (302|200) ", response), response[:80]
            if path != code:  # read the API answer's body to the end
                length = int(re.search(rb"content-length: (\d+)", response).group(1))  # type: ignore[union-attr]
                body = response.split(b"\r\n\r\n", 1)[1]
                while len(body) < length:
                    body += sock.recv(65536)
            # What is tested is time itself: requests 0.6 s apart keep the connection open
            # past the 1 s keep-alive timeout, which then closes it once it is idle.
            time.sleep(0.6)
        idle_from = time.monotonic()
        assert sock.recv(65536) == b""  # the server closed it
        assert 0.3 <= time.monotonic() - idle_from <= 2.0


def test_http_1_0_gets_the_connection_closed(served: tuple[ServerProcess, str, str]) -> None:
    server, _, code = served
    httpx.get(f"{server.url}/{code}")
    response = _exchange(server, _get(code, version=b"1.0"), until_close=True)
    assert response.startswith(b"HTTP/1.1 302 Found\r\n")
    assert b"connection: close\r\n" in response


def test_head_has_no_body_and_unknown_codes_get_the_404_page(
    served: tuple[ServerProcess, str, str],
) -> None:
    server, _, code = served
    httpx.get(f"{server.url}/{code}")
    head = _exchange(server, _get(code, method=b"HEAD"))
    assert head.startswith(b"HTTP/1.1 302 Found\r\n") and head.endswith(b"\r\n\r\n")
    for _ in range(2):  # the second answer comes from the cached "missing" entry
        missing = httpx.get(f"{server.url}/no-such-code")
        assert missing.status_code == 404
        assert "Link not found" in missing.text


def test_pipelined_requests_are_answered_in_order(served: tuple[ServerProcess, str, str]) -> None:
    server, _, code = served
    httpx.get(f"{server.url}/{code}")
    payload = _get(code) + b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" + _get(code)
    data = _exchange(server, payload, until_close=False)
    # read until all three responses arrived
    assert data.count(b"HTTP/1.1 ") >= 2
    statuses = re.findall(rb"HTTP/1\.1 (\d{3})", data)
    assert statuses[:2] == [b"302", b"200"]


@pytest.mark.parametrize(
    ("target", "location"),
    [
        # escapes in the query are decoded and re-encoded, as the ASGI path does
        ("/{code}?utm_source=a%20b&qr=1", b"https://example.com/landing?a=1&utm_source=a+b"),
        ("/{code}?", b"https://example.com/landing?a=1"),
        ("/{code}?a=2", b"https://example.com/landing?a=1"),  # the destination's value wins
        # an escaped code is decoded by the ASGI path and redirects just the same
        ("/fast%2Dpath?b=1", b"https://example.com/landing?a=1&b=1"),
    ],
)
def test_query_strings_and_escapes_on_a_cached_code(
    served: tuple[ServerProcess, str, str], target: str, location: bytes
) -> None:
    server, _, code = served
    httpx.get(f"{server.url}/{code}")
    raw = _exchange(server, _get(target.format(code=code)[1:]))
    assert raw.startswith(b"HTTP/1.1 302 Found\r\n")
    assert b"\r\nlocation: " + location + b"\r\n" in raw


@pytest.mark.parametrize(
    "target",
    [
        "/fast-path/extra",
        "/api",
        "/docs",
    ],
)
def test_targets_that_are_not_a_cached_code_go_the_asgi_way(
    served: tuple[ServerProcess, str, str], target: str
) -> None:
    server, _, code = served
    httpx.get(f"{server.url}/{code}")
    raw = _exchange(server, b"GET " + target.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    status = int(raw.split(b" ", 2)[1])
    assert status != 302, raw[:200]


def test_a_get_with_a_body_does_not_confuse_the_next_request(
    served: tuple[ServerProcess, str, str],
) -> None:
    server, _, code = served
    httpx.get(f"{server.url}/{code}")
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(_get(code, extra=b"Content-Length: 5\r\n") + b"hello")
        assert sock.recv(65536).startswith(b"HTTP/1.1 302")
        sock.sendall(_get(code))
        assert sock.recv(65536).startswith(b"HTTP/1.1 302")


def test_served_redirects_are_counted(served: tuple[ServerProcess, str, str]) -> None:
    server, key, _ = served
    headers = {"Authorization": f"Bearer {key}"}
    created = httpx.post(
        f"{server.url}/api/v1/links", json={"url": "https://example.com/count"}, headers=headers
    ).json()["data"]
    marker = httpx.post(
        f"{server.url}/api/v1/links", json={"url": "https://example.com/after"}, headers=headers
    ).json()["data"]

    def scans(link: dict[str, str]) -> int:
        found = httpx.get(f"{server.url}/api/v1/links/{link['id']}", headers=headers).json()
        return int(found["data"]["scan_count"])

    with httpx.Client(headers={"User-Agent": BROWSER}) as client:
        for _ in range(25):
            assert client.get(f"{server.url}/{created['short_code']}").status_code == 302
        wait_until(lambda: scans(created) >= 25, "25 scans counted", timeout=5)
        # Scans are written in the order they were served: once a later one is counted, a
        # second count of any of the 25 would have been written too.
        assert client.get(f"{server.url}/{marker['short_code']}").status_code == 302
    wait_until(lambda: scans(marker) == 1, "the later scan counted", timeout=5)
    assert scans(created) == 25
