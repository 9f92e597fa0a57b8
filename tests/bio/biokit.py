"""Helpers shared by the bio tests (not a test module)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import Account

PAGE_FIELDS = {
    "id",
    "title",
    "slug",
    "bio",
    "avatar_url",
    "theme",
    "colors",
    "links",
    "status",
    "published_at",
    "public_url",
    "created_at",
    "updated_at",
}


async def create_page(client: httpx.AsyncClient, account: Account, **body: Any) -> dict[str, Any]:
    body.setdefault("title", "Ada Lovelace")
    response = await client.post("/api/v1/bio/pages", json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def publish(client: httpx.AsyncClient, account: Account, page_id: str) -> dict[str, Any]:
    response = await client.post(f"/api/v1/bio/pages/{page_id}/publish", headers=account.headers)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def published_page(
    client: httpx.AsyncClient, account: Account, **body: Any
) -> dict[str, Any]:
    page = await create_page(client, account, **body)
    return await publish(client, account, page["id"])


async def patch(
    client: httpx.AsyncClient, account: Account, page_id: str, **body: Any
) -> httpx.Response:
    return await client.patch(f"/api/v1/bio/pages/{page_id}", json=body, headers=account.headers)


async def stats(
    client: httpx.AsyncClient, account: Account, page_id: str, period: str | None = None
) -> dict[str, Any]:
    params = {"period": period} if period else {}
    response = await client.get(
        f"/api/v1/bio/pages/{page_id}/stats", params=params, headers=account.headers
    )
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data
