"""Redirect throughput and latency: `xqr serve` against nginx's `return 302`, in one run.

Starts `xqr serve` (embedded defaults: SQLite, one process) and nginx (`return 302`, one
worker, the ceiling) pinned to one core, seeds links (some with routing rules), and drives
them with wrk pinned to the other core, taking turns: an xqr run, then (once xqr's writer has
stored that run's scans) an nginx run, and so on, so both meet the same moments of a shared
machine; the ratio of each xqr run to the nginx run after it is reported beside the ratio of
the medians. Each server first gets one unmeasured warm-up run of half the length. Requests
come from `--visitors` distinct public addresses (X-Forwarded-For, with 127.0.0.1 a trusted
proxy), so the scan writer stores as many visitors and rollup rows as real traffic makes. Two
loads, both at 50 connections:

- saturation: every connection sends its next request as soon as the last one is answered
  (throughput; latency then includes waiting behind 49 other connections on one core);
- paced: each connection waits between requests so that together they offer about
  `--paced-rate` requests per second (latency of a server that is busy but not overloaded).

Beside rates and latencies it reports what each server spent per request: CPU time (user plus
system, from /proc on Linux) over the request count; for xqr counted until its writer has
stored the run's scans, so its part of the writer's work done after the run is included.

Prints a table and writes bench/results/redirect.json. Installs wrk and nginx with apt-get
when they are missing. wrk counts only responses that arrive before its timer ends; a request
in flight at that moment is still served and recorded, so `recorded` may exceed `served` by up
to one request per connection and run. Lost scans are served minus recorded, when positive.

With `--redis`, xqr serve runs with `XQR_REDIS_URL` pointing at a throwaway `redis-server`
(installed with apt-get when missing): the redirect path never talks to Redis, so the ratio to
nginx should not move.

Then, on the same xqr server, the cost of link controls: one link each without controls, on
a custom domain (requests with its `Host`, resolved as `(host, code)`), with UTM parameters,
and with a password (sent as the 24-hour cookie the form sets, and as the
`X-Link-Password` header API clients use), driven one at a time at saturation, taking turns.

    python bench/redirect.py [--seconds 10] [--connections 50] [--links 200] [--runs 3]
                             [--paced-rate 10000] [--visitors 10000] [--controls-seconds 5]
                             [--redis] [--journal-only]

It also prints the scan journal's cost per redirect, measured in process: the scan buffer with
and without the journal (and the memory-map alternative), one after the other in one run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
BROWSER = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
XQR = str(Path(sys.executable).parent / "xqr")


def ensure_tools(*, redis: bool = False) -> None:
    tools = ("wrk", "nginx", "redis-server") if redis else ("wrk", "nginx")
    missing = [
        tool for tool in tools if not shutil.which(tool) and not Path(f"/usr/sbin/{tool}").exists()
    ]
    if missing and shutil.which("apt-get"):
        print(f"installing {' '.join(missing)} with apt-get …", flush=True)
        subprocess.run(["apt-get", "update", "-qq"], check=False)
        packages = [{"nginx": "nginx-light"}.get(m, m) for m in missing]
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", *packages],
            check=True,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )


def pinned(core: int, command: list[str]) -> list[str]:
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        return ["taskset", "-c", str(core), *command]
    return command


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(
    url: str,
    paths: list[str],
    seconds: int,
    connections: int,
    workdir: Path,
    rate: float | None = None,
    visitors: int = 1,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One wrk run; with `rate`, each connection pauses between requests to offer about that."""
    script = workdir / "paths.lua"
    listing = ", ".join(json.dumps(p) for p in paths)
    extra = "".join(f", [{json.dumps(k)}] = {json.dumps(v)}" for k, v in (headers or {}).items())
    pause = f"delay = function()\n  return {connections * 1000 / rate:.3f}\nend\n" if rate else ""
    # Each request comes from one of `visitors` public addresses in several countries
    # (X-Forwarded-For through a trusted proxy), so scans have as many visitor hashes, and
    # rollup rows, as real traffic would.
    script.write_text(
        f"local paths = {{{listing}}}\nlocal i = 0\nlocal visitors = {visitors}\n"
        "local firsts = {81, 89, 24, 73, 103, 41, 200, 177, 5, 151}\n"
        "request = function()\n  i = i + 1\n"
        "  local v = (i * 7919) % visitors\n"
        "  local ip = firsts[(v % 10) + 1] .. '.' .. (math.floor(v / 2560) % 256) .. '.'"
        "    .. (math.floor(v / 10) % 256) .. '.1'\n"
        # a headers table replaces wrk's -H headers, so it carries the User-Agent too
        f"  return wrk.format('GET', paths[(i % #paths) + 1], "
        f"{{['User-Agent'] = {json.dumps(BROWSER)}, ['X-Forwarded-For'] = ip{extra}}})\n"
        "end\n" + pause
    )
    output = subprocess.run(
        pinned(
            1,
            [
                "wrk",
                "-t1",
                f"-c{connections}",
                f"-d{seconds}s",
                "--latency",
                "-H",
                f"User-Agent: {BROWSER}",
                "-s",
                str(script),
                url,
            ],
        ),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", output)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", output)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    return {
        "rps": rps,
        "requests": total,
        "p50_ms": _ms(*p50.groups()) if p50 else float("nan"),
        "p99_ms": _ms(*p99.groups()) if p99 else float("nan"),
        "bad_responses": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }


