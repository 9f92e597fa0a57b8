"""`/healthz` (liveness), `/readyz` (readiness with reasons), `/metrics` (Prometheus text, read
back with the Prometheus parser: every metric present and moving), and a clean 503 while the
database is away."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import make_settings
from tests.links.linkkit import create_link, new_account, plans_file, running
from tests.support.receiver import Receiver
from tests.support.waiting import eventually
from xqr.scans.buffer import RawScan

BROWSER = {
    "User-Agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Safari/605.1.15"
}
METRICS = (
    "xqr_http_requests_total",
    "xqr_redirect_latency_seconds_count",
    "xqr_redirect_latency_seconds_bucket",
    "xqr_scans_journaled_total",
    "xqr_scans_stored_total",
    "xqr_scans_dropped_total",
    "xqr_scan_writer_lag_seconds",
    "xqr_scan_writer_lag_scans",
    "xqr_scan_journal_bytes",
    "xqr_webhook_deliveries_total",
    "xqr_webhook_queue_depth",
    "xqr_quota_rejections_total",
)


async def scrape(client: httpx.AsyncClient, **headers: str) -> dict[str, float]:
    answer = await client.get("/metrics", headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    values: dict[str, float] = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            key = f"{sample.name}{{{labels}}}" if labels else sample.name
            values[key] = sample.value
    return values


def total(values: dict[str, float], name: str) -> float:
    return sum(v for k, v in values.items() if k == name or k.startswith(name + "{"))


async def test_every_metric_is_present_and_moves(db_url: str, tmp_path: Path) -> None:
    settings = make_settings(
        db_url,
        tmp_path / "data",
        plans_file=plans_file(tmp_path, burst_per_second=3),
        scan_journal_max_bytes=64 * 1024,
        webhook_retry_schedule="0,3600",
    )
    with Receiver() as good, Receiver([500] * 10) as failing:
        async with running(settings) as (app, client):
            account = await new_account(app, plan="pro")
            assert (await client.get("/healthz")).status_code == 200
            before = await scrape(client)
            for name in METRICS:
                assert any(k == name or k.startswith(name + "{") for k in before), name

            for url in (good.url, failing.url):
                answer = await client.post(
                    "/api/v1/webhooks",
                    json={"url": url, "events": ["link.scanned"]},
                    headers=account.headers,
                )
                assert answer.status_code == 201, answer.text
            link = await create_link(client, account)
            assert (await client.get(f"/{link['short_code']}", headers=BROWSER)).status_code == 302
            statuses = [
                (await client.get("/api/v1/links", headers=account.headers)).status_code
                for _ in range(8)
            ]
            assert 429 in statuses
            # Fill the journal (64 KiB) while the writer is between transactions: dropped.
            buffer, journal = app.ctx.parts.scan_buffer, app.ctx.parts.scan_journal
            raw = RawScan(
                datetime.now(UTC),
                uuid.UUID(account.workspace_id),
                "link",
                uuid.UUID(link["id"]),
                None,
                "203.0.113.9",
                BROWSER["User-Agent"],
                None,
                None,
                False,
            )
            while not journal.dropped:
                buffer.add(raw)
            during = await scrape(client)
            assert during["xqr_scan_journal_bytes"] > 0
            assert during["xqr_scan_writer_lag_scans"] > 0

            await eventually(
                lambda: good.requests and failing.requests, "webhook attempts", timeout=30
            )

            async def settled() -> dict[str, float] | None:
                found = await scrape(client)
                outcomes = {
                    k: v for k, v in found.items() if k.startswith("xqr_webhook_deliveries")
                }
                done = (
                    found["xqr_scan_writer_lag_scans"] == 0
                    and outcomes.get("xqr_webhook_deliveries_total{outcome=succeeded}", 0) >= 1
                    and outcomes.get("xqr_webhook_deliveries_total{outcome=http_error}", 0) >= 1
                )
                return found if done else None

            after: dict[str, Any] = await eventually(settled, "scans stored", timeout=60)

    moved = {
        "xqr_http_requests_total{group=api,status=200}": 8 - statuses.count(429),
        "xqr_http_requests_total{group=api,status=429}": statuses.count(429),
        "xqr_http_requests_total{group=redirect,status=302}": 1,
        "xqr_redirect_latency_seconds_count": 1,
        "xqr_quota_rejections_total{limit=burst}": statuses.count(429),
    }
    for key, delta in moved.items():
        assert after.get(key, 0) - before.get(key, 0) >= delta, key
    assert after["xqr_scans_journaled_total"] > before["xqr_scans_journaled_total"]
    assert after["xqr_scans_stored_total"] >= after["xqr_scans_journaled_total"] - 1
    assert after["xqr_scans_dropped_total"] > 0
    assert after["xqr_webhook_queue_depth"] >= 1  # the failing endpoint's next retry
    assert during["xqr_scan_writer_lag_scans"] > after["xqr_scan_writer_lag_scans"]


async def test_metrics_can_require_a_token(db_url: str, tmp_path: Path) -> None:
    settings = make_settings(db_url, tmp_path / "data", metrics_token="s3cret-metrics")
    async with running(settings) as (_app, client):
        refused = await client.get("/metrics")
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "INVALID_API_KEY"
        assert (
            await client.get("/metrics", headers={"Authorization": "Bearer nope"})
        ).status_code == 401
        assert (await scrape(client, Authorization="Bearer s3cret-metrics"))[
            "xqr_scans_dropped_total"
        ] == 0


async def test_healthz_is_liveness_and_readyz_gives_its_reasons(
    db_url: str, tmp_path: Path
) -> None:
    settings = make_settings(db_url, tmp_path / "data")
    async with running(settings) as (app, client):
        assert (await client.get("/healthz")).json()["status"] == "ok"
        ready = await client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json() | {"checks": None} == {"status": "ready", "reasons": [], "checks": None}

        journal = app.ctx.parts.scan_journal
        journal.bytes = journal.max_bytes  # as full as it gets
        buffer = app.ctx.parts.scan_buffer
        buffer.add(
            RawScan(
                datetime.now(UTC),
                uuid.uuid4(),
                "link",
                uuid.uuid4(),
                None,
                "203.0.113.1",
                "x",
                None,
                None,
                False,
            )
        )
        not_ready = await client.get("/readyz")
        assert not_ready.status_code == 503
        assert not_ready.json()["status"] == "not ready"
        assert any("scan journal is full" in r for r in not_ready.json()["reasons"])
        assert (await client.get("/healthz")).status_code == 200  # alive all the same


@pytest.mark.parametrize("path", ["/api/v1/links", "/some-code"])
async def test_the_database_away_answers_a_clean_503(
    db_url: str, tmp_path: Path, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(db_url, tmp_path / "data")
    async with running(settings) as (app, client):
        account = await new_account(app)
        await app.ctx.engine.dispose()
        await app.ctx.read_engine.dispose()
        # Point both engines at a database that cannot be reached.
        from xqr.db.engine import make_engine

        gone = (
            f"sqlite+aiosqlite:///{tmp_path}/missing/folder/xqr.db"
            if settings.is_sqlite
            else "postgresql+asyncpg://xqr@127.0.0.1:9/none"
        )
        broken = make_engine(gone)
        app.ctx.engine = app.ctx.read_engine = broken
        app.ctx.parts.link_cache.engine = broken
        from sqlalchemy.ext.asyncio import async_sessionmaker

        app.ctx.sessionmaker = app.ctx.read_sessionmaker = async_sessionmaker(broken)
        for _ in range(3):
            answer = await client.get(path, headers={**account.headers, **BROWSER})
            assert answer.status_code == 503, answer.text
            assert answer.headers["retry-after"]
            if path.startswith("/api/"):
                assert answer.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
            else:
                assert "try again" in answer.text.lower()
        assert "Traceback" not in caplog.text
        await broken.dispose()
