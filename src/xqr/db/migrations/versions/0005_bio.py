"""bio: link-in-bio pages and their change log

Revision ID: 0005_bio
Revises: 0001_foundation
Create Date: 2026-11-28 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import xqr.db.base

revision: str = "0005_bio"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("bio",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bio_pages",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("slug_lower", sa.String(length=64), nullable=False),
        sa.Column("bio", sa.String(length=500), nullable=True),
        sa.Column("avatar_url", sa.String(length=2048), nullable=True),
        sa.Column("theme", sa.String(length=32), nullable=False),
        sa.Column("links", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("published_at", xqr.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", xqr.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", xqr.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_bio_pages_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bio_pages")),
        sa.UniqueConstraint("slug_lower", name=op.f("uq_bio_pages_slug_lower")),
    )
    with op.batch_alter_table("bio_pages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_bio_pages_workspace_created", ["workspace_id", "created_at"], unique=False
        )

    op.create_table(
        "bio_changes",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("slug_lower", sa.String(length=64), nullable=False),
        sa.Column("changed_at", xqr.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bio_changes")),
    )
    with op.batch_alter_table("bio_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bio_changes_changed_at"), ["changed_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("bio_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bio_changes_changed_at"))
    op.drop_table("bio_changes")
    with op.batch_alter_table("bio_pages", schema=None) as batch_op:
        batch_op.drop_index("ix_bio_pages_workspace_created")
    op.drop_table("bio_pages")
