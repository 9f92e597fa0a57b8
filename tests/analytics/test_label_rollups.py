"""A label's analytics come from its own rollup rows, and they always equal its links counted
one by one: after scans, after a link loses or gains the label, after a link is deleted.

Scans go through the real buffer and writer; the label's rows are rebuilt by the function the
writer runs (`xqr.scans.labels.rebuild_changed`)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from tests.analytics.test_analytics_reference import (
    NOW,
    analytics_settings,
    random_scans,
    write_scans,
)
from tests.conftest import Account, make_settings
from tests.links.linkkit import create_link, running
from tests.support.waiting import eventually
from xqr.analytics import service as analytics
from xqr.app import XqrApp
from xqr.config import Settings
from xqr.core.clock import clock
from xqr.links import service as links
from xqr.scans import labels
from xqr.scans.aggregate import LABEL_KIND, label_scope
from xqr.scans.models import ScanDimension
from xqr.workspaces import service as workspaces

pytestmark = pytest.mark.database

VIEWS = [("30d", "UTC", "day"), ("7d", "America/New_York", "hour"), ("all", "Asia/Kolkata", "day")]


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return analytics_settings(db_url, tmp_path / "data")


@pytest.fixture
async def labelled(app: XqrApp, client: httpx.AsyncClient, account: Account) -> list[str]:
    """Five links: 0–2 labelled spring, 2–3 summer, 4 none; 900 scans over 60 days."""
    clock.freeze(NOW.replace(day=1, month=1))
    label_sets = [["spring"], ["spring"], ["spring", "summer"], ["summer"], []]
    ids = [(await create_link(client, account, labels=s))["id"] for s in label_sets]
    clock.freeze(NOW)
    scans = random_scans(account.workspace_id, ids, count=700, days=60, seed=3)
    scans += random_scans(account.workspace_id, ids, count=200, days=2, seed=4)
    await write_scans(app, sorted(scans, key=lambda scan: scan.occurred_at))
    return ids


async def _tenant(app: XqrApp, account: Account) -> Any:
    async with app.ctx.read_sessionmaker() as session:
        workspace = await workspaces.get_workspace(session, uuid.UUID(account.workspace_id))
        return workspaces.tenant_for(workspace, app.ctx.plans)


async def _views(app: XqrApp, account: Account, label: str, by_label: bool) -> list[Any]:
    """What the dashboard shows for the label, from its rows (`by_label`) or its links."""
    tenant = await _tenant(app, account)
    found: list[Any] = []
    async with app.ctx.read_sessionmaker() as session:
        ids = await links.link_ids_with_label(session, tenant, label, 10_000)
        named = label if by_label else None
        for period, zone, granularity in VIEWS:
            query = analytics.Query.parse(period, zone, granularity)
            found.append(await analytics.summary(session, tenant, query, link_ids=ids, label=named))
            found.append(await analytics.trend(session, tenant, query, link_ids=ids, label=named))
            found.append(
                await analytics.geography(session, tenant, query, link_ids=ids, label=named)
            )
            found.append(await analytics.devices(session, tenant, query, link_ids=ids, label=named))
            found.append(
                await analytics.links_scanned(session, tenant, query, link_ids=ids, label=named)
            )
    return found


async def _ready(app: XqrApp, account: Account, label: str) -> bool:
    async with app.ctx.read_sessionmaker() as session:
        return await labels.rollups_ready(session, uuid.UUID(account.workspace_id), label)


async def _rows(app: XqrApp, account: Account, label: str) -> list[tuple[Any, ...]]:
    d = ScanDimension
    scope = label_scope(uuid.UUID(account.workspace_id), label)
    async with app.ctx.read_sessionmaker() as session:
        rows = await session.execute(
            select(d.dim, d.grain, d.bucket, d.value, d.scans)
            .where(d.workspace_id == scope, d.kind == LABEL_KIND, d.scans != 0)
            .order_by(d.dim, d.grain, d.bucket, d.value)
        )
        return [tuple(row) for row in rows.all()]


async def _agree(app: XqrApp, account: Account, label: str) -> None:
    assert await _views(app, account, label, True) == await _views(app, account, label, False)


async def test_a_label_with_links_from_the_start_is_counted_from_its_own_rows(
    app: XqrApp, account: Account, labelled: list[str]
) -> None:
    assert await _ready(app, account, "spring")
    rows = await _rows(app, account, "spring")
    assert sum(n for dim, grain, _, _, n in rows if dim == "total" and grain == "d") > 0
    await _agree(app, account, "spring")
    await _agree(app, account, "summer")
    summary = (await _views(app, account, "spring", True))[0]
    assert summary.total_scans > 0


async def test_a_rebuild_writes_the_rows_the_writer_kept(
    app: XqrApp, account: Account, labelled: list[str]
) -> None:
    kept = await _rows(app, account, "spring")
    async with app.ctx.sessionmaker() as session:
        await links.labels_changed(session, uuid.UUID(account.workspace_id), ["spring"])
        await session.commit()
    assert not await _ready(app, account, "spring")
    assert await labels.rebuild_all_changed(app.ctx.sessionmaker, app.ctx.read_sessionmaker) == 1
    assert await _ready(app, account, "spring")
    assert await _rows(app, account, "spring") == kept


async def test_a_link_that_loses_or_gains_a_label_is_counted_where_it_now_is(
    app: XqrApp, client: httpx.AsyncClient, account: Account, labelled: list[str]
) -> None:
    before = await _views(app, account, "spring", False)
    response = await client.patch(
        f"/api/v1/links/{labelled[1]}", json={"labels": ["summer"]}, headers=account.headers
    )
    assert response.status_code == 200, response.text
    # until the rebuild, the label's links are counted one by one: already the new numbers
    assert not await _ready(app, account, "spring")
    assert not await _ready(app, account, "summer")
    after = await _views(app, account, "spring", True)
    assert after == await _views(app, account, "spring", False)
    assert after[0].total_scans < before[0].total_scans
    assert await labels.rebuild_all_changed(app.ctx.sessionmaker, app.ctx.read_sessionmaker) == 2
    assert await _ready(app, account, "spring")
    await _agree(app, account, "spring")
    await _agree(app, account, "summer")
    # scans after the move count for the new label only
    more = random_scans(account.workspace_id, labelled, count=150, days=1, seed=11)
    await write_scans(app, sorted(more, key=lambda scan: scan.occurred_at))
    await _agree(app, account, "spring")
    await _agree(app, account, "summer")


async def test_a_deleted_link_leaves_its_labels(
    app: XqrApp, client: httpx.AsyncClient, account: Account, labelled: list[str]
) -> None:
    response = await client.delete(f"/api/v1/links/{labelled[2]}", headers=account.headers)
    assert response.status_code == 204, response.text
    assert not await _ready(app, account, "spring")
    assert await labels.rebuild_all_changed(app.ctx.sessionmaker, app.ctx.read_sessionmaker) == 2
    await _agree(app, account, "spring")
    await _agree(app, account, "summer")


async def test_a_running_writer_rebuilds_changed_labels(
    app: XqrApp,
    client: httpx.AsyncClient,
    account: Account,
    labelled: list[str],
    db_url: str,
    tmp_path: Path,
) -> None:
    response = await client.patch(
        f"/api/v1/links/{labelled[4]}", json={"labels": ["spring"]}, headers=account.headers
    )
    assert response.status_code == 200, response.text
    assert not await _ready(app, account, "spring")
    # a process whose writer runs on its own (this test's app writes only when flushed)
    async with running(make_settings(db_url, tmp_path / "other")):
        # the writer looks every second; a busy machine may take a while to get there
        await eventually(
            lambda: _ready(app, account, "spring"), "the rebuild of spring", timeout=90
        )
    await _agree(app, account, "spring")


async def test_links_scanned_and_top_links_of_a_big_label_come_from_the_workspace_sums(
    app: XqrApp, account: Account, labelled: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above `FEW_LINKS` links, the label's links are picked from the workspace's per-link
    sums instead of looked up one by one: the same answer."""
    tenant = await _tenant(app, account)
    async with app.ctx.read_sessionmaker() as session:
        ids = await links.link_ids_with_label(session, tenant, "spring", 10_000)
        for period, zone, granularity in VIEWS:
            query = analytics.Query.parse(period, zone, granularity)
            ask = (session, tenant, query, "http://testserver", ids, 10)
            few = await analytics.link_activity(*ask, label="spring")
            monkeypatch.setattr(analytics, "FEW_LINKS", 1)
            many = await analytics.link_activity(*ask, label="spring")
            monkeypatch.setattr(analytics, "FEW_LINKS", 500)
            assert few == many
            assert few[0] > 0 and few[2]
