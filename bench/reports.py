"""How long a `links` report of many links takes to run, on SQLite and PostgreSQL.

For each database: a fresh database (PostgreSQL: a throwaway cluster, as the tests start), one
enterprise workspace with `--links` links, and `--scans` scans spread over them (a few links
scanned a lot, most a little) in the last `--days` days. Links and scans are seeded directly
as rows — links into `links`, scans as the daily and weekly rows of `scan_totals` that the
scan writer would have made for them — because a links report reads nothing else (the
per-link counts of a period come from those rollups, as `/analytics/top-links` does); seeding
them through the ingest path would take hours here.

Then a `links` report of the last 30 days (UTC) is run `--runs` times per format by the report
worker in this process (`run_once`: claim, query, build the file, store it), timed by the wall
clock; plus the API download of the file.

Prints a table and writes bench/results/reports.json.

    python bench/reports.py [--links 100000] [--scans 10000000] [--days 30] [--runs 3]
                            [--formats csv,json,pdf] [--backends sqlite,postgres] [--output FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))

CHUNK = 5_000


def scan_counts(links: int, scans: int, rng: random.Random) -> list[int]:
    """Scans per link summing to `scans`: a long tail (Zipf-like weights), shuffled."""
    weights = [1 / (rank + 10) for rank in range(links)]
    total = sum(weights)
    counts = [int(scans * w / total) for w in weights]
    for n in range(scans - sum(counts)):
        counts[n % links] += 1
    rng.shuffle(counts)
    return counts


def totals_rows(
    workspace_id: uuid.UUID, link_id: uuid.UUID, scans: int, days: int, today: datetime,
    rng: random.Random,
) -> list[dict[str, Any]]:  # fmt: skip
    """The daily and weekly `scan_totals` rows of one link's scans."""
    if scans == 0:
        return []
    active = min(days, 1 + scans // 200, 7)
    chosen = rng.sample(range(1, days), active)
    per_day: dict[datetime, int] = {}
    for n in range(active):
        per_day[today - timedelta(days=chosen[n])] = scans // active + (
            1 if n < scans % active else 0
        )
    rows: list[dict[str, Any]] = []
    weeks: dict[datetime, tuple[int, int]] = {}
    for day, count in per_day.items():
        if count == 0:
            continue
        visitors = max(1, count * 7 // 10)
        rows.append(_total(workspace_id, link_id, "d", day, count, visitors))
        week = day - timedelta(days=day.weekday())
        s, v = weeks.get(week, (0, 0))
        weeks[week] = (s + count, v + visitors)
    rows += [_total(workspace_id, link_id, "w", w, s, v) for w, (s, v) in weeks.items()]
    return rows


def _total(
    workspace_id: uuid.UUID, link_id: uuid.UUID, grain: str, bucket: datetime, s: int, v: int
) -> dict[str, Any]:
    return {
        "workspace_id": workspace_id,
        "kind": "link",
        "grain": grain,
        "bucket": bucket,
        "target_id": link_id,
        "parent_id": None,
        "scans": s,
        "visitors": v,
    }


async def prepare(url: str, data_dir: Path, args: argparse.Namespace) -> Any:
    from sqlalchemy import insert, text

    from xqr.app import create_app
    from xqr.config import Settings
    from xqr.core.clock import utcnow
    from xqr.core.ids import uuid7
    from xqr.db.migrate import upgrade
    from xqr.links.models import Link
    from xqr.scans.models import ScanTotal
    from xqr.workspaces import service as workspaces

    settings = Settings(
        data_dir=data_dir,
        database_url=url,
        secret_key="bench-secret-not-for-production",
        log_level="WARNING",
        access_log=False,
        run_background=False,
    )
    app = create_app(settings)
    ctx = app.ctx
    await upgrade(ctx.engine)
    async with ctx.sessionmaker() as session:
        workspace = await workspaces.create_workspace(
            session, name="Bench", plan="enterprise", owner_email="bench@example.com"
        )
        await session.commit()
    rng = random.Random(7)
    counts = scan_counts(args.links, args.scans, rng)
    now = utcnow()
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    started = time.perf_counter()
    rows_written = 0
    for first in range(0, args.links, CHUNK):
        links, totals = [], []
        for n in range(first, min(first + CHUNK, args.links)):
            link_id = uuid7()
            code = f"b{n:07d}"
            links.append(
                {
                    "id": link_id,
                    "workspace_id": workspace.id,
                    "code": code,
                    "code_lower": code.lower(),
                    "custom": False,
                    "destination": f"https://example.com/campaign/{n}",
                    "enabled": True,
                    "labels": [],
                    "routing_rules": [],
                    "scan_count": counts[n],
                    "created_at": now - timedelta(days=60),
                    "updated_at": now - timedelta(days=60),
                }
            )
            totals += totals_rows(workspace.id, link_id, counts[n], args.days, today, rng)
        async with ctx.sessionmaker() as session:
            await session.execute(insert(Link.__table__), links)
            if totals:
                await session.execute(insert(ScanTotal.__table__), totals)
            await session.commit()
        rows_written += len(totals)
    seconds = time.perf_counter() - started
    print(
        f"   {args.links:,} links, {args.scans:,} scans as {rows_written:,} rollup rows "
        f"in {seconds:.0f} s",
        flush=True,
    )
    if not settings.is_sqlite:
        async with ctx.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("ANALYZE"))
    app.bench_workspace_id = workspace.id
    app.bench_rollup_rows = rows_written
    return app


