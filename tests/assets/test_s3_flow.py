"""The asset life cycle on the S3 backend against a real S3-compatible server (moto)."""

from __future__ import annotations

import uuid
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from botocore.exceptions import ClientError

from tests.assets.conftest import PRIVATE_BUCKET, PUBLIC_BUCKET, S3Setup, s3_app
from tests.conftest import assert_error
from tests.support.assets import SVG_WITH_SCRIPT, confirm, png_bytes, presign, put_upload
from tests.support.s3 import MotoServer
from xqr.assets.service import published_asset_bytes

CACHE = "public, max-age=31536000, immutable"


def _exists(s3: S3Setup, bucket: str, key: str) -> bool:
    try:
        s3.s3.head_object(Bucket=bucket, Key=key)
    except ClientError:
        return False
    return True


async def test_presign_upload_confirm_publish_fetch_and_delete_on_s3(s3_setup: S3Setup) -> None:
    api, headers = s3_setup.client, s3_setup.account.headers
    data = png_bytes(12)
    presigned = await presign(api, headers, "../brand/Logo.png", "image/png")
    asset_id = presigned["asset_id"]
    url = urlsplit(presigned["presigned_url"])
    assert f"{url.scheme}://{url.netloc}" == s3_setup.moto.url
    assert url.path == f"/{PRIVATE_BUCKET}/{s3_setup.account.workspace_id}/{asset_id}/Logo.png"
    assert "X-Amz-Signature=" in url.query and "X-Amz-Expires=900" in url.query
    assert presigned["headers"] == {"Content-Type": "image/png"}

    async with httpx.AsyncClient() as network:
        uploaded = await put_upload(network, presigned, data)
    assert uploaded.status_code == 200, uploaded.text

    confirmed = await confirm(api, headers, asset_id)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["data"]["size"] == len(data)
    assert confirmed.json()["data"]["status"] == "uploaded"
    got = await api.get(f"/api/v1/assets/{asset_id}", headers=headers)
    assert got.json()["data"] == confirmed.json()["data"]
    listed = await api.get("/api/v1/assets", headers=headers)
    assert [a["id"] for a in listed.json()["data"]] == [asset_id]

    published = await api.post(f"/api/v1/assets/{asset_id}/publish", headers=headers)
    assert published.status_code == 200, published.text
    public_url = published.json()["data"]["public_url"]
    assert public_url == f"{s3_setup.moto.url}/{PUBLIC_BUCKET}/{asset_id}/Logo.png"
    again = await api.post(f"/api/v1/assets/{asset_id}/publish", headers=headers)
    assert again.json()["data"] == published.json()["data"]

    async with httpx.AsyncClient() as network:
        fetched = await network.get(public_url)
        assert fetched.status_code == 200
        assert fetched.content == data
        assert fetched.headers["content-type"] == "image/png"
        assert fetched.headers["cache-control"] == CACHE

        deleted = await api.delete(f"/api/v1/assets/{asset_id}", headers=headers)
        assert deleted.status_code == 204
        assert (await network.get(public_url)).status_code == 404
    key = f"{s3_setup.account.workspace_id}/{asset_id}/Logo.png"
    assert not _exists(s3_setup, PRIVATE_BUCKET, key)
    assert not _exists(s3_setup, PUBLIC_BUCKET, f"{asset_id}/Logo.png")
    assert_error(
        await api.get(f"/api/v1/assets/{asset_id}", headers=headers), 404, "RESOURCE_NOT_FOUND"
    )


async def test_s3_confirm_rejects_mismatched_bytes_and_deletes_the_object(
    s3_setup: S3Setup,
) -> None:
    api, headers = s3_setup.client, s3_setup.account.headers
    presigned = await presign(api, headers, "logo.webp", "image/webp")
    async with httpx.AsyncClient() as network:
        assert (await put_upload(network, presigned, png_bytes())).status_code == 200
    error = assert_error(
        await confirm(api, headers, presigned["asset_id"]), 400, "VALIDATION_ERROR"
    )
    assert "image/webp" in error["message"]
    key = f"{s3_setup.account.workspace_id}/{presigned['asset_id']}/logo.webp"
    assert not _exists(s3_setup, PRIVATE_BUCKET, key)


