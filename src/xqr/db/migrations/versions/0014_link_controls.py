"""links: password, expiry fallback, UTM, social preview and destination health;
scan_events: whether a scan was of an expired link

Revision ID: 0014_link_controls
Revises: 0012_links_sort_indexes
Create Date: 2026-12-05 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import xqr.db.base

revision: str = "0014_link_controls"
down_revision: str | Sequence[str] | None = "0012_links_sort_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("links", schema=None) as batch_op:
        batch_op.add_column(sa.Column("password_hash", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("expired_url", sa.String(length=2048), nullable=True))
        batch_op.add_column(sa.Column("utm", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("preview", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "health_status", sa.String(length=16), nullable=False, server_default="unknown"
            )
        )
        batch_op.add_column(sa.Column("health_code", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("health_reason", sa.String(length=255), nullable=True))
        batch_op.add_column(
            sa.Column("health_checked_at", xqr.db.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index("ix_links_workspace_health", ["workspace_id", "health_status"])
        batch_op.create_index("ix_links_health_checked", ["health_checked_at"])
    with op.batch_alter_table("scan_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("expired", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("scan_events", schema=None) as batch_op:
        batch_op.drop_column("expired")
    with op.batch_alter_table("links", schema=None) as batch_op:
        batch_op.drop_index("ix_links_health_checked")
        batch_op.drop_index("ix_links_workspace_health")
        for column in (
            "health_checked_at",
            "health_reason",
            "health_code",
            "health_status",
            "preview",
            "utm",
            "expired_url",
            "password_hash",
        ):
            batch_op.drop_column(column)
