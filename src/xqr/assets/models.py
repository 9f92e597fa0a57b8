"""Assets: one uploaded file, its private object and (once published) its public copy."""

from __future__ import annotations

import uuid

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from xqr.db.base import Base, IdMixin, TimestampMixin

STATUSES = ("pending", "uploaded", "published")


class Asset(IdMixin, TimestampMixin, Base):
    __tablename__ = "assets"
    __table_args__ = (
        Index("ix_assets_workspace_id_status", "workspace_id", "status"),
        Index("ix_assets_status_created_at", "status", "created_at"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    size: Mapped[int | None] = mapped_column(BigInteger, default=None)
    # The store's entity tag at confirmation; publishing copies only that exact object.
    etag: Mapped[str | None] = mapped_column(String(128), default=None)
    object_key: Mapped[str] = mapped_column(String(512))
    public_key: Mapped[str | None] = mapped_column(String(512), default=None)
