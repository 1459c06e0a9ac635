"""Alembic environment: bip-bridge runs migrations only through ``store.migrate``.

The connection (inside its transaction) arrives in ``config.attributes``; there is no
alembic.ini and no offline mode.
"""

from __future__ import annotations

from alembic import context

from bip_bridge.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - misuse
    raise RuntimeError("Run migrations with bip_bridge.store.open_store(url), not the alembic CLI.")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite ALTER goes through copies
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
