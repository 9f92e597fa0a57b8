"""The in-memory scan buffer the redirect path appends to (pure, no I/O)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class RawScan:
    """What the request path knows; enrichment happens in the batch writer, off the hot path."""

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
    """Collects scans; wakes the writer when a batch is full."""

    def __init__(self, batch_size: int) -> None:
        self.batch_size = batch_size
        self._items: list[RawScan] = []
        self.full = asyncio.Event()
        self.accepted = 0

    def add(self, scan: RawScan) -> None:
        self._items.append(scan)
        self.accepted += 1
        if len(self._items) >= self.batch_size:
            self.full.set()

    def take(self) -> list[RawScan]:
        items, self._items = self._items[: self.batch_size], self._items[self.batch_size :]
        if len(self._items) < self.batch_size:
            self.full.clear()
        return items

    def put_back(self, items: list[RawScan]) -> None:
        """Return a batch that could not be written, ahead of newer scans."""
        self._items[:0] = items

    def __len__(self) -> int:
        return len(self._items)
