"""Service functions other domains and operators call: published bytes, pruning."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from pathlib import Path

import httpx

from tests.conftest import Account
from tests.support.assets import confirm, png_bytes, presign, put_upload
from tests.support.server import run_xqr, xqr_env
from xqr.app import XqrApp
from xqr.assets.service import prune_pending, published_asset_bytes, storage_of
from xqr.core.clock import clock


async def _published(client: httpx.AsyncClient, account: Account, data: bytes) -> str:
    presigned = await presign(client, account.headers)
    await put_upload(client, presigned, data)
    await confirm(client, account.headers, presigned["asset_id"])
    response = await client.post(
        f"/api/v1/assets/{presigned['asset_id']}/publish", headers=account.headers
    )
    url: str = response.json()["data"]["public_url"]
    return url


async def test_published_asset_bytes_answers_only_for_the_workspaces_published_assets(
    client: httpx.AsyncClient, account: Account, app: XqrApp
) -> None:
    data = png_bytes(24)
    url = await _published(client, account, data)
    unpublished = await presign(client, account.headers, "draft.png")
    await put_upload(client, unpublished, png_bytes())
    await confirm(client, account.headers, unpublished["asset_id"])
    draft_url = f"http://testserver/cdn/{unpublished['asset_id']}/draft.png"
    ctx = app.ctx
    async with ctx.sessionmaker() as session:
        assert await published_asset_bytes(session, ctx, account.workspace_id, url) == (
            data,
            "image/png",
        )
        storage = storage_of(ctx)
        found = await published_asset_bytes(session, storage, uuid.UUID(account.workspace_id), url)
        assert found == (data, "image/png")
        for other_url in (
            draft_url,
            url + "?v=2",
            url.replace("logo.png", "other.png"),
            "https://example.com/logo.png",
            "http://testserver/cdn/../secret.key",
        ):
            assert (
                await published_asset_bytes(session, ctx, account.workspace_id, other_url) is None
            )
        assert await published_asset_bytes(session, ctx, uuid.uuid4(), url) is None
        assert await published_asset_bytes(session, ctx, "not-a-uuid", url) is None


async def test_prune_pending_removes_day_old_uploads_never_confirmed(
    client: httpx.AsyncClient, account: Account, app: XqrApp
) -> None:
    stale = await presign(client, account.headers, "stale.png")
    await put_upload(client, stale, png_bytes())
    kept = await presign(client, account.headers, "kept.png")
    await put_upload(client, kept, png_bytes())
    await confirm(client, account.headers, kept["asset_id"])
    clock.advance(timedelta(hours=23))
    fresh = await presign(client, account.headers, "fresh.png")
    clock.advance(timedelta(hours=2))
    async with app.ctx.sessionmaker() as session:
        removed = await prune_pending(session, storage_of(app.ctx))
        await session.commit()
    assert removed == 1
    listed = await client.get("/api/v1/assets", headers=account.headers)
    assert {a["id"] for a in listed.json()["data"]} == {kept["asset_id"], fresh["asset_id"]}
    private = Path(app.ctx.settings.data_dir) / "assets" / "private"
    assert not (private / account.workspace_id / stale["asset_id"]).exists()
    assert (private / account.workspace_id / kept["asset_id"] / "kept.png").exists()


async def test_prune_pending_command_removes_pending_assets(
    client: httpx.AsyncClient, account: Account, app: XqrApp, db_url: str
) -> None:
    pending = await presign(client, account.headers, "never-confirmed.png")
    await put_upload(client, pending, png_bytes())
    env = xqr_env(db_url, Path(app.ctx.settings.data_dir))
    result = await asyncio.to_thread(
        run_xqr, env, "assets", "prune-pending", "--older-than-hours", "0"
    )
    assert result.returncode == 0, result.stderr
    assert "Removed 1 pending asset." in result.stdout
    response = await client.get(f"/api/v1/assets/{pending['asset_id']}", headers=account.headers)
    assert response.status_code == 404
    private = Path(app.ctx.settings.data_dir) / "assets" / "private" / account.workspace_id
    assert not (private / pending["asset_id"]).exists()
