"""POST /v1/qr/generate: images that decode, ETag/304, cache headers, validation, scopes."""

from __future__ import annotations

import io
import itertools

import httpx
import pytest
from PIL import Image

from tests.conftest import Account, AccountFactory, assert_error
from tests.qr.conftest import decoded
from xqr.app import XqrApp
from xqr.qr.render import CORNER_STYLES, DOT_STYLES
from xqr.qr.rendering import QrRenderer

GENERATE = "/api/v1/qr/generate"


async def generate(client: httpx.AsyncClient, account: Account, **body: object) -> httpx.Response:
    return await client.post(GENERATE, json=body, headers=account.headers)


async def test_default_is_an_svg_that_decodes_with_cache_headers(
    client: httpx.AsyncClient, account: Account
) -> None:
    response = await generate(client, account, content="https://example.com/spring")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    assert response.content.startswith(b"<svg")
    assert decoded(response) == "https://example.com/spring"
    assert response.headers["cache-control"] == "private, max-age=300"
    assert response.headers["etag"].startswith('"') and len(response.headers["etag"]) == 66
    assert response.headers["x-request-id"].startswith("req_")
    assert response.headers["x-ratelimit-limit"] == "100000"
    assert "x-ratelimit-burst-remaining" in response.headers
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in response.headers["content-security-policy"]


async def test_png_with_size_has_the_size_in_pixels_per_module(
    client: httpx.AsyncClient, account: Account
) -> None:
    response = await generate(client, account, content="hello", format="png", size=7)
    assert response.headers["content-type"] == "image/png"
    assert decoded(response) == "hello"
    image = Image.open(io.BytesIO(response.content))
    # "hello" is a version 1 symbol: 21 modules plus a quiet zone of 4 on each side.
    assert image.size == ((21 + 8) * 7, (21 + 8) * 7)


@pytest.mark.parametrize("fmt", ["svg", "png"])
async def test_every_style_and_colour_pair_decodes(
    client: httpx.AsyncClient, account: Account, fmt: str
) -> None:
    for index, (dot, corner) in enumerate(itertools.product(DOT_STYLES, CORNER_STYLES)):
        content = f"https://xqr.example/{dot}/{corner}"
        response = await generate(
            client,
            account,
            content=content,
            format=fmt,
            size=6,
            dot_style=dot,
            corner_style=corner,
            foreground="#1E3A8A",
            background="#fef9ef",
            error_correction="LMQH"[index % 4],
        )
        assert decoded(response) == content, (dot, corner)


async def test_unicode_content_round_trips(client: httpx.AsyncClient, account: Account) -> None:
    text = "Grüße aus Köln — 東京 🎉"
    response = await generate(client, account, content=text, format="png")
    assert decoded(response) == text


async def test_if_none_match_answers_304_without_a_body(
    client: httpx.AsyncClient, account: Account
) -> None:
    first = await generate(client, account, content="cache me", format="png")
    etag = first.headers["etag"]
    again = await client.post(
        GENERATE,
        json={"content": "cache me", "format": "png"},
        headers={**account.headers, "If-None-Match": etag},
    )
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert again.headers["cache-control"] == "private, max-age=300"
    assert "x-request-id" in again.headers
    weak_list = await client.post(
        GENERATE,
        json={"content": "cache me", "format": "png"},
        headers={**account.headers, "If-None-Match": f'"other", W/{etag}'},
    )
    assert weak_list.status_code == 304
    stale = await client.post(
        GENERATE,
        json={"content": "cache me", "format": "png"},
        headers={**account.headers, "If-None-Match": '"stale"'},
    )
    assert stale.status_code == 200
    assert stale.content == first.content


async def test_etag_changes_with_every_input_and_not_with_spelling(
    client: httpx.AsyncClient, account: Account
) -> None:
    base = {"content": "etag", "format": "svg", "size": 10}
    variants = [
        {},
        {"content": "etag2"},
        {"format": "png"},
        {"size": 11},
        {"foreground": "#111111"},
        {"background": "#fafafa"},
        {"error_correction": "H"},
        {"dot_style": "dots"},
        {"corner_style": "dot"},
    ]
    etags = []
    for variant in variants:
        response = await generate(client, account, **{**base, **variant})
        assert response.status_code == 200, response.text
        etags.append(response.headers["etag"])
    assert len(set(etags)) == len(variants)
    same = await generate(client, account, **base, foreground="#000", error_correction="m")
    assert same.headers["etag"] == etags[0]


