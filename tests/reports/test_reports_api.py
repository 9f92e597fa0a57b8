"""`/v1/reports` as a client sees it: the objects, every endpoint's scopes, validation errors,
other workspaces' reports and runs, the plan limit, and the order of checks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.conftest import Account, AccountFactory, assert_error, set_plan
from tests.links.linkkit import create_link
from tests.reports.conftest import create_report, get_run, run_now, run_to_end
from xqr.context import AppContext
from xqr.core.clock import clock
from xqr.reports.worker import ReportWorker

REPORT_FIELDS = {
    "id",
    "name",
    "kind",
    "period",
    "timezone",
    "granularity",
    "link_ids",
    "labels",
    "format",
    "schedule",
    "recipients",
    "next_run_at",
    "created_at",
    "updated_at",
}
RUN_FIELDS = {
    "id",
    "report_id",
    "status",
    "trigger",
    "scheduled_for",
    "created_at",
    "started_at",
    "finished_at",
    "period_start",
    "period_end",
    "row_count",
    "error",
    "file",
    "download_url",
    "download_url_expires_at",
    "email_status",
    "email_error",
}


async def test_a_report_is_saved_with_its_definition_and_defaults(
    client: httpx.AsyncClient, account: Account
) -> None:
    link = await create_link(client, account, labels=["spring"])
    clock.freeze(datetime(2026, 3, 20, 15, 0, tzinfo=UTC))  # a Friday
    report = await create_report(
        client,
        account,
        name="  Spring links ",
        kind="links",
        period={"start": "2026-03-01", "end": "2026-03-15"},
        timezone="Europe/Berlin",
        link_ids=[link["id"], link["id"]],
        labels=["spring"],
        format="pdf",
        schedule={"frequency": "weekly", "weekday": "monday", "hour": 9},
        recipients=["a@example.com", "A@example.com", "b@example.org"],
    )
    assert set(report) == REPORT_FIELDS
    assert report["name"] == "Spring links"
    assert report["period"] == {"start": "2026-03-01", "end": "2026-03-15"}
    assert report["link_ids"] == [link["id"]]
    assert report["labels"] == ["spring"]
    assert report["recipients"] == ["a@example.com", "b@example.org"]
    assert report["schedule"] == {
        "frequency": "weekly",
        "hour": 9,
        "weekday": "monday",
        "day": None,
    }
    # Monday 23 March, 09:00 in Berlin (UTC+1)
    assert report["next_run_at"] == "2026-03-23T08:00:00.000Z"
    assert report["granularity"] == "day"

    plain = await create_report(client, account, name="Plain")
    assert plain["period"] == "30d"
    assert plain["timezone"] == "UTC"
    assert plain["format"] == "csv"
    assert plain["schedule"] is None and plain["next_run_at"] is None
    assert plain["link_ids"] == [] and plain["labels"] == [] and plain["recipients"] == []

    response = await client.get(f"/api/v1/reports/{report['id']}", headers=account.headers)
    assert response.status_code == 200
    assert response.json()["data"] == report
    listed = await client.get("/api/v1/reports", params={"limit": 1}, headers=account.headers)
    body = listed.json()
    assert [r["id"] for r in body["data"]] == [plain["id"]]  # newest first
    assert body["meta"]["total"] == 2 and body["meta"]["limit"] == 1


async def test_patch_changes_only_what_is_sent_and_moves_the_schedule(
    client: httpx.AsyncClient, account: Account
) -> None:
    clock.freeze(datetime(2026, 3, 20, 15, 0, tzinfo=UTC))
    report = await create_report(
        client, account, schedule={"frequency": "daily", "hour": 8}, recipients=["a@example.com"]
    )
    assert report["next_run_at"] == "2026-03-21T08:00:00.000Z"
    path = f"/api/v1/reports/{report['id']}"
    response = await client.patch(
        path, json={"timezone": "America/New_York", "format": "json"}, headers=account.headers
    )
    assert response.status_code == 200, response.text
    changed = response.json()["data"]
    assert changed["next_run_at"] == "2026-03-21T12:00:00.000Z"  # 08:00 EDT
    assert changed["format"] == "json" and changed["recipients"] == ["a@example.com"]
    response = await client.patch(
        path, json={"schedule": None, "recipients": None}, headers=account.headers
    )
    cleared = response.json()["data"]
    assert cleared["schedule"] is None and cleared["next_run_at"] is None
    assert cleared["recipients"] == []
    response = await client.patch(
        path,
        json={"schedule": {"frequency": "monthly", "day": 31, "hour": 23}},
        headers=account.headers,
    )
    monthly = response.json()["data"]
    assert monthly["schedule"] == {"frequency": "monthly", "hour": 23, "weekday": None, "day": 31}
    assert monthly["next_run_at"] == "2026-04-01T03:00:00.000Z"  # 31 March, 23:00 EDT


async def test_delete_removes_the_report_with_its_runs(
    client: httpx.AsyncClient, account: Account, worker: ReportWorker
) -> None:
    report = await create_report(client, account)
    run = await run_to_end(client, account, worker, report["id"])
    response = await client.delete(f"/api/v1/reports/{report['id']}", headers=account.headers)
    assert response.status_code == 204 and response.content == b""
    for path in (f"/reports/{report['id']}", f"/reports/runs/{run['id']}"):
        assert_error(
            await client.get(f"/api/v1{path}", headers=account.headers), 404, "RESOURCE_NOT_FOUND"
        )


async def test_a_run_is_queued_made_and_downloadable(
    client: httpx.AsyncClient, account: Account, worker: ReportWorker
) -> None:
    report = await create_report(client, account, name="Täglich: Übersicht", kind="geography")
    queued = await run_now(client, account, report["id"])
    assert set(queued) == RUN_FIELDS
    assert queued["status"] == "queued" and queued["trigger"] == "manual"
    assert queued["file"] is None and queued["download_url"] is None
    path = f"/api/v1/reports/runs/{queued['id']}/download"
    error = assert_error(await client.get(path, headers=account.headers), 409, "CONFLICT")
    assert "queued" in error["message"]
    assert await worker.run_once() == 1
    run = await get_run(client, account, queued["id"])
    assert run["status"] == "completed", run
    assert run["row_count"] == 0 and run["error"] is None and run["email_status"] is None
    assert run["started_at"] and run["finished_at"] and run["period_start"] and run["period_end"]
    file = run["file"]
    assert file["filename"].startswith("taglich-ubersicht-") and file["filename"].endswith(".csv")
    response = await client.get(path, headers=account.headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        f"attachment; filename=\"{file['filename']}\"; filename*=UTF-8''{file['filename']}"
    )
    assert response.content == b"country,country_code,scans,percentage\r\n"
    assert int(response.headers["content-length"]) == file["size"]
    runs = await client.get(f"/api/v1/reports/{report['id']}/runs", headers=account.headers)
    assert [r["id"] for r in runs.json()["data"]] == [run["id"]]
    assert runs.json()["meta"]["total"] == 1


async def test_running_again_while_a_run_is_queued_is_a_conflict(
    client: httpx.AsyncClient, account: Account, worker: ReportWorker
) -> None:
    report = await create_report(client, account)
    first = await run_now(client, account, report["id"])
    response = await client.post(f"/api/v1/reports/{report['id']}/runs", headers=account.headers)
    error = assert_error(response, 409, "CONFLICT")
    assert first["id"] in error["message"]
    await worker.run_once()
    second = await run_now(client, account, report["id"])
    assert second["id"] != first["id"]


# --- scopes ------------------------------------------------------------------------------------


async def _calls(
    client: httpx.AsyncClient, report_id: str, run_id: str
) -> dict[str, tuple[str, str, dict[str, Any] | None]]:
    return {
        "create": ("POST", "/api/v1/reports", {"name": "R", "kind": "summary"}),
        "list": ("GET", "/api/v1/reports", None),
        "get": ("GET", f"/api/v1/reports/{report_id}", None),
        "update": ("PATCH", f"/api/v1/reports/{report_id}", {"name": "S"}),
        "run": ("POST", f"/api/v1/reports/{report_id}/runs", None),
        "runs": ("GET", f"/api/v1/reports/{report_id}/runs", None),
        "get_run": ("GET", f"/api/v1/reports/runs/{run_id}", None),
        "download": ("GET", f"/api/v1/reports/runs/{run_id}/download", None),
        "delete": ("DELETE", f"/api/v1/reports/{report_id}", None),
    }


@pytest.mark.parametrize(
    ("scopes", "allowed", "missing"),
    [
        ("reports:read", {"list", "get", "runs", "get_run", "download"}, "reports:write"),
        ("reports:read,analytics:read", {"list", "get", "runs", "get_run", "download"}, None),
        ("reports:write", {"delete"}, None),
        (
            "reports:read,reports:write",
            {"list", "get", "runs", "get_run", "download", "delete"},
            None,
        ),
        ("reports:write,analytics:read", {"create", "update", "run", "delete"}, None),
        ("analytics:read,links:read", set(), None),
    ],
)
async def test_every_endpoint_requires_its_scopes(
    client: httpx.AsyncClient,
    account: Account,
    make_account: AccountFactory,
    worker: ReportWorker,
    scopes: str,
    allowed: set[str],
    missing: str | None,
) -> None:
    report = await create_report(client, account)
    run = await run_to_end(client, account, worker, report["id"])
    key = await make_account(workspace_id=account.workspace_id, scopes=scopes)
    calls = await _calls(client, report["id"], run["id"])
    for name, (method, path, body) in calls.items():
        response = await client.request(method, path, json=body, headers=key.headers)
        if name in allowed:
            assert response.status_code < 300, (name, response.text)
            continue
        error = assert_error(response, 403, "INSUFFICIENT_SCOPE")
        granted = set(scopes.split(","))
        write = name in {"create", "update", "run", "delete"}
        expected = "reports:write" if write else "reports:read"
        if expected in granted:
            expected = "analytics:read"  # a report is a way to read analytics
        assert expected in error["message"], (name, error)
        if missing is not None and write:
            assert missing in error["message"]


async def test_without_analytics_read_a_run_is_refused(
    client: httpx.AsyncClient, account: Account, make_account: AccountFactory
) -> None:
    report = await create_report(client, account)
    key = await make_account(
        workspace_id=account.workspace_id, scopes="reports:read,reports:write,links:read"
    )
    response = await client.post(f"/api/v1/reports/{report['id']}/runs", headers=key.headers)
    error = assert_error(response, 403, "INSUFFICIENT_SCOPE")
    assert error["message"] == (
        "This endpoint requires the analytics:read scope as well as reports:write."
    )
    runs = await client.get(f"/api/v1/reports/{report['id']}/runs", headers=key.headers)
    assert runs.json()["meta"]["total"] == 0


async def test_the_scope_check_comes_after_the_key_checks(
    client: httpx.AsyncClient, account: Account
) -> None:
    response = await client.post("/api/v1/reports", json={"name": "x"})
    assert_error(response, 401, "INVALID_API_KEY")
    bad = {"Authorization": "Bearer xqr_pk_00000000." + "a" * 64}
    assert_error(await client.get("/api/v1/reports", headers=bad), 401, "INVALID_API_KEY")


async def test_the_scope_check_comes_before_validation_and_lookup(
    client: httpx.AsyncClient, account: Account, make_account: AccountFactory
) -> None:
    reader = await make_account(workspace_id=account.workspace_id, scopes="reports:read")
    invalid = {"name": "", "kind": "funnel"}
    response = await client.post("/api/v1/reports", json=invalid, headers=reader.headers)
    assert "reports:write" in assert_error(response, 403, "INSUFFICIENT_SCOPE")["message"]
    missing = "/api/v1/reports/01a24b35-0d3a-71aa-8f21-6a5e4c3b2a19/runs"
    assert_error(await client.post(missing, headers=reader.headers), 403, "INSUFFICIENT_SCOPE")
    assert_error(await client.post(missing, headers=account.headers), 404, "RESOURCE_NOT_FOUND")


# --- tenancy -----------------------------------------------------------------------------------


async def test_another_workspaces_reports_and_runs_are_not_found(
    client: httpx.AsyncClient,
    account: Account,
    make_account: AccountFactory,
    worker: ReportWorker,
) -> None:
    report = await create_report(client, account)
    run = await run_to_end(client, account, worker, report["id"])
    other = await make_account(name="Other")
    calls = await _calls(client, report["id"], run["id"])
    for name, (method, path, body) in calls.items():
        if name in ("create", "list"):
            continue
        response = await client.request(method, path, json=body, headers=other.headers)
        assert_error(response, 404, "RESOURCE_NOT_FOUND")
    listed = await client.get("/api/v1/reports", headers=other.headers)
    assert listed.json()["data"] == [] and listed.json()["meta"]["total"] == 0
    # still there for its own workspace
    assert (await get_run(client, account, run["id"]))["status"] == "completed"


async def test_a_link_of_another_workspace_cannot_be_a_filter(
    client: httpx.AsyncClient, account: Account, make_account: AccountFactory
) -> None:
    other = await make_account(name="Other")
    foreign = await create_link(client, other)
    response = await client.post(
        "/api/v1/reports",
        json={"name": "R", "kind": "links", "link_ids": [foreign["id"]]},
        headers=account.headers,
    )
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert error["details"] == [
        {"field": "link_ids[0]", "message": "no such link in this workspace"}
    ]


@pytest.mark.parametrize("path", ["/reports/not-a-uuid", "/reports/runs/not-a-uuid"])
async def test_malformed_ids_are_not_found(
    client: httpx.AsyncClient, account: Account, path: str
) -> None:
    assert_error(
        await client.get(f"/api/v1{path}", headers=account.headers), 404, "RESOURCE_NOT_FOUND"
    )


# --- validation --------------------------------------------------------------------------------

INVALID: list[tuple[dict[str, Any], str]] = [
    ({"name": ""}, "name"),
    ({"name": "x" * 201}, "name"),
    ({"name": "a\u202eb"}, "name"),
    ({"kind": "funnel"}, "kind"),
    ({"period": "14d"}, "period"),
    ({"period": {"start": "2026-03-10", "end": "2026-03-01"}}, "period.end"),
    ({"period": {"start": "2000-01-01", "end": "2026-03-01"}}, "period"),
    ({"period": {"start": "2026-03-01"}}, "period"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"kind": "timeseries", "granularity": "hour", "period": "90d"}, "granularity"),
    ({"link_ids": ["nope"]}, "link_ids[0]"),
    ({"link_ids": ["01a24b35-0d3a-71aa-8f21-6a5e4c3b2a19"]}, "link_ids[0]"),
    ({"labels": ["x" * 51]}, "labels[0]"),
    ({"labels": [f"l{i}" for i in range(11)]}, "labels"),
    ({"format": "xlsx"}, "format"),
    ({"recipients": ["not-an-address"]}, "recipients[0]"),
    ({"recipients": [f"p{i}@example.com" for i in range(21)]}, "recipients"),
    ({"schedule": {"frequency": "hourly"}}, "schedule.frequency"),
    ({"schedule": {"frequency": "daily", "hour": 24}}, "schedule.hour"),
    ({"schedule": {"frequency": "daily", "weekday": "monday"}}, "schedule.weekday"),
    ({"schedule": {"frequency": "weekly", "day": 3}}, "schedule.day"),
    ({"schedule": {"frequency": "monthly", "day": 32}}, "schedule.day"),
    ({"schedule": {"frequency": "weekly", "weekday": "someday"}}, "schedule.weekday"),
    ({"colour": "red"}, "colour"),
]


@pytest.mark.parametrize(("change", "field"), INVALID)
async def test_invalid_definitions_are_refused_naming_the_field(
    client: httpx.AsyncClient, account: Account, change: dict[str, Any], field: str
) -> None:
    body = {"name": "R", "kind": "summary", **change}
    response = await client.post("/api/v1/reports", json=body, headers=account.headers)
    error = assert_error(response, 400, "VALIDATION_ERROR")
    fields = [detail["field"] for detail in error["details"]]
    assert any(f == field or f.startswith(f"{field}.") for f in fields), (field, error)
    listed = await client.get("/api/v1/reports", headers=account.headers)
    assert listed.json()["meta"]["total"] == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": None}, "name"),
        ({"kind": None}, "kind"),
        ({"period": {"start": "2026-03-10", "end": "2026-03-01"}}, "period.end"),
        ({"timezone": "Nowhere/Town"}, "timezone"),
        ({"schedule": {"frequency": "daily", "hour": -1}}, "schedule.hour"),
    ],
)
async def test_invalid_changes_are_refused_and_nothing_changes(
    client: httpx.AsyncClient, account: Account, change: dict[str, Any], field: str
) -> None:
    report = await create_report(client, account)
    path = f"/api/v1/reports/{report['id']}"
    error = assert_error(
        await client.patch(path, json=change, headers=account.headers), 400, "VALIDATION_ERROR"
    )
    assert error["details"][0]["field"] == field, error
    assert (await client.get(path, headers=account.headers)).json()["data"] == report


# --- plans -------------------------------------------------------------------------------------


async def test_saved_reports_are_limited_by_the_plan(
    ctx: AppContext, client: httpx.AsyncClient, account: Account
) -> None:
    for n in range(10):
        await create_report(client, account, name=f"R{n}")
    await set_plan(ctx, account.workspace_id, "pro")  # after: Pro allows 10 requests a second
    response = await client.post(
        "/api/v1/reports", json={"name": "one more", "kind": "summary"}, headers=account.headers
    )
    error = assert_error(response, 403, "PLAN_LIMIT_EXCEEDED")
    assert "10 saved reports" in error["message"]


async def test_workspace_usage_counts_saved_reports_against_the_plan(
    ctx: AppContext, client: httpx.AsyncClient, account: Account
) -> None:
    await create_report(client, account, name="One")
    await create_report(client, account, name="Two")
    await set_plan(ctx, account.workspace_id, "pro")
    response = await client.get("/api/v1/workspace/usage", headers=account.headers)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["reports"] == {"used": 2, "limit": 10}
