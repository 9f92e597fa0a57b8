"""Plugs reports into the app: the API, signed downloads, the usage counter, and the worker
that runs reports inside `xqr serve`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from xqr.reports.downloads import router as downloads_router
from xqr.reports.endpoints import router
from xqr.reports.runner import download_links
from xqr.reports.service import count_reports
from xqr.reports.worker import ReportWorker
from xqr.workspaces.usage import register_usage_counter

if TYPE_CHECKING:
    from xqr.app import XqrApp


def install(app: XqrApp) -> None:
    ctx = app.ctx
    app.include_api(router)
    app.api.include_router(downloads_router)
    register_usage_counter("reports", count_reports)
    ctx.parts.report_downloads = download_links(ctx.settings)
    if ctx.settings.run_background:
        app.background.append(
            ReportWorker(
                ctx.settings,
                sessionmaker=ctx.sessionmaker,
                read_sessionmaker=ctx.read_sessionmaker,
                plans=ctx.plans,
            )
        )
