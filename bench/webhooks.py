"""Webhook delivery throughput and event-to-delivery latency of one `xqr worker`.

Starts a fast local receiver (a raw asyncio HTTP server in a subprocess, on its own core when
there are two), a fresh database with webhook endpoints pointing at it, and one `xqr worker`
(on the other core). Then:

- throughput: N deliveries are committed at once; deliveries/s = N / (last arrival − commit);
  the steady rate between the first and last arrival is shown beside it;
- latency: events are emitted one by one (each its own transaction, 20–60 ms apart, like
  live traffic); latency = arrival at the receiver − commit of the emitting transaction.

Prints a table and writes bench/results/webhooks.json (medians of the runs).

    python bench/webhooks.py [--deliveries 5000] [--endpoints 1] [--trickle 300] [--runs 3]
                             [--postgres | --database-url postgresql+asyncpg://…]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
XQR = str(Path(sys.executable).parent / "xqr")

RECEIVER = textwrap.dedent(
    r"""
    import asyncio, json, sys, time
    try:
        import uvloop
        uvloop.install()
    except ImportError:
        pass

    arrivals = {}

    class Handler(asyncio.Protocol):
        def connection_made(self, transport):
            self.transport = transport
            self.buffer = b""

        def data_received(self, data):
            self.buffer += data
            while True:
                end = self.buffer.find(b"\r\n\r\n")
                if end < 0:
                    return
                head = self.buffer[:end].decode("latin-1")
                length = 0
                delivery = None
                for line in head.split("\r\n")[1:]:
                    name, _, value = line.partition(":")
                    name = name.strip().lower()
                    if name == "content-length":
                        length = int(value)
                    elif name == "x-xqr-delivery":
                        delivery = value.strip()
                if len(self.buffer) < end + 4 + length:
                    return
                self.buffer = self.buffer[end + 4 + length:]
                now = time.time()
                body = b"ok"
                if delivery is not None:
                    arrivals.setdefault(delivery, now)
                elif head.startswith("GET /stats"):
                    body = json.dumps(arrivals).encode()
                elif head.startswith("POST /reset"):
                    arrivals.clear()
                self.transport.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
                    + str(len(body)).encode() + b"\r\n\r\n" + body
                )

    async def main():
        loop = asyncio.get_running_loop()
        server = await loop.create_server(Handler, "127.0.0.1", 0, backlog=1024)
        print(server.sockets[0].getsockname()[1], flush=True)
        await server.serve_forever()

    asyncio.run(main())
    """
)


def pinned(core: int, command: list[str]) -> list[str]:
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        return ["taskset", "-c", str(core), *command]
    return command


class Receiver:
    def __init__(self) -> None:
        self.process = subprocess.Popen(
            pinned(0, [sys.executable, "-c", RECEIVER]), stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        self.port = int(self.process.stdout.readline())
        self.base = f"http://127.0.0.1:{self.port}"
        self.http = httpx.Client(timeout=10)

    def arrivals(self) -> dict[str, float]:
        data: dict[str, float] = self.http.get(f"{self.base}/stats").json()
        return data

    def reset(self) -> None:
        self.http.post(f"{self.base}/reset")

    def wait_for(self, ids: set[str], timeout: float) -> dict[str, float]:
        deadline = time.monotonic() + timeout
        while True:
            arrivals = self.arrivals()
            if ids <= arrivals.keys():
                return arrivals
            if time.monotonic() > deadline:
                missing = len(ids - arrivals.keys())
                raise RuntimeError(f"{missing} deliveries did not arrive within {timeout} s")
            time.sleep(0.05)

    def stop(self) -> None:
        self.http.close()
        self.process.terminate()
        self.process.wait()


async def prepare(database_url: str, data_dir: Path, receiver: Receiver, endpoints: int) -> Any:
    """Migrate, create a workspace and `endpoints` webhooks to the receiver; return ctx."""
    from xqr.config import Settings
    from xqr.context import AppContext
    from xqr.db.migrate import upgrade
    from xqr.webhooks import service
    from xqr.webhooks.secret_store import SigningSecrets
    from xqr.workspaces import service as workspaces

    # The worker's data dir: it opens the signing secrets with the same `secret.key`.
    settings = Settings(database_url=database_url, data_dir=data_dir, webhooks_allow_private=True)
    ctx = AppContext.from_settings(settings)
    await upgrade(ctx.engine)
    async with ctx.sessionmaker() as session:
        workspace = await workspaces.create_workspace(session, name="Bench", plan="enterprise")
        tenant = workspaces.tenant_for(workspace, ctx.plans)
        for n in range(endpoints):
            await service.create_webhook(
                session,
                tenant,
                url=f"{receiver.base}/hook/{n}",
                events=["*"],
                description=None,
                allow_private=True,
                secrets=SigningSecrets(settings.secret),
            )
        await session.commit()
    return ctx, workspace.id


async def emit_batch(ctx: Any, workspace_id: uuid.UUID, count: int) -> tuple[set[str], float]:
    """Commit `count` events in one transaction; return their delivery ids and commit time."""
    from xqr.webhooks.outbox import emit

    ids: set[str] = set()
    async with ctx.sessionmaker() as session:
        for n in range(count):
            for delivery in await emit(session, workspace_id, "link.scanned", {"n": n}):
                ids.add(str(delivery.id))
        await session.commit()
    return ids, time.time()


async def trickle(
    ctx: Any, workspace_id: uuid.UUID, count: int, rng: random.Random
) -> dict[str, float]:
    """Emit events one by one; return delivery id -> commit time."""
    from xqr.webhooks.outbox import emit

    committed: dict[str, float] = {}
    for n in range(count):
        async with ctx.sessionmaker() as session:
            deliveries = await emit(session, workspace_id, "link.created", {"n": n})
            await session.commit()
        now = time.time()
        for delivery in deliveries:
            committed[str(delivery.id)] = now
        await asyncio.sleep(rng.uniform(0.02, 0.06))
    return committed


def start_worker(database_url: str, data_dir: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XQR_")}
    env.update(
        {
            "XQR_DATABASE_URL": database_url,
            "XQR_DATA_DIR": str(data_dir),
            "XQR_WEBHOOKS_ALLOW_PRIVATE": "1",
            "XQR_LOG_LEVEL": "WARNING",
        }
    )
    log = (data_dir / "worker.log").open("wb")
    process = subprocess.Popen(
        pinned(1, [XQR, "worker"]), env=env, stdout=log, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 30
    while b"worker running" not in (data_dir / "worker.log").read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError((data_dir / "worker.log").read_text())
        time.sleep(0.05)
    return process


def cpu_seconds(process: subprocess.Popen[bytes]) -> float:
    """User + system CPU time the process has used so far (Linux)."""
    fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def one_run(args: argparse.Namespace, receiver: Receiver, run: int) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="xqr-bench-webhooks-"))
    database_url = args.database_url or f"sqlite+aiosqlite:///{folder / 'xqr.db'}"
    if args.database_url:
        database_url = await fresh_postgres_database(args.database_url, run)
    receiver.reset()
    ctx, workspace_id = await prepare(database_url, folder, receiver, args.endpoints)
    worker = start_worker(database_url, folder)
    try:
        per_endpoint = max(1, args.deliveries // args.endpoints)
        cpu_before = cpu_seconds(worker)
        ids, committed_at = await emit_batch(ctx, workspace_id, per_endpoint)
        arrivals = receiver.wait_for(ids, timeout=300)
        cpu_used = cpu_seconds(worker) - cpu_before
        times = sorted(arrivals[i] for i in ids)
        throughput = len(ids) / (times[-1] - committed_at)
        steady = (len(ids) - 1) / (times[-1] - times[0])
        load = os.getloadavg()[0]

        committed = await trickle(ctx, workspace_id, args.trickle, random.Random(run))
        arrivals = receiver.wait_for(set(committed), timeout=60)
        latencies = [(arrivals[i] - t) * 1000 for i, t in committed.items()]
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
        await ctx.close()
        shutil.rmtree(folder, ignore_errors=True)
    return {
        "deliveries": len(ids),
        "deliveries_per_s": round(throughput, 1),
        "steady_deliveries_per_s": round(steady, 1),
        # What the worker could do with a core to itself: deliveries per CPU-second it used
        # (the machine may be shared; wall-clock rates then understate it).
        "deliveries_per_worker_cpu_s": round(len(ids) / cpu_used, 1) if cpu_used else None,
        "load_average": round(load, 2),
        "latency_events": len(latencies),
        "latency_p50_ms": round(statistics.median(latencies), 1),
        "latency_p95_ms": round(percentile(latencies, 0.95), 1),
        "latency_max_ms": round(max(latencies), 1),
    }


async def fresh_postgres_database(server_url: str, run: int) -> str:
    from sqlalchemy import text

    from xqr.db.engine import make_engine

    name = f"xqr_bench_webhooks_{os.getpid()}_{run}"
    engine = make_engine(server_url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        await conn.execute(text(f"CREATE DATABASE {name}"))
    await engine.dispose()
    return server_url.rsplit("/", 1)[0] + f"/{name}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deliveries", type=int, default=5000)
    parser.add_argument("--endpoints", type=int, default=1)
    parser.add_argument("--trickle", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--database-url",
        default=None,
        help="A PostgreSQL server URL (a fresh database is created per run); default SQLite.",
    )
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="Start a throwaway PostgreSQL cluster (initdb/pg_ctl) and bench on it.",
    )
    args = parser.parse_args()
    cluster = None
    if args.postgres and not args.database_url:
        sys.path.insert(0, str(ROOT))
        from tests.support.postgres import TemporaryPostgres

        cluster = TemporaryPostgres()
        args.database_url = cluster.start()
    receiver = Receiver()
    runs = []
    try:
        for run in range(args.runs):
            result = asyncio.run(one_run(args, receiver, run))
            runs.append(result)
            print(f"run {run + 1}: {result}", flush=True)
    finally:
        receiver.stop()
        if cluster is not None:
            cluster.stop()
    keys = [k for k in runs[0] if k not in ("deliveries", "latency_events")]
    median = {k: round(statistics.median(r[k] for r in runs if r[k] is not None), 1) for k in keys}
    backend = "postgresql" if args.database_url else "sqlite"
    print()
    print(
        f"webhooks, one `xqr worker`, {backend}, {args.endpoints} endpoint(s), "
        f"medians of {len(runs)} runs"
    )
    print(f"| {'metric':<28} | {'value':>10} | goal |")
    print(f"|{'-' * 30}|{'-' * 12}|------|")
    goals = {"deliveries_per_s": "≥ 500", "latency_p50_ms": "< 200"}
    for key in keys:
        print(f"| {key:<28} | {median[key]:>10} | {goals.get(key, '')} |")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "webhooks.json"
    existing = json.loads(out.read_text()) if out.exists() else {}
    existing[f"{backend}_{args.endpoints}_endpoints"] = {
        "backend": backend,
        "endpoints": args.endpoints,
        "deliveries": args.deliveries,
        "trickle_events": args.trickle,
        "cpus": os.cpu_count(),
        "median": median,
        "runs": runs,
    }
    out.write_text(json.dumps(existing, indent=2) + "\n")
    print(f"\nwrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
