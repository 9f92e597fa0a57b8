"""Repeated image requests answered before FastAPI: the same bytes, the same rules.

The first request of a kind goes through FastAPI; a repeat is answered by `CachedImages`. A
counting layer between the two shows which requests reached FastAPI; everything else is
asserted on what the client sees.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import httpx
import pytest

from tests.conftest import Account, AccountFactory, assert_error, set_plan
from tests.qr.conftest import LogoServer, Served, decoded, logo_png
from tests.qr.test_link_qr_api import make_link, make_template
from xqr.app import XqrApp
from xqr.auth.ratelimit import BurstLimiter
from xqr.context import AppContext
from xqr.qr.images import MEMO_MAX_REQUEST_BYTES, CachedImages, ImageMemo

GENERATE = "/api/v1/qr/generate"
BODY = {"content": "https://example.com/poster", "format": "png", "size": 6}
# Headers that differ between any two responses, whoever answers.
PER_REQUEST = {"x-request-id", "x-ratelimit-remaining", "x-ratelimit-burst-remaining"}


class Counting:
    """Counts the requests that reach FastAPI."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.calls = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.calls += 1
        await self.app(scope, receive, send)


@pytest.fixture
def api(app: XqrApp) -> Counting:
    stack: Any = app._api_stack
    layer = stack.app
    while not isinstance(layer, CachedImages):
        layer = layer.app
    layer.app = counting = Counting(layer.app)
    return counting


def _stable(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k not in PER_REQUEST}


async def test_a_repeated_generate_is_answered_before_the_api_with_the_same_response(
    client: httpx.AsyncClient, account: Account, api: Counting
) -> None:
    first = await client.post(GENERATE, json=BODY, headers=account.headers)
    second = await client.post(GENERATE, json=BODY, headers=account.headers)
    assert api.calls == 1
    assert second.status_code == 200
    assert second.content == first.content
    assert _stable(second) == _stable(first)
    assert decoded(second) == BODY["content"]
    assert second.headers["x-request-id"] != first.headers["x-request-id"]
    # each answer is a counted call with its own rate-limit headers
    remaining = [int(r.headers["x-ratelimit-remaining"]) for r in (first, second)]
    assert remaining[1] == remaining[0] - 1


async def test_if_none_match_is_answered_304_on_a_repeat(
    client: httpx.AsyncClient, account: Account, api: Counting
) -> None:
    first = await client.post(GENERATE, json=BODY, headers=account.headers)
    etag = first.headers["etag"]
    again = await client.post(
        GENERATE, json=BODY, headers={**account.headers, "If-None-Match": etag}
    )
    other = await client.post(
        GENERATE, json=BODY, headers={**account.headers, "If-None-Match": '"other"'}
    )
    assert api.calls == 1
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    assert "content-type" not in again.headers
    assert other.status_code == 200 and other.content == first.content


async def test_different_bytes_are_a_different_request(
    client: httpx.AsyncClient, account: Account, api: Counting
) -> None:
    await client.post(GENERATE, json=BODY, headers=account.headers)
    bigger = await client.post(GENERATE, json={**BODY, "size": 7}, headers=account.headers)
    assert api.calls == 2
    assert decoded(bigger) == BODY["content"]
    # a body that is invalid is never remembered, however often it is sent
    for _ in range(2):
        assert_error(
            await client.post(GENERATE, json={**BODY, "size": 51}, headers=account.headers),
            400,
            "VALIDATION_ERROR",
        )
    assert api.calls == 4


async def test_another_workspace_sending_the_same_bytes_goes_through_the_api(
    client: httpx.AsyncClient, account: Account, make_account: AccountFactory, api: Counting
) -> None:
    other = await make_account(name="Other")
    await client.post(GENERATE, json=BODY, headers=account.headers)
    response = await client.post(GENERATE, json=BODY, headers=other.headers)
    assert response.status_code == 200
    assert api.calls == 2


async def test_keys_are_checked_on_every_repeat(
    client: httpx.AsyncClient, make_account: AccountFactory, ctx: AppContext, api: Counting
) -> None:
    from xqr.auth import service

    account = await make_account(plan="pro")
    assert (await client.post(GENERATE, json=BODY, headers=account.headers)).status_code == 200
    prefix, secret = account.key.split(".")
    forged = {"Authorization": f"Bearer {prefix}.{'A' * len(secret)}"}
    assert_error(await client.post(GENERATE, json=BODY, headers=forged), 401, "INVALID_API_KEY")

    await set_plan(ctx, account.workspace_id, "free")
    response = await client.post(GENERATE, json=BODY, headers=account.headers)
    assert_error(response, 403, "FEATURE_NOT_AVAILABLE")
    await set_plan(ctx, account.workspace_id, "pro")

    async with ctx.sessionmaker() as session:
        await service.revoke_key(session, UUID(account.key_id))
        await session.commit()
    assert_error(
        await client.post(GENERATE, json=BODY, headers=account.headers), 401, "REVOKED_API_KEY"
    )


async def test_scopes_are_checked_on_every_repeat(
    client: httpx.AsyncClient, account: Account, make_account: AccountFactory, api: Counting
) -> None:
    await client.post(GENERATE, json=BODY, headers=account.headers)
    reader = await make_account(workspace_id=account.workspace_id, scopes="links:read")
    for _ in range(2):
        response = await client.post(GENERATE, json=BODY, headers=reader.headers)
        error = assert_error(response, 403, "INSUFFICIENT_SCOPE")
        assert error["message"] == "This endpoint requires the qr:render scope."
        assert response.headers["x-ratelimit-limit"] == "100000"
    assert api.calls == 1  # answered before the API, in the same envelope


