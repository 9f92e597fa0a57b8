"""Re-verification: the background worker checks each serving custom domain again every
`XQR_DOMAINS_RECHECK_MINUTES`; one that stops answering is marked `failed` (with the webhook
event `domain.failed`) but keeps serving, and one that answers again is `verified` again."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from xqr.config import Settings
from xqr.core.clock import utcnow
from xqr.domains import service

logger = logging.getLogger("xqr.domains")

BATCH = 20  # domains claimed per pass
CONCURRENCY = 4


class DomainChecker:
    """The background part: claims domains due for a check, checks them, records results."""

    def __init__(
        self,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.rules = service.DomainRules.from_settings(settings)
        self.sessionmaker = sessionmaker
        self.interval = timedelta(minutes=settings.domains_recheck_minutes)
        self.now = now
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name="xqr-domain-checks")

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        pause = min(60.0, self.interval.total_seconds())
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), pause)
            if self._stopping.is_set():
                return
            try:
                await self.run_once()
            except Exception:  # a bad pass must not end the checker
                logger.exception("domain verification pass failed")

    async def run_once(self) -> int:
        """Check the domains due now; how many were checked."""
        now = self.now()
        async with self.sessionmaker() as session:
            due = await service.claim_rechecks(session, now - self.interval, now, BATCH)
            await session.commit()
        if not due:
            return 0
        semaphore = asyncio.Semaphore(CONCURRENCY)

        async def one(hostname: str, token: str) -> str | None:
            async with semaphore:
                return await self.rules.verifier.check(hostname, token)

        reasons = await asyncio.gather(*(one(host, token) for _, host, token in due))
        async with self.sessionmaker() as session:
            for (domain_id, hostname, _), reason in zip(due, reasons, strict=True):
                if reason is not None:
                    logger.warning("custom domain %s failed its check: %s", hostname, reason)
                await service.record_recheck(session, domain_id, reason, self.now())
            await session.commit()
        return len(due)
