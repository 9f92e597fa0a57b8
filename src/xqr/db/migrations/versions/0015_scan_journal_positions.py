"""scan_journal_positions: how far each scan journal is stored

Revision ID: 0015_scan_journal_positions
Revises: 0002_links
Create Date: 2026-12-05 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import xqr.db.base

revision: str = "0015_scan_journal_positions"
down_revision: str | Sequence[str] | None = "0002_links"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scan_journal_positions",
        sa.Column("journal_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", xqr.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("journal_id", name=op.f("pk_scan_journal_positions")),
    )


def downgrade() -> None:
    op.drop_table("scan_journal_positions")
