"""The whole asset life cycle on the filesystem backend, through the in-process app."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from sqlalchemy import select

from tests.conftest import Account, assert_error
from tests.support.assets import PDF_BYTES, confirm, png_bytes, presign, put_upload, raster_bytes
from xqr.app import XqrApp
from xqr.webhooks.models import WebhookDelivery, WebhookEndpoint

CACHE = "public, max-age=31536000, immutable"


async def test_presign_upload_confirm_publish_serve_and_delete(
    client: httpx.AsyncClient, account: Account, app: XqrApp
) -> None:
    data = png_bytes()
    presigned = await presign(client, account.headers, "Logo Final.png", "image/png")
    asset_id = presigned["asset_id"]
    assert presigned["method"] == "PUT"
    assert presigned["headers"] == {"Content-Type": "image/png"}
    assert presigned["expires_at"].endswith("Z")
    assert presigned["presigned_url"].startswith(f"http://testserver/_uploads/{asset_id}?")
    assert presigned["asset"]["id"] == asset_id
    assert presigned["asset"]["status"] == "pending"
    assert presigned["asset"]["size"] is None
    assert presigned["asset"]["public_url"] is None
    assert presigned["asset"]["filename"] == "Logo Final.png"

    uploaded = await put_upload(client, presigned, data)
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.headers["etag"].startswith('"')

    confirmed = await confirm(client, account.headers, asset_id)
    assert confirmed.status_code == 200, confirmed.text
    asset = confirmed.json()["data"]
    assert asset["status"] == "uploaded"
    assert asset["size"] == len(data)
    assert asset["content_type"] == "image/png"
    assert set(asset) == {
        "id",
        "filename",
        "content_type",
        "size",
        "status",
        "public_url",
        "created_at",
        "updated_at",
    }

    got = await client.get(f"/api/v1/assets/{asset_id}", headers=account.headers)
    assert got.json()["data"] == asset
    listed = await client.get("/api/v1/assets?status=uploaded", headers=account.headers)
    assert [a["id"] for a in listed.json()["data"]] == [asset_id]
    assert listed.json()["meta"]["total"] == 1

    published = await client.post(f"/api/v1/assets/{asset_id}/publish", headers=account.headers)
    assert published.status_code == 200, published.text
    public_url = published.json()["data"]["public_url"]
    assert published.json()["data"]["status"] == "published"
    assert public_url == f"http://testserver/cdn/{asset_id}/Logo-Final.png"

    served = await client.get(public_url)
    assert served.status_code == 200
    assert served.content == data
    assert served.headers["content-type"] == "image/png"
    assert served.headers["cache-control"] == CACHE
    assert served.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in served.headers
    etag = served.headers["etag"]
    again = await client.get(public_url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    head = await client.head(public_url)
    assert head.status_code == 200
    assert head.headers["content-length"] == str(len(data))

    deleted = await client.delete(f"/api/v1/assets/{asset_id}", headers=account.headers)
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert_error(
        await client.get(f"/api/v1/assets/{asset_id}", headers=account.headers),
        404,
        "RESOURCE_NOT_FOUND",
    )
    assert_error(await client.get(public_url), 404, "RESOURCE_NOT_FOUND")
    stored = Path(app.ctx.settings.data_dir) / "assets"
    assert [p for p in stored.rglob("*") if p.is_file()] == []


async def test_every_allowed_type_can_be_uploaded_and_is_served_with_its_type(
    client: httpx.AsyncClient, account: Account
) -> None:
    samples = {
        "image/png": ("a.png", png_bytes()),
        "image/jpeg": ("b.jpeg", raster_bytes("JPEG")),
        "image/gif": ("c.gif", raster_bytes("GIF")),
        "image/webp": ("d.webp", raster_bytes("WEBP")),
        "image/svg+xml": ("e.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>'),
        "application/pdf": ("f.pdf", PDF_BYTES),
    }
    for content_type, (filename, data) in samples.items():
        presigned = await presign(client, account.headers, filename, content_type)
        assert (await put_upload(client, presigned, data)).status_code == 200
        assert (await confirm(client, account.headers, presigned["asset_id"])).status_code == 200
        published = await client.post(
            f"/api/v1/assets/{presigned['asset_id']}/publish", headers=account.headers
        )
        url = published.json()["data"]["public_url"]
        assert url.endswith("/" + filename)
        served = await client.get(url)
        assert served.content == data
        assert served.headers["content-type"].split(";")[0] == content_type


async def test_publishing_twice_returns_the_same_published_asset(
    client: httpx.AsyncClient, account: Account
) -> None:
    presigned = await presign(client, account.headers)
    await put_upload(client, presigned, png_bytes())
    await confirm(client, account.headers, presigned["asset_id"])
    url = f"/api/v1/assets/{presigned['asset_id']}/publish"
    first = (await client.post(url, headers=account.headers)).json()["data"]
    second = await client.post(url, headers=account.headers)
    assert second.status_code == 200
    assert second.json()["data"] == first


async def test_confirming_twice_returns_the_asset_unchanged(
    client: httpx.AsyncClient, account: Account
) -> None:
    presigned = await presign(client, account.headers)
    await put_upload(client, presigned, png_bytes())
    first = (await confirm(client, account.headers, presigned["asset_id"])).json()["data"]
    second = await confirm(client, account.headers, presigned["asset_id"])
    assert second.status_code == 200
    assert second.json()["data"] == first


async def test_publishing_a_pending_asset_is_a_conflict(
    client: httpx.AsyncClient, account: Account
) -> None:
    presigned = await presign(client, account.headers)
    response = await client.post(
        f"/api/v1/assets/{presigned['asset_id']}/publish", headers=account.headers
    )
    assert_error(response, 409, "CONFLICT")


async def test_uploading_again_after_confirmation_is_a_conflict(
    client: httpx.AsyncClient, account: Account
) -> None:
    presigned = await presign(client, account.headers)
    await put_upload(client, presigned, png_bytes())
    await confirm(client, account.headers, presigned["asset_id"])
    assert_error(await put_upload(client, presigned, png_bytes(16)), 409, "CONFLICT")


async def test_list_is_newest_first_paginated_and_filtered_by_status(
    client: httpx.AsyncClient, account: Account
) -> None:
    ids = [(await presign(client, account.headers, f"f{i}.png"))["asset_id"] for i in range(3)]
    response = await client.get("/api/v1/assets?limit=2&offset=0", headers=account.headers)
    body = response.json()
    assert [a["id"] for a in body["data"]] == [ids[2], ids[1]]
    assert body["meta"]["total"] == 3
    assert body["meta"]["limit"] == 2
    assert body["meta"]["offset"] == 0
    page2 = await client.get("/api/v1/assets?limit=2&offset=2", headers=account.headers)
    assert [a["id"] for a in page2.json()["data"]] == [ids[0]]
    pending = await client.get("/api/v1/assets?status=pending", headers=account.headers)
    assert pending.json()["meta"]["total"] == 3
    published = await client.get("/api/v1/assets?status=published", headers=account.headers)
    assert published.json()["data"] == []
    assert_error(
        await client.get("/api/v1/assets?status=deleted", headers=account.headers),
        400,
        "VALIDATION_ERROR",
    )


async def test_confirm_emits_asset_uploaded_in_the_same_transaction(
    client: httpx.AsyncClient, account: Account, app: XqrApp
) -> None:
    import uuid

    async with app.ctx.sessionmaker() as session:
        session.add(
            WebhookEndpoint(
                workspace_id=uuid.UUID(account.workspace_id),
                url="https://hooks.example.com/xqr",
                events=["asset.uploaded"],
                secret="whsec_test",
                enabled=True,
            )
        )
        await session.commit()
    presigned = await presign(client, account.headers)
    await put_upload(client, presigned, png_bytes())
    asset = (await confirm(client, account.headers, presigned["asset_id"])).json()["data"]
    async with app.ctx.sessionmaker() as session:
        deliveries = (await session.scalars(select(WebhookDelivery))).all()
    assert [d.event for d in deliveries] == ["asset.uploaded"]
    payload = json.loads(deliveries[0].payload)
    assert payload["event"] == "asset.uploaded"
    assert payload["data"] == asset


async def test_usage_counts_assets_and_stored_bytes(
    client: httpx.AsyncClient, account: Account
) -> None:
    data = png_bytes()
    presigned = await presign(client, account.headers)
    await put_upload(client, presigned, data)
    await confirm(client, account.headers, presigned["asset_id"])
    await presign(client, account.headers, "reserved.png")
    usage = (await client.get("/api/v1/workspace/usage", headers=account.headers)).json()["data"]
    assert usage["assets"]["used"] == 2
    assert usage["storage_bytes"]["used"] == len(data)


async def test_public_url_of_an_unknown_or_malformed_path_is_not_found(
    client: httpx.AsyncClient,
) -> None:
    assert_error(
        await client.get("/cdn/01234567-89ab-7def-8123-456789abcdef/x.png"),
        404,
        "RESOURCE_NOT_FOUND",
    )
    for path in ("/cdn/../secret.key", "/cdn/x/..%2f..%2fsecret.key", "/cdn/a/b.html"):
        response = await client.get(path)
        assert response.status_code == 404, path
