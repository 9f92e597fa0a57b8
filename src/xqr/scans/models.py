"""Scan storage: raw events, rollups, and the per-day visitor table.

Every counted scan is one row in `scan_events` (kept for `XQR_SCAN_RETENTION_DAYS`) and is
added, in the same transaction, to:

- `scan_rollups`: scans per target and UTC hour by country, device type, browser, OS and
  source together.
- `scan_breakdowns`: scans per target, UTC day and value of each of those dimensions, so a
  busy link's breakdowns over months read a few rows a day; the hourly rollups serve the
  hours at a period's edges.
- `scan_totals`: scans and new visitors per target and bucket: hour (`grain = "h"`), UTC day
  (`"d"`) and ISO week (`"w"`, from Monday). Top links and timeseries read these; the key
  starts with the workspace, so a workspace's period is a few index ranges.
- `scan_dimensions`: scans per workspace, kind and bucket for each value of one dimension
  (`total`, `visitors`, `country`, `device`, `browser`, `os`, `source`), so workspace-wide
  breakdowns read a few rows per day, not one per scan.
- `scan_visitors`: each visitor seen per UTC day, once per target and once for the workspace.
  The visitor id is the first 64 bits of the daily-salted visitor hash; the salt rotates at
  UTC midnight, so a visitor can only be recognised within a day. A row that is new when its
  batch is written adds one to the `visitors` of its target (in `scan_totals`) or of the
  workspace (the `visitors` dimension), in the hour and day of that first scan.

Keys lead with the time or the workspace where queries allow it, so a batch of scans touches
few pages (SQLite writes whole pages per transaction).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from xqr.db.base import Base

# SQLite: a table clustered by its primary key (no hidden rowid and second index).
CLUSTERED = {"sqlite_with_rowid": False}


class ScanEvent(Base):
    """A counted scan, kept for the retention. Only pruning looks events up, and it walks them
    in the order they were stored (`id`), so they have no time index: it cost a quarter of
    each insert (see `xqr.scans.repository.prune_events`)."""

    __tablename__ = "scan_events"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    workspace_id: Mapped[uuid.UUID] = mapped_column()
    kind: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[uuid.UUID] = mapped_column()
    parent_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    occurred_at: Mapped[datetime] = mapped_column()
    country: Mapped[str] = mapped_column(String(2))
    device_type: Mapped[str] = mapped_column(String(16))
    browser: Mapped[str] = mapped_column(String(64))
    os: Mapped[str] = mapped_column(String(64))
    referrer_host: Mapped[str | None] = mapped_column(String(255), default=None)
    source: Mapped[str] = mapped_column(String(8))
    visitor_hash: Mapped[str] = mapped_column(String(64))


class ScanRollup(Base):
    """Scans of one target per UTC hour and combination of visitor facts."""

    __tablename__ = "scan_rollups"
    __table_args__ = CLUSTERED

    target_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    hour: Mapped[datetime] = mapped_column(primary_key=True)
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    device_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    browser: Mapped[str] = mapped_column(String(64), primary_key=True)
    os: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(8), primary_key=True)
    workspace_id: Mapped[uuid.UUID] = mapped_column()
    kind: Mapped[str] = mapped_column(String(16))
    scans: Mapped[int] = mapped_column(BigInteger)


class ScanBreakdown(Base):
    """Scans of one target per UTC day and value of one dimension (country, device, …)."""

    __tablename__ = "scan_breakdowns"
    __table_args__ = CLUSTERED

    target_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    dim: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(String(64), primary_key=True)
    scans: Mapped[int] = mapped_column(BigInteger)


class ScanTotal(Base):
    """Scans and first-of-the-day visitors of one target per hour or UTC day."""

    __tablename__ = "scan_totals"
    __table_args__ = (
        Index("ix_scan_totals_target", "target_id", "grain", "bucket"),
        CLUSTERED,
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    grain: Mapped[str] = mapped_column(String(1), primary_key=True)
    bucket: Mapped[datetime] = mapped_column(primary_key=True)
    target_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    parent_id: Mapped[uuid.UUID | None] = mapped_column()
    scans: Mapped[int] = mapped_column(BigInteger)
    visitors: Mapped[int] = mapped_column(BigInteger)


class ScanDimension(Base):
    """Scans of a workspace's targets of one kind per bucket and value of one dimension."""

    __tablename__ = "scan_dimensions"
    __table_args__ = CLUSTERED

    workspace_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    dim: Mapped[str] = mapped_column(String(16), primary_key=True)
    grain: Mapped[str] = mapped_column(String(1), primary_key=True)
    bucket: Mapped[datetime] = mapped_column(primary_key=True)
    value: Mapped[str] = mapped_column(String(64), primary_key=True)
    scans: Mapped[int] = mapped_column(BigInteger)


class ScanVisitor(Base):
    """A visitor seen on a UTC day, per target and per workspace (`scope_id`) and kind."""

    __tablename__ = "scan_visitors"
    __table_args__ = CLUSTERED

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    visitor: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    scope_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
