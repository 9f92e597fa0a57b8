"""Saved reports, their runs, and the files the runs produced."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from xqr.db.base import Base, IdMixin, TimestampMixin


class Report(IdMixin, TimestampMixin, Base):
    """A saved definition: what to count, over which period, in which format, and when."""

    __tablename__ = "reports"
    __table_args__ = (
        Index("ix_reports_workspace_created", "workspace_id", "created_at"),
        # The scheduler's lookup: reports whose next slot has come.
        Index("ix_reports_next_run_at", "next_run_at"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    # A named analytics period (7d, 30d, 90d, all) or `custom` with the local days below.
    period: Mapped[str] = mapped_column(String(8))
    period_start: Mapped[date | None] = mapped_column(Date, default=None)
    period_end: Mapped[date | None] = mapped_column(Date, default=None)
    granularity: Mapped[str] = mapped_column(String(8), default="day")
    link_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    labels: Mapped[list[str]] = mapped_column(JSON, default=list)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    format: Mapped[str] = mapped_column(String(8))
    # {"frequency": daily|weekly|monthly, "hour": 0–23, "weekday"?: 0–6, "day"?: 1–31}
    schedule: Mapped[dict[str, int | str] | None] = mapped_column(JSON, default=None)
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The next schedule slot not yet run (UTC); null without a schedule.
    next_run_at: Mapped[datetime | None] = mapped_column(default=None)


class ReportRun(IdMixin, TimestampMixin, Base):
    """One execution of a report. Scheduled runs carry their slot: (report, slot) is unique,
    so however many workers see a slot come, it is run once."""

    __tablename__ = "report_runs"
    __table_args__ = (
        UniqueConstraint("report_id", "slot", name="uq_report_runs_report_slot"),
        Index("ix_report_runs_report_created", "report_id", "created_at"),
        Index("ix_report_runs_claimable", "status", "lease_until"),
    )

    report_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    workspace_id: Mapped[uuid.UUID] = mapped_column(index=True)
    trigger: Mapped[str] = mapped_column(String(16))  # manual | schedule
    slot: Mapped[datetime | None] = mapped_column(default=None)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    lease_token: Mapped[str | None] = mapped_column(String(32), default=None)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    # The window the data covers (UTC), known once the run has started.
    data_start: Mapped[datetime | None] = mapped_column(default=None)
    data_end: Mapped[datetime | None] = mapped_column(default=None)
    row_count: Mapped[int | None] = mapped_column(Integer, default=None)
    error: Mapped[str | None] = mapped_column(String(1000), default=None)
    filename: Mapped[str | None] = mapped_column(String(255), default=None)
    content_type: Mapped[str | None] = mapped_column(String(100), default=None)
    size: Mapped[int | None] = mapped_column(Integer, default=None)
    # Email to the recipients: null (none to send), sent, failed, or not_configured.
    email_status: Mapped[str | None] = mapped_column(String(16), default=None)
    email_error: Mapped[str | None] = mapped_column(String(500), default=None)


class ReportFile(Base):
    """A completed run's file. Kept in the database, so every server and worker process can
    serve it wherever it runs; a table of its own, so listing runs never reads files."""

    __tablename__ = "report_files"

    run_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("report_runs.id", ondelete="CASCADE"), primary_key=True
    )
    content: Mapped[bytes] = mapped_column(LargeBinary)
