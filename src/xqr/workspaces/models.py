"""Workspaces, their members, and the per-cycle API call counter."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from xqr.db.base import Base, IdMixin, TimestampMixin

ROLES = ("owner", "admin", "member", "viewer")


class Workspace(IdMixin, TimestampMixin, Base):
    __tablename__ = "workspaces"

    name: Mapped[str] = mapped_column(String(200))
    plan: Mapped[str] = mapped_column(String(32))
    # IANA zone the dashboard shows dates in.
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")


class Member(IdMixin, TimestampMixin, Base):
    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("workspace_id", "email"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(16))


class ApiUsage(Base):
    """API calls counted in one billing cycle; incremented atomically per request."""

    __tablename__ = "api_usage"

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    cycle_start: Mapped[datetime] = mapped_column(primary_key=True)
    calls: Mapped[int] = mapped_column(Integer, default=0)
