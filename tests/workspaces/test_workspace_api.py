from __future__ import annotations

import httpx

from tests.conftest import Account


async def test_get_workspace_answers_in_the_envelope_with_rate_limit_headers(
    client: httpx.AsyncClient, account: Account
) -> None:
    response = await client.get("/api/v1/workspace", headers=account.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["data"]["id"] == account.workspace_id
    assert body["data"]["name"] == "Acme"
    assert body["data"]["plan"] == "enterprise"
    assert body["data"]["owner"] == "owner@acme.test"
    assert body["data"]["created_at"].endswith("Z")
    assert body["meta"]["request_id"] == response.headers["x-request-id"]
    assert body["meta"]["rate_limit"] == {
        "limit": 100000,
        "remaining": 99999,
        "reset": int(response.headers["x-ratelimit-reset"]),
    }
    assert response.headers["x-ratelimit-limit"] == "100000"
    assert response.headers["x-ratelimit-remaining"] == "99999"
    assert response.headers["x-ratelimit-burst-limit"] == "200"
    assert int(response.headers["x-ratelimit-burst-remaining"]) == 199