async def test_the_burst_limit_and_quota_apply_to_repeats(
    client: httpx.AsyncClient, make_account: AccountFactory, ctx: AppContext, api: Counting
) -> None:
    ctx.burst = BurstLimiter(monotonic=lambda: 1000.0)  # no refill during the test
    account = await make_account(plan="pro")
    seen = []
    for _ in range(10):
        response = await client.post(GENERATE, json=BODY, headers=account.headers)
        assert response.status_code == 200
        seen.append(int(response.headers["x-ratelimit-remaining"]))
    assert seen == list(range(999, 989, -1))
    response = await client.post(GENERATE, json=BODY, headers=account.headers)
    assert_error(response, 429, "BURST_LIMIT_EXCEEDED")
    assert int(response.headers["retry-after"]) >= 1
    assert api.calls == 1


async def test_a_body_over_the_cap_is_413_on_a_repeat_too(
    client: httpx.AsyncClient, account: Account, ctx: AppContext, api: Counting
) -> None:
    await client.post(GENERATE, json=BODY, headers=account.headers)
    padded = {**BODY, "content": "x" * (ctx.settings.max_body_bytes + 1)}
    response = await client.post(GENERATE, json=padded, headers=account.headers)
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")


async def test_logo_renderings_are_not_remembered(
    client: httpx.AsyncClient, account: Account, api: Counting, logo_server: LogoServer
) -> None:
    logo_server.routes["/logo.png"] = Served(logo_png())
    url = logo_server.url("/logo.png")
    body = {**BODY, "logo_url": url, "error_correction": "H", "size": 10}
    for _ in range(2):
        response = await client.post(GENERATE, json=body, headers=account.headers)
        assert response.status_code == 200, response.text
    assert api.calls == 2


async def test_a_repeated_link_qr_is_answered_before_the_api(
    client: httpx.AsyncClient, account: Account, api: Counting
) -> None:
    link = await make_link(client, account)
    url = f"/api/v1/links/{link['id']}/qr?format=png&size=4"
    first = await client.get(url, headers=account.headers)
    second = await client.get(url, headers=account.headers)
    assert api.calls == 2  # the link's creation and the first rendering
    assert second.content == first.content and _stable(second) == _stable(first)
    assert decoded(second) == f"http://testserver/{link['short_code']}?qr=1"


async def test_a_link_qr_follows_a_slug_change_and_a_deletion_at_once(
    client: httpx.AsyncClient, account: Account, api: Counting
) -> None:
    link = await make_link(client, account)
    url = f"/api/v1/links/{link['id']}/qr?format=png&size=4"
    await client.get(url, headers=account.headers)
    await client.get(url, headers=account.headers)
    await client.patch(
        f"/api/v1/links/{link['id']}", json={"custom_slug": "renamed"}, headers=account.headers
    )
    assert decoded(await client.get(url, headers=account.headers)) == (
        "http://testserver/renamed?qr=1"
    )
    assert decoded(await client.get(url, headers=account.headers)) == (
        "http://testserver/renamed?qr=1"
    )
    deleted = await client.delete(f"/api/v1/links/{link['id']}", headers=account.headers)
    assert deleted.status_code == 204
    assert_error(await client.get(url, headers=account.headers), 404, "RESOURCE_NOT_FOUND")


async def test_another_workspace_cannot_reach_a_remembered_link_qr(
    client: httpx.AsyncClient, account: Account, make_account: AccountFactory, api: Counting
) -> None:
    link = await make_link(client, account)
    url = f"/api/v1/links/{link['id']}/qr"
    await client.get(url, headers=account.headers)
    other = await make_account(name="Other")
    assert_error(await client.get(url, headers=other.headers), 404, "RESOURCE_NOT_FOUND")


async def test_template_renderings_follow_template_changes(
    client: httpx.AsyncClient, account: Account, api: Counting
) -> None:
    link = await make_link(client, account)
    template = await make_template(client, account, foreground="#112233")
    url = f"/api/v1/links/{link['id']}/qr?format=svg&template_id={template}"
    first = await client.get(url, headers=account.headers)
    await client.patch(
        f"/api/v1/qr/templates/{template}",
        json={"design": {"foreground": "#445566"}},
        headers=account.headers,
    )
    second = await client.get(url, headers=account.headers)
    assert b"#112233" in first.content and b"#445566" in second.content
    assert second.headers["etag"] != first.headers["etag"]


async def test_the_memo_keeps_at_most_its_bound(
    client: httpx.AsyncClient, account: Account, ctx: AppContext, api: Counting
) -> None:
    memo = ImageMemo.of(ctx)
    memo.max_entries = 3
    for size in range(1, 6):
        response = await client.post(GENERATE, json={**BODY, "size": size}, headers=account.headers)
        assert response.status_code == 200
    assert len(memo) == 3
    # the oldest went first: size 1 reaches the API again, size 5 does not
    calls = api.calls
    await client.post(GENERATE, json={**BODY, "size": 5}, headers=account.headers)
    assert api.calls == calls
    await client.post(GENERATE, json={**BODY, "size": 1}, headers=account.headers)
    assert api.calls == calls + 1


async def test_large_requests_are_not_remembered(
    client: httpx.AsyncClient, account: Account, ctx: AppContext, api: Counting
) -> None:
    padded = json.dumps(BODY) + " " * MEMO_MAX_REQUEST_BYTES  # valid JSON, a large body
    headers = {**account.headers, "Content-Type": "application/json"}
    for _ in range(2):
        response = await client.post(GENERATE, content=padded, headers=headers)
        assert response.status_code == 200
        assert decoded(response) == BODY["content"]
    assert api.calls == 2
    assert len(ImageMemo.of(ctx)) == 0
