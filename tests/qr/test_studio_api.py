"""The QR studio through the API: new design options, print sizes, PDF, the scannability
report (`POST /qr/check`), generate refusing codes that do not scan, and the bulk ZIP."""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.conftest import Account, AccountFactory, assert_error
from tests.qr.conftest import LogoServer, Served, decode, decoded, logo_png

GENERATE = "/api/v1/qr/generate"
CHECK = "/api/v1/qr/check"
BULK = "/api/v1/qr/bulk"
STUDIO = {
    "dot_style": "rounded",
    "corner_style": "extra-rounded",
    "eye_color": {"outer": "#b71c1c", "inner": "#0d47a1"},
    "gradient": {"type": "linear", "colors": ["#1a237e", "#b71c1c"], "angle": 45},
    "frame": {"style": "banner-bottom", "text": "Scan me", "color": "#1a237e"},
}


async def post(client: httpx.AsyncClient, account: Account, path: str, **body: Any) -> Any:
    return await client.post(path, json=body, headers=account.headers)


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
async def test_generate_takes_frames_gradients_and_eye_colours(
    client: httpx.AsyncClient, account: Account, fmt: str
) -> None:
    response = await post(
        client, account, GENERATE, content="https://example.com/menu", format=fmt, size=5, **STUDIO
    )
    assert response.status_code == 200, response.text
    assert decoded(response) == "https://example.com/menu"
    if fmt == "pdf":
        assert response.headers["content-type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")


async def test_width_mm_and_dpi_make_a_354_pixel_png_at_300_dpi(
    client: httpx.AsyncClient, account: Account
) -> None:
    response = await post(
        client, account, GENERATE, content="https://example.com/print", format="png", width_mm=30
    )
    assert response.status_code == 200, response.text
    with Image.open(io.BytesIO(response.content)) as image:
        assert image.size == (354, 354)
        assert tuple(round(value) for value in image.info["dpi"]) == (300, 300)


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"gradient": {"colors": ["#000000"]}}, "gradient.colors", "2 or 3 colours"),
        ({"gradient": {"type": "conic", "colors": ["#000", "#111"]}}, "gradient.type", "conic"),
        ({"frame": {"style": "box", "text": "x" * 31}}, "frame.text", "at most 30"),
        ({"frame": {"style": "box", "text": "扫一扫"}}, "frame.text", "Chinese"),
        ({"frame": {"style": "oval"}}, "frame.style", "oval"),
        ({"frame": {"style": "none", "text": "Hi"}}, "frame.text", "needs a frame"),
        ({"quiet_zone": 1}, "quiet_zone", "from 2"),
        ({"eye_color": {"outer": "#eeeeee"}}, "eye_color.outer", "contrast"),
        ({"format": "svg", "dpi": 300}, "dpi", "PNG images only"),
        ({"format": "png", "width_mm": 2000, "dpi": 2400}, "width_mm", "4,096"),
    ],
)
async def test_bad_studio_options_are_clear_validation_errors(
    client: httpx.AsyncClient, account: Account, body: dict[str, Any], field: str, words: str
) -> None:
    response = await post(client, account, GENERATE, content="https://example.com/x", **body)
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == field, error
    assert words in error["message"] + str(error["details"]), error