def cpu_seconds(pids: list[int]) -> float | None:
    """User plus system CPU time the processes have used so far; None off Linux."""
    total = 0
    for pid in pids:
        try:
            # the fields after the command name; utime and stime are the 12th and 13th
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def per_request_us(before: float | None, after: float | None, requests: int) -> float:
    if before is None or after is None or not requests:
        return float("nan")
    return (after - before) / requests * 1e6


def start_xqr(
    workdir: Path, port: int, redis_url: str | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XQR_")}
    if redis_url:
        env["XQR_REDIS_URL"] = redis_url
    env.update(
        XQR_DATA_DIR=str(workdir / "data"),
        XQR_PUBLIC_URL=f"http://127.0.0.1:{port}",
        XQR_LOG_LEVEL="WARNING",
        XQR_ACCESS_LOG="false",
        XQR_TRUSTED_PROXIES="127.0.0.1",
        # The custom domain of the controls runs verifies against this server itself.
        XQR_DOMAINS_VERIFY_VIA=f"127.0.0.1:{port}",
    )
    out = (workdir / "xqr.out").open("wb")
    process = subprocess.Popen(
        pinned(0, [XQR, "serve", "--port", str(port)]),
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    wait_http(f"http://127.0.0.1:{port}/healthz")
    key = re.search(r"xqr_pk_[0-9a-f]{8}\.[A-Za-z0-9_-]{64}", (workdir / "xqr.out").read_text())
    assert key, "no key printed"
    return process, key.group(0)


def seed(base: str, key: str, count: int) -> list[str]:
    headers = {"Authorization": f"Bearer {key}"}
    codes: list[str] = []
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        for start in range(0, count, 100):
            items = []
            for i in range(start, min(start + 100, count)):
                items.append({"url": f"https://example.com/landing/{i}?utm_source=poster"})
            created = client.post("/api/v1/links/bulk", json={"links": items}).json()["data"][
                "created"
            ]
            codes.extend(link["short_code"] for link in created)
        # a fifth of the links route by country and device
        ids = client.get("/api/v1/links", params={"limit": 200}).json()["data"]
        for link in ids[: count // 5]:
            client.patch(
                f"/api/v1/links/{link['id']}",
                json={
                    "routing_rules": [
                        {
                            "destination": "https://example.de/",
                            "priority": 1,
                            "conditions": {"countries": ["DE", "AT"]},
                        },
                        {
                            "destination": "https://m.example.com/",
                            "priority": 2,
                            "conditions": {"device_types": ["mobile"]},
                        },
                    ]
                },
            ).raise_for_status()
    return codes


def total_scans(base: str, key: str) -> int:
    headers = {"Authorization": f"Bearer {key}"}
    total, offset = 0, 0
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        while True:
            body = client.get("/api/v1/links", params={"limit": 200, "offset": offset}).json()
            total += sum(link["scan_count"] for link in body["data"])
            offset += 200
            if offset >= body["meta"]["total"]:
                return total


def settled_scans(base: str, key: str, timeout: float = 30.0) -> int:
    """The scan total once the writer has caught up (two equal readings half a second apart)."""
    deadline = time.monotonic() + timeout
    previous = total_scans(base, key)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        current = total_scans(base, key)
        if current == previous:
            return current
        previous = current
    return previous


@contextlib.contextmanager
def xqr_server(
    args: argparse.Namespace, workdir: Path
) -> Iterator[tuple[str, str, list[str], int]]:
    """`xqr serve` with `args.links` seeded and cached links: (base URL, API key, paths, pid)."""
    port = free_port()
    process, key = start_xqr(workdir, port, args.redis_url)
    base = f"http://127.0.0.1:{port}"
    try:
        codes = seed(base, key, args.links)
        with httpx.Client(base_url=base, headers={"User-Agent": BROWSER}) as client:
            for code in codes:  # warm the cache; these scans are counted too
                assert client.get(f"/{code}").status_code == 302
        yield base, key, [f"/{c}" for c in codes], process.pid  # taskset execs xqr
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)


@contextlib.contextmanager
def nginx_server(workdir: Path) -> Iterator[tuple[str, list[int]]]:
    """nginx's `return 302`: (base URL, the pids of its master and worker)."""
    port = free_port()
    conf = workdir / "nginx.conf"
    conf.write_text(
        f"""worker_processes 1;
pid {workdir}/nginx.pid;
error_log {workdir}/nginx.err warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {workdir}/nginx-body;
  server {{
    listen 127.0.0.1:{port} reuseport;
    location / {{
      add_header Cache-Control "private, max-age=0" always;
      return 302 https://example.com/landing;
    }}
  }}
}}
"""
    )
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    process = subprocess.Popen(pinned(0, [nginx, "-c", str(conf), "-g", "daemon off;"]))
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(base)
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
        workers = [int(pid) for pid in children.read_text().split()] if children.exists() else []
        yield base, [process.pid, *workers]
    finally:
        process.send_signal(signal.SIGQUIT)
        process.wait(30)


def bench_both(args: argparse.Namespace, workdir: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Runs of xqr and nginx taking turns, so both meet the same moments of a shared machine.

    Both servers stay up, pinned to the same core; the idle one costs nothing. After each xqr
    run its writer is let finish (scans settled) before nginx's run, so it cannot take nginx's
    CPU.
    """
    xqr: dict[str, Any] = {"runs": [], "paced": []}
    nginx: dict[str, Any] = {"runs": [], "paced": []}
    with (
        nginx_server(workdir) as (nginx_base, nginx_pids),
        xqr_server(args, workdir) as (base, key, paths, xqr_pid),
    ):
        # One unmeasured run each first: xqr's first seconds store every visitor for the first
        # time that day and fill its memos, which later runs (and a server that has been up
        # for a while) do not pay. The tally of served and recorded scans starts after it.
        warmup = max(1, args.seconds // 2)
        run_wrk(base, paths, warmup, args.connections, workdir, None, args.visitors)
        run_wrk(nginx_base, ["/abc"], warmup, args.connections, workdir, None, args.visitors)
        before = settled_scans(base, key)

        def measured(
            pids: list[int], url: str, targets: list[str], rate: float | None, settle: bool
        ) -> dict[str, Any]:
            """One run with the CPU its server spent (until xqr's writer has caught up)."""
            cpu = cpu_seconds(pids)
            run = run_wrk(
                url, targets, args.seconds, args.connections, workdir, rate, args.visitors
            )
            if settle:
                settled_scans(base, key)
            run["cpu_us"] = per_request_us(cpu, cpu_seconds(pids), run["requests"])
            return run

        for load, rate in (("runs", None), ("paced", args.paced_rate)):
            for _ in range(args.runs):
                xqr[load].append(measured([xqr_pid], base, paths, rate, settle=True))
                nginx[load].append(measured(nginx_pids, nginx_base, ["/abc"], rate, settle=False))
        recorded = settled_scans(base, key) - before
        xqr["controls"] = bench_controls(args, workdir, base, key, xqr_pid)
    done = xqr["runs"] + xqr["paced"]
    xqr["served"] = sum(int(r["requests"]) for r in done)
    xqr["bad_responses"] = sum(int(r["bad_responses"]) for r in done)
    xqr["recorded"] = recorded
    return xqr, nginx


def journal_cost(scans: int = 20_000, repeats: int = 5) -> dict[str, float]:
    """What the scan journal adds to a redirect, in µs per scan, measured in this process
    (median of `repeats`): the buffer alone (no journal), the buffer with the journal as
    shipped (one `os.write` per scan), and, for comparison, the other way considered:
    encoding into a memory map (no system call; also survives `kill -9`)."""
    import mmap
    import uuid
    from datetime import UTC, datetime

    from xqr.scans.buffer import RawScan, ScanBuffer
    from xqr.scans.journal import ScanJournal, encode

    scan = RawScan(
        datetime.now(UTC),
        uuid.uuid4(),
        "link",
        uuid.uuid4(),
        None,
        "203.0.113.7",
        BROWSER,
        "https://news.example/story",
        None,
        True,
    )

    def timed(add: Any) -> float:
        samples = []
        for _ in range(repeats):
            started = time.process_time()  # CPU time: on a shared machine, not the waits
            for _ in range(scans):
                add(scan)
            samples.append((time.process_time() - started) / scans * 1e6)
        return statistics.median(samples)

    folder = Path(tempfile.mkdtemp(prefix="xqr-journal-bench-"))
    try:
        plain = ScanBuffer(10**9, max_items=10**9)
        journal = ScanJournal(folder / "j", max_bytes=1 << 34, fsync_interval=1.0)
        journal.open()
        journaled = ScanBuffer(10**9, journal=journal, max_items=10**9)
        size = 512 * scans * repeats
        with (folder / "mapped").open("wb+") as f:
            f.truncate(size)
            mapped = mmap.mmap(f.fileno(), size)
            at = [0]

            def map_append(item: Any) -> None:
                record = encode(item)
                end = at[0] + len(record)
                mapped[at[0] : end] = record
                at[0] = end

            result = {
                "buffer_only_us": timed(plain.add),
                "buffer_and_journal_us": timed(journaled.add),
                "encode_only_us": timed(encode),
                "encode_into_mmap_us": timed(map_append),
            }
            mapped.close()
        journal.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    result["journal_us"] = result["buffer_and_journal_us"] - result["buffer_only_us"]
    return result


def print_journal_cost(cost: dict[str, float], xqr_cpu_us: float | None) -> None:
    print("\nscan journal, per redirect (in-process CPU time, median of 5 × 20,000 scans):")
    print(f"  buffer only (no journal)           {cost['buffer_only_us']:6.2f} µs")
    print(f"  buffer + journal (os.write, ships) {cost['buffer_and_journal_us']:6.2f} µs")
    print(f"    of which encoding a record       {cost['encode_only_us']:6.2f} µs")
    print(f"  alternative: encode into an mmap   {cost['encode_into_mmap_us']:6.2f} µs")
    share = (
        f" ({cost['journal_us'] / xqr_cpu_us:.1%} of xqr's CPU per request)" if xqr_cpu_us else ""
    )
    print(f"  the journal's cost                 {cost['journal_us']:6.2f} µs{share}")


PASSWORD = "bench password"


DOMAIN = "go.bench.test"


def bench_controls(
    args: argparse.Namespace, workdir: Path, base: str, key: str, pid: int
) -> dict[str, list[dict[str, Any]]]:
    """Saturation runs of one link per kind of control, taking turns: {kind: runs}."""
    api = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base, timeout=30) as client:

        def link(**body: Any) -> str:
            created = client.post(
                "/api/v1/links", json={"url": "https://example.com/c", **body}, headers=api
            )
            created.raise_for_status()
            return f"/{created.json()['data']['short_code']}"

        plain = link()
        domain = client.post("/api/v1/domains", json={"hostname": DOMAIN}, headers=api)
        domain.raise_for_status()
        verified = client.post(
            f"/api/v1/domains/{domain.json()['data']['id']}/verify", headers=api
        ).json()["data"]
        assert verified["status"] == "verified", verified
        on_domain = link(domain=DOMAIN)
        assert client.get(on_domain, headers={"Host": DOMAIN}).status_code == 302
        utm = link(utm={"source": "qr", "medium": "poster", "campaign": "bench"})
        locked = link(password=PASSWORD)
        form = client.get(locked, headers={"User-Agent": BROWSER})
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', form.text)
        assert csrf, form.text
        unlocked = client.post(
            locked,
            data={"password": PASSWORD, "csrf": csrf.group(1)},
            headers={"User-Agent": BROWSER},
        )
        assert unlocked.status_code == 303, unlocked.text
        cookie = unlocked.headers["set-cookie"].split(";", 1)[0]
        for path in (plain, utm):
            assert client.get(path, headers={"User-Agent": BROWSER}).status_code == 302
    kinds: dict[str, tuple[str, dict[str, str]]] = {
        "no controls": (plain, {}),
        "custom domain": (on_domain, {"Host": DOMAIN}),
        "utm": (utm, {}),
        "password, cookie": (locked, {"Cookie": cookie}),
        "password, X-Link-Password": (locked, {"X-Link-Password": PASSWORD}),
    }
    results: dict[str, list[dict[str, Any]]] = {kind: [] for kind in kinds}
    for _ in range(args.runs):
        for kind, (path, headers) in kinds.items():
            cpu = cpu_seconds([pid])
            run = run_wrk(
                base,
                [path],
                args.controls_seconds,
                args.connections,
                workdir,
                None,
                args.visitors,
                headers,
            )
            settled_scans(base, key)
            run["cpu_us"] = per_request_us(cpu, cpu_seconds([pid]), run["requests"])
            results[kind].append(run)
    return results


def median(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(float(r[key]) for r in runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--links", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--paced-rate", type=float, default=10_000)
    parser.add_argument(
        "--visitors", type=int, default=10_000, help="distinct client addresses in the load"
    )
    parser.add_argument(
        "--redis", action="store_true", help="xqr serve with XQR_REDIS_URL (a local redis-server)"
    )
    parser.add_argument(
        "--journal-only", action="store_true", help="only the scan journal's cost per redirect"
    )
    parser.add_argument(
        "--controls-seconds", type=int, default=5, help="length of each link-controls run"
    )
    args = parser.parse_args()
    cost = journal_cost()
    if args.journal_only:
        print_journal_cost(cost, None)
        return 0
    ensure_tools(redis=args.redis)
    workdir = Path(tempfile.mkdtemp(prefix="xqr-bench-"))
    args.redis_url = None
    try:
        with contextlib.ExitStack() as stack:
            if args.redis:
                sys.path.insert(0, str(ROOT))
                from tests.support.redis import RedisServer

                args.redis_url = stack.enter_context(RedisServer()).url
            xqr, nginx = bench_both(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    n_rps, x_rps = median(nginx["runs"], "rps"), median(xqr["runs"], "rps")
    # Each xqr run against the nginx run right after it: the least noisy comparison.
    paired = statistics.median(
        x["rps"] / n["rps"] for x, n in zip(xqr["runs"], nginx["runs"], strict=True)
    )
    print(f"\nload average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(
        f"\nGET /{{code}} → 302, {args.connections} connections, {args.visitors:,} visitors, "
        f"{args.seconds}s × {args.runs} runs (medians)\n"
    )
    print(
        f"{'server':<38}{'load':<14}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'CPU µs/req':>12}{'of nginx':>10}"
    )
    label = "xqr serve (1 process, SQLite" + (", Redis)" if args.redis else ")")
    servers = (("nginx return 302 (1 worker)", nginx), (label, xqr))
    for load, runs_key in (("saturation", "runs"), (f"paced {args.paced_rate:,.0f}/s", "paced")):
        for name, result in servers:
            runs: list[dict[str, Any]] = result[runs_key]
            rps = median(runs, "rps")
            ratio = f"{x_rps / n_rps:>10.0%}" if runs_key == "runs" and result is xqr else ""
            print(
                f"{name:<38}{load:<14}{rps:>10,.0f}{median(runs, 'p50_ms'):>9.2f}"
                f"{median(runs, 'p99_ms'):>9.2f}{median(runs, 'cpu_us'):>12.1f}{ratio}"
            )
    pairs = ", ".join(
        f"{x['rps']:,.0f}/{n['rps']:,.0f}" for x, n in zip(xqr["runs"], nginx["runs"], strict=True)
    )
    print(
        f"\nxqr against the nginx run right after it, median of {args.runs}: {paired:.0%} ({pairs})"
    )
    lost = max(0, int(xqr["served"]) - int(xqr["recorded"]))
    print(
        f"\nscans: {xqr['served']:,} redirects served, {xqr['recorded']:,} recorded, "
        f"{lost} lost, {xqr['bad_responses']} non-302 responses"
    )
    print_journal_cost(cost, median(xqr["runs"], "cpu_us"))
    controls: dict[str, list[dict[str, Any]]] = xqr.get("controls", {})
    if controls:
        base_rps = median(controls["no controls"], "rps")
        print(
            f"\nlink controls, saturation, {args.controls_seconds}s × {args.runs} runs (medians)\n"
        )
        print(
            f"{'link':<28}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'CPU µs/req':>12}{'of plain':>10}"
        )
        for kind, runs in controls.items():
            rps = median(runs, "rps")
            print(
                f"{kind:<28}{rps:>10,.0f}{median(runs, 'p50_ms'):>9.2f}"
                f"{median(runs, 'p99_ms'):>9.2f}{median(runs, 'cpu_us'):>12.1f}"
                f"{rps / base_rps:>10.0%}"
            )
    RESULTS.mkdir(parents=True, exist_ok=True)
    result = {
        "journal_cost": cost,
        "connections": args.connections,
        "seconds": args.seconds,
        "paced_rate": args.paced_rate,
        "visitors": args.visitors,
        "nginx": nginx,
        "xqr": xqr,
        "ratio": x_rps / n_rps,
        "paired_ratio": paired,
        "lost_scans": lost,
        "redis": bool(args.redis),
        "load": os.getloadavg(),
    }
    name = "redirect-redis.json" if args.redis else "redirect.json"
    (RESULTS / name).write_text(json.dumps(result, indent=2))
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
