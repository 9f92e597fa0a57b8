"""Links → Import and Export in the dashboard: preview, background import, errors, export."""

from __future__ import annotations

import asyncio
import csv
import io
import time

import httpx

from tests.conftest import Account
from tests.dashboard.conftest import Dashboard, page, text_of

# Rows (by file line) refused; the browser test imports 1,000 rows, this one 300 (three
# chunks of 100 rows, one bad row in each).
ROWS = 300
BAD_LINES = {101: "not a url", 152: "ftp://example.com/x", 283: "https://example.com/ok"}


def _rows() -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["url", "custom_slug", "labels"])
    for line in range(2, ROWS + 2):
        url = BAD_LINES.get(line, f"https://example.com/item/{line}")
        slug = "api" if line == 283 else ""  # a reserved word: refused
        writer.writerow([url, slug, "import|batch"])
    return buffer.getvalue()


async def _finished(browser: Dashboard, location: str) -> httpx.Response:
    deadline = time.monotonic() + 240  # a deadline for a slow machine, not a speed check
    while True:
        answer = await browser.get(location)
        if "Import finished" in answer.text or time.monotonic() > deadline:
            return answer
        await asyncio.sleep(0.1)


async def test_a_csv_of_300_rows_with_3_bad_ones_imports_297_and_lists_the_3(
    browser: Dashboard, owner: Account, client: httpx.AsyncClient
) -> None:
    await browser.sign_in("maria@example.com")
    await browser.get("/dashboard/links/import")
    files = {"file": ("links.csv", _rows().encode(), "text/csv")}
    preview = await browser.http.post(
        "/dashboard/links/import", data={"csrf_token": browser.csrf}, files=files
    )
    assert preview.status_code == 200, text_of(preview)
    assert "Import 300 rows?" in text_of(preview)
    rows = page(preview).select("table tbody tr")
    assert len(rows) == 5
    assert "https://example.com/item/2" in rows[0].get_text()
    content = page(preview).find("textarea", attrs={"name": "content"}).get_text()
    started = await browser.post("/dashboard/links/import/start", {"content": content})
    assert started.status_code == 303
    done = await _finished(browser, started.headers["location"])
    summary = text_of(done)
    assert "Import finished" in summary
    assert "300 of 300 rows: 297 links created" in summary
    assert "3 rows refused" in summary
    refused = [row.find("td").get_text(strip=True) for row in page(done).select("table tbody tr")]
    assert refused == ["101", "152", "283"]
    listed = await client.get("/api/v1/links?label=import", headers=owner.headers)
    assert listed.json()["meta"]["total"] == 297

    errors = await browser.get(started.headers["location"] + "/errors.csv")
    assert errors.headers["content-type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(errors.text)))
    assert [line[0] for line in lines] == ["line", "101", "152", "283"]


async def test_a_file_that_is_not_a_links_csv_is_refused_with_the_reason(
    browser: Dashboard, owner: Account
) -> None:
    await browser.sign_in("maria@example.com")
    await browser.get("/dashboard/links/import")
    for data, reason in [
        (b"name,address\na,b\n", "needs a header row with a `url` column"),
        (b"url\n\xff\xfe\n", "not UTF-8"),
        (b"url\n", "no rows"),
    ]:
        answer = await browser.http.post(
            "/dashboard/links/import",
            data={"csrf_token": browser.csrf},
            files={"file": ("x.csv", data, "text/csv")},
        )
        assert answer.status_code == 400
        assert reason in text_of(answer)


async def test_the_export_holds_the_links_of_the_current_filter(
    browser: Dashboard, owner: Account, client: httpx.AsyncClient
) -> None:
    for n, label in enumerate(["red", "red", "blue"]):
        await client.post(
            "/api/v1/links",
            json={"url": f"https://example.com/{n}", "labels": ["=SUM(A1)", label]},
            headers=owner.headers,
        )
    await browser.sign_in("maria@example.com")
    exported = await browser.get("/dashboard/links/export.csv?label=red")
    assert exported.headers["content-disposition"] == 'attachment; filename="links.csv"'
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert sorted(row["url"] for row in rows) == ["https://example.com/0", "https://example.com/1"]
    # a cell a spreadsheet would run as a formula is written with a ' in front
    assert [row["labels"] for row in rows] == ["'=SUM(A1)|red", "'=SUM(A1)|red"]
