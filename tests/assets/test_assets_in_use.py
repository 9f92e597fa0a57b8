"""A published asset that a bio page or QR template still shows is not deleted silently."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import Account, AccountFactory, assert_error
from tests.support.assets import confirm, png_bytes, presign, put_upload


async def _published_png(client: httpx.AsyncClient, account: Account) -> dict[str, Any]:
    presigned = await presign(client, account.headers, "avatar.png", "image/png")
    await put_upload(client, presigned, png_bytes(64))
    assert (await confirm(client, account.headers, presigned["asset_id"])).status_code == 200
    published = await client.post(
        f"/api/v1/assets/{presigned['asset_id']}/publish", headers=account.headers
    )
    data: dict[str, Any] = published.json()["data"]
    return data


async def test_an_asset_used_as_avatar_and_logo_is_refused_with_both_users_named(
    client: httpx.AsyncClient, account: Account
) -> None:
    asset = await _published_png(client, account)
    page = await client.post(
        "/api/v1/bio/pages",
        json={"title": "Ada", "avatar_url": asset["public_url"]},
        headers=account.headers,
    )
    template = await client.post(
        "/api/v1/qr/templates",
        json={"name": "Brand", "design": {"logo_url": asset["public_url"]}},
        headers=account.headers,
    )
    assert template.status_code == 201, template.text

    refused = await client.delete(f"/api/v1/assets/{asset['id']}", headers=account.headers)
    error = assert_error(refused, 409, "CONFLICT")
    assert (
        "avatar.png is still used by bio page “Ada” (avatar), QR template “Brand” (logo)"
        in (error["message"])
    )
    assert (await client.get(asset["public_url"])).status_code == 200

    page_id = page.json()["data"]["id"]
    await client.patch(
        f"/api/v1/bio/pages/{page_id}", json={"avatar_url": None}, headers=account.headers
    )
    await client.delete(
        f"/api/v1/qr/templates/{template.json()['data']['id']}", headers=account.headers
    )
    deleted = await client.delete(f"/api/v1/assets/{asset['id']}", headers=account.headers)
    assert deleted.status_code == 204
    assert (await client.get(asset["public_url"])).status_code == 404


async def test_an_asset_of_another_workspace_is_not_counted_as_used(
    client: httpx.AsyncClient, account: Account, make_account: AccountFactory
) -> None:
    other_account = await make_account()
    asset = await _published_png(client, account)
    await client.post(
        "/api/v1/bio/pages",
        json={"title": "Copycat", "avatar_url": asset["public_url"]},
        headers=other_account.headers,
    )
    deleted = await client.delete(f"/api/v1/assets/{asset['id']}", headers=account.headers)
    assert deleted.status_code == 204
