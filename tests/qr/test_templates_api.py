"""/v1/qr/templates: CRUD, strict designs, merge patches, plan limit, rendering, tenancy."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx
import pytest

from tests.conftest import Account, AccountFactory, assert_error
from tests.qr.conftest import decoded
from xqr.app import XqrApp
from xqr.core.errors import ApiError
from xqr.qr import service
from xqr.qr.rendering import QrRenderer
from xqr.workspaces import service as workspaces

TEMPLATES = "/api/v1/qr/templates"
DEFAULT_DESIGN = {
    "foreground": "#000000",
    "background": "#ffffff",
    "error_correction": "M",
    "logo_url": None,
    "dot_style": "square",
    "corner_style": "square",
    "eye_color": None,
    "gradient": None,
    "frame": None,
    "quiet_zone": 4,
    "logo_size": 0.22,
}


async def create(client: httpx.AsyncClient, account: Account, **body: Any) -> httpx.Response:
    return await client.post(TEMPLATES, json={"name": "Spring", **body}, headers=account.headers)


async def created(client: httpx.AsyncClient, account: Account, **body: Any) -> dict[str, Any]:
    response = await create(client, account, **body)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def test_create_get_list_update_delete(client: httpx.AsyncClient, account: Account) -> None:
    response = await create(
        client,
        account,
        name="Spring campaign",
        description="Posters",
        design={"foreground": "#1E3A8A", "dot_style": "rounded", "error_correction": "q"},
    )
    assert response.status_code == 201, response.text
    template = response.json()["data"]
    assert set(template) == {"id", "name", "description", "design", "created_at", "updated_at"}
    assert template["name"] == "Spring campaign"
    assert template["description"] == "Posters"
    assert template["design"] == {
        **DEFAULT_DESIGN,
        "foreground": "#1e3a8a",
        "error_correction": "Q",
        "dot_style": "rounded",
    }
    assert template["created_at"].endswith("Z")
    template_id = template["id"]

    got = await client.get(f"{TEMPLATES}/{template_id}", headers=account.headers)
    assert got.status_code == 200
    assert got.json()["data"] == template

    patched = await client.patch(
        f"{TEMPLATES}/{template_id}",
        json={"name": "Summer", "design": {"corner_style": "dot"}},
        headers=account.headers,
    )
    assert patched.status_code == 200, patched.text
    data = patched.json()["data"]
    assert data["name"] == "Summer"
    assert data["description"] == "Posters"
    assert data["design"] == {**template["design"], "corner_style": "dot"}
    assert data["updated_at"] >= template["updated_at"]

    deleted = await client.delete(f"{TEMPLATES}/{template_id}", headers=account.headers)
    assert deleted.status_code == 204
    assert deleted.content == b""
    gone = await client.get(f"{TEMPLATES}/{template_id}", headers=account.headers)
    assert_error(gone, 404, "RESOURCE_NOT_FOUND")
    again = await client.delete(f"{TEMPLATES}/{template_id}", headers=account.headers)
    assert_error(again, 404, "RESOURCE_NOT_FOUND")


async def test_design_defaults_are_filled(client: httpx.AsyncClient, account: Account) -> None:
    without = await created(client, account)
    assert without["design"] == DEFAULT_DESIGN
    assert without["description"] is None
    with_nulls = await created(client, account, design={"foreground": None, "dot_style": "dots"})
    assert with_nulls["design"] == {**DEFAULT_DESIGN, "dot_style": "dots"}


async def test_patch_merges_design_keys_and_null_resets(
    client: httpx.AsyncClient, account: Account
) -> None:
    template = await created(
        client,
        account,
        description="keep me",
        design={"foreground": "#14532d", "dot_style": "classy", "corner_style": "rounded"},
    )
    url = f"{TEMPLATES}/{template['id']}"
    merged = await client.patch(
        url, json={"design": {"dot_style": "dots"}}, headers=account.headers
    )
    assert merged.json()["data"]["design"] == {
        **DEFAULT_DESIGN,
        "foreground": "#14532d",
        "dot_style": "dots",
        "corner_style": "rounded",
    }
    reset_key = await client.patch(
        url, json={"design": {"foreground": None}}, headers=account.headers
    )
    assert reset_key.json()["data"]["design"]["foreground"] == "#000000"
    cleared = await client.patch(url, json={"description": None}, headers=account.headers)
    assert cleared.json()["data"]["description"] is None
    assert cleared.json()["data"]["design"]["dot_style"] == "dots"
    reset_all = await client.patch(url, json={"design": None}, headers=account.headers)
    assert reset_all.json()["data"]["design"] == DEFAULT_DESIGN
    empty = await client.patch(url, json={}, headers=account.headers)
    assert empty.status_code == 200
    assert empty.json()["data"]["name"] == "Spring"


async def test_patch_checks_the_merged_design(client: httpx.AsyncClient, account: Account) -> None:
    template = await created(client, account, design={"background": "#fef9ef"})
    url = f"{TEMPLATES}/{template['id']}"
    response = await client.patch(
        url, json={"design": {"foreground": "#eeeeee"}}, headers=account.headers
    )
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert error["details"] == [
        {"field": "design.foreground", "message": error["details"][0]["message"]}
    ]
    unchanged = await client.get(url, headers=account.headers)
    assert unchanged.json()["data"]["design"]["foreground"] == "#000000"
    null_name = await client.patch(url, json={"name": None}, headers=account.headers)
    assert assert_error(null_name, 400, "VALIDATION_ERROR")["details"][0]["field"] == "name"


INVALID_TEMPLATES = [
    ({"name": ""}, "name"),
    ({"name": "   "}, "name"),
    ({"name": "n" * 101}, "name"),
    ({"description": "d" * 501}, "description"),
    ({"design": {"foreground": "navy"}}, "design.foreground"),
    ({"design": {"background": "#12"}}, "design.background"),
    ({"design": {"foreground": 12}}, "design.foreground"),
    ({"design": {"error_correction": "Z"}}, "design.error_correction"),
    ({"design": {"dot_style": "hearts"}}, "design.dot_style"),
    ({"design": {"corner_style": "star"}}, "design.corner_style"),
    ({"design": {"foreground": "#777777", "background": "#888888"}}, "design.foreground"),
    ({"design": {"foreground": "#ffffff", "background": "#111111"}}, "design.foreground"),
    ({"design": {"size": 10}}, "design.size"),
    ({"design": {"logo_url": "ftp://example.com/logo.png"}}, "design.logo_url"),
    ({"design": "rounded"}, "design"),
    ({"colour": "red"}, "colour"),
]


async def test_invalid_templates_are_rejected_naming_the_field(
    client: httpx.AsyncClient, account: Account
) -> None:
    for body, field in INVALID_TEMPLATES:
        response = await create(client, account, **body)
        error = assert_error(response, 400, "VALIDATION_ERROR")
        assert error["details"][0]["field"] == field, (body, error)
    listed = await client.get(TEMPLATES, headers=account.headers)
    assert listed.json()["meta"]["total"] == 0


async def test_name_is_required(client: httpx.AsyncClient, account: Account) -> None:
    response = await client.post(TEMPLATES, json={"design": {}}, headers=account.headers)
    assert assert_error(response, 400, "VALIDATION_ERROR")["details"][0]["field"] == "name"


async def test_list_is_paginated_newest_first(client: httpx.AsyncClient, account: Account) -> None:
    ids = [(await created(client, account, name=f"T{i}"))["id"] for i in range(5)]
    response = await client.get(f"{TEMPLATES}?limit=2&offset=1", headers=account.headers)
    assert response.status_code == 200
    body = response.json()
    assert [t["id"] for t in body["data"]] == [ids[3], ids[2]]
    assert body["meta"]["total"] == 5
    assert body["meta"]["limit"] == 2
    assert body["meta"]["offset"] == 1
    bad = await client.get(f"{TEMPLATES}?limit=0", headers=account.headers)
    assert assert_error(bad, 400, "VALIDATION_ERROR")["details"][0]["field"] == "limit"


async def test_pro_plan_limit_and_usage(
    client: httpx.AsyncClient, make_account: AccountFactory, app: XqrApp
) -> None:
    account = await make_account(plan="pro")
    # Pro keys may send 10 requests a second: most of the state is made through the service.
    async with app.ctx.sessionmaker() as session:
        tenant = workspaces.tenant_for(
            await workspaces.get_workspace(session, UUID(account.workspace_id)), app.ctx.plans
        )
        for i in range(19):
            await service.create_template(
                session, tenant, QrRenderer.of(app.ctx).logos, name=f"T{i}"
            )
        await session.commit()
    await created(client, account, name="T19")
    usage = await client.get("/api/v1/workspace/usage", headers=account.headers)
    assert usage.status_code == 200, usage.text
    assert usage.json()["data"]["qr_templates"] == {"used": 20, "limit": 20}
    response = await create(client, account, name="one too many")
    error = assert_error(response, 403, "PLAN_LIMIT_EXCEEDED")
    assert "20 QR templates" in error["message"]
    first = (await client.get(TEMPLATES, headers=account.headers)).json()["data"][0]
    await client.delete(f"{TEMPLATES}/{first['id']}", headers=account.headers)
    assert (await create(client, account, name="fits again")).status_code == 201


async def test_free_plan_allows_two_templates(app: XqrApp) -> None:
    # Free workspaces have no API keys, so the limit is checked through the service.
    logos = QrRenderer.of(app.ctx).logos
    async with app.ctx.sessionmaker() as session:
        workspace = await workspaces.create_workspace(session, name="Free", plan="free")
        tenant = workspaces.tenant_for(workspace, app.ctx.plans)
        for name in ("one", "two"):
            await service.create_template(session, tenant, logos, name=name)
        with pytest.raises(ApiError) as raised:
            await service.create_template(session, tenant, logos, name="three")
        assert raised.value.code == "PLAN_LIMIT_EXCEEDED"
        assert "The free plan allows 2 QR templates" in raised.value.message
        assert await service.count_templates(session, workspace.id) == 2


MISSING_TEMPLATE_IDS = ["not-a-uuid", "00000000-0000-0000-0000-000000000000", "123"]


async def test_unknown_or_malformed_template_ids_are_404(
    client: httpx.AsyncClient, account: Account
) -> None:
    for template_id in MISSING_TEMPLATE_IDS:
        for method, path, body in [
            ("GET", f"{TEMPLATES}/{template_id}", None),
            ("PATCH", f"{TEMPLATES}/{template_id}", {"name": "x"}),
            ("DELETE", f"{TEMPLATES}/{template_id}", None),
            ("POST", f"{TEMPLATES}/{template_id}/render", {"content": "x"}),
        ]:
            response = await client.request(method, path, json=body, headers=account.headers)
            error = assert_error(response, 404, "RESOURCE_NOT_FOUND")
            assert error["message"] == "Template not found."


async def test_another_workspaces_template_is_404(
    client: httpx.AsyncClient, account: Account, make_account: AccountFactory
) -> None:
    template = await created(client, account)
    other = await make_account(name="Other")
    for method, path, body in [
        ("GET", f"{TEMPLATES}/{template['id']}", None),
        ("PATCH", f"{TEMPLATES}/{template['id']}", {"name": "mine"}),
        ("DELETE", f"{TEMPLATES}/{template['id']}", None),
        ("POST", f"{TEMPLATES}/{template['id']}/render", {"content": "x"}),
    ]:
        response = await client.request(method, path, json=body, headers=other.headers)
        assert_error(response, 404, "RESOURCE_NOT_FOUND")
    listed = await client.get(TEMPLATES, headers=other.headers)
    assert listed.json()["data"] == []
    still = await client.get(f"{TEMPLATES}/{template['id']}", headers=account.headers)
    assert still.json()["data"]["name"] == "Spring"


async def test_scopes(
    client: httpx.AsyncClient, account: Account, make_account: AccountFactory
) -> None:
    template = await created(client, account)
    url = f"{TEMPLATES}/{template['id']}"
    reader = await make_account(scopes="qr:read", workspace_id=account.workspace_id)
    writer = await make_account(scopes="qr:write", workspace_id=account.workspace_id)
    renderer = await make_account(scopes="qr:render", workspace_id=account.workspace_id)
    assert (await client.get(url, headers=reader.headers)).status_code == 200
    assert (await client.get(TEMPLATES, headers=reader.headers)).status_code == 200
    for response, scope in [
        (await client.post(TEMPLATES, json={"name": "x"}, headers=reader.headers), "qr:write"),
        (await client.patch(url, json={"name": "x"}, headers=reader.headers), "qr:write"),
        (await client.delete(url, headers=reader.headers), "qr:write"),
        (await client.get(url, headers=writer.headers), "qr:read"),
        (await client.get(TEMPLATES, headers=renderer.headers), "qr:read"),
        (
            await client.post(f"{url}/render", json={"content": "x"}, headers=reader.headers),
            "qr:render",
        ),
    ]:
        assert scope in assert_error(response, 403, "INSUFFICIENT_SCOPE")["message"]
    rendered = await client.post(f"{url}/render", json={"content": "x"}, headers=renderer.headers)
    assert rendered.status_code == 200


@pytest.mark.parametrize("fmt", ["svg", "png"])
async def test_render_uses_the_templates_design(
    client: httpx.AsyncClient, account: Account, fmt: str
) -> None:
    template = await created(
        client,
        account,
        design={
            "foreground": "#581c87",
            "background": "#fdf2f8",
            "dot_style": "classy-rounded",
            "corner_style": "extra-rounded",
            "error_correction": "H",
        },
    )
    url = f"{TEMPLATES}/{template['id']}/render"
    response = await client.post(
        url,
        json={"content": "https://example.com/t", "format": fmt, "size": 5},
        headers=account.headers,
    )
    assert response.headers["content-type"] == f"image/{'svg+xml' if fmt == 'svg' else 'png'}"
    assert decoded(response) == "https://example.com/t"
    if fmt == "svg":
        assert b"#581c87" in response.content
        assert b"#fdf2f8" in response.content
    same_by_generate = await client.post(
        "/api/v1/qr/generate",
        json={
            "content": "https://example.com/t",
            "format": fmt,
            "size": 5,
            "foreground": "#581c87",
            "background": "#fdf2f8",
            "dot_style": "classy-rounded",
            "corner_style": "extra-rounded",
            "error_correction": "H",
        },
        headers=account.headers,
    )
    assert same_by_generate.content == response.content
    assert same_by_generate.headers["etag"] == response.headers["etag"]


async def test_render_defaults_to_svg_and_answers_304(
    client: httpx.AsyncClient, account: Account
) -> None:
    template = await created(client, account)
    url = f"{TEMPLATES}/{template['id']}/render"
    response = await client.post(url, json={"content": "hello"}, headers=account.headers)
    assert response.headers["content-type"] == "image/svg+xml"
    assert response.headers["cache-control"] == "private, max-age=300"
    etag = response.headers["etag"]
    revalidated = await client.post(
        url, json={"content": "hello"}, headers={**account.headers, "If-None-Match": etag}
    )
    assert revalidated.status_code == 304
    assert revalidated.content == b""
    # Changing the template changes the ETag of the same request.
    await client.patch(
        f"{TEMPLATES}/{template['id']}",
        json={"design": {"dot_style": "dots"}},
        headers=account.headers,
    )
    changed = await client.post(
        url, json={"content": "hello"}, headers={**account.headers, "If-None-Match": etag}
    )
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag


INVALID_RENDER_BODIES = [
    ({}, "content"),
    ({"content": ""}, "content"),
    ({"content": "x", "size": 0}, "size"),
    ({"content": "x", "size": 51}, "size"),
    ({"content": "x", "format": "jpeg"}, "format"),
    ({"content": "x", "foreground": "#000000"}, "foreground"),
]


async def test_render_validates_its_body(client: httpx.AsyncClient, account: Account) -> None:
    template = await created(client, account)
    for body, field in INVALID_RENDER_BODIES:
        response = await client.post(
            f"{TEMPLATES}/{template['id']}/render", json=body, headers=account.headers
        )
        error = assert_error(response, 400, "VALIDATION_ERROR")
        assert error["details"][0]["field"] == field, (body, error)
