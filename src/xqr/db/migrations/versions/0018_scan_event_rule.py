"""scan_events.rule: the routing rule that chose a scan's destination

Revision ID: 0018_scan_event_rule
Revises: 0008_scan_events_by_id
Create Date: 2026-12-05 10:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_scan_event_rule"
down_revision: str | Sequence[str] | None = "0008_scan_events_by_id"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable, no default: adding it rewrites no row, on either database.
    op.add_column("scan_events", sa.Column("rule", sa.SmallInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("scan_events", schema=None) as batch_op:
        batch_op.drop_column("rule")
