"""`client.reports` against a real `xqr serve` (its embedded worker makes the runs)."""

from __future__ import annotations

import csv
import io

import pytest

from tests.support.live import LiveServer
from xqr.client import XQR, AsyncXQR, NotFoundError, PermissionDeniedError, Report, ReportRun


def test_report_lifecycle_run_and_download(xqr: XQR) -> None:
    link = xqr.links.create("https://example.com/sdk-report", labels=["sdk-report"])
    report = xqr.reports.create(
        "SDK links",
        "links",
        period="7d",
        labels=["sdk-report"],
        schedule={"frequency": "weekly", "weekday": "friday", "hour": 7},
    )
    assert isinstance(report, Report)
    assert report.schedule is not None and report.schedule.weekday == "friday"
    assert report.next_run_at is not None
    assert xqr.reports.get(report.id).name == "SDK links"
    assert report.id in [r.id for r in xqr.reports.iter()]

    queued = xqr.reports.run(report.id)
    assert isinstance(queued, ReportRun) and queued.status == "queued"
    run = xqr.reports.wait_for_run(queued.id, timeout=60)
    assert run.status == "completed", run
    assert run.file is not None and run.file.filename.endswith(".csv")
    assert run.download_url and run.row_count == 1
    rows = list(csv.DictReader(io.StringIO(xqr.reports.download(run.id).decode())))
    assert [row["id"] for row in rows] == [link.id]
    assert [r.id for r in xqr.reports.runs(report.id)] == [run.id]

    changed = xqr.reports.update(report.id, schedule=None, format="json")
    assert changed.schedule is None and changed.next_run_at is None and changed.format == "json"
    xqr.reports.delete(report.id)
    with pytest.raises(NotFoundError):
        xqr.reports.get(report.id)


def test_a_read_only_key_cannot_create_or_run(live: LiveServer, xqr: XQR) -> None:
    report = xqr.reports.create("Read only", "summary")
    with XQR(api_key=live.make_key("reports:read"), base_url=live.url) as reader:
        assert reader.reports.get(report.id).id == report.id
        with pytest.raises(PermissionDeniedError) as raised:
            reader.reports.run(report.id)
        assert raised.value.code == "INSUFFICIENT_SCOPE"
        assert "reports:write" in str(raised.value)


async def test_the_async_client_runs_a_report(axqr: AsyncXQR) -> None:
    report = await axqr.reports.create("Async summary", "summary", format="json")
    run = await axqr.reports.wait_for_run((await axqr.reports.run(report.id)).id, timeout=60)
    assert run.status == "completed", run
    assert (await axqr.reports.download(run.id)).startswith(b'{"report":')
    await axqr.reports.delete(report.id)
