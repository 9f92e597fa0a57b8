"""The webhook dispatcher: claims due deliveries with a lease, sends them, records every attempt.

It runs inside `xqr serve` (a background part) and as `xqr worker`; any number of them may
share one database. A claim is a lease: the row turns `delivering` until `lease_until`, and a
worker that dies holding it leaves it to any worker once the lease runs out (at least once;
receivers dedupe on `X-XQR-Delivery`). Results are written in batches, fenced by the claim's
token, so a worker whose lease was taken over cannot overwrite the new holder's state.

Sends are bounded: `concurrency` at once, `per_endpoint` at once to one endpoint. A worker
claims up to four sends' worth per endpoint ahead (so claims and writes come in batches even
when one endpoint has a backlog) and never starts a send whose lease could run out before the
send's timeout; such a delivery is left to expire and be claimed again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
import uuid
from collections import Counter, deque
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from xqr.config import Settings
from xqr.core.clock import utcnow
from xqr.core.sealing import UnsealError
from xqr.db.engine import make_engine, make_sessionmaker
from xqr.webhooks import repository, wakeup
from xqr.webhooks.attempts import (
    AttemptOutcome,
    ClaimedDelivery,
    attempt_row,
    endpoint_changes,
    next_delivery_state,
)
from xqr.webhooks.secret_store import SigningSecrets
from xqr.webhooks.sender import DEFAULT_TIMEOUT, Sender

logger = logging.getLogger("xqr.webhooks")

DISABLE_AFTER = timedelta(days=7)
MAX_CONCURRENCY = 64
MAX_PER_ENDPOINT = 8
AHEAD = 4  # claimed per endpoint at most: AHEAD × per_endpoint
RESULT_BATCH = 500
LEASE_MARGIN = 1.0  # seconds a send must have left on its lease beyond its timeout

DISABLED_REASON = (
    "Disabled automatically: every delivery attempt failed for 7 days (see failing_since). "
    "Fix the receiver, then set enabled to true; pending deliveries resume."
)


class Dispatcher:
    """Delivers the outbox. `start()`/`stop()` run it in the background; `drain()` and
    `run_once()` run it in the caller's task (tests, one-off runs)."""

    def __init__(
        self,
        settings: Settings,
        *,
        sessionmaker: async_sessionmaker[AsyncSession] | None = None,
        concurrency: int = MAX_CONCURRENCY,
        per_endpoint: int = MAX_PER_ENDPOINT,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.concurrency = max(1, concurrency)
        self.per_endpoint = max(1, min(per_endpoint, self.concurrency))
        self.schedule = settings.retry_schedule or [0.0]
        self.lease = timedelta(seconds=settings.webhook_lease_seconds)
        # A send must end well inside its lease, or another worker could take it over and
        # send the same attempt again.
        self.timeout = min(DEFAULT_TIMEOUT, settings.webhook_lease_seconds / 2)
        self.poll_interval = max(settings.webhook_poll_interval_ms, 1) / 1000
        self.rng = rng or random.Random()
        self.secrets = SigningSecrets(settings.secret)
        self._sessionmaker = sessionmaker
        self._probe_sessionmaker = sessionmaker
        self._engines: list[AsyncEngine] = []
        self._sender: Sender | None = None
        # Claimed and not yet recorded (queued, being sent, or waiting to be written) ...
        self._held: dict[uuid.UUID, ClaimedDelivery] = {}
        # ... of which these are not sent yet, per endpoint (queued or being sent) ...
        self._unsent: Counter[uuid.UUID] = Counter()
        # ... of which these wait for a free send, and these are being sent.
        self._queues: dict[uuid.UUID, deque[tuple[ClaimedDelivery, float]]] = {}
        self._sending: Counter[uuid.UUID] = Counter()
        self._sends: set[asyncio.Task[None]] = set()
        self._results: asyncio.Queue[AttemptOutcome | None] = asyncio.Queue()
        # SQLite has one writer: queueing our own claims and writes behind an asyncio lock
        # is much faster than letting them meet in SQLite's busy-wait.
        self._write_lock: Any = asyncio.Lock() if settings.is_sqlite else contextlib.nullcontext()
        self._wake = asyncio.Event()
        self._stopping = False
        self._loop_task: asyncio.Task[None] | None = None
        self._writer_task: asyncio.Task[None] | None = None
        self._listen_task: asyncio.Task[None] | None = None
        self.attempts_made = 0
        self.outcomes: dict[str, int] = {}  # recorded attempts by outcome (for `/metrics`)

    # --- lifecycle ---------------------------------------------------------------------------

    async def open(self) -> None:
        """Connect (own engines unless a sessionmaker was given) and prepare the sender."""
        if self._sessionmaker is None:
            engine = make_engine(self.settings.db_url)
            self._engines.append(engine)
            self._sessionmaker = self._probe_sessionmaker = make_sessionmaker(engine)
            if self.settings.is_sqlite:
                # Looking for due rows must not take SQLite's write lock five times a second.
                reader = make_engine(self.settings.db_url, read_only=True)
                self._engines.append(reader)
                self._probe_sessionmaker = make_sessionmaker(reader)
        if self._sender is None:
            self._sender = Sender(
                allow_private=self.settings.webhooks_allow_private,
                timeout=self.timeout,
                per_endpoint=self.per_endpoint,
            )

    async def close(self) -> None:
        if self._sender is not None:
            await self._sender.aclose()
            self._sender = None
        for engine in self._engines:
            await engine.dispose()
        self._engines.clear()

    def wake(self) -> None:
        """Look for due deliveries now (events were just committed)."""
        self._wake.set()

    async def start(self) -> None:
        await self.open()
        self._stopping = False
        self._writer_task = asyncio.create_task(self._write_results(), name="webhook-writer")
        self._loop_task = asyncio.create_task(self._run(), name="webhook-dispatcher")
        if not self.settings.is_sqlite and self._engines:
            self._listen_task = asyncio.create_task(
                wakeup.listen(self._engines[0], self.wake), name="webhook-listener"
            )
        wakeup.register(self)
        logger.info(
            "webhook dispatcher started (%d sends at once, %d per endpoint)",
            self.concurrency,
            self.per_endpoint,
        )

    async def stop(self) -> None:
        """Stop claiming, finish the sends in flight and write their results, give back the
        claimed deliveries not yet started, then close."""
        self._stopping = True
        wakeup.unregister(self)
        self._wake.set()
        if self._listen_task is not None:
            self._listen_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listen_task
            self._listen_task = None
        if self._loop_task is not None:
            await self._loop_task
            self._loop_task = None
        unsent = [delivery for queue in self._queues.values() for delivery, _ in queue]
        self._queues.clear()
        if unsent:
            try:
                assert self._sessionmaker is not None
                async with self._write_lock, self._sessionmaker() as session:
                    await repository.release(session, unsent)
                    await session.commit()
            except Exception:  # their leases run out and they are claimed again
                logger.exception(
                    "webhook dispatcher: giving back %d deliveries failed", len(unsent)
                )
        if self._sends:
            await asyncio.gather(*self._sends, return_exceptions=True)
        if self._writer_task is not None:
            await self._results.put(None)
            await self._writer_task
            self._writer_task = None
        await self.close()
        logger.info("webhook dispatcher stopped")

    # --- in the caller's task ----------------------------------------------------------------

    async def run_once(self) -> int:
        """Deliver everything due now, in rounds of claims; returns the attempts made."""
        await self.open()
        assert self._sender is not None
        made = 0
        while True:
            claimed, _ = await self._claim(self.concurrency, ahead=1)
            if not claimed:
                return made
            outcomes = await asyncio.gather(*(self._sender.send(c) for c in claimed))
            for delivery in claimed:
                self._sent(delivery)
            await self._record(list(outcomes))
            for delivery in claimed:
                self._release(delivery)
            made += len(outcomes)

    async def drain(self, timeout: float = 10.0) -> int:
        """Run passes until no delivery of an enabled endpoint is waiting, or `timeout` (s)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        made = 0
        while True:
            made += await self.run_once()
            assert self._probe_sessionmaker is not None
            async with self._probe_sessionmaker() as session:
                due_at = await repository.next_due_at(session)
            if due_at is None:
                return made
            wait = (due_at - utcnow()).total_seconds()
            if loop.time() + max(wait, 0) > deadline:
                return made
            await asyncio.sleep(min(max(wait, 0.005), self.poll_interval))

    # --- the background loop -------------------------------------------------------------------

    async def _run(self) -> None:
        while not self._stopping:
            wait = self.poll_interval
            self._wake.clear()  # before looking: a wake from now on is not lost
            try:
                room = 2 * self.concurrency - len(self._held)
                deadline = time.monotonic() + self.lease.total_seconds()
                claimed, more = await self._claim(room) if room > 0 else ([], False)
                for delivery in claimed:
                    self._queues.setdefault(delivery.endpoint_id, deque()).append(
                        (delivery, deadline)
                    )
                self._pump()
                if more and len(claimed) < room:
                    await asyncio.sleep(0)
                    continue
                if not self._held:
                    wait = await self._idle_wait()
                # else: recording a batch of results wakes us to claim again
                assert self._sender is not None
                await self._sender.close_idle()
            except Exception:
                logger.exception("webhook dispatcher: claiming failed; retrying in a second")
                wait = max(wait, 1.0)
            await self._sleep(wait)

    async def _idle_wait(self) -> float:
        """How long to sleep when nothing is held: until the next due time, at most a poll."""
        assert self._probe_sessionmaker is not None
        async with self._probe_sessionmaker() as session:
            due_at = await repository.next_due_at(session)
        if due_at is None:
            return self.poll_interval
        wait = (due_at - utcnow()).total_seconds()
        if wait > 0:
            return min(wait, self.poll_interval)
        return 0.01  # due, but another worker is claiming it this instant

    async def _sleep(self, seconds: float) -> None:
        if self._stopping:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)

    def _pump(self) -> None:
        """Start queued sends while the global and per-endpoint limits allow."""
        busy = sum(self._sending.values())
        for endpoint_id in list(self._queues):
            queue = self._queues[endpoint_id]
            while (
                queue
                and busy < self.concurrency
                and (self._sending[endpoint_id] < self.per_endpoint)
            ):
                delivery, deadline = queue.popleft()
                if time.monotonic() + self.timeout + LEASE_MARGIN > deadline:
                    # Too late to send within the lease: leave it to expire and be reclaimed.
                    self._sent(delivery)
                    self._release(delivery)
                    continue
                self._sending[endpoint_id] += 1
                busy += 1
                task = asyncio.create_task(self._send_one(delivery))
                self._sends.add(task)
                task.add_done_callback(self._sends.discard)
            if not queue:
                del self._queues[endpoint_id]

    async def _send_one(self, delivery: ClaimedDelivery) -> None:
        assert self._sender is not None
        try:
            outcome = await self._sender.send(delivery)
        except Exception:  # a bug, not a receiver failure: leave the lease to expire
            logger.exception("webhook delivery %s: sending failed unexpectedly", delivery.id)
            self._release(delivery)
            return
        finally:
            self._sending[delivery.endpoint_id] -= 1
            if self._sending[delivery.endpoint_id] <= 0:
                del self._sending[delivery.endpoint_id]
            self._sent(delivery)
            if not self._stopping:
                self._pump()
        await self._results.put(outcome)

    async def _write_results(self) -> None:
        done = False
        while not done:
            first = await self._results.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < RESULT_BATCH and not self._results.empty():
                item = self._results.get_nowait()
                if item is None:
                    done = True
                    break
                batch.append(item)
            try:
                await self._record(batch)
            except Exception:
                # The leases run out and the deliveries are sent again: at least once.
                logger.exception("webhook dispatcher: recording %d results failed", len(batch))
            finally:
                for outcome in batch:
                    self._release(outcome.delivery)
                self._wake.set()

    def _sent(self, delivery: ClaimedDelivery) -> None:
        """The send is over (or will not happen); its result may still wait to be written."""
        left = self._unsent[delivery.endpoint_id] = self._unsent[delivery.endpoint_id] - 1
        if left <= 0:
            del self._unsent[delivery.endpoint_id]
        if left == (AHEAD - 1) * self.per_endpoint:
            self._wake.set()  # room to claim a whole round of sends for this endpoint

    def _release(self, delivery: ClaimedDelivery) -> None:
        """The result is written (or given up on): the delivery is no longer ours."""
        self._held.pop(delivery.id, None)

    # --- database steps ----------------------------------------------------------------------

    async def _claim(self, room: int, ahead: int = AHEAD) -> tuple[list[ClaimedDelivery], bool]:
        """Lease up to `room` due deliveries, with at most `ahead × per_endpoint` of one
        endpoint not yet sent. Also says whether more may be due for endpoints below that cap."""
        assert self._sessionmaker is not None
        cap = ahead * self.per_endpoint
        full = [e for e, n in self._unsent.items() if n >= cap]
        async with self._write_lock, self._sessionmaker() as session:
            now = utcnow()
            # Some candidates may belong to endpoints near their cap: fetch a few more than
            # needed, but not a whole backlog of one busy endpoint.
            limit = min(2 * room, 2 * cap)
            candidates = await repository.due_candidates(
                session, now=now, limit=limit, skip_endpoints=full
            )
            chosen: list[repository.Candidate] = []
            taking: Counter[uuid.UUID] = Counter()
            for candidate in candidates:
                unsent = self._unsent[candidate.endpoint_id]
                if unsent + taking[candidate.endpoint_id] < cap:
                    chosen.append(candidate)
                    taking[candidate.endpoint_id] += 1
                    if len(chosen) >= room:
                        break
            more = len(candidates) == limit and len(chosen) == len(candidates)
            claimed = await repository.claim(
                session,
                chosen,
                now=now,
                lease_until=now + self.lease,
                token=uuid.uuid4().hex,
                open_secret=self._open_secret,
            )
            await session.commit()
        for delivery in claimed:
            self._held[delivery.id] = delivery
            self._unsent[delivery.endpoint_id] += 1
        return claimed, more

    def _open_secret(self, endpoint_id: uuid.UUID, stored: str) -> str | None:
        """The secret to sign with; None (the attempt fails, saying why) if it does not open."""
        try:
            return self.secrets.open(endpoint_id, stored)
        except UnsealError:
            logger.warning(
                "webhook endpoint %s: its signing secret cannot be decrypted with this "
                "server's secret key; rotate the secret",
                endpoint_id,
            )
            return None

    async def _record(self, outcomes: list[AttemptOutcome]) -> None:
        """Write attempts and the deliveries' next state; update the endpoints' failure state."""
        assert self._sessionmaker is not None
        async with self._write_lock, self._sessionmaker() as session:
            now = utcnow()
            holders = await repository.lease_holders(session, [o.delivery.id for o in outcomes])
            valid = [o for o in outcomes if holders.get(o.delivery.id) == o.delivery.token]
            await repository.finish_attempts(
                session,
                [next_delivery_state(o, now, self.schedule, self.rng) for o in valid],
                [attempt_row(o) for o in valid],
            )
            changes = endpoint_changes(valid)
            await repository.mark_endpoints_recovered(session, changes.recovered)
            await repository.mark_endpoints_failing(
                session, changes.failing, restart=changes.restart
            )
            disabled = await repository.disable_failing_endpoints(
                session,
                changes.still_failing,
                failing_before=now - DISABLE_AFTER,
                reason=DISABLED_REASON,
                now=now,
            )
            await session.commit()
        self.attempts_made += len(valid)
        for outcome in valid:
            kind = (
                "succeeded"
                if outcome.succeeded
                else "http_error"
                if outcome.status_code is not None
                else "network_error"
            )
            self.outcomes[kind] = self.outcomes.get(kind, 0) + 1
        for endpoint_id in disabled:
            logger.warning("webhook endpoint %s disabled after 7 days of failures", endpoint_id)
        if len(valid) < len(outcomes):
            logger.warning(
                "webhook dispatcher: %d results dropped, their leases were taken over",
                len(outcomes) - len(valid),
            )
