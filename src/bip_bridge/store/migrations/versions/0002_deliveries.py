"""Deliveries: what bip-bridge itself sent or wrote (caseworker digests, letters).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 14:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("deliveries",
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("sid", sa.BigInteger(), nullable=False),
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("wave", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=16), nullable=False),
        sa.Column("caseworker_id", sa.String(length=64), nullable=True),
        sa.Column("batch", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("location", sa.String(length=512), nullable=True),
        sa.ForeignKeyConstraint(["pseudonym"], ["participants.pseudonym"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("channel", "sid", "pseudonym", "wave", "item"),
    )


def downgrade() -> None:
    op.drop_table("deliveries")
