"""Destination health: a background check of each enabled link's destinations.

The worker (`xqr worker`, and `xqr serve` with background work on) looks for links not
checked for `XQR_HEALTH_CHECK_INTERVAL_MINUTES`, claims each (so two workers never check one
link at once, and a link is checked at most once per interval), and checks every distinct
destination of it — the link's URL and each routing rule's:

- through the URL-safety guard: a destination (or a redirect) on a private or local address
  is reported `broken` with a "refused" reason and never fetched, unless its host is listed
  in `XQR_HEALTH_CHECK_ALLOWED_HOSTS`;
- politely: `HEAD` first, and `GET` (the body is not read) only when `HEAD` fails or is not
  allowed; a clear User-Agent; at most `XQR_HEALTH_CHECK_PER_HOST` checks at once per host;
- redirects are followed (at most `MAX_REDIRECTS`), each hop through the guard again.

A destination is `ok` when it ends in a 2xx answer; anything else (4xx, 5xx, a timeout, a
network error, a refused address, too many redirects) makes the link `broken` with the
status and a reason. The link's `health` changes, and `link.broken` / `link.recovered` are
emitted, only when the state changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from xqr import __version__
from xqr.config import Settings
from xqr.core.clock import utcnow
from xqr.core.netguard import UnsafeURLError, guarded_async_client

logger = logging.getLogger("xqr.links.health")

USER_AGENT = f"xQR-LinkHealth/{__version__} (destination check of a short link)"
MAX_REDIRECTS = 5
BATCH = 50  # links claimed per pass
CONCURRENCY = 8  # destinations checked at once by one worker
MAX_REASON = 255


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of checking one destination (or a whole link: its first broken one)."""

    status: str  # ok | broken
    status_code: int | None = None
    reason: str | None = None


OK = Verdict("ok")


def verdict_of_status(status_code: int) -> Verdict:
    if 200 <= status_code < 300:
        return OK
    return Verdict("broken", status_code, f"HTTP {status_code}")


def _broken(reason: str, status_code: int | None = None) -> Verdict:
    return Verdict("broken", status_code, reason[:MAX_REASON])


class DestinationChecker:
    """Checks destination URLs through the guard, HEAD then GET, per-host limited."""

    def __init__(
        self,
        *,
        allow_private: bool,
        exempt_hosts: frozenset[str],
        timeout: float,
        per_host: int,
    ) -> None:
        self.timeout = timeout
        self.per_host = per_host
        self._client = guarded_async_client(
            allow_private=allow_private,
            exempt_hosts=exempt_hosts,
            timeout=timeout,
            headers={"User-Agent": USER_AGENT, "Accept": "*/*"},
        )
        self._hosts: dict[str, asyncio.Semaphore] = {}

    async def aclose(self) -> None:
        await self._client.aclose()

    async def check(self, url: str) -> Verdict:
        try:
            async with asyncio.timeout(self.timeout * (MAX_REDIRECTS + 1)):
                return await self._follow(url)
        except TimeoutError:
            return _broken("timed out")

    async def _follow(self, url: str) -> Verdict:
        for _ in range(MAX_REDIRECTS + 1):
            try:
                response = await self._request(url)
            except UnsafeURLError as exc:
                return _broken(f"refused: {exc}")
            except httpx.TimeoutException:
                return _broken("timed out")
            except httpx.HTTPError as exc:
                return _broken(f"could not connect: {str(exc) or type(exc).__name__}")
            status = response.status_code
            location = response.headers.get("location")
            if 300 <= status < 400 and location:
                url = urljoin(url, location)
                if urlsplit(url).scheme not in ("http", "https"):
                    return _broken(f"redirects to a non-web URL ({urlsplit(url).scheme}:)")
                continue
            return verdict_of_status(status)
        return _broken(f"more than {MAX_REDIRECTS} redirects")

    async def _request(self, url: str) -> httpx.Response:
        host = (urlsplit(url).hostname or "").lower()
        slot = self._hosts.get(host)
        if slot is None:
            slot = self._hosts[host] = asyncio.Semaphore(self.per_host)
        async with slot:
            response = await self._client.head(url)
            if response.status_code < 400:
                return response
            # Some servers refuse or mishandle HEAD; ask for the page, without reading it.
            async with self._client.stream("GET", url) as streamed:
                return streamed


async def check_link(checker: DestinationChecker, destinations: list[str]) -> Verdict:
    """The link's verdict: its first broken destination's, else ok."""
    verdicts = await asyncio.gather(*(checker.check(url) for url in destinations))
    for verdict in verdicts:
        if verdict.status != "ok":
            return verdict
    return OK


def destinations_of(destination: str, routing_rules: list[dict[str, Any]] | None) -> list[str]:
    urls = [destination, *(rule["destination"] for rule in routing_rules or [])]
    return list(dict.fromkeys(urls))


class HealthChecker:
    """The background part: claims due links, checks them, records their health."""

    def __init__(
        self,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.interval = timedelta(minutes=settings.health_check_interval_minutes)
        self.now = now
        self.exempt_hosts = frozenset(
            host.strip().lower().strip("[]")
            for host in settings.health_check_allowed_hosts.split(",")
            if host.strip()
        )
        self._checker: DestinationChecker | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    @property
    def checker(self) -> DestinationChecker:
        if self._checker is None:
            # Not `XQR_WEBHOOKS_ALLOW_PRIVATE`: only the hosts listed for health checks.
            self._checker = DestinationChecker(
                allow_private=False,
                exempt_hosts=self.exempt_hosts,
                timeout=self.settings.health_check_timeout_seconds,
                per_host=self.settings.health_check_per_host,
            )
        return self._checker

    async def start(self) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name="xqr-link-health")

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.close()

    async def close(self) -> None:
        if self._checker is not None:
            await self._checker.aclose()
            self._checker = None

    async def _run(self) -> None:
        # Look again at least every minute (or every interval, when shorter); the first look
        # waits too, so a restart does not start with a burst of requests.
        pause = min(60.0, self.interval.total_seconds())
        checked = 0
        while not self._stopping.is_set():
            if checked < BATCH:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), pause)
                if self._stopping.is_set():
                    return
            try:
                checked = await self.run_once()
            except Exception:  # a bad pass must not end the checker
                logger.exception("link health pass failed")
                checked = 0

    async def run_once(self) -> int:
        """Claim the links due now, check them and record the results; how many were checked."""
        from xqr.links import service

        now = self.now()
        async with self.sessionmaker() as session:
            due = await service.claim_health_checks(session, now - self.interval, now, BATCH)
            await session.commit()
        if not due:
            return 0
        semaphore = asyncio.Semaphore(CONCURRENCY)

        async def one(link_id: uuid.UUID, urls: list[str]) -> tuple[uuid.UUID, Verdict]:
            async with semaphore:
                return link_id, await check_link(self.checker, urls)

        results = await asyncio.gather(*(one(link_id, urls) for link_id, urls in due))
        async with self.sessionmaker() as session:
            for link_id, verdict in results:
                await service.record_health(
                    session,
                    link_id,
                    verdict.status,
                    verdict.status_code,
                    verdict.reason,
                    self.now(),
                    short_base=self.settings.short_base,
                )
            await session.commit()
        return len(results)
