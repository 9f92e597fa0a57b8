"""Helpers shared by the links, redirect and scans tests (not a test module)."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from tests.conftest import Account, AccountFactory, make_settings
from xqr.app import XqrApp, create_app
from xqr.config import Settings
from xqr.context import AppContext
from xqr.webhooks.models import WebhookEndpoint

CHROME_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
IPHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
IPAD_UA = (
    "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
BROWSER = {"User-Agent": CHROME_UA}

LINK_FIELDS = {
    "id",
    "short_url",
    "short_code",
    "destination",
    "enabled",
    "labels",
    "routing_rules",
    "scan_count",
    "last_scan_at",
    "expires_at",
    "has_password",
    "expired_url",
    "utm",
    "preview",
    "health",
    "domain",
    "created_at",
    "updated_at",
}


def quiet_settings(db_url: str, data_dir: Path, **overrides: Any) -> Settings:
    """Settings whose scan writer only writes when a test flushes, and no webhook dispatcher,
    so what a test reads after `flush()` is everything there is."""
    values: dict[str, Any] = {"scan_flush_interval_ms": 3_600_000, "run_background": False}
    values.update(overrides)
    return make_settings(db_url, data_dir, **values)


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[tuple[XqrApp, httpx.AsyncClient]]:
    """An app with its lifespan running and a client over it."""
    application = create_app(settings)
    async with application.api.router.lifespan_context(application.api):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield application, http


def plans_file(folder: Path, **pro: Any) -> Path:
    """A plans TOML overriding the pro plan (with room for many requests per second)."""
    values = {"burst_per_second": 1000, "monthly_calls": 1_000_000, **pro}
    lines = ["[plans.pro]"]
    for name, value in values.items():
        rendered = ("true" if value else "false") if isinstance(value, bool) else repr(value)
        lines.append(f"{name} = {rendered}")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "plans.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


async def new_account(app: XqrApp, **kwargs: Any) -> Account:
    return await AccountFactory(app.ctx)(**kwargs)


async def create_link(client: httpx.AsyncClient, account: Account, **body: Any) -> dict[str, Any]:
    body.setdefault("url", "https://example.com/landing")
    response = await client.post("/api/v1/links", json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def get_link(client: httpx.AsyncClient, account: Account, link_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/links/{link_id}", headers=account.headers)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def flush(app: XqrApp) -> None:
    await app.ctx.parts.scan_writer.flush()


async def rows(ctx: AppContext, sql: str, **params: Any) -> list[Any]:
    async with ctx.engine.connect() as conn:
        return list((await conn.execute(text(sql), params)).all())


async def scalar(ctx: AppContext, sql: str, **params: Any) -> Any:
    async with ctx.engine.connect() as conn:
        return (await conn.execute(text(sql), params)).scalar()


async def scan_events(ctx: AppContext, link_id: str) -> list[Any]:
    async with ctx.engine.connect() as conn:
        result = await conn.execute(
            text("SELECT * FROM scan_events WHERE target_id = :t ORDER BY id"),
            {"t": _uuid_param(ctx, link_id)},
        )
        return [row._asdict() for row in result.all()]


def _uuid_param(ctx: AppContext, value: str) -> Any:
    # SQLAlchemy's Uuid type stores 32 hex digits on SQLite and a native uuid on PostgreSQL.
    return uuid.UUID(value).hex if ctx.settings.is_sqlite else uuid.UUID(value)


def uuid_param(ctx: AppContext, value: str) -> Any:
    return _uuid_param(ctx, value)


async def add_endpoint(ctx: AppContext, workspace_id: str, events: list[str]) -> uuid.UUID:
    """A webhook endpoint row subscribed to `events` (the dispatcher is off in these tests)."""
    async with ctx.sessionmaker() as session:
        endpoint = WebhookEndpoint(
            workspace_id=uuid.UUID(workspace_id),
            url="https://hooks.example.com/xqr",
            events=events,
            secret="whsec_" + "t" * 32,
            enabled=True,
        )
        session.add(endpoint)
        await session.commit()
        return endpoint.id


async def delivered_events(ctx: AppContext, workspace_id: str) -> Counter[str]:
    found = await rows(
        ctx,
        "SELECT event FROM webhook_deliveries WHERE workspace_id = :w",
        w=_uuid_param(ctx, workspace_id),
    )
    return Counter(str(r[0]) for r in found)


async def delivery_payloads(ctx: AppContext, workspace_id: str, event: str) -> list[str]:
    found = await rows(
        ctx,
        "SELECT payload FROM webhook_deliveries WHERE workspace_id = :w AND event = :e "
        "ORDER BY created_at, id",
        w=_uuid_param(ctx, workspace_id),
        e=event,
    )
    return [str(r[0]) for r in found]


# --- rollups, in one shape: {(bucket, dimension, value): scans} -----------------------------

Breakdown = dict[tuple[Any, str, str], int]


def _midnight(day: Any) -> datetime:
    """A UTC day as its midnight, whether stored as a date or a datetime."""
    if isinstance(day, datetime):
        return day
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


async def link_breakdown(ctx: AppContext, link_id: str, grain: str) -> Breakdown:
    """A link's rollups by dimension: hourly facts (`scan_rollups`) or daily breakdowns
    (`scan_breakdowns`), with `total` and `visitors` (value "") from `scan_totals`; buckets
    without new visitors have no `visitors` entry. Checks that the tables agree."""
    from sqlalchemy import select

    from xqr.scans.models import ScanBreakdown, ScanRollup, ScanTotal

    target = uuid.UUID(link_id)
    out: Counter[tuple[Any, str, str]] = Counter()
    async with ctx.sessionmaker() as session:
        if grain == "h":
            facts = (
                await session.scalars(select(ScanRollup).where(ScanRollup.target_id == target))
            ).all()
            for fact in facts:
                for dim, value in (
                    ("country", fact.country),
                    ("device", fact.device_type),
                    ("browser", fact.browser),
                    ("os", fact.os),
                    ("source", fact.source),
                ):
                    out[(fact.hour, dim, value)] += fact.scans
        else:
            assert grain == "d"
            daily = (
                await session.scalars(
                    select(ScanBreakdown).where(ScanBreakdown.target_id == target)
                )
            ).all()
            for row in daily:
                out[(_midnight(row.day), row.dim, row.value)] += row.scans
        totals = (
            await session.scalars(
                select(ScanTotal).where(ScanTotal.target_id == target, ScanTotal.grain == grain)
            )
        ).all()
    by_dim: Counter[tuple[Any, str]] = Counter()
    for (bucket, dim, _), n in out.items():
        by_dim[(bucket, dim)] += n
    for total in totals:
        assert total.kind == "link"
        # every dimension of a bucket adds up to the bucket's total
        for dim in ("country", "device", "browser", "os", "source"):
            assert by_dim[(total.bucket, dim)] == total.scans, (total.bucket, dim)
        out[(total.bucket, "total", "")] += total.scans
        if total.visitors:
            out[(total.bucket, "visitors", "")] += total.visitors
    assert {b for b, _ in by_dim} <= {t.bucket for t in totals}
    return {key: n for key, n in out.items() if n}


async def workspace_breakdown(ctx: AppContext, workspace_id: str, grain: str) -> Breakdown:
    """A workspace's link scans by dimension (`scan_dimensions`)."""
    from sqlalchemy import select

    from xqr.scans.models import ScanDimension

    async with ctx.sessionmaker() as session:
        rows_ = (
            await session.scalars(
                select(ScanDimension).where(
                    ScanDimension.workspace_id == uuid.UUID(workspace_id),
                    ScanDimension.kind == "link",
                    ScanDimension.grain == grain,
                )
            )
        ).all()
    return {(r.bucket, r.dim, r.value): r.scans for r in rows_ if r.scans}