async def test_rendered_images_are_cached_in_memory(
    client: httpx.AsyncClient, account: Account, app: XqrApp
) -> None:
    cache = QrRenderer.of(app.ctx).cache
    cache.clear()
    first = await generate(client, account, content="memo", format="png")
    assert len(cache) == 1
    assert cache.total_bytes == len(first.content)
    second = await generate(client, account, content="memo", format="png")
    assert second.content == first.content
    assert len(cache) == 1


INVALID_FIELDS: list[tuple[dict[str, object], str]] = [
    ({"size": 0}, "size"),
    ({"size": 51}, "size"),
    ({"size": "big"}, "size"),
    ({"format": "gif"}, "format"),
    ({"foreground": "black"}, "foreground"),
    ({"foreground": "#12345"}, "foreground"),
    ({"background": "#ggg"}, "background"),
    ({"error_correction": "X"}, "error_correction"),
    ({"dot_style": "hearts"}, "dot_style"),
    ({"corner_style": "star"}, "corner_style"),
    ({"foreground": "#777777", "background": "#888888"}, "foreground"),
    ({"foreground": "#ffffff", "background": "#000000"}, "foreground"),
    ({"logo_url": "ftp://example.com/logo.png"}, "logo_url"),
    ({"colour": "#000000"}, "colour"),
]


async def test_invalid_fields_are_validation_errors_naming_the_field(
    client: httpx.AsyncClient, account: Account
) -> None:
    for body, field in INVALID_FIELDS:
        response = await generate(client, account, content="x", **body)
        error = assert_error(response, 400, "VALIDATION_ERROR")
        assert error["details"][0]["field"] == field, (body, error)


async def test_content_is_required_and_limited(client: httpx.AsyncClient, account: Account) -> None:
    missing = await client.post(GENERATE, json={}, headers=account.headers)
    assert assert_error(missing, 400, "VALIDATION_ERROR")["details"][0]["field"] == "content"
    empty = await generate(client, account, content="")
    assert assert_error(empty, 400, "VALIDATION_ERROR")["details"][0]["field"] == "content"
    too_long = await generate(client, account, content="a" * 2954)
    assert assert_error(too_long, 400, "VALIDATION_ERROR")["details"][0]["field"] == "content"
    # 2,953 bytes fit only at error correction L.
    at_m = await generate(client, account, content="a" * 2953)
    error = assert_error(at_m, 400, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == "content"
    assert "too long" in error["message"]
    at_l = await generate(client, account, content="a" * 2953, error_correction="L", size=1)
    assert at_l.status_code == 200


async def test_contrast_messages_say_why(client: httpx.AsyncClient, account: Account) -> None:
    low = await generate(client, account, content="x", foreground="#777777", background="#888")
    assert "contrast ratio" in assert_error(low, 400, "VALIDATION_ERROR")["message"]
    inverted = await generate(client, account, content="x", foreground="#fff", background="#000")
    assert "lighter" in assert_error(inverted, 400, "VALIDATION_ERROR")["message"]


async def test_generate_needs_the_qr_render_scope(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    reader = await make_account(scopes="qr:read,qr:write")
    response = await generate(client, reader, content="x")
    error = assert_error(response, 403, "INSUFFICIENT_SCOPE")
    assert "qr:render" in error["message"]
    renderer = await make_account(scopes="qr:render", name="Renderer")
    assert (await generate(client, renderer, content="x")).status_code == 200


async def test_generate_without_a_key_is_invalid_api_key(client: httpx.AsyncClient) -> None:
    response = await client.post(GENERATE, json={"content": "x"})
    assert_error(response, 401, "INVALID_API_KEY")


async def test_openapi_documents_binary_responses(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/api/v1/openapi.json")).json()
    for path, method in [
        ("/api/v1/qr/generate", "post"),
        ("/api/v1/qr/templates/{template_id}/render", "post"),
        ("/api/v1/links/{link_id}/qr", "get"),
    ]:
        operation = spec["paths"][path][method]
        assert set(operation["responses"]["200"]["content"]) == {
            "image/png",
            "image/svg+xml",
            "application/pdf",
        }
        assert "304" in operation["responses"]
        assert "qr:render" in operation["description"]
    generate_body = spec["components"]["schemas"]["GenerateRequest"]["properties"]
    assert {"dot_style", "corner_style", "logo_url"} <= set(generate_body)
