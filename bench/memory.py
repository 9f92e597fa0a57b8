"""Memory after a burst: `xqr serve` (SQLite, one process) takes 200,000 redirects from 100,000
visitors (wrk, X-Forwarded-For through a trusted proxy), then rests; its resident memory is
read from /proc before, at the peak, and once the scan writer has stored everything.

What stays after the burst is what the caps allow for the rest of the day: the writer's visitor
memory (`XQR_SCAN_VISITOR_MEMORY` visitor-days), the enricher's and the routing rules'
per-visitor memos, and the client-address memo, all bounded (see docs/scans.md). The run fails
(exit status 1) when the memory after the burst exceeds the baseline by more than `--bound-mb`.

    python bench/memory.py [--requests 200000] [--visitors 100000] [--bound-mb 160]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from redirect import (  # the redirect benchmark's server and load helpers
    BROWSER,
    ensure_tools,
    free_port,
    run_wrk,
    seed,
    settled_scans,
    start_xqr,
)


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def lag_scans(base: str) -> float:
    for line in httpx.get(f"{base}/metrics", timeout=10).text.splitlines():
        if line.startswith("xqr_scan_writer_lag_scans "):
            return float(line.split()[1])
    return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--visitors", type=int, default=100_000)
    parser.add_argument("--links", type=int, default=200)
    parser.add_argument("--bound-mb", type=float, default=160.0)
    args = parser.parse_args()
    ensure_tools()
    workdir = Path(tempfile.mkdtemp(prefix="xqr-memory-"))
    port = free_port()
    process, key = start_xqr(workdir, port)
    base = f"http://127.0.0.1:{port}"
    try:
        codes = seed(base, key, args.links)
        with httpx.Client(base_url=base, headers={"User-Agent": BROWSER}) as client:
            for code in codes:
                client.get(f"/{code}")
        settled_scans(base, key)
        baseline = rss_mb(process.pid)
        served = 0
        started = time.monotonic()
        while served < args.requests:
            run = run_wrk(base, [f"/{c}" for c in codes], 10, 50, workdir, visitors=args.visitors)
            served += run["requests"]
        burst_seconds = time.monotonic() - started
        peak = rss_mb(process.pid, "VmHWM")
        deadline = time.monotonic() + 300
        while lag_scans(base) != 0 and time.monotonic() < deadline:
            time.sleep(1)
        time.sleep(5)  # the writer's last batch released
        after = rss_mb(process.pid)
        stored = settled_scans(base, key)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(60)
        shutil.rmtree(workdir, ignore_errors=True)
    load = os.getloadavg()
    print(
        f"\n{served:,} redirects from {args.visitors:,} visitors in {burst_seconds:.0f} s "
        f"({stored:,} scans stored); load average {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f}\n"
    )
    print(f"{'RSS':<28}{'MB':>8}")
    print(f"{'before the burst':<28}{baseline:>8.0f}")
    print(f"{'peak (VmHWM)':<28}{peak:>8.0f}")
    print(f"{'after, scans all stored':<28}{after:>8.0f}")
    grown = after - baseline
    verdict = "within" if grown <= args.bound_mb else "OVER"
    print(f"\nheld after the burst: {grown:.0f} MB, {verdict} the bound of {args.bound_mb:.0f} MB")
    return 0 if grown <= args.bound_mb else 1


if __name__ == "__main__":
    sys.exit(main())
