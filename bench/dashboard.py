"""Dashboard page times at size, on SQLite and PostgreSQL, and what a first visit downloads.

For each database: a fresh database (PostgreSQL: a throwaway cluster, as the tests start), one
enterprise workspace whose owner has a password, `--links` links (created through the links
service) and `--keys` API keys. A signed-in browser (httpx through the in-process app, so the
time is the server's) then requests every dashboard page `--requests` times: p50 and p95 per
page. The links list is measured on its first page, its middle one and its last.

Then the bytes of a first visit: the sign-in page and the files it loads, then the first
dashboard page (its files are cached by then), HTML, CSS, JS and icon counted as sent (static
files gzip-compressed, pages not).

With `--scans N`, the workspace (time zone America/New_York, so local days are read from
hourly rows: the costlier case) also gets the rollup rows N scans over `--scan-days` days
across its first `--scan-links` links leave (`bench/rollup_seed.py` writes them in bulk;
raw events are not written, the pages never read them), and the analytics pages are measured:
the overview for each period, hourly buckets, a label covering every seeded link, the busiest
link's own page and a CSV; and a CSV `links` report of all `--links` links over the last 30
days is run `--report-runs` times by a report worker (as `bench/reports.py` runs it; 0 skips
it). `--only-analytics` skips the other pages.

Prints a table and writes bench/results/dashboard.json.

    python bench/dashboard.py [--links 100000] [--keys 50] [--requests 40]
                              [--scans 10000000 --scan-links 1000 --scan-days 90]
                              [--only-analytics] [--report-runs 3]
                              [--backends sqlite,postgres] [--output FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))

EMAIL = "bench@example.com"
PASSWORD = "bench-password-not-for-production"
PAGES = [
    "/dashboard/signin",
    "/dashboard/links",
    "/dashboard/links?offset={middle}",
    "/dashboard/links?offset={last}",
    "/dashboard/links?q=campaign/4242",
    "/dashboard/links?label=seed",
    "/dashboard/links?label=seed&sort=scans&offset={middle}",
    "/dashboard/links?label=seed&sort=scans&offset={last}",
    "/dashboard/links?sort=last_scan",
    "/dashboard/links/{link_id}",
    "/dashboard/links/{link_id}/qr?foreground=%23{colour}&format=svg",
    "/dashboard/qr/preview?foreground=%23{colour}&dot_style=rounded",
    "/dashboard/qr",
    "/dashboard/analytics",
    "/dashboard/bio",
    "/dashboard/assets",
    "/dashboard/settings/workspace",
    "/dashboard/settings/members",
    "/dashboard/settings/developers",
    "/dashboard/settings/webhooks",
    "/dashboard/settings/usage",
    "/dashboard/account",
]
ANALYTICS_PAGES = [
    "/dashboard/analytics",
    "/dashboard/analytics?period=7d",
    "/dashboard/analytics?period=7d&granularity=hour",
    "/dashboard/analytics?period=90d",
    "/dashboard/analytics?period=all",
    "/dashboard/analytics?period=30d&label=seed",
    "/dashboard/analytics/links/{busiest}",
    "/dashboard/analytics/links/{busiest}?period=90d",
    "/dashboard/analytics/countries.csv?period=90d",
]
ZONE = "America/New_York"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_ASSETS = re.compile(r'(?:href|src)="(/dashboard/static/[^"]+)"')


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


async def prepare(url: str, data_dir: Path, links: int, keys: int) -> Any:
    from xqr.accounts import service as accounts
    from xqr.app import create_app
    from xqr.auth import service as key_service
    from xqr.config import Settings
    from xqr.db.migrate import upgrade
    from xqr.scans.seeding import seed_links
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
            session, name="Bench", plan="enterprise", owner_email=EMAIL
        )
        account = await accounts.ensure_account(session, EMAIL)
        await accounts.set_password(session, account, PASSWORD)
        tenant = workspaces.tenant_for(workspace, ctx.plans)
        for n in range(keys):
            await key_service.create_key(session, tenant, scopes="*", name=f"key {n}")
        await workspaces.update_workspace(session, workspace, timezone=ZONE)
        await session.commit()
    started = time.perf_counter()
    ids = await seed_links(ctx, workspace.id, links)
    print(f"   {links:,} links in {time.perf_counter() - started:.0f} s", flush=True)
    app.state_link_id = str(ids[len(ids) // 2])
    app.state_link_ids = ids
    app.state_workspace_id = workspace.id
    if not settings.is_sqlite:
        from sqlalchemy import text

        async with ctx.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            # where autovacuum would have got to after the inserts (index-only scans rely on it)
            await conn.execute(text("VACUUM ANALYZE"))
    return app


async def signed_in(http: httpx.AsyncClient) -> None:
    form = _CSRF.search((await http.get("/dashboard/signin")).text)
    assert form is not None
    answer = await http.post(
        "/dashboard/signin",
        data={"csrf_token": form.group(1), "email": EMAIL, "password": PASSWORD},
    )
    assert answer.status_code == 303, answer.text


async def first_visit(app: Any) -> dict[str, int]:
    """Bytes a browser downloads: the sign-in page with its files, then the first page."""
    sizes: dict[str, int] = {"html": 0, "css": 0, "js": 0, "other": 0}
    seen: set[str] = set()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:

        async def load(path: str) -> str:
            response = await http.get(path)
            sizes["html"] += response.num_bytes_downloaded
            for asset in _ASSETS.findall(response.text):
                if asset in seen:
                    continue
                seen.add(asset)
                sent = (await http.get(asset)).num_bytes_downloaded  # compressed, as on the wire
                kind = asset.split("?")[0].rsplit(".", 1)[-1]
                sizes[kind if kind in ("css", "js") else "other"] += sent
            return response.text

        await load("/dashboard/signin")
        await signed_in(http)
        await load("/dashboard/links")
    sizes["total"] = sum(sizes.values())
    return sizes


async def seed_rollups(app: Any, url: str, args: argparse.Namespace) -> dict[str, Any]:
    """The rollup rows of `--scans` scans (see bench/rollup_seed.py), and what they add up to."""
    from bench.rollup_seed import Layout, write_postgres, write_sqlite

    from xqr.core.clock import utcnow
    from xqr.links.service import labels_changed
    from xqr.scans.labels import rebuild_all_changed
    from xqr.scans.seeding import SEED_LABEL

    links = app.state_link_ids[: args.scan_links]
    layout = Layout(app.state_workspace_id, links, args.scans, args.scan_days, utcnow())
    started = time.perf_counter()
    if url.startswith("sqlite"):
        rows = await asyncio.to_thread(write_sqlite, url.split("///", 1)[1], layout)
    else:
        rows = await write_postgres(app.ctx.engine, layout)
    seconds = round(time.perf_counter() - started, 1)
    print(f"   rollup rows {rows} in {seconds} s", flush=True)
    # The links' rows were written behind the writer's back: their label's rows are rebuilt
    # from them, as after a change of the label's links.
    started = time.perf_counter()
    async with app.ctx.sessionmaker() as session:
        await labels_changed(session, app.state_workspace_id, [SEED_LABEL])
        await session.commit()
    await rebuild_all_changed(app.ctx.sessionmaker, app.ctx.read_sessionmaker)
    rebuilt = round(time.perf_counter() - started, 1)
    print(f"   label rows rebuilt in {rebuilt} s", flush=True)
    return {
        "rows": rows,
        "seconds": seconds,
        "label_rebuild_seconds": rebuilt,
        "links": len(links),
        "days": args.scan_days,
    }


async def page_times(
    app: Any, requests: int, last: int, link_id: str, pages: list[str] = PAGES
) -> dict[str, dict[str, float]]:
    """p50/p95 of each page. The QR previews get a new colour each time, so each is drawn
    (the live preview's round trip when a person changes a control), not taken from the cache."""
    results: dict[str, dict[str, float]] = {}
    transport = httpx.ASGITransport(app=app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://bench") as http,
        httpx.AsyncClient(transport=transport, base_url="http://bench") as anonymous,
    ):
        await signed_in(http)
        for template in pages:
            client = anonymous if template == "/dashboard/signin" else http
            times = []
            for n in range(requests):
                path = template.format(
                    last=last,
                    middle=last // 100 * 50,
                    link_id=link_id,
                    colour=f"{n % 200:06x}",
                    busiest=app.state_link_ids[0],
                )
                started = time.perf_counter()
                response = await client.get(path)
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (path, response.status_code)
            name = (
                template.replace("{last}", "last")
                .replace("{middle}", "middle")
                .replace("{link_id}", "ID")
                .replace("%23{colour}", "…")
                .replace("{busiest}", "BUSIEST")
            )
            results[name] = {
                "p50_ms": round(percentile(times, 50), 1),
                "p95_ms": round(percentile(times, 95), 1),
            }
            print(f"   {name:<56}{results[name]['p50_ms']:>8.1f}{results[name]['p95_ms']:>8.1f}")
    return results


async def run_backend(name: str, url: str, data_dir: Path, args: argparse.Namespace) -> Any:
    print(f"\n== {name}: {args.links:,} links, {args.keys} keys", flush=True)
    app = await prepare(url, data_dir, args.links, args.keys)
    seeded = await seed_rollups(app, url, args) if args.scans else None
    async with app.api.router.lifespan_context(app.api):
        print(f"   page (ms, {args.requests} requests each)         p50     p95", flush=True)
        last = (args.links - 1) // 50 * 50
        result: dict[str, Any] = {}
        if not args.only_analytics:
            result["pages"] = await page_times(app, args.requests, last, app.state_link_id)
            result["first_visit_bytes"] = await first_visit(app)
        if seeded is not None:
            result["analytics_seed"] = {**seeded, "scans": await counted_scans(app)}
            print(f"   analytics at {result['analytics_seed']['scans']:,} scans", flush=True)
            result["analytics_pages"] = await page_times(
                app, args.requests, last, app.state_link_id, ANALYTICS_PAGES
            )
            if args.report_runs:
                from bench.reports import time_links_report

                print(f"   a links report of all {args.links:,} links", flush=True)
                result["links_report"] = await time_links_report(
                    app.ctx, app.state_workspace_id, "csv", args.report_runs
                )
    return result


async def counted_scans(app: Any) -> int:
    """All scans of the workspace, as the analytics service counts them."""
    from xqr.analytics import service as analytics
    from xqr.workspaces import service as workspaces

    async with app.ctx.read_sessionmaker() as session:
        workspace = await workspaces.get_workspace(session, app.state_workspace_id)
        tenant = workspaces.tenant_for(workspace, app.ctx.plans)
        summary = await analytics.summary(session, tenant, analytics.Query.parse("all", ZONE))
    return summary.total_scans


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--links", type=int, default=100_000)
    parser.add_argument("--keys", type=int, default=50)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--scans", type=int, default=0)
    parser.add_argument("--scan-links", type=int, default=1000)
    parser.add_argument("--scan-days", type=int, default=90)
    parser.add_argument("--only-analytics", action="store_true")
    parser.add_argument("--report-runs", type=int, default=3)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--output", default=str(RESULTS / "dashboard.json"))
    args = parser.parse_args()
    results: dict[str, Any] = {
        "links": args.links,
        "keys": args.keys,
        "requests": args.requests,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    workdir = Path(tempfile.mkdtemp(prefix="xqr-bench-dashboard-"))
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
    print(f"\n{results['links']:,} links, {results['keys']} API keys; "
          f"{results['requests']} requests per page (ms)\n")  # fmt: skip
    for table in ("pages", "analytics_pages"):
        if not backends or table not in results[backends[0]]:
            continue
        if table == "analytics_pages":
            for b in backends:
                seed = results[b]["analytics_seed"]
                print(f"\n{b}: analytics at {seed['scans']:,} scans over {seed['days']} days "
                      f"and {seed['links']:,} links; rollup rows {seed['rows']}")  # fmt: skip
        print(f"\n{'page':<56}" + "".join(f"{b + ' p50':>15}{b + ' p95':>15}" for b in backends))
        for name in results[backends[0]][table]:
            row = f"{name:<56}"
            for b in backends:
                cell = results[b][table][name]
                row += f"{cell['p50_ms']:>15.1f}{cell['p95_ms']:>15.1f}"
            print(row)
    for b in backends:
        if "links_report" in results[b]:
            cell = results[b]["links_report"]
            print(
                f"\n{b}: a CSV links report of {cell['rows']:,} links took "
                f"{cell['seconds_median']:.2f} s (median; min {cell['seconds_min']:.2f}, "
                f"max {cell['seconds_max']:.2f})"
            )
    print(f"\nload average when the run started: {results['load_average']}")
    for b in backends:
        if "first_visit_bytes" not in results[b]:
            continue
        sizes = results[b]["first_visit_bytes"]
        print(
            f"\n{b}: a first visit downloads {sizes['total']:,} bytes "
            f"(HTML {sizes['html']:,}, CSS {sizes['css']:,}, JS {sizes['js']:,}, "
            f"other {sizes['other']:,})"
        )


if __name__ == "__main__":
    raise SystemExit(main())