async def test_s3_confirm_refuses_a_file_over_the_per_file_cap_and_deletes_it(
    db_url: str, tmp_path: Path, moto: MotoServer
) -> None:
    async with s3_app(db_url, tmp_path, moto, assets_max_file_bytes=100) as setup:
        api, headers = setup.client, setup.account.headers
        presigned = await presign(api, headers)
        async with httpx.AsyncClient() as network:
            assert (await put_upload(network, presigned, png_bytes(64))).status_code == 200
        error = assert_error(
            await confirm(api, headers, presigned["asset_id"]), 413, "PAYLOAD_TOO_LARGE"
        )
        assert "100 bytes" in error["message"]
        key = f"{setup.account.workspace_id}/{presigned['asset_id']}/logo.png"
        assert not _exists(setup, PRIVATE_BUCKET, key)


async def test_s3_confirm_before_upload_is_a_conflict(s3_setup: S3Setup) -> None:
    presigned = await presign(s3_setup.client, s3_setup.account.headers)
    response = await confirm(s3_setup.client, s3_setup.account.headers, presigned["asset_id"])
    assert_error(response, 409, "CONFLICT")


async def test_s3_publish_refuses_an_object_replaced_after_confirmation(
    s3_setup: S3Setup,
) -> None:
    api, headers = s3_setup.client, s3_setup.account.headers
    presigned = await presign(api, headers)
    async with httpx.AsyncClient() as network:
        await put_upload(network, presigned, png_bytes())
        assert (await confirm(api, headers, presigned["asset_id"])).status_code == 200
        # The presigned URL is still valid: a second PUT swaps the bytes behind our back.
        await put_upload(network, presigned, b"\x89PNG\r\n\x1a\n<html>swapped</html>")
    response = await api.post(f"/api/v1/assets/{presigned['asset_id']}/publish", headers=headers)
    assert_error(response, 409, "CONFLICT")
    assert not _exists(s3_setup, PUBLIC_BUCKET, f"{presigned['asset_id']}/logo.png")


async def test_s3_svg_is_published_as_an_attachment_with_its_type(s3_setup: S3Setup) -> None:
    api, headers = s3_setup.client, s3_setup.account.headers
    presigned = await presign(api, headers, "logo.svg", "image/svg+xml")
    async with httpx.AsyncClient() as network:
        await put_upload(network, presigned, SVG_WITH_SCRIPT)
        await confirm(api, headers, presigned["asset_id"])
        published = await api.post(
            f"/api/v1/assets/{presigned['asset_id']}/publish", headers=headers
        )
        fetched = await network.get(published.json()["data"]["public_url"])
    assert fetched.content == SVG_WITH_SCRIPT
    assert fetched.headers["content-type"] == "image/svg+xml"
    assert fetched.headers["content-disposition"] == "attachment"


async def test_published_asset_bytes_reads_the_public_bucket(s3_setup: S3Setup) -> None:
    api, headers = s3_setup.client, s3_setup.account.headers
    data = png_bytes(20)
    presigned = await presign(api, headers)
    async with httpx.AsyncClient() as network:
        await put_upload(network, presigned, data)
    await confirm(api, headers, presigned["asset_id"])
    published = await api.post(f"/api/v1/assets/{presigned['asset_id']}/publish", headers=headers)
    url = published.json()["data"]["public_url"]
    ctx = s3_setup.app.ctx
    async with ctx.sessionmaker() as session:
        found = await published_asset_bytes(session, ctx, s3_setup.account.workspace_id, url)
        assert found == (data, "image/png")
        assert await published_asset_bytes(session, ctx, uuid.uuid4(), url) is None


def test_default_public_url_is_path_style_on_the_endpoint() -> None:
    from xqr.assets.storage.s3 import default_public_base_url
    from xqr.config import Settings

    custom = Settings(s3_endpoint_url="https://acc.r2.cloudflarestorage.com/", s3_region="auto")
    assert default_public_base_url(custom) == "https://acc.r2.cloudflarestorage.com/xqr-public"
    aws = Settings(s3_region="eu-west-1", s3_public_bucket="cdn-bucket")
    assert default_public_base_url(aws) == "https://s3.eu-west-1.amazonaws.com/cdn-bucket"
