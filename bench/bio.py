"""Public bio page cost, in process: rendering, and serving from the cache or from the database.

Creates a workspace and pages in a temporary SQLite database, then times the ASGI front
handler directly (no network): a cached page, a cache miss (one query and a render), and the
render alone for a typical page (6 links) and a full one (50 links, every icon). Prints a table
and writes bench/results/bio.json.

    python bench/bio.py [--requests 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import AccountFactory, make_settings  # noqa: E402
from xqr.app import create_app  # noqa: E402
from xqr.bio import service  # noqa: E402
from xqr.bio.icons import ICONS  # noqa: E402
from xqr.bio.render import PageContent, PageLink, render_page  # noqa: E402
from xqr.bio.schemas import BioLinkIn, BioPageCreate  # noqa: E402
from xqr.db.engine import make_engine  # noqa: E402
from xqr.db.migrate import upgrade  # noqa: E402
from xqr.workspaces import service as workspaces  # noqa: E402

RESULTS = ROOT / "bench" / "results"
UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36"


def content(links: int) -> PageContent:
    icons = list(ICONS)
    return PageContent(
        title="Ada Lovelace",
        slug="ada",
        bio="Mathematician and writer.",
        avatar_url="https://cdn.example.com/ada.png",
        theme="classic",
        links=[
            PageLink(id=f"id-{n}", title=f"Link {n}", icon=icons[n % len(icons)])
            for n in range(links)
        ],
    )


def time_render(links: int, runs: int) -> float:
    page = content(links)
    render_page(page, canonical_url="https://x/ada")
    started = time.perf_counter()
    for _ in range(runs):
        render_page(page, canonical_url="https://x/ada")
    return (time.perf_counter() - started) / runs * 1e6


async def call(app: Any, path: str) -> int:
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "query_string": b"",
        "headers": [(b"host", b"bench"), (b"user-agent", UA.encode())],
        "client": ("127.0.0.1", 5000),
    }
    await app(scope, receive, send)
    return status


async def main(requests: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="xqr-bench-bio-") as folder:
        url = f"sqlite+aiosqlite:///{folder}/xqr.db"
        engine = make_engine(url)
        await upgrade(engine)
        await engine.dispose()
        settings = make_settings(url, Path(folder) / "data", scan_flush_interval_ms=100)
        app = create_app(settings)
        async with app.api.router.lifespan_context(app.api):
            account = await AccountFactory(app.ctx)()
            async with app.ctx.sessionmaker() as session:
                workspace = await workspaces.get_workspace(session, uuid.UUID(account.workspace_id))
                tenant = workspaces.tenant_for(workspace, app.ctx.plans)
                links = [
                    BioLinkIn(title=f"Link {n}", url=f"https://example.com/{n}", icon="website")
                    for n in range(6)
                ]
                page = await service.create_page(
                    session, tenant, BioPageCreate(title="Ada", slug="ada", links=links)
                )
                await service.publish(
                    session, tenant, service.BioRules.from_settings(settings), str(page.id)
                )
                await session.commit()
            assert await call(app, "/bio/ada") == 200
            cache = app.ctx.parts.bio_cache
            started = time.perf_counter()
            for _ in range(requests):
                await call(app, "/bio/ada")
            cached = (time.perf_counter() - started) / requests * 1e6
            misses = max(requests // 10, 100)
            started = time.perf_counter()
            for _ in range(misses):
                cache.clear()
                await call(app, "/bio/ada")
            uncached = (time.perf_counter() - started) / misses * 1e6
            app.ctx.parts.scan_buffer.take()  # nothing to measure in writing them
    return {
        "render_6_links_us": time_render(6, 2000),
        "render_50_links_us": time_render(50, 500),
        "cached_request_us": cached,
        "uncached_request_us": uncached,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    args = parser.parse_args()
    results = asyncio.run(main(args.requests))
    print(f"{'measure':<24} {'µs':>10}")
    for name, value in results.items():
        print(f"{name:<24} {value:>10.1f}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bio.json").write_text(json.dumps(results, indent=2) + "\n")
