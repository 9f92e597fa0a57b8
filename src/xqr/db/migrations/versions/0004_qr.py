"""qr: QR code templates

Revision ID: 0004_qr
Revises: 0001_foundation
Create Date: 2026-11-28 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import xqr.db.base

revision: str = "0004_qr"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("qr",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "qr_templates",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("design", sa.JSON(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", xqr.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", xqr.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_qr_templates_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qr_templates")),
    )
    with op.batch_alter_table("qr_templates", schema=None) as batch_op:
        batch_op.create_index(
            "ix_qr_templates_workspace_created", ["workspace_id", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("qr_templates", schema=None) as batch_op:
        batch_op.drop_index("ix_qr_templates_workspace_created")
    op.drop_table("qr_templates")
