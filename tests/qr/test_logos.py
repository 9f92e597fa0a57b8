"""Logos: published assets of the workspace, remote images through the URL-safety guard."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Account, AccountFactory, assert_error, make_settings
from tests.qr.conftest import LogoServer, Served, decoded, logo_png
from tests.support.assets import PDF_BYTES, confirm, presign, put_upload
from xqr.app import XqrApp, create_app
from xqr.core.clock import clock
from xqr.qr.logos import LOGO_MAX_BYTES
from xqr.qr.rendering import QrRenderer

GENERATE = "/api/v1/qr/generate"
SVG_LOGO = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
    b'<circle cx="5" cy="5" r="5" fill="#dc2626"/></svg>'
)


async def published_asset(
    client: httpx.AsyncClient,
    account: Account,
    data: bytes,
    filename: str = "logo.png",
    content_type: str = "image/png",
) -> str:
    presigned = await presign(client, account.headers, filename, content_type)
    assert (await put_upload(client, presigned, data)).status_code == 200
    asset_id = presigned["asset_id"]
    assert (await confirm(client, account.headers, asset_id)).status_code == 200
    published = await client.post(f"/api/v1/assets/{asset_id}/publish", headers=account.headers)
    assert published.status_code == 200, published.text
    return str(published.json()["data"]["public_url"])


async def generate(
    client: httpx.AsyncClient, account: Account, logo_url: str, **body: Any
) -> httpx.Response:
    return await client.post(
        GENERATE,
        json={"content": "https://example.com/logo", "logo_url": logo_url, **body},
        headers=account.headers,
    )


@pytest.mark.parametrize("fmt", ["svg", "png"])
async def test_published_asset_of_the_workspace_is_a_logo(
    client: httpx.AsyncClient, account: Account, fmt: str
) -> None:
    url = await published_asset(client, account, logo_png())
    assert url.startswith("http://testserver/cdn/")
    response = await generate(client, account, url, format=fmt, dot_style="rounded")
    assert decoded(response) == "https://example.com/logo"
    without = await client.post(
        GENERATE,
        json={"content": "https://example.com/logo", "format": fmt, "dot_style": "rounded"},
        headers=account.headers,
    )
    assert without.headers["etag"] != response.headers["etag"]
    if fmt == "svg":
        assert b"data:image/png;base64," in response.content


async def test_template_with_an_asset_logo_renders_it(
    client: httpx.AsyncClient, account: Account
) -> None:
    url = await published_asset(client, account, logo_png())
    created = await client.post(
        "/api/v1/qr/templates",
        json={"name": "Logo", "design": {"logo_url": url, "dot_style": "dots"}},
        headers=account.headers,
    )
    assert created.status_code == 201, created.text
    template = created.json()["data"]
    assert template["design"]["logo_url"] == url
    rendered = await client.post(
        f"/api/v1/qr/templates/{template['id']}/render",
        json={"content": "with logo", "format": "png"},
        headers=account.headers,
    )
    assert decoded(rendered) == "with logo"


async def test_other_workspaces_or_unusable_assets_are_rejected(
    client: httpx.AsyncClient, account: Account, make_account: AccountFactory
) -> None:
    other = await make_account(name="Other")
    theirs = await published_asset(client, other, logo_png())
    response = await generate(client, account, theirs)
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == "logo_url"
    assert "not a published asset of this workspace" in error["message"]

    template = await client.post(
        "/api/v1/qr/templates",
        json={"name": "Borrowed", "design": {"logo_url": theirs}},
        headers=account.headers,
    )
    assert assert_error(template, 400, "VALIDATION_ERROR")["details"][0]["field"] == (
        "design.logo_url"
    )

    pdf = await published_asset(client, account, PDF_BYTES, "brochure.pdf", "application/pdf")
    not_an_image = await generate(client, account, pdf)
    assert "logos must be" in assert_error(not_an_image, 400, "VALIDATION_ERROR")["message"]


async def test_remote_logo_is_fetched_once_and_cached(
    client: httpx.AsyncClient, account: Account, logo_server: LogoServer, app: XqrApp
) -> None:
    logo_server.routes["/logo.png"] = Served(logo_png(colour=(30, 64, 175)))
    url = logo_server.url("/logo.png")
    first = await generate(client, account, url, format="png", corner_style="dot")
    assert decoded(first) == "https://example.com/logo"
    again = await generate(client, account, url, format="svg")
    assert decoded(again) == "https://example.com/logo"
    assert logo_server.hits == ["/logo.png"]

    # After the cache's ten minutes the logo is fetched again; new bytes mean a new ETag.
    logo_server.routes["/logo.png"] = Served(logo_png(colour=(22, 101, 52)))
    clock.advance(timedelta(minutes=11))
    refreshed = await generate(client, account, url, format="png", corner_style="dot")
    assert logo_server.hits == ["/logo.png", "/logo.png"]
    assert refreshed.headers["etag"] != first.headers["etag"]
    assert decoded(refreshed) == "https://example.com/logo"
    assert len(QrRenderer.of(app.ctx).logos.cache) == 1


async def test_svg_logos_work_in_svg_output_only(
    client: httpx.AsyncClient, account: Account, logo_server: LogoServer
) -> None:
    logo_server.routes["/logo.svg"] = Served(SVG_LOGO, "image/svg+xml")
    url = logo_server.url("/logo.svg")
    svg = await generate(client, account, url, format="svg")
    assert decoded(svg) == "https://example.com/logo"
    png = await generate(client, account, url, format="png")
    error = assert_error(png, 400, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == "logo_url"
    assert "SVG logos" in error["message"]


UNUSABLE_LOGOS = [
    (Served(b"\x89PNG" + b"0" * LOGO_MAX_BYTES), "larger than 1048576 bytes"),
    (Served(b"<html>hello</html>", "text/html"), "content type 'text/html'"),
    (Served(b"not really a png", "image/png"), "could not be read"),
    (Served(b"", "image/png"), "empty"),
    (Served(b"gone", "image/png", 404), "HTTP 404"),
    (Served(b"", "image/png", 302), "redirects are not followed"),
]


async def test_unusable_remote_logos_are_rejected_on_logo_url(
    client: httpx.AsyncClient, account: Account, logo_server: LogoServer
) -> None:
    for index, (served, message) in enumerate(UNUSABLE_LOGOS):
        logo_server.routes[f"/logo{index}"] = served
        url = logo_server.url(f"/logo{index}")
        response = await generate(client, account, url)
        error = assert_error(response, 400, "VALIDATION_ERROR")
        assert error["details"][0]["field"] == "logo_url", error
        assert message in error["message"], error
        template = await client.post(
            "/api/v1/qr/templates",
            json={"name": "Bad logo", "design": {"logo_url": url}},
            headers=account.headers,
        )
        error = assert_error(template, 400, "VALIDATION_ERROR")
        assert error["details"][0]["field"] == "design.logo_url", error
        assert message in error["message"], error


async def test_template_logo_that_breaks_later_is_a_400_on_render(
    client: httpx.AsyncClient, account: Account, logo_server: LogoServer
) -> None:
    logo_server.routes["/logo.png"] = Served(logo_png())
    created = await client.post(
        "/api/v1/qr/templates",
        json={"name": "Remote", "design": {"logo_url": logo_server.url("/logo.png")}},
        headers=account.headers,
    )
    assert created.status_code == 201, created.text
    template_id = created.json()["data"]["id"]
    render_url = f"/api/v1/qr/templates/{template_id}/render"
    ok = await client.post(render_url, json={"content": "x"}, headers=account.headers)
    assert decoded(ok) == "x"
    del logo_server.routes["/logo.png"]
    clock.advance(timedelta(minutes=11))
    broken = await client.post(render_url, json={"content": "y"}, headers=account.headers)
    error = assert_error(broken, 400, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == "design.logo_url"
    assert "HTTP 404" in error["message"]


@pytest.fixture
async def strict_app(db_url: str, tmp_path: Path) -> AsyncIterator[tuple[XqrApp, Account]]:
    """An app with the production rule: logos must be public https URLs."""
    settings = make_settings(db_url, tmp_path / "strict", webhooks_allow_private=False)
    application = create_app(settings)
    async with application.api.router.lifespan_context(application.api):
        yield application, await AccountFactory(application.ctx)()


REFUSED_LOGO_URLS = [
    ("https://127.0.0.1:{port}/logo.png", "not a public address"),
    ("https://localhost:{port}/logo.png", "not a public address"),
    ("https://10.1.2.3/logo.png", "not a public address"),
    ("http://127.0.0.1:{port}/logo.png", "must use https"),
    ("https://user:pw@example.com/logo.png", "username or password"),
]


async def test_private_addresses_are_refused_unless_allowed(
    strict_app: tuple[XqrApp, Account], logo_server: LogoServer
) -> None:
    application, account = strict_app
    logo_server.routes["/logo.png"] = Served(logo_png())
    port = logo_server.url("/").rsplit(":", 1)[1].rstrip("/")
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for url, message in REFUSED_LOGO_URLS:
            response = await generate(client, account, url.format(port=port))
            error = assert_error(response, 400, "VALIDATION_ERROR")
            assert error["details"][0]["field"] == "logo_url", error
            assert message in error["message"], error
    assert logo_server.hits == []
