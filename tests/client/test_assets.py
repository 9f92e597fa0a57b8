"""`client.assets` and `xqr assets upload`: presign → PUT → confirm against a real server."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.support.live import LiveServer, png_file
from tests.support.server import run_xqr
from xqr.client import XQR, Asset, AsyncXQR, NotFoundError, PresignedUpload


def test_upload_runs_presign_put_confirm_and_reports_progress(xqr: XQR, tmp_path: Path) -> None:
    path = png_file(tmp_path)
    seen: list[tuple[int, int]] = []
    asset = xqr.assets.upload(path, progress=lambda sent, total: seen.append((sent, total)))
    assert isinstance(asset, Asset)
    size = path.stat().st_size
    assert (asset.filename, asset.content_type, asset.size) == ("logo.png", "image/png", size)
    assert asset.status == "uploaded" and asset.public_url is None
    assert seen[0] == (0, size) and seen[-1] == (size, size)

    published = xqr.assets.publish(asset.id)
    assert published.status == "published" and published.public_url
    assert httpx.get(published.public_url).content == path.read_bytes()
    assert xqr.assets.get(asset.id).status == "published"
    assert asset.id in {a.id for a in xqr.assets.list(status="published").items}
    assert asset.id in {a.id for a in xqr.assets.iter(page_size=1)}

    xqr.assets.delete(asset.id)
    with pytest.raises(NotFoundError):
        xqr.assets.get(asset.id)


def test_the_steps_one_by_one_and_upload_with_publish(xqr: XQR, tmp_path: Path) -> None:
    presigned = xqr.assets.presign("by-hand.png", "image/png")
    assert isinstance(presigned, PresignedUpload)
    assert presigned.method == "PUT" and presigned.headers["Content-Type"] == "image/png"
    assert xqr.assets.get(presigned.asset_id).status == "pending"
    body = png_file(tmp_path).read_bytes()
    assert httpx.put(presigned.presigned_url, content=body, headers=presigned.headers).is_success
    assert xqr.assets.confirm(presigned.asset_id).size == len(body)

    direct = xqr.assets.upload(png_file(tmp_path, "direct.png"), publish=True)
    assert direct.status == "published" and direct.public_url


async def test_async_upload(axqr: AsyncXQR, tmp_path: Path) -> None:
    asset = await axqr.assets.upload(png_file(tmp_path), filename="async.png", publish=True)
    assert (asset.filename, asset.status) == ("async.png", "published")
    assert (await axqr.assets.list(limit=1)).total >= 1
    await axqr.assets.delete(asset.id)


def test_cli_upload_publishes_with_a_progress_bar(live: LiveServer, tmp_path: Path) -> None:
    path = png_file(tmp_path, "cli.png")
    result = run_xqr(live.client_env(), "assets", "upload", str(path), "--publish", "--json")
    assert result.returncode == 0, result.stderr
    asset = json.loads(result.stdout)
    assert (asset["filename"], asset["status"]) == ("cli.png", "published")
    assert httpx.get(asset["public_url"]).content == path.read_bytes()

    plain = run_xqr(live.client_env(), "assets", "upload", str(path))
    assert plain.returncode == 0, plain.stderr
    assert "Uploaded cli.png" in plain.stdout and "uploaded" in plain.stdout
    assert "cli.png" in plain.stderr  # the progress bar's label


def test_cli_upload_fails_cleanly(live: LiveServer, tmp_path: Path) -> None:
    text_file = tmp_path / "notes.txt"
    text_file.write_text("not an image")
    refused = run_xqr(live.client_env(), "assets", "upload", str(text_file))
    assert refused.returncode == 1
    assert "VALIDATION_ERROR" in refused.stderr
    env = {k: v for k, v in live.client_env().items() if k != "XQR_API_KEY"}
    no_key = run_xqr(env, "assets", "upload", str(text_file))
    assert no_key.returncode == 2 and "XQR_API_KEY" in no_key.stderr
    read_only = live.make_key("assets:read")
    denied = run_xqr(live.client_env(read_only), "assets", "upload", str(png_file(tmp_path)))
    assert denied.returncode == 1 and "INSUFFICIENT_SCOPE" in denied.stderr
