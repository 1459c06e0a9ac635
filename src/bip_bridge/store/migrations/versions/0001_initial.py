"""Initial schema: the tables of bip_bridge.store.schema as of the first release.

Written out in full (not create_all) so that later edits of schema.py never change
what this revision does; they come as new revisions.

Revision ID: 0001
Revises: -
Create Date: 2026-11-22 06:48:57.891515
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("erasure_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tokens_removed", sa.Integer(), nullable=False),
        sa.Column("responses_removed", sa.Integer(), nullable=False),
        sa.Column("store_rows_removed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id")
    )
    op.create_table("locks",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=128), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name")
    )
    op.create_table("participants",
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("enrolled_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("end_reason", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pseudonym")
    )
    op.create_table("pushback_state",
        sa.Column("sid", sa.BigInteger(), nullable=False),
        sa.Column("tid", sa.BigInteger(), nullable=False),
        sa.Column("values_hash", sa.String(length=64), nullable=False),
        sa.Column("pushed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sid", "tid")
    )
    op.create_table("surveys",
        sa.Column("sid", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("template_version", sa.String(length=32), nullable=False),
        sa.Column("structure_hash", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("provisioned_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sid"),
        sa.UniqueConstraint("kind", "template_version", name="uq_surveys_kind_version")
    )
    op.create_table("sync_cursors",
        sa.Column("sid", sa.BigInteger(), nullable=False),
        sa.Column("max_response_id", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sid")
    )
    op.create_table("sync_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id")
    )
    op.create_table("caseworker_assignments",
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("from_wave", sa.Integer(), nullable=False),
        sa.Column("caseworker_id", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["pseudonym"], ["participants.pseudonym"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("pseudonym", "from_wave")
    )
    op.create_table("responses",
        sa.Column("sid", sa.BigInteger(), nullable=False),
        sa.Column("response_id", sa.BigInteger(), nullable=False),
        sa.Column("pseudonym", sa.String(length=64), nullable=True),
        sa.Column("wave", sa.Integer(), nullable=True),
        sa.Column("submitted_at", sa.String(length=32), nullable=True),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("data_hash", sa.String(length=64), nullable=False),
        sa.Column("first_run_id", sa.Integer(), nullable=False),
        sa.Column("last_run_id", sa.Integer(), nullable=False),
        sa.Column("deleted_in_source", sa.Boolean(), nullable=False),
        sa.Column("deleted_run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["deleted_run_id"], ["sync_runs.id"]),
        sa.ForeignKeyConstraint(["first_run_id"], ["sync_runs.id"]),
        sa.ForeignKeyConstraint(["last_run_id"], ["sync_runs.id"]),
        sa.PrimaryKeyConstraint("sid", "response_id")
    )
    op.create_index("ix_responses_pseudonym", "responses", ["pseudonym"], unique=False)
    # partial: only incomplete / deleted rows (see schema.py); the predicates are the
    # text each dialect renders for sync_state's queries
    op.create_index("ix_responses_incomplete", "responses", ["sid", "response_id"],
                    unique=False,
                    sqlite_where=sa.text("complete IS 0 AND deleted_in_source IS 0"),
                    postgresql_where=sa.text("complete IS false AND deleted_in_source IS false"))
    op.create_index("ix_responses_deleted", "responses", ["sid", "response_id"], unique=False,
                    sqlite_where=sa.text("deleted_in_source IS 1"),
                    postgresql_where=sa.text("deleted_in_source IS true"))
    op.create_table("tokens",
        sa.Column("sid", sa.BigInteger(), nullable=False),
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("wave", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("tid", sa.BigInteger(), nullable=True),
        sa.Column("caseworker_id", sa.String(length=64), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("invited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminders_sent", sa.Integer(), nullable=False),
        sa.Column("last_reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["pseudonym"], ["participants.pseudonym"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("sid", "pseudonym", "wave")
    )


def downgrade() -> None:
    op.drop_table("tokens")
    op.drop_index("ix_responses_deleted", table_name="responses")
    op.drop_index("ix_responses_incomplete", table_name="responses")
    op.drop_index("ix_responses_pseudonym", table_name="responses")
    op.drop_table("responses")
    op.drop_table("caseworker_assignments")
    op.drop_table("sync_runs")
    op.drop_table("sync_cursors")
    op.drop_table("surveys")
    op.drop_table("pushback_state")
    op.drop_table("participants")
    op.drop_table("locks")
    op.drop_table("erasure_log")
