"""The local store: SQLAlchemy Core over SQLite (default) or PostgreSQL.

``open_store(url)`` returns an Engine whose schema is migrated to the current version.
"""

from __future__ import annotations

import sqlalchemy as sa

from bip_bridge.store import schema


def open_store(url: str) -> sa.Engine:
    """Open (and create or migrate) the store at ``url``. Placeholder until migrations land."""
    engine = sa.create_engine(url, future=True)
    schema.metadata.create_all(engine)
    return engine


__all__ = ["open_store", "schema"]