async def test_check_reports_light_grey_as_not_decoding_and_generate_refuses_it(
    client: httpx.AsyncClient, account: Account
) -> None:
    content = "https://example.com/grey"
    response = await post(client, account, CHECK, content=content, foreground="#bbbbbb")
    assert response.status_code == 200, response.text
    report = response.json()["data"]
    assert report["decodes"] is False
    assert report["decodes_clean"] is True  # a perfect render reads; a camera would not
    assert report["contrast_ratio"] == pytest.approx(1.92, abs=0.01)
    assert any("contrast ratio" in warning for warning in report["warnings"])
    assert report["error_correction"] == "M" and report["version"] == 2
    assert report["modules"] == 25 and report["quiet_zone"] == 4
    # 30 cm away: a module of 30 cm / 250 = 1.2 mm; 33 modules with the quiet zone.
    assert report["scan_distance_cm"] == 30 and report["min_print_width_mm"] == 39.6
    refused = await post(client, account, GENERATE, content=content, foreground="#bbbbbb")
    error = assert_error(refused, 400, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == "foreground"
    assert "contrast ratio" in error["message"]


async def test_check_on_a_good_design_decodes_with_no_warnings(
    client: httpx.AsyncClient, account: Account
) -> None:
    response = await post(
        client, account, CHECK, content="https://example.com/ok", scan_distance_cm=100, **STUDIO
    )
    report = response.json()["data"]
    assert report["decodes"] is True and report["decodes_clean"] is True
    assert report["warnings"] == [] and report["reason"] is None
    assert report["min_print_width_mm"] == 132.0  # 33 modules of 4 mm
    assert report["contrast_ratio"] == pytest.approx(6.57, abs=0.01)  # the lightest stop


async def test_check_reports_a_logo_over_budget_and_generate_refuses_it(
    client: httpx.AsyncClient, account: Account, logo_server: LogoServer
) -> None:
    logo_server.routes["/logo.png"] = Served(logo_png())
    body = {"content": "https://example.com/logo", "logo_url": logo_server.url("/logo.png")}
    response = await post(client, account, CHECK, logo_size=0.5, **body)
    report = response.json()["data"]
    assert report["decodes"] is False
    assert report["error_correction"] == "H" and report["error_correction_budget_percent"] == 30
    assert report["logo_coverage_percent"] > 30
    assert any("more than the 30%" in warning for warning in report["warnings"])
    refused = await post(client, account, GENERATE, format="png", logo_size=0.5, **body)
    error = assert_error(refused, 400, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == "design"
    assert "does not scan" in error["message"] and "logo covers" in error["message"]
    fine = await post(client, account, GENERATE, format="png", **body)
    assert decoded(fine) == "https://example.com/logo"


async def test_check_needs_the_render_scope(
    client: httpx.AsyncClient, account: Account, make_account: AccountFactory
) -> None:
    reader = await make_account(scopes="qr:read", workspace_id=account.workspace_id)
    response = await post(client, reader, CHECK, content="x")
    assert_error(response, 403, "INSUFFICIENT_SCOPE")


async def test_templates_keep_the_studio_design_and_render_it_as_pdf(
    client: httpx.AsyncClient, account: Account
) -> None:
    created = await post(client, account, "/api/v1/qr/templates", name="Menu", design=STUDIO)
    assert created.status_code == 201, created.text
    design = created.json()["data"]["design"]
    assert design["frame"] == {
        "style": "banner-bottom",
        "text": "Scan me",
        "color": "#1a237e",
        "text_color": "#ffffff",
    }
    assert design["gradient"] == {"type": "linear", "colors": ["#1a237e", "#b71c1c"], "angle": 45}
    assert design["quiet_zone"] == 4
    template_id = created.json()["data"]["id"]
    rendered = await post(
        client,
        account,
        f"/api/v1/qr/templates/{template_id}/render",
        content="https://example.com/t",
        format="pdf",
        width_mm=40,
    )
    assert rendered.headers["content-type"] == "application/pdf"
    assert decoded(rendered) == "https://example.com/t"


async def test_link_qr_takes_a_frame_and_a_print_size(
    client: httpx.AsyncClient, account: Account
) -> None:
    link = (await post(client, account, "/api/v1/links", url="https://example.com/l")).json()
    link_id = link["data"]["id"]
    response = await client.get(
        f"/api/v1/links/{link_id}/qr?format=png&frame=banner-top&frame_text=Menu&width_mm=30",
        headers=account.headers,
    )
    assert response.status_code == 200, response.text
    assert decoded(response) == f"{link['data']['short_url']}?qr=1"
    with Image.open(io.BytesIO(response.content)) as image:
        assert image.width > 354 and image.height > image.width  # the frame adds to 30 mm


async def test_link_qr_errors_name_the_query_parameter(
    client: httpx.AsyncClient, account: Account
) -> None:
    link = (await post(client, account, "/api/v1/links", url="https://example.com/e")).json()
    url = f"/api/v1/links/{link['data']['id']}/qr"
    for query, field in [
        ("frame=oval", "frame"),
        ("frame=box&frame_text=" + "x" * 31, "frame_text"),
        ("quiet_zone=1", "quiet_zone"),
        ("format=svg&dpi=300", "dpi"),
    ]:
        response = await client.get(f"{url}?{query}", headers=account.headers)
        error = assert_error(response, 400, "VALIDATION_ERROR")
        assert error["details"][0]["field"] == field, (query, error)


async def _links(client: httpx.AsyncClient, account: Account, count: int) -> list[dict[str, Any]]:
    links: list[dict[str, Any]] = []
    for start in range(0, count, 100):
        batch = [{"url": f"https://example.com/p/{n}"} for n in range(start, start + 100)]
        response = await post(client, account, "/api/v1/links/bulk", links=batch)
        assert response.status_code == 201, response.text
        links += response.json()["data"]["created"]
    return links


@pytest.mark.slow
async def test_bulk_zip_of_500_link_codes_decodes_and_matches_its_manifest(
    client: httpx.AsyncClient, account: Account
) -> None:
    links = await _links(client, account, 500)
    items = [{"link_id": link["id"]} for link in links]
    response = await post(client, account, BULK, items=items, format="png", size=3)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    rows = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode())))
    assert len(rows) == 500
    assert sorted(archive.namelist()) == sorted(
        [row["file_name"] for row in rows] + ["manifest.csv"]
    )
    for link, row in zip(links, rows, strict=True):
        assert row["short_url"] == link["short_url"]
        assert row["content"] == f"{link['short_url']}?qr=1"
        assert row["file_name"] == f"{link['short_code']}.png" and row["error"] == ""
        assert decode(archive.read(row["file_name"]), "image/png") == [row["content"]]


