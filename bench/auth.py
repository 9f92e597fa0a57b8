"""What an API request's auth step costs for known keys and for made-up ones, in process.

Creates a workspace and key in a temporary SQLite database, then calls the ASGI app directly
(no network) with `GET /api/v1/workspace` and:

- the valid key (verified and held in memory);
- one made-up key, again and again (its prefix is remembered as unknown);
- a new made-up prefix each time, each from a new client address (a lookup every time: the
  most a spread-out attacker can cost, limited by how many addresses they have);
- a new made-up prefix each time from one address (refused after XQR_AUTH_FAILURE_LIMIT).

Prints µs per request and api_keys queries per request, and writes bench/results/auth.json.

    python bench/auth.py [--requests 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import AccountFactory, make_settings  # noqa: E402
from xqr.app import create_app  # noqa: E402
from xqr.db.engine import make_engine  # noqa: E402
from xqr.db.migrate import upgrade  # noqa: E402

RESULTS = ROOT / "bench" / "results"
PATH = "/api/v1/workspace"


async def call(app: Any, key: str, client: str) -> str:
    """The answer's status, with its error code when it is an error."""
    status = 0
    body = b""

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, body
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            body += message.get("body", b"")

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
        "client": (client, 5000),
        "server": ("bench", 80),
    }
    await app(scope, receive, send)
    if status < 400:
        return str(status)
    return f"{status} {json.loads(body)['error']['code']}"


def made_up(n: int) -> str:
    return f"xqr_pk_f{n:07x}." + "a" * 64


async def measure(
    app: Any, requests: int, request: Callable[[int], tuple[str, str]], lookups: list[int]
) -> tuple[float, float, Counter[str]]:
    before = lookups[0]
    statuses: Counter[str] = Counter()
    started = time.perf_counter()
    for n in range(requests):
        key, client = request(n)
        statuses[await call(app, key, client)] += 1
    elapsed = time.perf_counter() - started
    return elapsed / requests * 1e6, (lookups[0] - before) / requests, statuses


async def main(requests: int) -> dict[str, dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="xqr-bench-auth-") as folder:
        url = f"sqlite+aiosqlite:///{folder}/xqr.db"
        engine = make_engine(url)
        await upgrade(engine)
        await engine.dispose()
        app = create_app(make_settings(url, Path(folder) / "data"))
        async with app.api.router.lifespan_context(app.api):
            account = await AccountFactory(app.ctx)()
            lookups = [0]

            def count(conn: object, cursor: object, statement: str, *args: object) -> None:
                if "FROM api_keys" in statement:
                    lookups[0] += 1

            event.listen(app.ctx.read_engine.sync_engine, "before_cursor_execute", count)
            assert await call(app, account.key, "10.0.0.1") == "200"
            cases: dict[str, Callable[[int], tuple[str, str]]] = {
                "valid key": lambda n: (account.key, "10.0.0.1"),
                "one made-up key, repeated": lambda n: (
                    made_up(0),
                    f"10.1.{n >> 8 & 255}.{n & 255}",
                ),
                "new prefix, new address": lambda n: (
                    made_up(1 + n),
                    f"10.2.{n >> 8 & 255}.{n & 255}",
                ),
                "new prefix, one address": lambda n: (made_up(10**6 + n), "10.3.0.1"),
            }
            results: dict[str, dict[str, Any]] = {}
            for name, request in cases.items():
                per_request, queries, statuses = await measure(app, requests, request, lookups)
                results[name] = {
                    "us_per_request": round(per_request, 1),
                    "lookups_per_request": round(queries, 3),
                    "statuses": dict(sorted(statuses.items())),
                }
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    results = asyncio.run(main(args.requests))
    print(f"{'case':<28} {'µs/request':>11} {'lookups/request':>16}  statuses")
    for name, row in results.items():
        statuses = ", ".join(f"{s}×{n}" for s, n in row["statuses"].items())
        print(
            f"{name:<28} {row['us_per_request']:>11.1f} {row['lookups_per_request']:>16.3f}  "
            f"{statuses}"
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "auth.json").write_text(json.dumps(results, indent=2) + "\n")
