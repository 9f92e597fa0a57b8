"""links: the list's sort indexes end with the link id, so a page is found in the index alone

The links list pages by position: with `id` in the index, the rows before a deep page are
skipped without reading the table (see `xqr.links.repository.list_page`).

Revision ID: 0020_links_list_paging
Revises: 0019_custom_domains
Create Date: 2026-12-05 17:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020_links_list_paging"
down_revision: str | Sequence[str] | None = "0019_custom_domains"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SORTS = {
    "ix_links_workspace_created": "created_at",
    "ix_links_workspace_scans": "scan_count",
    "ix_links_workspace_last_scan": "last_scan_at",
}


def upgrade() -> None:
    with op.batch_alter_table("links", schema=None) as batch_op:
        for name, column in SORTS.items():
            batch_op.drop_index(name)
            batch_op.create_index(name, ["workspace_id", column, "id"])
    with op.batch_alter_table("link_labels", schema=None) as batch_op:
        batch_op.drop_index("ix_link_labels_workspace_label")
        batch_op.create_index(
            "ix_link_labels_workspace_label", ["workspace_id", "label", "link_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("link_labels", schema=None) as batch_op:
        batch_op.drop_index("ix_link_labels_workspace_label")
        batch_op.create_index("ix_link_labels_workspace_label", ["workspace_id", "label"])
    with op.batch_alter_table("links", schema=None) as batch_op:
        for name, column in SORTS.items():
            batch_op.drop_index(name)
            batch_op.create_index(name, ["workspace_id", column])
