"""Short links, their labels, bulk batches, and the change log other processes poll."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from xqr.core.clock import utcnow
from xqr.db.base import Base, IdMixin, TimestampMixin


class Link(IdMixin, TimestampMixin, Base):
    __tablename__ = "links"
    __table_args__ = (
        # The links list sorts by these; ending with `id` (the tie-break), they find a page
        # without reading the table (`repository.list_page`).
        Index("ix_links_workspace_created", "workspace_id", "created_at", "id"),
        Index("ix_links_workspace_scans", "workspace_id", "scan_count", "id"),
        Index("ix_links_workspace_last_scan", "workspace_id", "last_scan_at", "id"),
        # The links list's "broken" filter, and the health checker's next links to check.
        Index("ix_links_workspace_health", "workspace_id", "health_status"),
        Index("ix_links_health_checked", "health_checked_at"),
        # Codes are unique per domain ('' is the server's own short-link base).
        Index("uq_links_domain_code", "domain_key", "code", unique=True),
        Index("uq_links_domain_code_lower", "domain_key", "code_lower", unique=True),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(64))
    # Unique too: a code differing only in case from another would be a lookalike.
    code_lower: Mapped[str] = mapped_column(String(64))
    # The custom domain the link is served on; NULL (and `domain_key` '') for the server's
    # base. `domain_key` is the domain's host name, copied so that uniqueness works with a
    # NULL-free column on every database and the redirect lookup needs no join.
    domain_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("domains.id", ondelete="RESTRICT"), default=None, index=True
    )
    domain_key: Mapped[str] = mapped_column(String(253), default="", server_default="")
    custom: Mapped[bool] = mapped_column(Boolean, default=False)
    destination: Mapped[str] = mapped_column(String(2048))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    labels: Mapped[list[str]] = mapped_column(JSON, default=list)
    routing_rules: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    scan_count: Mapped[int] = mapped_column(BigInteger, default=0)
    last_scan_at: Mapped[datetime | None] = mapped_column(default=None)
    # Link controls (see docs/links.md). The password is stored only as an argon2id hash.
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    expired_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    utm: Mapped[dict[str, str] | None] = mapped_column(JSON, default=None)
    preview: Mapped[dict[str, str] | None] = mapped_column(JSON, default=None)
    # Destination health, written by the health checker: unknown | ok | broken.
    health_status: Mapped[str] = mapped_column(
        String(16), default="unknown", server_default="unknown"
    )
    health_code: Mapped[int | None] = mapped_column(Integer, default=None)
    health_reason: Mapped[str | None] = mapped_column(String(255), default=None)
    health_checked_at: Mapped[datetime | None] = mapped_column(default=None)


class LinkLabel(Base):
    """One row per (link, label), so the `label` filter is an indexed lookup."""

    __tablename__ = "link_labels"
    __table_args__ = (Index("ix_link_labels_workspace_label", "workspace_id", "label", "link_id"),)

    link_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("links.id", ondelete="CASCADE"), primary_key=True
    )
    label: Mapped[str] = mapped_column(String(50), primary_key=True)
    workspace_id: Mapped[uuid.UUID] = mapped_column()


class LabelChange(Base):
    """A label whose set of links changed (a link lost or gained it, or was deleted) since its
    scan rollups were last rebuilt: until the scan writer rebuilds them (and removes this row),
    analytics count the label's links one by one. `version` grows with every change, so a
    rebuild removes only the change it saw."""

    __tablename__ = "label_changes"

    workspace_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(50), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)


class LinkBatch(IdMixin, TimestampMixin, Base):
    __tablename__ = "link_batches"

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16))
    total: Mapped[int] = mapped_column(Integer)
    succeeded: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    results: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class LinkChange(Base):
    """Append-only log of changed codes; every process polls it to invalidate its cache."""

    __tablename__ = "link_changes"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    # A base link's code, `host/code` for a link on a custom domain, `@host` for a domain.
    code: Mapped[str] = mapped_column(String(320))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
