"""Analytics latency at scale and the scan writer's ingest rate, on SQLite and PostgreSQL.

For each database: a fresh database (PostgreSQL: a throwaway cluster, as the tests start),
one enterprise workspace, `--links` links, and `--events` realistic scans over `--days` days
written by `xqr dev seed-scans`' code (the real Enricher and write_batch). Then:

- latency: every analytics endpoint (with the variants that cost most: 90 days, all, hourly,
  a time zone with a half-hour offset, the busiest link) is called `--requests` times through
  the in-process app (httpx ASGI transport); p50 and p95 per endpoint;
- ingest: `--ingest` scans of live traffic (1,000 links, skewed countries and devices, 50k
  visitors) are put in the scan buffer at once and the buffered writer (its real background
  loop) drains them, with the process pinned to one core; scans/s by the wall clock and per
  CPU-second, and the longest the event loop waited meanwhile (a 1 ms ticker's worst lag).

Prints a table and writes bench/results/analytics.json.

    python bench/analytics.py [--events 10000000] [--links 1000] [--days 90] [--requests 30]
                              [--ingest 200000] [--backends sqlite,postgres] [--output FILE]

Results of a backend not run are kept from an earlier run of the same size in the output file.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))


def pin_to_one_core() -> None:
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {0})


def unpin() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


async def prepare(url: str, data_dir: Path) -> tuple[Any, uuid.UUID, str]:
    from xqr.auth import service as keys
    from xqr.config import Settings
    from xqr.context import AppContext
    from xqr.db.migrate import upgrade
    from xqr.workspaces import service as workspaces

    settings = Settings(
        data_dir=data_dir,
        database_url=url,
        secret_key="bench-secret-not-for-production",
        log_level="WARNING",
        access_log=False,
        run_background=False,
    )
    ctx = AppContext.from_settings(settings)
    await upgrade(ctx.engine)
    async with ctx.sessionmaker() as session:
        workspace = await workspaces.create_workspace(
            session, name="Bench", plan="enterprise", owner_email=None
        )
        created = await keys.create_key(
            session, workspaces.tenant_for(workspace, ctx.plans), scopes="*"
        )
        await session.commit()
    return ctx, workspace.id, created.plaintext


async def seed(ctx: Any, workspace_id: uuid.UUID, args: argparse.Namespace) -> dict[str, Any]:
    from xqr.scans.seeding import seed_scans

    last = [time.perf_counter()]

    def progress(done: int, total: int) -> None:
        if time.perf_counter() - last[0] > 30 or done == total:
            last[0] = time.perf_counter()
            print(f"    {done:,} / {total:,}", flush=True)

    cpu = time.process_time()
    result = await seed_scans(
        ctx,
        workspace_id,
        links=args.links,
        events=args.events,
        days=args.days,
        seed=1,
        progress=progress,
    )
    return {
        "generated": result.generated,
        "written": result.written,
        "seconds": round(result.seconds, 1),
        "scans_per_s": round(result.per_second),
        "cpu_us_per_scan": round((time.process_time() - cpu) / result.generated * 1e6, 1),
    }


async def latencies(settings: Any, key: str, requests: int) -> dict[str, dict[str, float]]:
    from xqr.app import create_app

    app = create_app(settings)
    app.freeze_after_start = True  # as `xqr serve` runs it
    results: dict[str, dict[str, float]] = {}
    async with app.api.router.lifespan_context(app.api):
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {key}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", headers=headers, timeout=60
        ) as client:
            top = (
                await client.get("/api/v1/analytics/top-links", params={"period": "90d"})
            ).json()["data"]
            links = (await client.get("/api/v1/links", params={"limit": 200})).json()["data"]
            busiest = top[0]["id"]
            typical = links[len(links) // 2]["id"]
            ny, kolkata = {"timezone": "America/New_York"}, {"timezone": "Asia/Kolkata"}
            d90, hour = {"period": "90d"}, {"granularity": "hour"}
            cases: list[tuple[str, str, dict[str, Any]]] = [
                ("summary 30d", "summary", {}),
                ("summary 90d", "summary", d90),
                ("summary all, Asia/Kolkata", "summary", {"period": "all", **kolkata}),
                ("timeseries 90d day", "timeseries", d90),
                ("timeseries 90d day, New York", "timeseries", {**d90, **ny}),
                ("timeseries 30d hour", "timeseries", hour),
                ("geography 90d", "geography", d90),
                ("devices 90d", "devices", d90),
                ("top-links 90d (10)", "top-links", d90),
                ("top-links 30d (100), New York", "top-links", {"limit": 100, **ny}),
                ("links/{busiest} 90d", f"links/{busiest}", d90),
                ("links/{busiest} all, Kolkata", f"links/{busiest}", {"period": "all", **kolkata}),
                ("links/{typical} 90d", f"links/{typical}", d90),
                ("timeseries 30d hour, busiest link", "timeseries", {**hour, "link_id": busiest}),
                ("geography 90d, busiest link", "geography", {**d90, "link_id": busiest}),
                ("devices 90d, busiest link", "devices", {**d90, "link_id": busiest}),
            ]
            for name, path, params in cases:
                timings = []
                for i in range(requests + 2):
                    started = time.perf_counter()
                    response = await client.get(f"/api/v1/analytics/{path}", params=params)
                    elapsed = (time.perf_counter() - started) * 1000
                    assert response.status_code == 200, response.text
                    if i >= 2:  # the first two warm caches
                        timings.append(elapsed)
                results[name] = {
                    "p50_ms": round(statistics.median(timings), 1),
                    "p95_ms": round(percentile(timings, 95), 1),
                }
                print(
                    f"    {name:<38}{results[name]['p50_ms']:>8.1f}{results[name]['p95_ms']:>8.1f}"
                )
    return results


async def ingest(ctx: Any, workspace_id: uuid.UUID, count: int) -> dict[str, Any]:
    """The buffered writer's background loop draining `count` live scans, on one core."""
    from xqr.core.clock import utcnow
    from xqr.links.service import list_links
    from xqr.scans.buffer import ScanBuffer
    from xqr.scans.synthetic import SyntheticTraffic
    from xqr.scans.writer import ScanWriter
    from xqr.workspaces.service import get_workspace, tenant_for

    async with ctx.sessionmaker() as session:
        tenant = tenant_for(await get_workspace(session, workspace_id), ctx.plans)
        links, _ = await list_links(session, tenant, label=None, search=None, limit=1000, offset=0)
        link_ids = [link.id for link in links]
    now = utcnow()
    traffic = SyntheticTraffic(workspace_id, link_ids, seed=2, visitors=50_000)
    raw = [s for chunk in traffic.scans(count, now - timedelta(seconds=10), now) for s in chunk]
    buffer = ScanBuffer(ctx.settings.scan_batch_size)
    writer = ScanWriter(
        buffer,
        ctx.sessionmaker,
        secret=ctx.settings.secret,
        interval=ctx.settings.scan_flush_interval_ms / 1000,
    )
    await writer.start()
    worst_lag = 0.0
    lags: list[float] = []

    async def ticker() -> None:
        nonlocal worst_lag
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.001)
            lag = time.perf_counter() - before - 0.001
            lags.append(lag)
            worst_lag = max(worst_lag, lag)

    pin_to_one_core()
    try:
        tick = asyncio.create_task(ticker())
        cpu, started = time.process_time(), time.perf_counter()
        for scan in raw:
            buffer.add(scan)
        expected = count
        while writer.written + writer.skipped_bots < expected:
            await asyncio.sleep(0.01)
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu
        tick.cancel()
        await writer.stop()
    finally:
        unpin()
    return {
        "scans": count,
        "written": writer.written,
        "wall_s": round(wall, 2),
        "scans_per_s": round(count / wall),
        "cpu_us_per_scan": round(cpu / count * 1e6, 1),
        "scans_per_cpu_s": round(count / cpu),
        "loop_lag_max_ms": round(worst_lag * 1000, 2),
        "loop_lag_p99_ms": round(percentile(lags, 99) * 1000, 2),
        "failures": writer.failures,
    }


