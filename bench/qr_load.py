"""Redirects and memory while large QR codes render: `xqr serve` under a burst of PNG renders.

For each number of renders allowed at once (`XQR_QR_CONCURRENT_RENDERS`), a fresh `xqr serve`
(SQLite, in a session of its own, pinned with its render workers to core 0, or to
`--server-cores`) receives `--renders` concurrent `POST /api/v1/qr/generate` requests for the
largest PNG the API draws: 2,900 random characters (a version 40 symbol) at error correction L,
`dots` style, `--size` 22 (4,070 px a side, just under the cap), each with its own content so
nothing is cached. Meanwhile one client sends cached redirects one after another until the
last render is answered. The client runs on core 1.

Reported per setting: how long the burst took, the redirects' median, 99th percentile and
slowest answer during it (and, before the burst, with nothing else running), the server's
peak resident memory (VmHWM) and the sum of its child processes' peaks (the render workers and
multiprocessing's resource tracker). A last row sends the burst at `--refused-size` 50, which
the cap refuses with 400. `--runs` repeats each row and reports the median of each figure (the
machine the figures come from is shared and noisy). `--xqr` runs another build's `xqr`, to
compare builds (one without the cap: `--settings 40 --size 50 --refused-size 0`).

    python bench/qr_load.py [--renders 40] [--settings 1,2,4] [--size 22]
                            [--refused-size 50] [--runs 1] [--server-cores 0] [--xqr PATH]

Prints a table and writes bench/results/qr_load.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import signal
import statistics
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "qr_load.json"
XQR = str(Path(sys.executable).parent / "xqr")
CONTENT_CHARS = 2900
LARGEST_SIZE = 22
REFUSED_SIZE = 50
BASELINE_REDIRECTS = 200
PLANS_TOML = """
[plans.enterprise]
burst_per_second = 1000000
monthly_calls = 1000000000
"""


def pinned(cores: str, command: list[str]) -> list[str]:
    if (os.cpu_count() or 1) > 1 and cores != "all":
        return ["taskset", "-c", cores, *command]
    return command


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def peak_memory_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    found = re.search(r"VmHWM:\s+(\d+) kB", status)
    return round(int(found.group(1)) / 1024, 1) if found else float("nan")


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found.extend(int(child) for child in (task / "children").read_text().split())
    return found


def children_peak_memory_mb(pid: int) -> float:
    """The sum of the peaks of `pid`'s child processes (an upper bound of what they held at
    once); 0 without children."""
    return round(sum(peak_memory_mb(child) for child in children(pid)), 1)


class Server:
    """`xqr serve` on a fresh SQLite database with `renders_at_once` renders allowed."""

    def __init__(self, workdir: Path, renders_at_once: int, xqr: str, cores: str = "0") -> None:
        folder = Path(tempfile.mkdtemp(dir=workdir))
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        plans = folder / "plans.toml"
        plans.write_text(PLANS_TOML)
        env = {k: v for k, v in os.environ.items() if not k.startswith("XQR_")}
        env.update(
            XQR_DATA_DIR=str(folder / "data"),
            XQR_PUBLIC_URL=self.base,
            XQR_LOG_LEVEL="WARNING",
            XQR_ACCESS_LOG="false",
            XQR_PLANS_FILE=str(plans),
            XQR_RUN_BACKGROUND="false",
            XQR_QR_CONCURRENT_RENDERS=str(renders_at_once),
        )
        self.output = folder / "serve.out"
        with self.output.open("wb") as out:
            self.process = subprocess.Popen(
                pinned(cores, [xqr, "serve", "--port", str(self.port)]),
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                # A session of its own, as a service manager or a terminal starts a server:
                # not one the kernel's CPU sharing lumps together with this client's.
                start_new_session=True,
            )

    def wait_ready(self) -> str:
        """The API key `xqr serve` printed for its new database."""
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(self.output.read_text())
            time.sleep(0.2)
        found = re.search(r"xqr_pk_[0-9a-f]{8}\.[A-Za-z0-9_-]{64}", self.output.read_text())
        if found is None:
            raise RuntimeError("xqr serve printed no key (is the database empty?)")
        return found.group(0)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(30)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def redirect_times(client: httpx.AsyncClient, path: str, until: asyncio.Event) -> list[float]:
    """Milliseconds of each redirect, sent one after another until `until` is set."""
    times = []
    while not until.is_set():
        start = time.perf_counter()
        response = await client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        if response.status_code != 302:
            raise RuntimeError(f"redirect answered {response.status_code}")
    return times


async def burst(args: argparse.Namespace, server: Server, size: int) -> dict[str, Any]:
    key = server.wait_ready()
    headers = {"Authorization": f"Bearer {key}"}
    rng = random.Random(size)
    alphabet = string.ascii_letters + string.digits
    limits = httpx.Limits(max_connections=args.renders + 10)
    timeout = httpx.Timeout(300)
    async with httpx.AsyncClient(base_url=server.base, limits=limits, timeout=timeout) as client:
        link = await client.post(
            "/api/v1/links", json={"url": "https://example.com/"}, headers=headers
        )
        path = f"/{link.json()['data']['short_code']}"
        idle = []
        for _ in range(BASELINE_REDIRECTS):
            start = time.perf_counter()
            await client.get(path)
            idle.append((time.perf_counter() - start) * 1000)

        async def render() -> int:
            body = {
                "content": "".join(rng.choices(alphabet, k=CONTENT_CHARS)),
                "size": size,
                "format": "png",
                "error_correction": "L",
                "dot_style": "dots",
            }
            response = await client.post("/api/v1/qr/generate", json=body, headers=headers)
            return response.status_code

        done = asyncio.Event()
        redirects = asyncio.create_task(redirect_times(client, path, done))
        start = time.perf_counter()
        statuses = await asyncio.gather(*(render() for _ in range(args.renders)))
        seconds = time.perf_counter() - start
        done.set()
        during = await redirects
    return {
        "size": size,
        "statuses": {str(s): statuses.count(s) for s in sorted(set(statuses))},
        "burst_s": round(seconds, 2),
        "idle_redirect_p50_ms": round(statistics.median(idle), 2),
        "redirects_during": len(during),
        "redirect_p50_ms": round(statistics.median(during), 2),
        "redirect_p99_ms": round(percentile(during, 0.99), 2),
        "redirect_max_ms": round(max(during), 2),
        "peak_rss_mb": peak_memory_mb(server.process.pid),
        "children_peak_rss_mb": children_peak_memory_mb(server.process.pid),
        "children": len(children(server.process.pid)),
    }


def run_once(args: argparse.Namespace, workdir: Path, renders_at_once: int, size: int) -> dict:
    server = Server(workdir, renders_at_once, args.xqr, args.server_cores)
    try:
        return {"renders_at_once": renders_at_once, **asyncio.run(burst(args, server, size))}
    finally:
        server.stop()


def run(args: argparse.Namespace, workdir: Path, renders_at_once: int, size: int) -> dict:
    """The row of `--runs` runs: the median of each figure, and every run's."""
    runs = [run_once(args, workdir, renders_at_once, size) for _ in range(args.runs)]
    row = dict(runs[0])
    for name, value in runs[0].items():
        if isinstance(value, float) and name != "size":
            row[name] = round(statistics.median(r[name] for r in runs), 2)
    row["runs"] = runs
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=40, help="concurrent render requests")
    parser.add_argument(
        "--settings", default="1,2,4", help="values of XQR_QR_CONCURRENT_RENDERS to run"
    )
    parser.add_argument("--size", type=int, default=LARGEST_SIZE, help="pixels per module")
    parser.add_argument(
        "--refused-size", type=int, default=REFUSED_SIZE, help="size of the last row; 0: none"
    )
    parser.add_argument(
        "--server-cores",
        default="0",
        help="cores of the server and its workers (taskset -c), or all; the client uses core 1",
    )
    parser.add_argument("--runs", type=int, default=1, help="runs of each row (medians shown)")
    parser.add_argument("--xqr", default=XQR, help="the xqr executable to serve with")
    args = parser.parse_args()
    if (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {1})  # the client on the core the server does not use
    settings = [int(value) for value in args.settings.split(",")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="xqr-bench-qr-load-") as folder:
        workdir = Path(folder)
        for renders_at_once in settings:
            rows.append(run(args, workdir, renders_at_once, args.size))
        if args.refused_size:
            rows.append(run(args, workdir, settings[-1], args.refused_size))

    print(
        f"{args.renders} concurrent PNG renders of {CONTENT_CHARS} characters (version 40), "
        "EC L, dots; cached redirects one after another meanwhile"
    )
    header = (
        f"{'at once':>7} {'size':>4} {'answers':>10} {'burst s':>8} {'idle p50':>9} "
        f"{'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'peak MB':>8} {'children MB':>12}"
    )
    print(header)
    for r in rows:
        answers = ",".join(f"{n}x{s}" for s, n in r["statuses"].items())
        print(
            f"{r['renders_at_once']:>7} {r['size']:>4} {answers:>10} {r['burst_s']:>8} "
            f"{r['idle_redirect_p50_ms']:>9} {r['redirect_p50_ms']:>7} {r['redirect_p99_ms']:>7} "
            f"{r['redirect_max_ms']:>7} {r['peak_rss_mb']:>8} {r['children_peak_rss_mb']:>12}"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "qr_load",
                "renders": args.renders,
                "size": args.size,
                "runs": args.runs,
                "server_cores": args.server_cores,
                "xqr": args.xqr,
                "python": platform.python_version(),
                "machine": platform.machine(),
                "cpus": os.cpu_count(),
                "results": rows,
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
