"""Reports in the dashboard: create with a schedule, edit, run now, the run history with
downloads; viewers read and download, members change; other workspaces' reports are 404."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx
from bs4 import BeautifulSoup

from tests.conftest import Account, AccountFactory
from tests.dashboard.conftest import Dashboard, add_person, page, text_of
from xqr.context import AppContext


def page_of(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


FORM = {
    "name": "Weekly countries",
    "kind": "geography",
    "period": "30d",
    "start": "",
    "end": "",
    "timezone": "Europe/Berlin",
    "granularity": "day",
    "labels": "",
    "format": "csv",
    "frequency": "weekly",
    "weekday": "friday",
    "hour": "7",
    "day": "1",
    "recipients": "ana@example.com, bo@example.org",
}


async def _create(browser: Dashboard, **changes: str) -> str:
    await browser.get("/dashboard/reports/new")
    created = await browser.post("/dashboard/reports", {**FORM, **changes})
    assert created.status_code == 303, text_of(created)
    return str(created.headers["location"]).rsplit("/", 1)[-1]


async def _runs_when(browser: Dashboard, report_id: str, text: str) -> httpx.Response:
    """The run history once it shows `text` (the worker runs in the background)."""
    deadline = time.monotonic() + 30
    while True:
        fragment = await browser.get(f"/dashboard/reports/{report_id}/runs")
        if text in fragment.text or time.monotonic() > deadline:
            return fragment
        await asyncio.sleep(0.05)


async def test_a_report_created_and_run_in_the_dashboard_is_downloadable(
    browser: Dashboard, owner: Account, client: httpx.AsyncClient
) -> None:
    await browser.sign_in("maria@example.com")
    empty = await browser.get("/dashboard/reports")
    assert "No reports yet" in text_of(empty)
    report_id = await _create(browser)
    detail = await browser.get(f"/dashboard/reports/{report_id}")
    shown = text_of(detail)
    assert "Report “Weekly countries” saved." in shown
    assert "Every Friday at 07:00 (Europe/Berlin)" in shown
    assert "ana@example.com, bo@example.org" in shown and "No runs yet" in shown
    api = await client.get(f"/api/v1/reports/{report_id}", headers=owner.headers)
    assert api.json()["data"]["schedule"] == {
        "frequency": "weekly", "hour": 7, "weekday": "friday", "day": None,
    }  # fmt: skip

    queued = await browser.post(f"/dashboard/reports/{report_id}/run")
    assert queued.status_code == 303
    after = await browser.get(f"/dashboard/reports/{report_id}")
    assert "Run queued" in text_of(after)
    runs = await _runs_when(browser, report_id, "Completed")
    link = page(runs).find("a", href=lambda h: bool(h and h.endswith("/download")))
    assert link is not None, runs.text
    file = await browser.get(link["href"])
    assert file.status_code == 200
    assert file.headers["content-type"] == "text/csv; charset=utf-8"
    assert file.headers["content-disposition"].startswith('attachment; filename="weekly-countries-')
    run_id = link["href"].split("/")[-2]
    from_api = await client.get(f"/api/v1/reports/runs/{run_id}/download", headers=owner.headers)
    assert file.content == from_api.content == b"country,country_code,scans,percentage\r\n"
    listed = text_of(await browser.get("/dashboard/reports"))
    assert "Weekly countries" in listed and "Completed" in listed


async def test_invalid_input_is_shown_beside_its_field_and_nothing_is_saved(
    browser: Dashboard, owner: Account, client: httpx.AsyncClient
) -> None:
    await browser.sign_in("maria@example.com")
    await browser.get("/dashboard/reports/new")
    refused = await browser.post(
        "/dashboard/reports",
        {
            **FORM,
            "name": "",
            "period": "custom",
            "start": "2026-03-10",
            "end": "2026-03-01",
            "recipients": "not-an-address",
        },
    )
    assert refused.status_code == 400
    html = page(refused)
    assert html.find(id="f-end")["aria-invalid"] == "true"  # the first problem found
    assert "Nothing was saved" in text_of(refused)
    assert html.find(id="f-start")["value"] == "2026-03-10"  # what was typed is kept
    listed = await client.get("/api/v1/reports", headers=owner.headers)
    assert listed.json()["meta"]["total"] == 0
    for changes, field in (
        ({"name": " "}, "f-name"),
        ({"timezone": "Mars/Base"}, "f-timezone"),
        ({"period": "custom", "start": "2026-03-10", "end": "2026-03-01"}, "f-end"),
        ({"recipients": "ana@example.com, nope"}, "f-recipients"),
    ):
        refused = await browser.post("/dashboard/reports", {**FORM, **changes})
        assert refused.status_code == 400, changes
        assert page(refused).find(id=field).get("aria-invalid") == "true", (changes, field)


async def test_editing_moves_the_schedule_and_deleting_removes_the_report(
    browser: Dashboard, owner: Account, client: httpx.AsyncClient
) -> None:
    await browser.sign_in("maria@example.com")
    report_id = await _create(browser)
    form = page(await browser.get(f"/dashboard/reports/{report_id}/edit"))
    assert form.find(id="f-name")["value"] == "Weekly countries"
    assert form.find(id="f-weekday").find("option", selected=True)["value"] == "friday"
    saved = await browser.post(
        f"/dashboard/reports/{report_id}",
        {**FORM, "name": "Monthly countries", "frequency": "monthly", "day": "31", "hour": "23"},
    )
    assert saved.status_code == 303
    shown = text_of(await browser.get(f"/dashboard/reports/{report_id}"))
    assert "Monthly countries" in shown and "Monthly on day 31 at 23:00" in shown
    api = (await client.get(f"/api/v1/reports/{report_id}", headers=owner.headers)).json()
    assert api["data"]["schedule"]["day"] == 31
    unscheduled = await browser.post(f"/dashboard/reports/{report_id}", {**FORM, "frequency": ""})
    assert unscheduled.status_code == 303
    api = (await client.get(f"/api/v1/reports/{report_id}", headers=owner.headers)).json()
    assert api["data"]["schedule"] is None and api["data"]["next_run_at"] is None

    dialog = page(await browser.get(f"/dashboard/reports/{report_id}?confirm=delete"))
    assert dialog.find("dialog", id="delete").has_attr("open")
    deleted = await browser.post(f"/dashboard/reports/{report_id}/delete")
    assert deleted.status_code == 303
    assert "deleted with its runs" in text_of(await browser.get("/dashboard/reports"))
    gone = await client.get(f"/api/v1/reports/{report_id}", headers=owner.headers)
    assert gone.status_code == 404


async def test_a_viewer_reads_and_downloads_but_cannot_change_or_run(
    ctx: AppContext,
    browser: Dashboard,
    other_browser: Dashboard,
    owner: Account,
) -> None:
    await browser.sign_in("maria@example.com")
    report_id = await _create(browser, frequency="")
    await browser.post(f"/dashboard/reports/{report_id}/run")
    runs = await _runs_when(browser, report_id, "Completed")
    download = page(runs).find("a", href=lambda h: bool(h and h.endswith("/download")))["href"]

    await add_person(ctx, owner.workspace_id, "vic@example.com", "viewer")
    viewer = other_browser
    await viewer.sign_in("vic@example.com")
    listed = page(await viewer.get("/dashboard/reports"))
    assert listed.find("a", string="New report") is None
    detail = await viewer.get(f"/dashboard/reports/{report_id}")
    assert page(detail).find("button", string="Run now") is None
    assert page(detail).find("a", string="Edit") is None
    assert (await viewer.get(download)).status_code == 200
    for path in (f"/dashboard/reports/{report_id}/edit", "/dashboard/reports/new"):
        refused = await viewer.get(path)
        assert refused.status_code == 403 and "Only members and above" in text_of(refused)
    for path in (f"/dashboard/reports/{report_id}/run", f"/dashboard/reports/{report_id}/delete"):
        refused = await viewer.post(path)
        assert refused.status_code == 403, path
    assert (await viewer.post("/dashboard/reports", FORM)).status_code == 403


async def test_another_workspaces_report_is_not_found(
    ctx: AppContext,
    browser: Dashboard,
    other_browser: Dashboard,
    owner: Account,
    make_account: AccountFactory,
) -> None:
    await browser.sign_in("maria@example.com")
    report_id = await _create(browser, frequency="")
    await browser.post(f"/dashboard/reports/{report_id}/run")
    runs = await _runs_when(browser, report_id, "Completed")
    download = page(runs).find("a", href=lambda h: bool(h and h.endswith("/download")))["href"]

    elsewhere = await make_account(owner="olaf@example.com", name="Olaf's Bakery")
    await add_person(ctx, elsewhere.workspace_id, "olaf@example.com", "owner")
    await other_browser.sign_in("olaf@example.com")
    for path in (
        f"/dashboard/reports/{report_id}",
        f"/dashboard/reports/{report_id}/edit",
        f"/dashboard/reports/{report_id}/runs",
        download,
    ):
        assert (await other_browser.get(path)).status_code == 404, path
    assert "No reports yet" in text_of(await other_browser.get("/dashboard/reports"))
    assert (await other_browser.post(f"/dashboard/reports/{report_id}/run")).status_code == 404


async def test_the_report_view_is_the_html_its_pdf_is_printed_from(
    ctx: AppContext, browser: Dashboard, other_browser: Dashboard, owner: Account
) -> None:
    from xqr.reports import service as reports
    from xqr.reports.content import build_content
    from xqr.reports.formats import render_html
    from xqr.workspaces.service import get_workspace, tenant_for

    await browser.sign_in("maria@example.com")
    report_id = await _create(browser, name="Countries <today>", frequency="")
    view = await browser.get(f"/dashboard/reports/{report_id}/view")
    assert view.status_code == 200
    assert "style-src 'self'" in view.headers["content-security-policy"]
    html = page(view)
    assert html.find("h1").get_text() == "Countries <today>"  # escaped, shown as typed
    assert html.find("link", rel="stylesheet")["href"] == "/dashboard/reports/view.css"
    assert html.find("style") is None
    assert [th.get_text() for th in html.find_all("th")] == [
        "country", "country_code", "scans", "percentage",
    ]  # fmt: skip
    assert html.find("a", string="← Back to the report")["href"].endswith(report_id)
    css = await browser.get("/dashboard/reports/view.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")

    async with ctx.read_sessionmaker() as session:  # the PDF's page: the same, style inlined
        tenant = tenant_for(await get_workspace(session, uuid.UUID(owner.workspace_id)), ctx.plans)
        report = await reports.get_report(session, tenant, report_id)
        content = await build_content(session, tenant, report, ctx.settings.short_base)
    printed = page_of(render_html(content))
    assert printed.find("style") is not None and printed.find("link") is None
    assert printed.find("table").get_text() == html.find("table").get_text()

    await add_person(ctx, owner.workspace_id, "vic@example.com", "viewer")
    await other_browser.sign_in("vic@example.com")
    assert (await other_browser.get(f"/dashboard/reports/{report_id}/view")).status_code == 200
