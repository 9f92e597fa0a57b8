"""The batch writer: enrich buffered scans and write them with their rollups in one transaction."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from xqr.db.engine import dialect_name
from xqr.links.service import record_scans
from xqr.scans.aggregate import (
    EnrichedScan,
    RollupKey,
    VisitorKey,
    rollup_increments,
    visitor_increments,
    visitor_keys,
)
from xqr.scans.buffer import ScanBuffer
from xqr.scans.enricher import Enricher
from xqr.scans.enrichment import warm_up
from xqr.scans.models import ScanEvent, ScanRollup, ScanVisitor

logger = logging.getLogger("xqr.scans")

MAX_BACKOFF_SECONDS = 5.0
# Rows per statement: well under SQLite's 32,766 bound parameters.
CHUNK = 500


def _insert(session: AsyncSession) -> Any:
    return postgresql.insert if dialect_name(session) == "postgresql" else sqlite.insert


def _chunks(rows: list[Any]) -> list[list[Any]]:
    return [rows[i : i + CHUNK] for i in range(0, len(rows), CHUNK)]


async def write_batch(session: AsyncSession, scans: list[EnrichedScan]) -> dict[str, int]:
    """Store the scans, their rollups, visitors, link counters and webhook events."""
    if not scans:
        return {"scans": 0}
    events = [
        {
            "workspace_id": s.workspace_id,
            "kind": s.kind,
            "target_id": s.target_id,
            "parent_id": s.parent_id,
            "occurred_at": s.occurred_at,
            "country": s.country,
            "device_type": s.device_type,
            "browser": s.browser,
            "os": s.os,
            "referrer_host": s.referrer_host,
            "source": s.source,
            "visitor_hash": s.visitor_hash,
        }
        for s in scans
    ]
    events_table: Table = ScanEvent.__table__  # type: ignore[assignment]
    for chunk in _chunks(events):
        await session.execute(insert(events_table), chunk)

    rollups, workspace_of = rollup_increments(scans)
    rollups.update(await _record_visitors(session, visitor_keys(scans)))
    await _upsert_rollups(session, rollups, workspace_of)
    await record_scans(session, [s for s in scans if s.kind == "link"])
    return {"scans": len(scans)}


async def _record_visitors(
    session: AsyncSession, keys: dict[VisitorKey, datetime]
) -> Counter[RollupKey]:
    """Insert visitor-days; the ones that were new count under the `visitors` dimension."""
    insert_ = _insert(session)
    new: dict[VisitorKey, Any] = {}
    rows = [{"target_id": t, "kind": k, "day": d, "visitor_hash": h} for (t, k, d, h) in keys]
    for chunk in _chunks(rows):
        statement = (
            insert_(ScanVisitor)
            .values(chunk)
            .on_conflict_do_nothing()
            .returning(
                ScanVisitor.target_id, ScanVisitor.kind, ScanVisitor.day, ScanVisitor.visitor_hash
            )
        )
        for target, kind, day, visitor in (await session.execute(statement)).all():
            key = (target, kind, day, visitor)
            new[key] = keys[key]
    return visitor_increments(new)


async def _upsert_rollups(
    session: AsyncSession, counts: Counter[RollupKey], workspace_of: dict[uuid.UUID, uuid.UUID]
) -> None:
    insert_ = _insert(session)
    table: Table = ScanRollup.__table__  # type: ignore[assignment]
    rows = [
        {
            "target_id": target,
            "kind": kind,
            "grain": grain,
            "dim": dim,
            "bucket": bucket,
            "value": value,
            "workspace_id": workspace_of[target],
            "scans": n,
        }
        for (target, kind, grain, dim, bucket, value), n in counts.items()
    ]
    for chunk in _chunks(rows):
        statement = insert_(ScanRollup).values(chunk)
        statement = statement.on_conflict_do_update(
            index_elements=[c for c in table.primary_key.columns],
            set_={"scans": table.c.scans + statement.excluded.scans},
        )
        await session.execute(statement)


class ScanWriter:
    """Background part: flushes the buffer every interval or when a batch is full."""

    def __init__(
        self,
        buffer: ScanBuffer,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        secret: bytes,
        interval: float,
    ) -> None:
        self.buffer = buffer
        self.sessionmaker = sessionmaker
        self.enricher = Enricher(secret)
        self.interval = interval
        self.written = 0
        self.skipped_bots = 0
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._idle = asyncio.Event()

    async def start(self) -> None:
        warm_up()
        self._task = asyncio.create_task(self._run(), name="xqr-scan-writer")

    async def stop(self) -> None:
        """Flush everything that is buffered, then end."""
        self._stopping.set()
        self.buffer.full.set()
        if self._task is not None:
            await self._task

    async def flush(self) -> None:
        """Write everything buffered now (tests and shutdown)."""
        while len(self.buffer):
            await self._write_one_batch()

    async def _run(self) -> None:
        backoff = 0.1
        while True:
            if not self._stopping.is_set() and len(self.buffer) < self.buffer.batch_size:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.buffer.full.wait(), self.interval)
            try:
                await self.flush()
                backoff = 0.1
            except Exception:
                logger.exception("writing %d buffered scans failed; retrying", len(self.buffer))
                if self._stopping.is_set() and backoff >= MAX_BACKOFF_SECONDS:
                    logger.error("giving up on %d scans at shutdown", len(self.buffer))
                    return
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
                continue
            if self._stopping.is_set():
                return

    async def _write_one_batch(self) -> None:
        raw = self.buffer.take()
        if not raw:
            return
        enriched = [e for e in map(self.enricher.enrich, raw) if e is not None]
        try:
            async with self.sessionmaker() as session:
                await write_batch(session, enriched)
                await session.commit()
        except BaseException:
            self.buffer.put_back(raw)
            raise
        self.written += len(enriched)
        self.skipped_bots += len(raw) - len(enriched)
