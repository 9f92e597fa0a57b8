"""scans: rollups per label, rebuilt when a label's set of links changes

Analytics of a label read its rollup rows (`scan_dimensions` rows of kind `label`) instead of
each of its links' rows. `label_changes` lists the labels whose rows need rebuilding; every
label in use starts there, so the scan writer builds their rows from the links' rollups.

Revision ID: 0021_label_rollups
Revises: 0020_links_list_paging
Create Date: 2026-12-05 21:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021_label_rollups"
down_revision: str | Sequence[str] | None = "0020_links_list_paging"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "label_changes",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("label", sa.String(length=50), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "label", name=op.f("pk_label_changes")),
    )
    op.execute(
        "INSERT INTO label_changes (workspace_id, label, version) "
        "SELECT DISTINCT workspace_id, label, 1 FROM link_labels"
    )


def downgrade() -> None:
    op.execute("DELETE FROM scan_dimensions WHERE kind = 'label'")
    op.drop_table("label_changes")
