"""The in-memory scan buffer the redirect path appends to (pure, no I/O)."""

from __future__ import annotations

import asyncio
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(slots=True)
class RawScan:
    """What the request path knows; enrichment happens in the batch writer, off the hot path.

    Built once per redirect, so not frozen: a frozen dataclass sets each field through
    `object.__setattr__`, about five times the cost. Nothing changes a scan once built.
    """

    occurred_at: datetime
    workspace_id: uuid.UUID
    kind: str
    target_id: uuid.UUID
    parent_id: uuid.UUID | None
    ip: str
    user_agent: str
    referer: str | None
    country_header: str | None
    qr: bool
    expired: bool = False  # an expired link's scan, sent on to its `expired_url`
    # The routing rule that chose the destination: its number in the link's list (1 = first),
    # 0 when none matched; None for a link without rules.
    rule: int | None = None


class Journal(Protocol):
    """Where scans are kept on disk (`xqr.scans.journal.ScanJournal`)."""

    def append(self, scan: RawScan) -> bool: ...

    def read(self, seq: int, limit: int) -> list[RawScan]: ...


class ScanBuffer:
    """Collects scans; wakes the writer when a batch is full.

    With a journal, every scan is appended to it first (a scan the journal refuses is dropped
    and counted there). At most `max_items` scans are also held in memory; beyond that (a
    database outage, a writer far behind) new scans are in the journal only ("spilled") and
    `take` reads them back from it, so memory stays bounded however long the backlog.
    Without a journal (tests, benchmarks) scans beyond `max_items` are dropped and counted.

    Scans carry consecutive sequence numbers (the journal's): `head` is the number of the
    first scan not yet taken. A deque, so taking a batch costs the batch, not the backlog.
    """

    def __init__(
        self, batch_size: int, *, journal: Journal | None = None, max_items: int = 1_000_000
    ) -> None:
        self.batch_size = batch_size
        self.max_items = max_items
        self.journal = journal
        self._items: deque[RawScan] = deque()
        self.spilled = 0  # after the ones in memory: in the journal only
        self.dropped = 0  # without a journal: scans over `max_items`
        self.head = 1
        self.full = asyncio.Event()

    def add(self, scan: RawScan) -> None:
        journal = self.journal
        if journal is not None and not journal.append(scan):
            return
        items = self._items
        if self.spilled or len(items) >= self.max_items:
            if journal is None:
                self.dropped += 1
                return
            self.spilled += 1
        else:
            items.append(scan)
        if len(items) + self.spilled >= self.batch_size:
            self.full.set()

    def take(self) -> list[RawScan]:
        items = self._items
        if len(items) < self.batch_size and self.spilled and self.journal is not None:
            # Back from the journal, in order: what is in memory comes first.
            more = self.journal.read(self.head + len(items), self.batch_size - len(items))
            self.spilled -= len(more)
            items.extend(more)
        batch = [items.popleft() for _ in range(min(self.batch_size, len(items)))]
        self.head += len(batch)
        if len(self) < self.batch_size:
            self.full.clear()
        return batch

    def put_back(self, items: list[RawScan]) -> None:
        """Return a batch that could not be written, ahead of newer scans."""
        self._items.extendleft(reversed(items))
        self.head -= len(items)
        if len(self) >= self.batch_size:
            self.full.set()

    @property
    def in_memory(self) -> int:
        return len(self._items)

    def __len__(self) -> int:
        return len(self._items) + self.spilled
