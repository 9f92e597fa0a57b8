"""Custom domains: host names a workspace serves its short links and bio pages on."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from xqr.db.base import Base, IdMixin, TimestampMixin


class Domain(IdMixin, TimestampMixin, Base):
    __tablename__ = "domains"
    __table_args__ = (Index("ix_domains_workspace_created", "workspace_id", "created_at"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    # Lower-case, IDNA (`xn--…`) form; unique across the whole server.
    hostname: Mapped[str] = mapped_column(String(253), unique=True)
    purpose: Mapped[str] = mapped_column(String(8))  # links | bio | both
    status: Mapped[str] = mapped_column(String(16))  # pending | verified | failed
    token: Mapped[str] = mapped_column(String(64))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    not_found_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    root_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    verified_at: Mapped[datetime | None] = mapped_column(default=None)
    checked_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    failure_reason: Mapped[str | None] = mapped_column(String(255), default=None)
