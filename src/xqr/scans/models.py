"""Scan storage: raw events, rollups by hour and by day per dimension, per-day visitors.

Every event is counted under its own target (a link, a bio page or a bio page's link) and
under the workspace as a whole (`target_id = workspace_id`), at two grains (`h`, `d`) and for
each dimension (`total`, `country`, `device`, `browser`, `os`, `source`, and `visitors` for
first sightings of a visitor on a UTC day), so analytics read a number of rows that grows with
buckets, not with scans.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from xqr.db.base import Base

KINDS = ("link", "bio_view", "bio_click")
DIMENSIONS = ("total", "country", "device", "browser", "os", "source", "visitors")


class ScanEvent(Base):
    __tablename__ = "scan_events"
    __table_args__ = (
        Index("ix_scan_events_workspace_time", "workspace_id", "occurred_at"),
        Index("ix_scan_events_target_time", "target_id", "occurred_at"),
    )

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
    __tablename__ = "scan_rollups"
    __table_args__ = (
        Index("ix_scan_rollups_workspace", "workspace_id", "kind", "grain", "dim", "bucket"),
    )

    target_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    grain: Mapped[str] = mapped_column(String(1), primary_key=True)
    dim: Mapped[str] = mapped_column(String(16), primary_key=True)
    bucket: Mapped[datetime] = mapped_column(primary_key=True)
    value: Mapped[str] = mapped_column(String(64), primary_key=True)
    workspace_id: Mapped[uuid.UUID] = mapped_column()
    scans: Mapped[int] = mapped_column(BigInteger, default=0)


class ScanVisitor(Base):
    """Visitors seen per target and UTC day (the hash's salt rotates daily anyway)."""

    __tablename__ = "scan_visitors"

    target_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    day: Mapped[datetime] = mapped_column(primary_key=True)
    visitor_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
