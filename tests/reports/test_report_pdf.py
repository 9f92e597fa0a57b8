"""PDF reports open in a PDF reader (poppler's `pdftoppm` draws them) and carry the title,
the numbers and the chart."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.analytics.test_analytics_reference import NOW, random_scans, write_scans
from tests.conftest import Account
from tests.links.linkkit import create_link
from tests.reports.conftest import create_report, download, run_to_end
from xqr.app import XqrApp
from xqr.core.clock import clock
from xqr.reports.charts import COLOURS
from xqr.reports.worker import ReportWorker

pytestmark = pytest.mark.skipif(
    not (shutil.which("pdftoppm") and shutil.which("pdftotext")),
    reason="poppler-utils (pdftoppm, pdftotext) is not installed; scripts/test-deps installs it",
)

TITLE = "Spring campaign: Übersicht & <results>"


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    value = hex_colour.lstrip("#")
    return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))


async def _pdf(
    client: httpx.AsyncClient, account: Account, worker: ReportWorker, **definition: Any
) -> bytes:
    report = await create_report(client, account, name=TITLE, format="pdf", **definition)
    run = await run_to_end(client, account, worker, report["id"])
    assert run["status"] == "completed", run
    response = await download(client, account, run["id"])
    assert response.headers["content-type"] == "application/pdf"
    assert run["file"]["filename"].endswith(".pdf")
    return response.content


async def test_a_pdf_report_rasterises_and_contains_its_title_numbers_and_chart(
    app: XqrApp,
    client: httpx.AsyncClient,
    account: Account,
    worker: ReportWorker,
    tmp_path: Path,
) -> None:
    clock.freeze(NOW.replace(month=1, day=1))
    links = [(await create_link(client, account))["id"] for _ in range(3)]
    clock.freeze(NOW)
    await write_scans(app, random_scans(account.workspace_id, links, count=300, days=20, seed=9))
    top = await client.get(
        "/api/v1/analytics/top-links", params={"period": "30d"}, headers=account.headers
    )
    first = top.json()["data"][0]

    content = await _pdf(client, account, worker, kind="links")
    assert content.startswith(b"%PDF-")
    path = tmp_path / "report.pdf"
    path.write_bytes(content)

    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(path), str(tmp_path / "page")],
        check=True,
        capture_output=True,
        timeout=60,
    )
    [page] = sorted(tmp_path.glob("page*.png"))
    with Image.open(page) as image:
        rgb = image.convert("RGB")
        width, height = rgb.size
        assert width > 400 and height > 600  # A4 portrait at 60 dpi: 496 × 702
        colours = {colour for _, colour in rgb.getcolors(maxcolors=1 << 20) or []}
    bar = _rgb(COLOURS[0])
    assert any(max(abs(a - b) for a, b in zip(c, bar, strict=True)) < 12 for c in colours), (
        "the chart's bars are drawn"
    )

    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    assert TITLE in text
    assert "Most scanned links" in text
    assert first["short_code"] in text
    assert f"{first['scans']:,}" in text


async def test_an_empty_pdf_report_still_opens(
    client: httpx.AsyncClient, account: Account, worker: ReportWorker, tmp_path: Path
) -> None:
    path = tmp_path / "empty.pdf"
    path.write_bytes(await _pdf(client, account, worker, kind="summary"))
    text = subprocess.run(
        ["pdftotext", str(path), "-"], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    assert TITLE in text and "total_scans" in text
