"""Bio pages (their links live in a JSON column) and the change log other processes poll."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from xqr.core.clock import utcnow
from xqr.db.base import Base, IdMixin, TimestampMixin


class BioPage(IdMixin, TimestampMixin, Base):
    __tablename__ = "bio_pages"
    __table_args__ = (Index("ix_bio_pages_workspace_created", "workspace_id", "created_at"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(100))
    slug: Mapped[str] = mapped_column(String(64))
    # Slugs are unique ignoring case, so two pages never differ only in case.
    slug_lower: Mapped[str] = mapped_column(String(64), unique=True)
    bio: Mapped[str | None] = mapped_column(String(500), default=None)
    avatar_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    theme: Mapped[str] = mapped_column(String(32))
    # Custom colours laid over the theme ({background, text, button_background, button_text}).
    colors: Mapped[dict[str, str] | None] = mapped_column(JSON, default=None)
    # [{id, title, url, icon}] in display order; ids are UUIDs so clicks can be scan targets.
    links: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    published_at: Mapped[datetime | None] = mapped_column(default=None)


class BioChange(Base):
    """Append-only log of changed slugs; every process polls it to drop its rendered pages."""

    __tablename__ = "bio_changes"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    slug_lower: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
