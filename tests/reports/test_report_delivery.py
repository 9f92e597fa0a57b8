"""Delivery of finished runs: `report.completed` / `report.failed` webhooks with a signed
download URL that works until it expires, and email to the recipients over SMTP."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import update

from tests.analytics.test_analytics_reference import analytics_settings
from tests.conftest import Account, assert_error
from tests.reports.conftest import create_report, download, run_now, run_to_end
from tests.support.receiver import Receiver
from tests.support.smtp import Mailbox
from tests.webhooks.conftest import create_webhook
from xqr.app import XqrApp
from xqr.config import Settings
from xqr.core.clock import clock
from xqr.reports.models import ReportRun
from xqr.reports.worker import ReportWorker
from xqr.webhooks.dispatcher import Dispatcher


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with Mailbox() as box:
        yield box


@pytest.fixture
def settings(db_url: str, tmp_path: Path, mailbox: Mailbox) -> Settings:
    return analytics_settings(
        db_url,
        tmp_path / "data",
        webhook_retry_schedule="0,0.05",
        webhook_poll_interval_ms=20,
        smtp_url=mailbox.url,
        smtp_from="Reports <reports@xqr.example>",
    )


@pytest.fixture
async def dispatcher(app: XqrApp) -> AsyncIterator[Dispatcher]:
    found = Dispatcher(app.ctx.settings, sessionmaker=app.ctx.sessionmaker)
    yield found
    await found.close()


def _local(url: str) -> str:
    """The path and query of an absolute URL of this server (the test client's base)."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


async def test_report_completed_arrives_signed_and_its_url_works_until_it_expires(
    app: XqrApp,
    client: httpx.AsyncClient,
    account: Account,
    worker: ReportWorker,
    dispatcher: Dispatcher,
) -> None:
    with Receiver() as receiver:
        hook = await create_webhook(
            client, account, receiver.url, events=["report.completed", "report.failed"]
        )
        report = await create_report(client, account, name="Weekly links", kind="links")
        run = await run_to_end(client, account, worker, report["id"])
        await dispatcher.drain()
        [request] = await receiver.wait_for(1)
    assert request.signed_with(hook["signing_secret"])
    assert request.headers["x-xqr-event"] == "report.completed"
    payload = request.json()["data"]
    assert payload["report"]["id"] == report["id"] and payload["report"]["name"] == "Weekly links"
    assert payload["run"]["id"] == run["id"] and payload["run"]["status"] == "completed"
    assert payload["run"]["file"] == run["file"]
    url = payload["download_url"]
    assert url == payload["run"]["download_url"]
    assert url.startswith(f"{app.ctx.settings.public_url}/_reports/{run['id']}/")
    expected = (await download(client, account, run["id"])).content

    fetched = await client.get(_local(url))  # no API key: the signature is the permission
    assert fetched.status_code == 200, fetched.text
    assert fetched.content == expected
    assert fetched.headers["content-type"] == "text/csv; charset=utf-8"
    assert run["file"]["filename"] in fetched.headers["content-disposition"]

    ttl = app.ctx.settings.report_download_url_ttl_seconds
    clock.advance(timedelta(seconds=ttl - 60))
    assert (await client.get(_local(url))).status_code == 200
    clock.advance(timedelta(seconds=61))
    error = assert_error(await client.get(_local(url)), 403, "INVALID_DOWNLOAD_URL")
    assert "expired" in error["message"]


async def test_an_altered_download_url_is_refused(
    client: httpx.AsyncClient, account: Account, worker: ReportWorker
) -> None:
    report = await create_report(client, account)
    run = await run_to_end(client, account, worker, report["id"])
    path = _local(run["download_url"])
    assert (await client.get(path)).status_code == 200
    other = await run_to_end(client, account, worker, report["id"])
    for altered in (
        path.replace("expires=", "expires=9"),
        path.replace(run["id"], other["id"]),
        path.split("&signature=")[0],
    ):
        assert_error(await client.get(altered), 403, "INVALID_DOWNLOAD_URL")


async def test_a_run_that_fails_sends_report_failed_without_a_url(
    ctx: Any,
    client: httpx.AsyncClient,
    account: Account,
    worker: ReportWorker,
    dispatcher: Dispatcher,
) -> None:
    with Receiver() as receiver:
        hook = await create_webhook(client, account, receiver.url, events=["report.failed"])
        report = await create_report(client, account, name="Crashing")
        queued = await run_now(client, account, report["id"])
        async with ctx.sessionmaker() as session:  # three workers died making it already
            await session.execute(
                update(ReportRun).where(ReportRun.id == uuid.UUID(queued["id"])).values(attempts=3)
            )
            await session.commit()
        assert await worker.run_once() == 1
        await dispatcher.drain()
        [request] = await receiver.wait_for(1)
    assert request.signed_with(hook["signing_secret"])
    assert request.headers["x-xqr-event"] == "report.failed"
    payload = request.json()["data"]
    assert payload["run"]["status"] == "failed"
    assert "interrupted 3 times" in payload["run"]["error"]
    assert payload["download_url"] is None and payload["run"]["file"] is None
    path = f"/api/v1/reports/runs/{queued['id']}/download"
    assert_error(await client.get(path, headers=account.headers), 409, "CONFLICT")


async def test_recipients_get_an_email_with_the_file_attached(
    client: httpx.AsyncClient, account: Account, worker: ReportWorker, mailbox: Mailbox
) -> None:
    report = await create_report(
        client,
        account,
        name="Monthly countries",
        kind="geography",
        format="json",
        recipients=["ana@example.com", "bo@example.org"],
    )
    run = await run_to_end(client, account, worker, report["id"])
    assert run["status"] == "completed" and run["email_status"] == "sent", run
    [(sender, recipients, message)] = mailbox.messages
    assert sender == "reports@xqr.example"
    assert recipients == ["ana@example.com", "bo@example.org"]
    assert message["Subject"] == "Monthly countries — Last 30 days"
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == run["file"]["filename"]
    assert attachment.get_content_type() == "application/json"
    expected = (await download(client, account, run["id"])).content
    assert attachment.get_payload(decode=True) == expected
    body = message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "The file is attached." in text and "/_reports/" in text


async def test_a_file_over_the_attachment_limit_is_sent_as_a_link(
    app: XqrApp, client: httpx.AsyncClient, account: Account, mailbox: Mailbox
) -> None:
    small = app.ctx.settings.model_copy(update={"report_email_max_attachment_bytes": 10})
    worker = ReportWorker(
        small, sessionmaker=app.ctx.sessionmaker, read_sessionmaker=app.ctx.read_sessionmaker
    )
    report = await create_report(client, account, recipients=["ana@example.com"])
    run = await run_to_end(client, account, worker, report["id"])
    await worker.close()
    assert run["email_status"] == "sent"
    [(_, _, message)] = mailbox.messages
    assert list(message.iter_attachments()) == []
    body = message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "too large to attach" in text
    [url] = [word for word in text.split() if "/_reports/" in word]
    fetched = await client.get(_local(url))
    assert fetched.status_code == 200
    assert fetched.content == (await download(client, account, run["id"])).content


async def test_without_smtp_the_run_completes_and_says_email_is_not_configured(
    app: XqrApp, client: httpx.AsyncClient, account: Account, mailbox: Mailbox
) -> None:
    plain = app.ctx.settings.model_copy(update={"smtp_url": None})
    worker = ReportWorker(
        plain, sessionmaker=app.ctx.sessionmaker, read_sessionmaker=app.ctx.read_sessionmaker
    )
    report = await create_report(client, account, recipients=["ana@example.com"])
    run = await run_to_end(client, account, worker, report["id"])
    await worker.close()
    assert run["status"] == "completed"
    assert run["email_status"] == "not_configured"
    assert "XQR_SMTP_URL" in run["email_error"]
    assert mailbox.messages == []
