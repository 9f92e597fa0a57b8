"""What the asset endpoints and the filesystem upload URL refuse, and how they say so."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from tests.conftest import Account, AccountFactory, assert_error, make_settings
from tests.support.assets import SVG_WITH_SCRIPT, confirm, png_bytes, presign, put_upload
from xqr.app import XqrApp, create_app
from xqr.core.clock import clock


def _with_query(presigned: dict[str, Any], **changes: str) -> dict[str, Any]:
    parts = urlsplit(presigned["presigned_url"])
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(changes)
    url = parts._replace(query=urlencode(query)).geturl()
    return {**presigned, "presigned_url": url}


async def test_presign_rejects_a_type_outside_the_allowed_list(
    client: httpx.AsyncClient, account: Account
) -> None:
    response = await client.post(
        "/api/v1/assets/presign",
        json={"filename": "page.html", "content_type": "text/html"},
        headers=account.headers,
    )
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == "content_type"
    for allowed in ("image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml"):
        assert allowed in error["message"]
    assert "application/pdf" in error["message"]


async def test_presign_rejects_missing_and_unknown_fields(
    client: httpx.AsyncClient, account: Account
) -> None:
    for body in ({"filename": "a.png"}, {"filename": "a.png", "content_type": "image/png", "x": 1}):
        response = await client.post("/api/v1/assets/presign", json=body, headers=account.headers)
        assert_error(response, 400, "VALIDATION_ERROR")


async def test_confirm_rejects_bytes_of_another_type_and_discards_them(
    client: httpx.AsyncClient, account: Account, app: XqrApp
) -> None:
    cases = [
        ("logo.png", "image/png", b"GIF89a" + b"\x00" * 32),
        ("logo.png", "image/png", b"<html><script>alert(1)</script></html>"),
        ("logo.svg", "image/svg+xml", b"<html><body>not svg</body></html>"),
        ("logo.svg", "image/svg+xml", b"<svg><unclosed></svg>"),
        ("doc.pdf", "application/pdf", png_bytes()),
        ("empty.jpg", "image/jpeg", b""),
    ]
    for filename, content_type, data in cases:
        presigned = await presign(client, account.headers, filename, content_type)
        assert (await put_upload(client, presigned, data)).status_code == 200
        error = assert_error(
            await confirm(client, account.headers, presigned["asset_id"]), 400, "VALIDATION_ERROR"
        )
        assert error["details"][0]["field"] == "content_type"
        assert content_type in error["message"]
        got = await client.get(f"/api/v1/assets/{presigned['asset_id']}", headers=account.headers)
        assert got.json()["data"]["status"] == "pending"
        # The object is gone: confirming again finds nothing uploaded.
        assert_error(await confirm(client, account.headers, presigned["asset_id"]), 409, "CONFLICT")


async def test_confirm_before_any_upload_is_a_conflict(
    client: httpx.AsyncClient, account: Account
) -> None:
    presigned = await presign(client, account.headers)
    error = assert_error(
        await confirm(client, account.headers, presigned["asset_id"]), 409, "CONFLICT"
    )
    assert "presigned_url" in error["message"]


async def test_an_expired_upload_url_is_refused(
    client: httpx.AsyncClient, account: Account
) -> None:
    presigned = await presign(client, account.headers)
    clock.advance(timedelta(minutes=14))
    error_free = await put_upload(client, presigned, png_bytes())
    assert error_free.status_code == 200
    clock.advance(timedelta(minutes=2))
    error = assert_error(
        await put_upload(client, presigned, png_bytes()), 403, "INVALID_UPLOAD_URL"
    )
    assert "expired" in error["message"]


async def test_a_tampered_upload_url_is_refused(
    client: httpx.AsyncClient, account: Account
) -> None:
    presigned = await presign(client, account.headers)
    other = await presign(client, account.headers, "other.png")
    signature = parse_qs(urlsplit(presigned["presigned_url"]).query)["signature"][0]
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
    later = str(int(parse_qs(urlsplit(presigned["presigned_url"]).query)["expires"][0]) + 3600)
    swapped_id = {
        **presigned,
        "presigned_url": presigned["presigned_url"].replace(
            presigned["asset_id"], other["asset_id"]
        ),
    }
    attempts = [
        (_with_query(presigned, signature=flipped), {}),
        (_with_query(presigned, expires=later), {}),
        (presigned, {"Content-Type": "image/gif"}),
        (presigned, {"Content-Type": "text/html"}),
        (swapped_id, {}),
        ({**presigned, "presigned_url": presigned["presigned_url"].split("?")[0]}, {}),
    ]
    for target, headers in attempts:
        response = await put_upload(client, target, png_bytes(), **headers)
        assert_error(response, 403, "INVALID_UPLOAD_URL")
    for asset_id in (presigned["asset_id"], other["asset_id"]):
        assert_error(await confirm(client, account.headers, asset_id), 409, "CONFLICT")


async def test_the_per_file_cap_stops_a_streamed_upload(db_url: str, tmp_path: Path) -> None:
    settings = make_settings(db_url, tmp_path / "data", assets_max_file_bytes=1000)
    application = create_app(settings)
    async with application.api.router.lifespan_context(application.api):
        account = await AccountFactory(application.ctx)()
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            presigned = await presign(http, account.headers)
            declared = await put_upload(http, presigned, b"\x89PNG\r\n\x1a\n" + b"\0" * 1200)
            error = assert_error(declared, 413, "PAYLOAD_TOO_LARGE")
            assert "1000 bytes" in error["message"]

            async def chunks() -> AsyncIterator[bytes]:
                yield b"\x89PNG\r\n\x1a\n"
                for _ in range(20):
                    yield b"\0" * 100

            streamed = await http.put(
                presigned["presigned_url"], content=chunks(), headers=presigned["headers"]
            )
            assert "content-length" not in streamed.request.headers
            assert_error(streamed, 413, "PAYLOAD_TOO_LARGE")
            assert_error(
                await confirm(http, account.headers, presigned["asset_id"]), 409, "CONFLICT"
            )
            leftovers = [p for p in (tmp_path / "data" / "assets").rglob("*") if p.is_file()]
            assert leftovers == []
            exact = await put_upload(http, presigned, b"\x89PNG\r\n\x1a\n" + b"\0" * 992)
            assert exact.status_code == 200
            assert (await confirm(http, account.headers, presigned["asset_id"])).status_code == 200


async def test_plan_storage_and_asset_limits_are_enforced(db_url: str, tmp_path: Path) -> None:
    plans = tmp_path / "plans.toml"
    plans.write_text("[plans.pro]\nstorage_bytes = 1000\nassets = 3\nburst_per_second = 1000\n")
    settings = make_settings(db_url, tmp_path / "data", plans_file=plans)
    application = create_app(settings)
    async with application.api.router.lifespan_context(application.api):
        account = await AccountFactory(application.ctx)(plan="pro")
        headers = account.headers
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:

            def blob(size: int) -> bytes:
                return b"\x89PNG\r\n\x1a\n" + b"\0" * (size - 8)

            first = await presign(http, headers, "a.png")
            second = await presign(http, headers, "b.png")
            assert (await put_upload(http, first, blob(600))).status_code == 200
            assert (await put_upload(http, second, blob(600))).status_code == 200
            assert (await confirm(http, headers, first["asset_id"])).status_code == 200
            # Both fitted when uploaded; together they do not.
            error = assert_error(
                await confirm(http, headers, second["asset_id"]), 403, "PLAN_LIMIT_EXCEEDED"
            )
            assert "storage" in error["message"]
            assert_error(await confirm(http, headers, second["asset_id"]), 409, "CONFLICT")
            # Streaming stops at the plan's remaining 400 bytes.
            over = await put_upload(http, second, blob(500))
            assert_error(over, 403, "PLAN_LIMIT_EXCEEDED")
            assert (await put_upload(http, second, blob(400))).status_code == 200
            assert (await confirm(http, headers, second["asset_id"])).status_code == 200
            # Storage is full: no new upload can start.
            full = await http.post(
                "/api/v1/assets/presign",
                json={"filename": "c.png", "content_type": "image/png"},
                headers=headers,
            )
            assert_error(full, 403, "PLAN_LIMIT_EXCEEDED")
            # Deleting frees space; the asset count (3, pending uploads included) still holds.
            await http.delete(f"/api/v1/assets/{first['asset_id']}", headers=headers)
            await presign(http, headers, "c.png")
            await presign(http, headers, "d.png")
            count = await http.post(
                "/api/v1/assets/presign",
                json={"filename": "e.png", "content_type": "image/png"},
                headers=headers,
            )
            error = assert_error(count, 403, "PLAN_LIMIT_EXCEEDED")
            assert "assets" in error["message"]
            # Pending uploads older than a day no longer hold a slot.
            clock.advance(timedelta(hours=25))
            await presign(http, headers, "e.png")


async def test_svg_is_served_under_a_script_free_csp(
    client: httpx.AsyncClient, account: Account
) -> None:
    presigned = await presign(client, account.headers, "logo.svg", "image/svg+xml")
    assert (await put_upload(client, presigned, SVG_WITH_SCRIPT)).status_code == 200
    assert (await confirm(client, account.headers, presigned["asset_id"])).status_code == 200
    published = await client.post(
        f"/api/v1/assets/{presigned['asset_id']}/publish", headers=account.headers
    )
    served = await client.get(published.json()["data"]["public_url"])
    assert served.status_code == 200
    assert served.content == SVG_WITH_SCRIPT
    assert served.headers["content-type"] == "image/svg+xml"
    assert (
        served.headers["content-security-policy"]
        == "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    )
    assert served.headers["x-content-type-options"] == "nosniff"


async def test_filenames_never_reach_the_disk_verbatim(
    client: httpx.AsyncClient, account: Account, app: XqrApp
) -> None:
    expected = {
        "../../etc/passwd.png": "passwd.png",
        "/etc/passwd.png": "passwd.png",
        "..\\..\\windows\\system32\\evil.png": "evil.png",
        "C:\\Users\\me\\Desktop\\photo.PNG": "photo.png",
        "a\x01b\x07c.png": "abc.png",  # NUL never gets this far: see tests/core
        "..": "file.png",
        ".htaccess": "htaccess.png",
        "report.html": "report.png",
        "x" * 300 + ".png": "x" * 116 + ".png",
    }
    root = (Path(app.ctx.settings.data_dir) / "assets" / "private").resolve()
    for raw, shown in expected.items():
        presigned = await presign(client, account.headers, raw, "image/png")
        assert presigned["asset"]["filename"] == shown, raw
        assert (await put_upload(client, presigned, png_bytes())).status_code == 200
        files = [p.resolve() for p in root.rglob("*") if p.is_file()]
        newest = [p for p in files if p.parent.name == presigned["asset_id"]]
        assert len(newest) == 1
        assert newest[0].parent.parent.parent == root
        assert newest[0].parent.parent.name == account.workspace_id
        assert "\x00" not in str(newest[0]) and "\\" not in newest[0].name
    assert not (Path(app.ctx.settings.data_dir).parent / "etc").exists()


async def test_another_workspaces_asset_is_not_found(
    client: httpx.AsyncClient, account: Account, make_account: AccountFactory
) -> None:
    presigned = await presign(client, account.headers)
    await put_upload(client, presigned, png_bytes())
    other = await make_account(name="Other")
    asset_id = presigned["asset_id"]
    for method, path in [
        ("GET", f"/api/v1/assets/{asset_id}"),
        ("POST", f"/api/v1/assets/{asset_id}/confirm"),
        ("POST", f"/api/v1/assets/{asset_id}/publish"),
        ("DELETE", f"/api/v1/assets/{asset_id}"),
        ("GET", "/api/v1/assets/not-a-uuid"),
        ("POST", "/api/v1/assets/not-a-uuid/confirm"),
    ]:
        response = await client.request(method, path, headers=other.headers)
        assert_error(response, 404, "RESOURCE_NOT_FOUND")
    listed = await client.get("/api/v1/assets", headers=other.headers)
    assert listed.json()["data"] == []
    # Still intact for its owner.
    assert (await confirm(client, account.headers, asset_id)).status_code == 200


async def test_asset_scopes_are_required(
    client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    reader = await make_account(scopes="assets:read")
    response = await client.post(
        "/api/v1/assets/presign",
        json={"filename": "a.png", "content_type": "image/png"},
        headers=reader.headers,
    )
    error = assert_error(response, 403, "INSUFFICIENT_SCOPE")
    assert "assets:write" in error["message"]
    assert (await client.get("/api/v1/assets", headers=reader.headers)).status_code == 200
    writer = await make_account(scopes="links:read")
    assert_error(
        await client.get("/api/v1/assets", headers=writer.headers), 403, "INSUFFICIENT_SCOPE"
    )
