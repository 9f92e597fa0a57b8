"""Cache changes published through Redis, so every process drops a changed entry at once.

A change is published after its transaction commits (`on_commit` runs the caches'
`invalidate_everywhere`, which hands it to `Publisher.offer`), on one channel, as JSON
`{"origin", "kind", "keys"}`. Every process subscribes and drops the keys from its caches of
that kind. Publish/subscribe delivers at most once, to whoever is connected, so the database
change logs stay the source of truth: their pollers keep running, slowly while the
subscription holds (`XQR_REDIS_CACHE_POLL_INTERVAL_MS`), fast while it does not
(`XQR_CACHE_POLL_INTERVAL_MS`), and each (re)subscription polls at once to catch up on
whatever was published while this process was not listening.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections import deque
from collections.abc import Iterable

from xqr.cluster.link import RedisLink
from xqr.core.cache import add_broadcast, invalidate_here, remove_broadcast
from xqr.db.changelog import ChangeLogPoller

logger = logging.getLogger("xqr.redis")

CHANNEL = "xqr:invalidate"
# Changes waiting to be published while Redis is away; older ones are dropped (the other
# processes poll the change logs fast meanwhile, so they miss nothing).
MAX_PENDING = 10_000
RECONNECT_SECONDS = 0.5
# How long a stopping process waits to publish what its last transactions changed.
FLUSH_SECONDS = 2.0


class Publisher:
    """Publishes committed cache changes; registered with `xqr.core.cache` while running."""

    def __init__(self, link: RedisLink, origin: str) -> None:
        self.link = link
        self.origin = origin
        self._pending: deque[bytes] = deque(maxlen=MAX_PENDING)
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None

    def offer(self, kind: str, keys: list[str]) -> None:
        """Queue a change (called after commit, possibly from another thread)."""
        message = json.dumps({"origin": self.origin, "kind": kind, "keys": keys}).encode()
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        loop.call_soon_threadsafe(self._add, message)

    def _add(self, message: bytes) -> None:
        self._pending.append(message)
        self._wake.set()

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        add_broadcast(self.offer)
        self._task = asyncio.create_task(self._run(), name="xqr-redis-publisher")

    async def stop(self) -> None:
        remove_broadcast(self.offer)
        if self._pending:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(FLUSH_SECONDS):
                    while self._pending:
                        await asyncio.sleep(0.01)
        if self._pending:
            logger.warning(
                "redis: %d cache changes not published; other processes apply them at their "
                "next change-log poll",
                len(self._pending),
            )
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                try:
                    await self.link.client.publish(CHANNEL, self._pending[0])
                except Exception as exc:
                    self.link.failed(exc)
                    await asyncio.sleep(RECONNECT_SECONDS)
                    continue
                self._pending.popleft()


class Subscriber:
    """Applies changes other processes publish, and keeps the link's up/down state: its
    connection is the one that notices first when Redis goes away or comes back."""

    def __init__(
        self, link: RedisLink, origin: str, pollers: Iterable[ChangeLogPoller], relaxed: float
    ) -> None:
        self.link = link
        self.origin = origin
        self.pollers = list(pollers)
        self.relaxed = relaxed
        self.fast = {id(poller): poller.interval for poller in self.pollers}
        self.applied = 0  # messages from other processes applied
        self._task: asyncio.Task[None] | None = None
        link.on_up.append(self._listening)
        link.on_down.append(self._not_listening)

    def _listening(self) -> None:
        for poller in self.pollers:
            poller.pace(max(self.relaxed, poller.interval))
            poller.poll_soon()  # what was published while nobody listened

    def _not_listening(self) -> None:
        for poller in self.pollers:
            poller.pace(self.fast[id(poller)])
            poller.poll_soon()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="xqr-redis-subscriber")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def apply(self, data: bytes) -> None:
        try:
            message = json.loads(data)
            kind, keys = message["kind"], message["keys"]
            origin = message.get("origin")
        except (ValueError, KeyError, TypeError):
            logger.warning("redis: ignored a malformed message on %s", CHANNEL)
            return
        if origin == self.origin or not isinstance(keys, list):
            return  # this process dropped its own entries when it committed
        if invalidate_here(str(kind), [str(key) for key in keys]):
            self.applied += 1

    async def _run(self) -> None:
        while True:
            pubsub = self.link.client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(CHANNEL)
                self.link.recovered()
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is not None and message.get("type") == "message":
                        self.apply(message["data"])
                    elif message is None and not self.link.up:
                        # Another user of the link saw a failure this connection did not.
                        await self.link.client.ping()
                        self.link.recovered()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.link.failed(exc)
                await asyncio.sleep(RECONNECT_SECONDS)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()


def new_origin() -> str:
    return uuid.uuid4().hex
