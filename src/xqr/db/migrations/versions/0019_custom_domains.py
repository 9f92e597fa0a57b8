"""custom domains: the domains table; links get a domain, and codes are unique per domain

Existing links stay on the server's base (domain_id NULL, domain_key '').

Revision ID: 0019_custom_domains
Revises: 0014_link_controls
Create Date: 2026-12-05 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import xqr.db.base

revision: str = "0019_custom_domains"
down_revision: str | Sequence[str] | None = "0014_link_controls"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "domains",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("hostname", sa.String(length=253), nullable=False),
        sa.Column("purpose", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("not_found_url", sa.String(length=2048), nullable=True),
        sa.Column("root_url", sa.String(length=2048), nullable=True),
        sa.Column("verified_at", xqr.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("checked_at", xqr.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("failure_reason", sa.String(length=255), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", xqr.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", xqr.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_domains_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_domains")),
        sa.UniqueConstraint("hostname", name=op.f("uq_domains_hostname")),
    )
    with op.batch_alter_table("domains", schema=None) as batch_op:
        batch_op.create_index("ix_domains_workspace_created", ["workspace_id", "created_at"])
        batch_op.create_index(batch_op.f("ix_domains_checked_at"), ["checked_at"])

    with op.batch_alter_table("links", schema=None) as batch_op:
        batch_op.add_column(sa.Column("domain_id", sa.Uuid(), nullable=True))
        batch_op.add_column(
            sa.Column("domain_key", sa.String(length=253), nullable=False, server_default="")
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_links_domain_id_domains"),
            "domains",
            ["domain_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch_op.create_index(batch_op.f("ix_links_domain_id"), ["domain_id"])
        batch_op.drop_constraint("uq_links_code", type_="unique")
        batch_op.drop_constraint("uq_links_code_lower", type_="unique")
        batch_op.create_index("uq_links_domain_code", ["domain_key", "code"], unique=True)
        batch_op.create_index(
            "uq_links_domain_code_lower", ["domain_key", "code_lower"], unique=True
        )

    with op.batch_alter_table("link_changes", schema=None) as batch_op:
        batch_op.alter_column(
            "code", existing_type=sa.String(length=64), type_=sa.String(length=320)
        )


def downgrade() -> None:
    with op.batch_alter_table("link_changes", schema=None) as batch_op:
        batch_op.alter_column(
            "code", existing_type=sa.String(length=320), type_=sa.String(length=64)
        )
    op.execute("DELETE FROM links WHERE domain_key <> ''")
    with op.batch_alter_table("links", schema=None) as batch_op:
        batch_op.drop_index("uq_links_domain_code_lower")
        batch_op.drop_index("uq_links_domain_code")
        batch_op.create_unique_constraint("uq_links_code", ["code"])
        batch_op.create_unique_constraint("uq_links_code_lower", ["code_lower"])
        batch_op.drop_index(batch_op.f("ix_links_domain_id"))
        batch_op.drop_constraint(batch_op.f("fk_links_domain_id_domains"), type_="foreignkey")
        batch_op.drop_column("domain_key")
        batch_op.drop_column("domain_id")
    with op.batch_alter_table("domains", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_domains_checked_at"))
        batch_op.drop_index("ix_domains_workspace_created")
    op.drop_table("domains")
