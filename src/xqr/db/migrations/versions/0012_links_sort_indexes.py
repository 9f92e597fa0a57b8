"""links: indexes for listing a workspace's links by scans and by last scan

Revision ID: 0012_links_sort_indexes
Revises: 0008_scan_events_by_id
Create Date: 2026-12-05 08:00:02.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012_links_sort_indexes"
down_revision: str | Sequence[str] | None = "0008_scan_events_by_id"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("links", schema=None) as batch_op:
        batch_op.create_index("ix_links_workspace_scans", ["workspace_id", "scan_count"])
        batch_op.create_index("ix_links_workspace_last_scan", ["workspace_id", "last_scan_at"])


def downgrade() -> None:
    with op.batch_alter_table("links", schema=None) as batch_op:
        batch_op.drop_index("ix_links_workspace_last_scan")
        batch_op.drop_index("ix_links_workspace_scans")
