"""QR codes per second: the engine in process and the API in one process, beside plain segno.

Three parts, all at 10 px/module, error correction M, on the same run:

1. **Engine, in process.** segno SVG/PNG (plain) as the baseline; our `render()` on distinct
   short URLs (cold: nothing cached but the engine's shape tiles); and the API's cached path
   without HTTP (`QrRenderer.prepare` + `image` with the rendering in its cache).
2. **API, in process** (`httpx.ASGITransport`, the whole app: request ids, auth with its
   per-request quota write, validation, envelope on errors): `POST /api/v1/qr/generate`
   cold (a new content each request) and cached (one content again and again: answered by
   the image memo before FastAPI), plus, for the cached case, a 304 revalidation, the same
   request through FastAPI with the memo off, the auth dependency alone (key lookup, quota
   count: what auth costs), and the transport alone (an ASGI app answering a fixed 200 through
   the same client: what the load generator costs in the same process).
3. **API, real server** (`--server`): `xqr serve` pinned to one core, wrk on the other.

The QR studio's cases: a framed, gradient, eye-coloured PNG and PDF (and a plain PDF) drawn
cold beside segno's plain PNG; the scannability check's p50 latency, call by call; and
`POST /qr/bulk` for 500 link codes, the whole ZIP read (`--studio-only` runs just these and the
engine's).

The plan's burst and monthly quota are raised with a plans file so they do not cut the run
short; every request still authenticates and counts its call in the database.

    python bench/qr.py [--repetitions 5] [--batch 100] [--requests 2000] [--concurrency 8]
                       [--postgres] [--server] [--seconds 5] [--studio-only]

Medians over the repetitions. Prints a table and writes bench/results/qr.json.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import platform
import random
import re
import shutil
import signal
import statistics
import string
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, cast

import httpx
import segno
from starlette.requests import Request

from xqr.app import XqrApp, create_app
from xqr.config import Settings
from xqr.db.migrate import upgrade
from xqr.qr.auth import QrRender
from xqr.qr.images import ImageMemo
from xqr.qr.render import Design, EyeColor, Frame, Gradient, render
from xqr.qr.render.scan import check_design
from xqr.qr.rendering import QrRenderer, RenderSpec, body_fields

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "qr.json"
XQR = str(Path(sys.executable).parent / "xqr")
SIZE = 10
ERROR = "M"
STYLES = {
    "plain": {},
    "styled": {"dot_style": "rounded", "corner_style": "extra-rounded"},
}
FORMATS = ("svg", "png")
# The QR studio's heaviest everyday design: styled dots, a gradient, eye colours, a framed CTA.
STUDIO = Design(
    error_correction=ERROR,
    dot_style="rounded",
    corner_style="extra-rounded",
    gradient=Gradient("linear", ("#1e3a8a", "#b91c1c"), 45),
    eye_color=EyeColor("#b91c1c", "#1e3a8a"),
    frame=Frame("banner-bottom", "Scan me"),
)
BULK_ITEMS = 500
PLANS_TOML = """
[plans.enterprise]
burst_per_second = 1000000
monthly_calls = 1000000000
"""


def short_urls(count: int, seed: int) -> list[str]:
    """Distinct link-QR contents like the ones the app renders."""
    rng = random.Random(seed)
    alphabet = string.ascii_letters + string.digits
    return [f"https://xqr.co/{''.join(rng.choices(alphabet, k=7))}?qr=1" for _ in range(count)]


# --- part 1: the engine ----------------------------------------------------------------------


def segno_image(content: str, fmt: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(content, error=ERROR, micro=False).save(buffer, kind=fmt, scale=SIZE)
    return buffer.getvalue()


def bench_engine(args: argparse.Namespace) -> list[dict[str, Any]]:
    contents = short_urls(args.batch, 1)
    cases: dict[str, Callable[[str], object]] = {}
    for fmt in FORMATS:
        cases[f"segno {fmt.upper()} plain"] = lambda c, f=fmt: segno_image(c, f)
        for style, extras in STYLES.items():
            design = Design(error_correction=ERROR, **extras)
            cases[f"engine {fmt.upper()} {style} cold"] = lambda c, d=design, f=fmt: render(
                c, d, size=SIZE, fmt=f
            )
    cases["engine PNG framed+gradient cold"] = lambda c: render(c, STUDIO, size=SIZE, fmt="png")
    plain = Design(error_correction=ERROR)
    cases["engine PDF plain cold"] = lambda c: render(c, plain, size=SIZE, fmt="pdf")
    cases["engine PDF framed+gradient cold"] = lambda c: render(c, STUDIO, size=SIZE, fmt="pdf")

    renderer = QrRenderer(logos=cast(Any, None))
    cached_cases: dict[str, Callable[[], Awaitable[bytes]]] = {}
    for fmt in FORMATS:
        for style, extras in STYLES.items():
            spec = RenderSpec(contents[0], Design(error_correction=ERROR, **extras), SIZE, fmt)

            async def cached(spec: RenderSpec = spec) -> bytes:
                prepared = await renderer.prepare(cast(Any, None), uuid.uuid4(), spec, body_fields)
                return await renderer.image(prepared)

            cached_cases[f"engine {fmt.upper()} {style} cached (QrRenderer)"] = cached

    samples: dict[str, list[float]] = {name: [] for name in [*cases, *cached_cases]}
    loop = asyncio.new_event_loop()
    try:
        for case in cached_cases.values():
            loop.run_until_complete(case())  # fill the cache
        for _ in range(args.repetitions):
            for name, case in cases.items():
                start = time.perf_counter()
                for content in contents:
                    case(content)
                samples[name].append((time.perf_counter() - start) / len(contents))

            for name, cached_case in cached_cases.items():

                async def many(run: Callable[[], Awaitable[bytes]] = cached_case) -> float:
                    start = time.perf_counter()
                    for _ in range(args.batch * 10):
                        await run()
                    return (time.perf_counter() - start) / (args.batch * 10)

                samples[name].append(loop.run_until_complete(many()))
    finally:
        loop.close()
    rows = [row("engine", name, statistics.median(times)) for name, times in samples.items()]
    # The check's latency, call by call (its p50, not a batch average).
    checks: dict[str, list[float]] = {
        "check p50 (camera model), plain": [],
        "check p50 (camera model), framed+gradient": [],
    }
    for _ in range(args.repetitions):
        for content in contents:
            for name, design in zip(checks, (plain, STUDIO), strict=True):
                start = time.perf_counter()
                check_design(content, design)
                checks[name].append(time.perf_counter() - start)
    rows += [row("engine", name, statistics.median(times)) for name, times in checks.items()]
    return rows


def row(part: str, case: str, seconds: float, **extra: Any) -> dict[str, Any]:
    return {
        "part": part,
        "case": case,
        "ms_per_code": round(seconds * 1000, 4),
        "codes_per_s": round(1 / seconds, 1),
        **extra,
    }


# --- part 2: the API in one process ----------------------------------------------------------


async def make_key(app: XqrApp) -> str:
    from xqr.auth import service as keys
    from xqr.workspaces import service

    async with app.ctx.sessionmaker() as session:
        workspace = await service.create_workspace(session, name="Bench", plan="enterprise")
        tenant = service.tenant_for(workspace, app.ctx.plans)
        created = await keys.create_key(session, tenant, scopes="*")
        await session.commit()
    return created.plaintext


async def drive(
    client: httpx.AsyncClient,
    requests: list[tuple[str, str, dict[str, Any] | None, dict[str, str]]],
    concurrency: int,
    expect: int,
) -> float:
    """Send `requests` with `concurrency` in flight; seconds per request."""
    queue = list(reversed(requests))

    async def worker() -> None:
        while queue:
            method, url, body, headers = queue.pop()
            response = await client.request(method, url, json=body, headers=headers)
            if response.status_code != expect:
                raise RuntimeError(f"{url}: {response.status_code} {response.text[:200]}")

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return (time.perf_counter() - start) / len(requests)


async def concurrently(call: Callable[[], Awaitable[None]], total: int, concurrency: int) -> float:
    """Await `call` `total` times with `concurrency` in flight; seconds per call."""
    remaining = total

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await call()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return (time.perf_counter() - start) / total


async def fixed_200(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await receive()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


async def bench_api(args: argparse.Namespace, workdir: Path) -> tuple[list[dict[str, Any]], str]:
    plans = workdir / "plans.toml"
    plans.write_text(PLANS_TOML)
    settings = Settings(
        data_dir=workdir / "data",
        database_url=args.database_url,
        public_url="http://testserver",
        plans_file=plans,
        log_level="WARNING",
        run_background=False,
        secret_key="bench-secret",
    )
    app = create_app(settings)
    await upgrade(app.ctx.engine)
    backend = "postgresql" if args.database_url else "sqlite"
    samples: dict[str, list[float]] = {}
    async with app.api.router.lifespan_context(app.api):
        key = await make_key(app)
        headers = {"Authorization": f"Bearer {key}"}
        cache = QrRenderer.of(app.ctx).cache
        transport = httpx.ASGITransport(app=app)
        limits = httpx.Limits(max_connections=None)
        async with (
            httpx.AsyncClient(
                transport=transport, base_url="http://testserver", limits=limits
            ) as client,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=fixed_200), base_url="http://testserver"
            ) as floor,
        ):
            generate = "/api/v1/qr/generate"
            n = args.requests
            auth_dependency = QrRender.__metadata__[0].dependency

            async def authenticate_once() -> None:
                scope = {
                    "type": "http",
                    "method": "POST",
                    "path": generate,
                    "headers": [(b"authorization", f"Bearer {key}".encode())],
                }
                await auth_dependency(Request(scope), app.ctx)

            bulk = await bulk_link_items(client, headers)
            for repetition in range(args.repetitions):
                cache.clear()
                start = time.perf_counter()
                async with client.stream(
                    "POST", "/api/v1/qr/bulk", json=bulk, headers=headers
                ) as response:
                    assert response.status_code == 200, await response.aread()
                    size = len(await response.aread())
                samples.setdefault(f"API bulk ZIP, {BULK_ITEMS} link PNGs", []).append(
                    (time.perf_counter() - start) / BULK_ITEMS
                )
                if args.studio_only:
                    continue
                for fmt in FORMATS:
                    for style, extras in STYLES.items():
                        label = f"{fmt.upper()} {style}"
                        contents = short_urls(n, 100 + repetition)
                        cache.clear()
                        cold = [
                            ("POST", generate, {"content": c, "format": fmt, **extras}, headers)
                            for c in contents[: max(50, n // 10)]
                        ]
                        samples.setdefault(f"API {label} cold", []).append(
                            await drive(client, cold, args.concurrency, 200)
                        )
                        body = {"content": contents[0], "format": fmt, **extras}
                        first = await client.post(generate, json=body, headers=headers)
                        cached = [("POST", generate, body, headers)] * n
                        samples.setdefault(f"API {label} cached", []).append(
                            await drive(client, cached, args.concurrency, 200)
                        )
                        if fmt == "png" and style == "styled":
                            etag = {**headers, "If-None-Match": first.headers["etag"]}
                            samples.setdefault(f"API {label} cached, 304", []).append(
                                await drive(
                                    client,
                                    [("POST", generate, body, etag)] * n,
                                    args.concurrency,
                                    304,
                                )
                            )
                            memo = ImageMemo.of(app.ctx)
                            memo.max_entries, bound = 0, memo.max_entries
                            memo.clear()
                            try:
                                samples.setdefault(
                                    f"API {label} cached, through FastAPI (no memo)", []
                                ).append(await drive(client, cached, args.concurrency, 200))
                            finally:
                                memo.max_entries = bound
                samples.setdefault(
                    "auth dependency alone (key lookup, quota upsert, commit)", []
                ).append(await concurrently(authenticate_once, n, args.concurrency))
                samples.setdefault("transport alone (fixed 200 via ASGITransport)", []).append(
                    await drive(
                        floor, [("POST", "/", {"content": "x"}, headers)] * n, args.concurrency, 200
                    )
                )
    rows = [
        row("api", name, statistics.median(times), concurrency=args.concurrency)
        for name, times in samples.items()
    ]
    for r in rows:
        if r["case"].startswith("API bulk ZIP"):
            r["total_s"] = round(r["ms_per_code"] * BULK_ITEMS / 1000, 3)
            r["zip_bytes"] = size
    return rows, backend


async def bulk_link_items(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    """A bulk request for BULK_ITEMS new links' QR codes (PNG, 10 px a module)."""
    ids: list[str] = []
    for start in range(0, BULK_ITEMS, 100):
        links = [{"url": f"https://example.com/bulk/{n}"} for n in range(start, start + 100)]
        created = await client.post("/api/v1/links/bulk", json={"links": links}, headers=headers)
        ids += [link["id"] for link in created.json()["data"]["created"]]
    return {"items": [{"link_id": i} for i in ids], "format": "png", "size": SIZE}


