"""QR templates: a named, reusable design of a workspace."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from xqr.db.base import Base, IdMixin, TimestampMixin


class QrTemplate(IdMixin, TimestampMixin, Base):
    __tablename__ = "qr_templates"
    __table_args__ = (Index("ix_qr_templates_workspace_created", "workspace_id", "created_at"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(String(500), default=None)
    # Every design field, normalised and with defaults filled (see `service.design_view`).
    design: Mapped[dict[str, Any]] = mapped_column(JSON)
