"""auth changes log: keeps every process's verified-key cache current

Revision ID: 0007_auth_changes
Revises: 0001_foundation
Create Date: 2026-11-26 14:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import xqr.db.base

revision: str = "0007_auth_changes"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("auth",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "auth_changes",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("changed_at", xqr.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_changes")),
    )
    with op.batch_alter_table("auth_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_auth_changes_changed_at"), ["changed_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("auth_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_changes_changed_at"))
    op.drop_table("auth_changes")
