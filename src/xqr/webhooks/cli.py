"""`xqr worker`: the webhook dispatcher and the report worker as their own process."""

from __future__ import annotations

import asyncio
import signal
from typing import Annotated

import typer

from xqr.webhooks.dispatcher import MAX_CONCURRENCY, MAX_PER_ENDPOINT


def worker(
    concurrency: Annotated[
        int, typer.Option(help="Deliveries sent at once by this worker.", min=1)
    ] = MAX_CONCURRENCY,
    per_endpoint: Annotated[
        int, typer.Option(help="Deliveries sent at once to one endpoint.", min=1)
    ] = MAX_PER_ENDPOINT,
) -> None:
    """Deliver webhooks and make reports until SIGTERM or Ctrl-C.

    Run as many as you like against one database; each delivery, report run and schedule
    slot is taken by one of them. On SIGTERM the sends in flight finish first; a report run
    in progress is given back for another worker to make.
    """
    from xqr.clitools import err, run
    from xqr.config import get_settings
    from xqr.context import AppContext
    from xqr.core.logging import configure_logging
    from xqr.domains.checker import DomainChecker
    from xqr.links.health import HealthChecker
    from xqr.reports.worker import ReportWorker
    from xqr.webhooks.dispatcher import Dispatcher

    settings = get_settings()
    configure_logging(settings.log_level)
    _use_uvloop()

    async def _work(ctx: AppContext) -> None:
        dispatcher = Dispatcher(ctx.settings, concurrency=concurrency, per_endpoint=per_endpoint)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        # The worker also checks link destinations (see docs/links.md#destination-health)
        # and runs reports (see docs/reports.md).
        health = HealthChecker(ctx.settings, ctx.sessionmaker)
        reports = ReportWorker(ctx.settings, plans=ctx.plans)
        # And checks verified custom domains again (see docs/domains.md).
        domains = DomainChecker(ctx.settings, ctx.sessionmaker)
        await dispatcher.start()
        await health.start()
        await reports.start()
        await domains.start()
        err.print(
            "xQR worker running (webhooks, reports, link health, domain checks); SIGTERM or "
            "Ctrl-C stops it."
        )
        try:
            await stop.wait()
        finally:
            await domains.stop()
            await reports.stop()
            await health.stop()
            await dispatcher.stop()

    run(_work)


def _use_uvloop() -> None:
    """uvloop (installed with uvicorn[standard]) roughly doubles deliveries per second."""
    try:
        import uvloop
    except ImportError:
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