# --- part 3: a real server -------------------------------------------------------------------


def pinned(core: int, command: list[str]) -> list[str]:
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        return ["taskset", "-c", str(core), *command]
    return command


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_wrk(url: str, script: Path, seconds: int, connections: int) -> dict[str, float]:
    output = subprocess.run(
        pinned(
            1,
            [
                "wrk",
                "-t1",
                f"-c{connections}",
                f"-d{seconds}s",
                "--latency",
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
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", output)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    return {
        "rps": rps,
        "bad_responses": int(bad.group(1)) if bad else 0,
        "p99_ms": float(p99.group(1)) * scale[p99.group(2)] if p99 else float("nan"),
    }


def bench_server(args: argparse.Namespace, workdir: Path) -> list[dict[str, Any]]:
    if not shutil.which("wrk"):
        print("wrk not found: skipping the real-server part")
        return []
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    plans = workdir / "plans.toml"
    plans.write_text(PLANS_TOML)
    env = {k: v for k, v in os.environ.items() if not k.startswith("XQR_")}
    env.update(
        XQR_DATA_DIR=str(workdir / "server-data"),
        XQR_PUBLIC_URL=base,
        XQR_LOG_LEVEL="WARNING",
        XQR_PLANS_FILE=str(plans),
        XQR_RUN_BACKGROUND="false",
    )
    if args.server_database_url:
        env["XQR_DATABASE_URL"] = args.server_database_url
    out_path = workdir / "serve.out"
    with out_path.open("wb") as out:
        process = subprocess.Popen(
            pinned(0, [XQR, "serve", "--port", str(port)]),
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(out_path.read_text())
            time.sleep(0.2)
        found = re.search(r"xqr_pk_[0-9a-f]{8}\.[A-Za-z0-9_-]{64}", out_path.read_text())
        if found is None:
            raise RuntimeError("xqr serve printed no key (is the database empty?)")
        key = found.group(0)
        headers = {"Authorization": f"Bearer {key}"}
        link = httpx.post(
            f"{base}/api/v1/links", json={"url": "https://example.com/"}, headers=headers
        ).json()["data"]
        rows = []
        for fmt, style in (("svg", "plain"), ("png", "styled")):
            body = json.dumps(
                {"content": "https://example.com/bench", "format": fmt, **STYLES[style]}
            )
            assert (
                httpx.post(
                    f"{base}/api/v1/qr/generate",
                    content=body,
                    headers={**headers, "Content-Type": "application/json"},
                ).status_code
                == 200
            )
            script = workdir / f"generate-{fmt}.lua"
            script.write_text(
                'wrk.method = "POST"\n'
                f"wrk.body = {json.dumps(body)}\n"
                'wrk.headers["Content-Type"] = "application/json"\n'
                f'wrk.headers["Authorization"] = "Bearer {key}"\n'
                'wrk.path = "/api/v1/qr/generate"\n'
            )
            runs = [
                run_wrk(base, script, args.seconds, args.connections)
                for _ in range(args.server_runs)
            ]
            rows.append(server_row(f"server POST /qr/generate {fmt.upper()} {style} cached", runs))
        script = workdir / "link.lua"
        script.write_text(
            f'wrk.headers["Authorization"] = "Bearer {key}"\n'
            f'wrk.path = "/api/v1/links/{link["id"]}/qr?format=png"\n'
        )
        httpx.get(f"{base}/api/v1/links/{link['id']}/qr?format=png", headers=headers)
        runs = [
            run_wrk(base, script, args.seconds, args.connections) for _ in range(args.server_runs)
        ]
        rows.append(server_row("server GET /links/{id}/qr PNG cached", runs))
        return rows
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)


def server_row(case: str, runs: list[dict[str, float]]) -> dict[str, Any]:
    rps = statistics.median(r["rps"] for r in runs)
    return {
        "part": "server",
        "case": case,
        "ms_per_code": round(1000 / rps, 4),
        "codes_per_s": round(rps, 1),
        "p99_ms": round(statistics.median(r["p99_ms"] for r in runs), 2),
        "bad_responses": sum(int(r["bad_responses"]) for r in runs),
    }


def start_postgres() -> tuple[Any, str, str]:
    """A throwaway cluster (the test suite's: fsync off) with one database per part."""
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import text

    from tests.support.postgres import TemporaryPostgres
    from xqr.db.engine import make_engine

    cluster = TemporaryPostgres()
    server_url = cluster.start()

    async def create() -> None:
        engine = make_engine(server_url, isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            for name in ("qr_api", "qr_server"):
                await conn.execute(text(f"CREATE DATABASE {name}"))
        await engine.dispose()

    asyncio.run(create())
    base = server_url.rsplit("/", 1)[0]
    return cluster, f"{base}/qr_api", f"{base}/qr_server"


# --- report ----------------------------------------------------------------------------------


def by_case(rows: list[dict[str, Any]], case: str) -> dict[str, Any]:
    return next(r for r in rows if r["case"] == case)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--batch", type=int, default=100, help="codes per engine repetition")
    parser.add_argument("--requests", type=int, default=2000, help="API requests per case")
    parser.add_argument("--concurrency", type=int, default=8, help="API requests in flight")
    parser.add_argument(
        "--postgres", action="store_true", help="use a throwaway PostgreSQL cluster"
    )
    parser.add_argument("--server", action="store_true", help="also bench `xqr serve` with wrk")
    parser.add_argument("--seconds", type=int, default=5, help="wrk duration per run")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--server-runs", type=int, default=3)
    parser.add_argument(
        "--studio-only",
        action="store_true",
        help="only the engine and the bulk ZIP (skip the API's generate cases)",
    )
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="xqr-bench-qr-"))
    cluster = None
    args.database_url = args.server_database_url = None
    try:
        if args.postgres:
            cluster, args.database_url, args.server_database_url = start_postgres()
        rows = bench_engine(args)
        api_rows, backend = asyncio.run(bench_api(args, workdir))
        rows += api_rows
        if args.server:
            rows += bench_server(args, workdir)
    finally:
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    segno_png = by_case(rows, "segno PNG plain")["ms_per_code"]
    for r in rows:
        r["vs_segno_png"] = round(r["ms_per_code"] / segno_png, 3)
    styled_png = by_case(rows, "engine PNG styled cold")["ms_per_code"]
    api_cached = (
        max(
            r["codes_per_s"]
            for r in rows
            if r["part"] in ("api", "server") and r["case"].endswith("cached")
        )
        if any(r["case"].endswith("cached") and r["part"] != "engine" for r in rows)
        else 0.0
    )
    studio_png = by_case(rows, "engine PNG framed+gradient cold")["ms_per_code"]
    studio_pdf = by_case(rows, "engine PDF framed+gradient cold")["ms_per_code"]
    plain_pdf = by_case(rows, "engine PDF plain cold")["ms_per_code"]
    check_p50 = by_case(rows, "check p50 (camera model), plain")["ms_per_code"]
    bulk_s = by_case(rows, f"API bulk ZIP, {BULK_ITEMS} link PNGs")["total_s"]
    goals = {
        "styled_png_cold_vs_segno_png": round(styled_png / segno_png, 3),
        "styled_png_cold_within_2x_segno": styled_png <= 2 * segno_png,
        "best_api_cached_codes_per_s": api_cached,
        "api_cached_above_5000_per_s": api_cached > 5000,
        "framed_gradient_png_vs_segno_png": round(studio_png / segno_png, 3),
        "framed_gradient_png_within_2x_segno": studio_png <= 2 * segno_png,
        "pdf_plain_vs_segno_png": round(plain_pdf / segno_png, 3),
        "pdf_framed_gradient_vs_segno_png": round(studio_pdf / segno_png, 3),
        "pdf_within_3x_segno": plain_pdf <= 3 * segno_png,
        "check_p50_ms": check_p50,
        "check_p50_within_15_ms": check_p50 <= 15,
        f"bulk_{BULK_ITEMS}_seconds": bulk_s,
        f"bulk_{BULK_ITEMS}_under_5_s": bulk_s < 5,
        "load_average": os.getloadavg(),
    }

    print(
        f"QR, {SIZE} px/module, EC {ERROR}; medians of {args.repetitions} repetitions; "
        f"API on {backend}, {args.concurrency} in flight"
    )
    print(f"{'part':7} {'case':58} {'ms/code':>9} {'codes/s':>10} {'x segno PNG':>12}")
    for r in rows:
        print(
            f"{r['part']:7} {r['case']:58} {r['ms_per_code']:>9.3f} {r['codes_per_s']:>10.1f} "
            f"{r['vs_segno_png']:>12.3f}"
        )
    print(json.dumps(goals, indent=2))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "qr",
                "size": SIZE,
                "error_correction": ERROR,
                "repetitions": args.repetitions,
                "batch": args.batch,
                "requests": args.requests,
                "concurrency": args.concurrency,
                "database": backend,
                "python": platform.python_version(),
                "machine": platform.machine(),
                "cpus": os.cpu_count(),
                "segno": segno.__version__,
                "goals": goals,
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