async def run_backend(
    name: str, url: str, data_dir: Path, args: argparse.Namespace
) -> dict[str, Any]:
    print(
        f"\n== {name}: seeding {args.events:,} scans over {args.days} days, {args.links} links",
        flush=True,
    )
    ctx, workspace_id, key = await prepare(url, data_dir)
    result: dict[str, Any] = {"seed": await seed(ctx, workspace_id, args)}
    print(f"   seeded: {result['seed']}", flush=True)
    if not ctx.settings.is_sqlite:  # autovacuum would, given time: give the planner its stats
        from sqlalchemy import text

        async with ctx.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("ANALYZE"))
    print(f"   latency (ms, {args.requests} requests each){'p50':>8}{'p95':>8}", flush=True)
    result["latency"] = await latencies(ctx.settings, key, args.requests)
    result["ingest"] = await ingest(ctx, workspace_id, args.ingest)
    print(f"   ingest: {result['ingest']}", flush=True)
    await ctx.close()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--links", type=int, default=1000)
    parser.add_argument("--days", type=float, default=90)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--ingest", type=int, default=200_000)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--output", default=str(RESULTS / "analytics.json"))
    args = parser.parse_args()
    results: dict[str, Any] = {
        "events": args.events,
        "links": args.links,
        "days": args.days,
        "requests": args.requests,
    }
    workdir = Path(tempfile.mkdtemp(prefix="xqr-bench-analytics-"))
    try:
        backends = args.backends.split(",")
        if "sqlite" in backends:
            url = f"sqlite+aiosqlite:///{workdir / 'sqlite' / 'xqr.db'}"
            results["sqlite"] = asyncio.run(run_backend("SQLite", url, workdir / "sqlite", args))
        if "postgres" in backends:
            from tests.support.postgres import TemporaryPostgres

            cluster = TemporaryPostgres()
            server = cluster.start()
            try:
                url = server.rsplit("/", 1)[0] + "/postgres"
                results["postgres"] = asyncio.run(
                    run_backend("PostgreSQL", url, workdir / "postgres", args)
                )
            finally:
                cluster.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    output = Path(args.output)
    if output.exists():  # keep another backend's results from a run of the same size
        previous = json.loads(output.read_text())
        if previous.get("events") == args.events:
            for backend in ("sqlite", "postgres"):
                if backend not in results and backend in previous:
                    results[backend] = previous[backend]
    report(results)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2) + "\n")
    return 0


