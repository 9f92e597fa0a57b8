"""GET /v1/links/{link_id}/qr: the short URL plus `?qr=1`, templates, overrides, tenancy."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import Account, AccountFactory, assert_error
from tests.qr.conftest import decoded


async def make_link(client: httpx.AsyncClient, account: Account, **body: Any) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/links",
        json={"url": "https://example.com/landing", **body},
        headers=account.headers,
    )
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def make_template(client: httpx.AsyncClient, account: Account, **design: str) -> str:
    response = await client.post(
        "/api/v1/qr/templates", json={"name": "Brand", "design": design}, headers=account.headers
    )
    assert response.status_code == 201, response.text
    return str(response.json()["data"]["id"])


@pytest.mark.parametrize("fmt", ["svg", "png"])
async def test_link_qr_encodes_the_short_url_with_qr_1(
    client: httpx.AsyncClient, account: Account, fmt: str
) -> None:
    link = await make_link(client, account)
    response = await client.get(
        f"/api/v1/links/{link['id']}/qr?format={fmt}", headers=account.headers
    )
    assert response.headers["content-type"] == ("image/svg+xml" if fmt == "svg" else "image/png")
    assert decoded(response) == f"http://testserver/{link['short_code']}?qr=1"
    assert response.headers["cache-control"] == "private, max-age=300"
    # The decoded URL is a working short link.
    scanned = await client.get(decoded(response))
    assert scanned.status_code == 302
    assert scanned.headers["location"].startswith("https://example.com/landing")


async def test_default_is_svg_and_custom_slugs_are_encoded(
    client: httpx.AsyncClient, account: Account
) -> None:
    link = await make_link(client, account, custom_slug="Spring-Sale")
    response = await client.get(f"/api/v1/links/{link['id']}/qr", headers=account.headers)
    assert response.headers["content-type"] == "image/svg+xml"
    assert decoded(response) == "http://testserver/Spring-Sale?qr=1"


async def test_etag_and_304_follow_the_link(client: httpx.AsyncClient, account: Account) -> None:
    link = await make_link(client, account)
    url = f"/api/v1/links/{link['id']}/qr?format=png&size=4"
    first = await client.get(url, headers=account.headers)
    etag = first.headers["etag"]
    cached = await client.get(url, headers={**account.headers, "If-None-Match": etag})
    assert cached.status_code == 304
    assert cached.content == b""
    assert cached.headers["etag"] == etag
    # A new slug is new content, so the old ETag no longer matches.
    await client.patch(
        f"/api/v1/links/{link['id']}", json={"custom_slug": "renamed"}, headers=account.headers
    )
    changed = await client.get(url, headers={**account.headers, "If-None-Match": etag})
    assert changed.status_code == 200
    assert decoded(changed) == "http://testserver/renamed?qr=1"


async def test_query_colours_with_or_without_hash(
    client: httpx.AsyncClient, account: Account
) -> None:
    link = await make_link(client, account)
    hashed = await client.get(
        f"/api/v1/links/{link['id']}/qr",
        params={"foreground": "#14532D", "background": "#ecfdf5"},
        headers=account.headers,
    )
    bare = await client.get(
        f"/api/v1/links/{link['id']}/qr?foreground=14532d&background=ECFDF5",
        headers=account.headers,
    )
    assert b'fill="#14532d"' in hashed.content
    assert b'fill="#ecfdf5"' in hashed.content
    assert bare.content == hashed.content
    assert decoded(bare) == f"http://testserver/{link['short_code']}?qr=1"


async def test_template_design_with_query_colours_on_top(
    client: httpx.AsyncClient, account: Account
) -> None:
    link = await make_link(client, account)
    template_id = await make_template(
        client,
        account,
        foreground="#581c87",
        background="#fdf2f8",
        dot_style="dots",
        corner_style="dot",
    )
    url = f"/api/v1/links/{link['id']}/qr"
    styled = await client.get(url, params={"template_id": template_id}, headers=account.headers)
    assert b"#581c87" in styled.content and b"#fdf2f8" in styled.content
    assert decoded(styled) == f"http://testserver/{link['short_code']}?qr=1"
    plain = await client.get(url, headers=account.headers)
    assert plain.content != styled.content

    overridden = await client.get(
        url,
        params={"template_id": template_id, "foreground": "#000000"},
        headers=account.headers,
    )
    assert b"#581c87" not in overridden.content
    assert b"#000000" in overridden.content and b"#fdf2f8" in overridden.content
    assert overridden.headers["etag"] != styled.headers["etag"]
    assert decoded(overridden) == f"http://testserver/{link['short_code']}?qr=1"

    png = await client.get(
        url, params={"template_id": template_id, "format": "png"}, headers=account.headers
    )
    assert decoded(png) == f"http://testserver/{link['short_code']}?qr=1"

    clash = await client.get(
        url,
        params={"template_id": template_id, "background": "#581c87"},
        headers=account.headers,
    )
    error = assert_error(clash, 400, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == "foreground"


INVALID_QUERIES = [
    ("size=0", "size"),
    ("size=51", "size"),
    ("size=ten", "size"),
    ("format=gif", "format"),
    ("foreground=navy", "foreground"),
    ("background=%23abcd", "background"),
    ("foreground=%23ffffff&background=%23000000", "foreground"),
    ("foreground=%23777777&background=%23888888", "foreground"),
]


async def test_invalid_query_values_are_validation_errors(
    client: httpx.AsyncClient, account: Account
) -> None:
    link = await make_link(client, account)
    for query, field in INVALID_QUERIES:
        response = await client.get(
            f"/api/v1/links/{link['id']}/qr?{query}", headers=account.headers
        )
        error = assert_error(response, 400, "VALIDATION_ERROR")
        assert error["details"][0]["field"] == field, (query, error)


async def test_unknown_link_or_template_is_404(
    client: httpx.AsyncClient, account: Account, make_account: AccountFactory
) -> None:
    link = await make_link(client, account)
    for link_id in ("nope", "00000000-0000-0000-0000-000000000000"):
        response = await client.get(f"/api/v1/links/{link_id}/qr", headers=account.headers)
        assert assert_error(response, 404, "RESOURCE_NOT_FOUND")["message"] == "Link not found."
    for template_id in ("nope", "00000000-0000-0000-0000-000000000000"):
        response = await client.get(
            f"/api/v1/links/{link['id']}/qr",
            params={"template_id": template_id},
            headers=account.headers,
        )
        error = assert_error(response, 404, "RESOURCE_NOT_FOUND")
        assert error["message"] == "Template not found."

    other = await make_account(name="Other")
    theirs = await client.get(f"/api/v1/links/{link['id']}/qr", headers=other.headers)
    assert_error(theirs, 404, "RESOURCE_NOT_FOUND")
    their_link = await make_link(client, other)
    my_template = await make_template(client, account)
    borrowed = await client.get(
        f"/api/v1/links/{their_link['id']}/qr",
        params={"template_id": my_template},
        headers=other.headers,
    )
    assert assert_error(borrowed, 404, "RESOURCE_NOT_FOUND")["message"] == "Template not found."


async def test_link_qr_needs_qr_render(
    client: httpx.AsyncClient, account: Account, make_account: AccountFactory
) -> None:
    link = await make_link(client, account)
    reader = await make_account(
        scopes="links:read,links:write,qr:read", workspace_id=account.workspace_id
    )
    response = await client.get(f"/api/v1/links/{link['id']}/qr", headers=reader.headers)
    assert "qr:render" in assert_error(response, 403, "INSUFFICIENT_SCOPE")["message"]
    renderer = await make_account(scopes="qr:render", workspace_id=account.workspace_id)
    allowed = await client.get(f"/api/v1/links/{link['id']}/qr", headers=renderer.headers)
    assert allowed.status_code == 200
