"""responses: the run ids (first, last, deleted) are plain columns, not foreign keys.

Only sync writes them, always with the id of the run that is writing, created before
its first page, and sync_runs is never pruned. As foreign keys they cost two lookups per
stored response (on PostgreSQL a trigger and a row lock each, nearly half of a full
sync's write time) to guard against nothing that can happen. docs/store.md has the
decision; tests/test_sync.py checks the invariant after every kind of run.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 17:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_COLUMNS = ("first_run_id", "last_run_id", "deleted_run_id")
# SQLite's foreign keys from 0001 have no names: batch mode names them by this convention
# on the copy it makes, so they can be dropped by name (alembic's documented way).
_CONVENTION = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}


def _fk_name(column: str) -> str:
    return f"fk_responses_{column}_sync_runs"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        with op.batch_alter_table("responses", naming_convention=_CONVENTION) as batch:
            for column in _COLUMNS:
                batch.drop_constraint(_fk_name(column), type_="foreignkey")
        return
    for fk in sa.inspect(bind).get_foreign_keys("responses"):
        if fk["referred_table"] == "sync_runs" and fk["name"]:
            op.drop_constraint(fk["name"], "responses", type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("responses") as batch:
        for column in _COLUMNS:
            batch.create_foreign_key(_fk_name(column), "sync_runs", [column], ["id"])