def report(results: dict[str, Any]) -> None:
    backends = [b for b in ("sqlite", "postgres") if b in results]
    print(f"\n{results['events']:,} scans over {results['days']} days, {results['links']} links; "
          f"{results['requests']} requests per endpoint (ms)\n")  # fmt: skip
    header = f"{'endpoint':<40}" + "".join(f"{b + ' p50':>14}{b + ' p95':>14}" for b in backends)
    print(header)
    names = list(results[backends[0]]["latency"]) if backends else []
    for name in names:
        row = f"{name:<40}"
        for b in backends:
            cell = results[b]["latency"][name]
            row += f"{cell['p50_ms']:>14.1f}{cell['p95_ms']:>14.1f}"
        print(row)
    print()
    for b in backends:
        s, i = results[b]["seed"], results[b]["ingest"]
        print(
            f"{b}: seeded {s['written']:,} scans in {s['seconds']:,} s ({s['scans_per_s']:,}/s); "
            f"ingest {i['scans_per_s']:,} scans/s wall, {i['scans_per_cpu_s']:,} per CPU-s "
            f"({i['cpu_us_per_scan']} µs/scan), loop lag max {i['loop_lag_max_ms']} ms, "
            f"p99 {i['loop_lag_p99_ms']} ms"
        )


if __name__ == "__main__":
    sys.exit(main())
