"""scan_events: no time index; pruning walks the events in the order they were stored

Revision ID: 0008_scan_events_by_id
Revises: 0002_links
Create Date: 2026-11-27 06:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008_scan_events_by_id"
down_revision: str | Sequence[str] | None = "0002_links"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("scan_events", schema=None) as batch_op:
        batch_op.drop_index("ix_scan_events_occurred_at")


def downgrade() -> None:
    with op.batch_alter_table("scan_events", schema=None) as batch_op:
        batch_op.create_index("ix_scan_events_occurred_at", ["occurred_at"], unique=False)
