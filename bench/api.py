"""API calls per second through the auth step's burst limiter: per process, and shared in Redis.

Calls the ASGI app directly (no network between client and app; Redis on localhost) with
`GET /api/v1/workspace` and a Pro key whose burst is raised out of reach (a plans file), so
every call goes through the whole auth step — key, burst limiter, monthly quota count — and
is answered 200. Two configurations, side by side:

- per process: no `XQR_REDIS_URL`, the in-memory token bucket;
- Redis: `XQR_REDIS_URL` set, the GCRA script in Redis (one round trip per call).

Each runs `--requests` calls one after another (latency) and the same with `--concurrency`
calls in flight (throughput), and the limiter alone (`take` per second), in rounds taken in
turns by the two (both are up at once), so both meet the same moments of a shared machine.
Starts a throwaway `redis-server` (installed with apt-get when missing). SQLite databases in
a temporary folder.
Prints a table and writes bench/results/api.json.

    python bench/api.py [--requests 2000] [--concurrency 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import AccountFactory, make_settings  # noqa: E402
from tests.links.linkkit import plans_file  # noqa: E402
from xqr.app import create_app  # noqa: E402
from xqr.db.engine import make_engine  # noqa: E402
from xqr.db.migrate import upgrade  # noqa: E402

RESULTS = ROOT / "bench" / "results"
PATH = "/api/v1/workspace"


def ensure_redis() -> None:
    if shutil.which("redis-server") or not shutil.which("apt-get"):
        return
    print("installing redis-server with apt-get …", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "redis-server"], check=True, env=env)


async def call(app: Any, key: str) -> int:
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": PATH,
        "raw_path": PATH.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"bench"), (b"authorization", f"Bearer {key}".encode())],
        "client": ("10.0.0.1", 5000),
        "server": ("bench", 80),
    }
    await app(scope, receive, send)
    return status


async def started_app(folder: Path, redis_url: str | None, stack: AsyncExitStack) -> Any:
    """The app on a fresh SQLite database, its lifespan running, and a Pro key."""
    folder.mkdir(parents=True, exist_ok=True)
    url = f"sqlite+aiosqlite:///{folder}/xqr.db"
    engine = make_engine(url)
    await upgrade(engine)
    await engine.dispose()
    settings = make_settings(
        url,
        folder / "data",
        plans_file=plans_file(folder, burst_per_second=10_000_000, monthly_calls=100_000_000),
        redis_url=redis_url,
        run_background=False,
    )
    app = create_app(settings)
    await stack.enter_async_context(app.api.router.lifespan_context(app.api))
    if redis_url:
        deadline = time.monotonic() + 10
        while not app.ctx.parts.redis.up and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
    account = await AccountFactory(app.ctx)(plan="pro")
    for _ in range(100):  # warm-up: caches, connections, the script loaded
        assert await call(app, account.key) == 200
    return app, account


async def one_round(app: Any, account: Any, n: int, concurrency: int) -> dict[str, float]:
    latencies = []
    started = time.perf_counter()
    for _ in range(n):
        begin = time.perf_counter()
        assert await call(app, account.key) == 200
        latencies.append(time.perf_counter() - begin)
    sequential = n / (time.perf_counter() - started)

    async def lane(calls: int) -> None:
        for _ in range(calls):
            assert await call(app, account.key) == 200

    per_lane = max(1, n // concurrency)
    started = time.perf_counter()
    await asyncio.gather(*(lane(per_lane) for _ in range(concurrency)))
    concurrent = per_lane * concurrency / (time.perf_counter() - started)

    shared = app.ctx.parts.shared_burst
    started = time.perf_counter()
    for _ in range(n):
        if shared is not None:
            await shared.take(account.key_id, 10_000_000)
        else:
            app.ctx.burst.take(account.key_id, 10_000_000)
    takes = n / (time.perf_counter() - started)
    latencies.sort()
    return {
        "sequential_calls_per_s": sequential,
        "p50_us": latencies[len(latencies) // 2] * 1e6,
        "p99_us": latencies[int(len(latencies) * 0.99)] * 1e6,
        "concurrent_calls_per_s": concurrent,
        "limiter_takes_per_s": takes,
    }


async def measure(folder: Path, redis_url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Both configurations up at once, taking turns round by round, so both meet the same
    moments of a shared machine; the medians of the rounds are reported."""
    rounds: dict[str, list[dict[str, float]]] = {"per process": [], "redis": []}
    async with AsyncExitStack() as stack:
        apps = {
            "per process": await started_app(folder / "local", None, stack),
            "redis": await started_app(folder / "redis", redis_url, stack),
        }
        per_round = max(1, args.requests // args.rounds)
        for _ in range(args.rounds):
            for name, (app, account) in apps.items():
                rounds[name].append(await one_round(app, account, per_round, args.concurrency))
    return {
        name: {field: round(statistics.median(r[field] for r in results)) for field in results[0]}
        for name, results in rounds.items()
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    ensure_redis()
    from tests.support.redis import RedisServer

    results: dict[str, Any] = {"load": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="xqr-bench-api-") as folder, RedisServer() as redis:
        results.update(asyncio.run(measure(Path(folder), redis.url, args)))
    rows = [
        ("calls/s, one at a time", "sequential_calls_per_s"),
        ("p50 µs", "p50_us"),
        ("p99 µs", "p99_us"),
        (f"calls/s, {args.concurrency} in flight", "concurrent_calls_per_s"),
        ("limiter alone, takes/s", "limiter_takes_per_s"),
    ]
    print(
        f"\nGET {PATH}, Pro key, {args.requests} calls each in {args.rounds} rounds taken in "
        "turns, in process (SQLite); medians of the rounds"
    )
    print(f"load average at start: {' '.join(f'{x:.1f}' for x in results['load'])}\n")
    print(f"{'':<28}{'per process':>14}{'Redis':>12}")
    for label, field in rows:
        print(f"{label:<28}{results['per process'][field]:>14,}{results['redis'][field]:>12,}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "api.json").write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
