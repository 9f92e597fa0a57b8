"""Waking the report workers of this process when a run is queued, instead of at their next
poll. Workers in other processes find it at their next poll (`XQR_REPORT_POLL_INTERVAL_MS`)."""

from __future__ import annotations

import weakref
from typing import Any, Protocol


class Wakeable(Protocol):
    def wake(self) -> None: ...


_workers: weakref.WeakSet[Any] = weakref.WeakSet()


def register(worker: Wakeable) -> None:
    _workers.add(worker)


def unregister(worker: Wakeable) -> None:
    _workers.discard(worker)


def wake_workers() -> None:
    for worker in list(_workers):
        worker.wake()