async def test_bulk_takes_content_items_with_file_names_and_a_template(
    client: httpx.AsyncClient, account: Account
) -> None:
    template = await post(client, account, "/api/v1/qr/templates", name="T", design=STUDIO)
    items = [
        {"content": "WIFI:S:Cafe;T:WPA;P:secret;;", "file_name": "wifi"},
        {"content": "https://example.com/a", "file_name": "wifi"},
        {"content": "https://example.com/b"},
    ]
    response = await post(
        client, account, BULK, items=items, format="svg", template_id=template.json()["data"]["id"]
    )
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    rows = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode())))
    assert [row["file_name"] for row in rows] == ["wifi.svg", "wifi-2.svg", "qr-3.svg"]
    for item, row in zip(items, rows, strict=True):
        assert row["short_url"] == ""
        assert decode(archive.read(row["file_name"]), "image/svg+xml") == [item["content"]]


async def test_bulk_refuses_before_streaming(
    client: httpx.AsyncClient, account: Account, make_account: AccountFactory
) -> None:
    missing = await post(
        client, account, BULK, items=[{"link_id": "00000000-0000-0000-0000-000000000000"}]
    )
    assert assert_error(missing, 400, "VALIDATION_ERROR")["details"][0]["field"] == (
        "items[0].link_id"
    )
    both = await post(client, account, BULK, items=[{}])
    assert assert_error(both, 400, "VALIDATION_ERROR")["details"][0]["field"] == "items[0]"
    too_many = await post(client, account, BULK, items=[{"content": "x"}] * 501)
    assert_error(too_many, 400, "VALIDATION_ERROR")
    pro = await make_account(plan="pro", name="Small")
    over_plan = await post(client, pro, BULK, items=[{"content": "x"}] * 101)
    error = assert_error(over_plan, 403, "PLAN_LIMIT_EXCEEDED")
    assert "100 QR codes" in error["message"]