async def time_links_report(
    ctx: Any, workspace_id: uuid.UUID, fmt: str, runs: int, name: str = "All links"
) -> dict[str, Any]:
    """A saved `links` report of the workspace's links over the last 30 days, run `runs`
    times by a report worker in this process (claim, query, build the file, store it)."""
    from xqr.reports import service as reports
    from xqr.reports.schemas import ReportCreate
    from xqr.reports.worker import ReportWorker
    from xqr.workspaces.service import get_workspace, tenant_for

    worker = ReportWorker(
        ctx.settings,
        sessionmaker=ctx.sessionmaker,
        read_sessionmaker=ctx.read_sessionmaker,
        plans=ctx.plans,
    )
    async with ctx.sessionmaker() as session:
        tenant = tenant_for(await get_workspace(session, workspace_id), ctx.plans)
        report = await reports.create_report(
            session,
            tenant,
            ReportCreate(name=f"{name} {fmt}", kind="links", period="30d", format=fmt),
        )
        await session.commit()
    times: list[float] = []
    run: Any = None
    for _ in range(runs):
        async with ctx.sessionmaker() as session:
            queued = await reports.run_report(session, tenant, str(report.id))
            await session.commit()
        started = time.perf_counter()
        assert await worker.run_once() == 1
        times.append(time.perf_counter() - started)
        async with ctx.read_sessionmaker() as session:
            run = await reports.get_run(session, tenant, str(queued.id))
        assert run.status == "completed", run.error
    await worker.close()
    cell = {
        "seconds_min": min(times),
        "seconds_median": statistics.median(times),
        "seconds_max": max(times),
        "rows": run.row_count,
        "bytes": run.size,
    }
    print(
        f"   {fmt:<5} {cell['seconds_median']:8.2f} s median of {runs} "
        f"(min {cell['seconds_min']:.2f}, max {cell['seconds_max']:.2f}); "
        f"{cell['rows']:,} rows, {cell['bytes']:,} bytes",
        flush=True,
    )
    return cell


async def run_backend(name: str, url: str, data_dir: Path, args: argparse.Namespace) -> Any:
    print(f"\n== {name}: {args.links:,} links, {args.scans:,} scans", flush=True)
    app = await prepare(url, data_dir, args)
    ctx = app.ctx
    result: dict[str, Any] = {"rollup_rows": app.bench_rollup_rows, "formats": {}}
    for fmt in args.formats.split(","):
        result["formats"][fmt] = await time_links_report(
            ctx, app.bench_workspace_id, fmt, args.runs
        )
    await ctx.close()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--links", type=int, default=100_000)
    parser.add_argument("--scans", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--formats", default="csv,json,pdf")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--output", default=str(RESULTS / "reports.json"))
    args = parser.parse_args()
    results: dict[str, Any] = {
        "links": args.links,
        "scans": args.scans,
        "days": args.days,
        "runs": args.runs,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average": os.getloadavg(),
    }
    workdir = Path(tempfile.mkdtemp(prefix="xqr-bench-reports-"))
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
    report(results)
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2) + "\n")
    return 0


def report(results: dict[str, Any]) -> None:
    backends = [b for b in ("sqlite", "postgres") if b in results]
    load = ", ".join(f"{n:.1f}" for n in results["load_average"])
    print(
        f"\nlinks report of {results['links']:,} links, {results['scans']:,} scans over "
        f"{results['days']} days (load average {load}); seconds per run, median of "
        f"{results['runs']}\n"
    )
    print(f"{'format':<8}" + "".join(f"{b:>14}" for b in backends) + f"{'rows':>12}{'bytes':>14}")
    formats = results[backends[0]]["formats"] if backends else {}
    for fmt, cell in formats.items():
        row = f"{fmt:<8}"
        for b in backends:
            row += f"{results[b]['formats'][fmt]['seconds_median']:>14.2f}"
        print(row + f"{cell['rows']:>12,}{cell['bytes']:>14,}")


if __name__ == "__main__":
    raise SystemExit(main())
