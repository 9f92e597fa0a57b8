"""reports: saved reports, their runs (leased to workers; one per schedule slot), run files

Revision ID: 0013_reports
Revises: 0001_foundation
Create Date: 2026-12-05 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import xqr.db.base

revision: str = "0013_reports"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("reports",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reports",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("granularity", sa.String(length=8), nullable=False),
        sa.Column("link_ids", sa.JSON(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("schedule", sa.JSON(), nullable=True),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("next_run_at", xqr.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", xqr.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", xqr.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_reports_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
    )
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.create_index("ix_reports_next_run_at", ["next_run_at"], unique=False)
        batch_op.create_index(
            "ix_reports_workspace_created", ["workspace_id", "created_at"], unique=False
        )

    op.create_table(
        "report_runs",
        sa.Column("report_id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("slot", xqr.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_until", xqr.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lease_token", sa.String(length=32), nullable=True),
        sa.Column("started_at", xqr.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", xqr.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("data_start", xqr.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("data_end", xqr.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("row_count", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=1000), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=True),
        sa.Column("content_type", sa.String(length=100), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("email_status", sa.String(length=16), nullable=True),
        sa.Column("email_error", sa.String(length=500), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", xqr.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", xqr.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_report_runs_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_runs")),
        sa.UniqueConstraint("report_id", "slot", name="uq_report_runs_report_slot"),
    )
    with op.batch_alter_table("report_runs", schema=None) as batch_op:
        batch_op.create_index("ix_report_runs_claimable", ["status", "lease_until"], unique=False)
        batch_op.create_index(
            "ix_report_runs_report_created", ["report_id", "created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_report_runs_workspace_id"), ["workspace_id"], unique=False
        )

    op.create_table(
        "report_files",
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["report_runs.id"],
            name=op.f("fk_report_files_run_id_report_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_report_files")),
    )


def downgrade() -> None:
    op.drop_table("report_files")
    with op.batch_alter_table("report_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_runs_workspace_id"))
        batch_op.drop_index("ix_report_runs_report_created")
        batch_op.drop_index("ix_report_runs_claimable")

    op.drop_table("report_runs")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index("ix_reports_workspace_created")
        batch_op.drop_index("ix_reports_next_run_at")

    op.drop_table("reports")
