"""bio_pages.colors: custom colours laid over a page's theme

Revision ID: 0016_bio_page_colors
Revises: 0005_bio
Create Date: 2026-12-05 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_bio_page_colors"
down_revision: str | Sequence[str] | None = "0005_bio"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("bio_pages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("colors", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("bio_pages", schema=None) as batch_op:
        batch_op.drop_column("colors")
