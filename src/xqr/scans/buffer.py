"""The in-memory scan buffer the redirect path appends to (pure, no I/O)."""

from __future__ import annotations

import asyncio
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import datetime


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


class ScanBuffer:
    """Collects scans; wakes the writer when a batch is full.

    A deque, so taking a batch costs the batch, not the backlog behind it.
    """

    def __init__(self, batch_size: int) -> None:
        self.batch_size = batch_size
        self._items: deque[RawScan] = deque()
        self.full = asyncio.Event()

    def add(self, scan: RawScan) -> None:
        self._items.append(scan)
        if len(self._items) >= self.batch_size:
            self.full.set()

    def take(self) -> list[RawScan]:
        items = self._items
        batch = [items.popleft() for _ in range(min(self.batch_size, len(items)))]
        if len(items) < self.batch_size:
            self.full.clear()
        return batch

    def put_back(self, items: list[RawScan]) -> None:
        """Return a batch that could not be written, ahead of newer scans."""
        self._items.extendleft(reversed(items))
        if len(self._items) >= self.batch_size:
            self.full.set()

    def __len__(self) -> int:
        return len(self._items)
