"""The store side of sync: runs, cursors and raw responses (SQLAlchemy Core).

Each writer here is one short transaction. ``apply_page`` is the only place responses
and the cursor change, and it changes them together: a page is in the store with its
cursor, or neither is. The decisions (what is new, changed, gone) are made by the pure
functions of :mod:`bip_bridge.sync`; this module only reads and writes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
import sqlalchemy as sa

from bip_bridge.store import SQLITE_IMMEDIATE, RawJSON
from bip_bridge.store.schema import responses, surveys, sync_cursors, sync_runs


@dataclass(frozen=True)
class Stored:
    """What the store knows of one response (enough to decide, not the data itself)."""

    data_hash: str
    complete: bool
    deleted: bool


@dataclass
class PageWrite:
    """Rows to insert and update, ids to mark deleted, and where the cursor may move."""

    inserts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    deletions: list[int] = field(default_factory=list)
    cursor: int | None = None


def now() -> datetime:
    return datetime.now(UTC)


def _begin(engine: sa.Engine) -> Any:
    """A write transaction (BEGIN IMMEDIATE on SQLite: no upgrade deadlocks)."""
    return engine.connect().execution_options(**{SQLITE_IMMEDIATE: True})


def survey_list(engine: sa.Engine) -> list[tuple[int, str]]:
    """(sid, kind) of every survey bip-bridge knows, oldest first."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(surveys.c.sid, surveys.c.kind)
                            .order_by(surveys.c.provisioned_at, surveys.c.sid))
        return [(int(r.sid), str(r.kind)) for r in rows]


def start_run(engine: sa.Engine) -> int:
    with _begin(engine) as conn, conn.begin():
        result = conn.execute(sync_runs.insert().values(started_at=now(), status="running"))
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])


def finish_run(engine: sa.Engine, run_id: int, status: str, summary: Mapping[str, Any]) -> None:
    with _begin(engine) as conn, conn.begin():
        conn.execute(sync_runs.update().where(sync_runs.c.id == run_id)
                     .values(finished_at=now(), status=status, summary=dict(summary)))


def read_cursor(conn: sa.Connection, sid: int) -> int:
    value = conn.execute(sa.select(sync_cursors.c.max_response_id)
                         .where(sync_cursors.c.sid == sid)).scalar()
    return int(value or 0)


def read_existing(conn: sa.Connection, sid: int, lo: int, hi: int) -> dict[int, Stored]:
    """Stored responses of ``sid`` with ids in [lo, hi] (deleted ones included)."""
    rows = conn.execute(
        sa.select(responses.c.response_id, responses.c.data_hash, responses.c.complete,
                  responses.c.deleted_in_source)
        .where(responses.c.sid == sid, responses.c.response_id.between(lo, hi))
    )
    return {int(r[0]): Stored(str(r[1]), bool(r[2]), bool(r[3])) for r in rows}


def read_ids(conn: sa.Connection, sid: int, ids: Iterable[int]) -> dict[int, Stored]:
    wanted = sorted(set(ids))
    found: dict[int, Stored] = {}
    for i in range(0, len(wanted), 500):
        chunk = wanted[i:i + 500]
        rows = conn.execute(
            sa.select(responses.c.response_id, responses.c.data_hash, responses.c.complete,
                      responses.c.deleted_in_source)
            .where(responses.c.sid == sid, responses.c.response_id.in_(chunk)))
        found.update({int(r[0]): Stored(str(r[1]), bool(r[2]), bool(r[3])) for r in rows})
    return found


def incomplete_ids(engine: sa.Engine, sid: int) -> list[int]:
    """Ids of stored responses that were incomplete last time (and not gone)."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(responses.c.response_id)
            .where(responses.c.sid == sid, responses.c.complete.is_(False),
                   responses.c.deleted_in_source.is_(False))
            .order_by(responses.c.response_id))
        return [int(r[0]) for r in rows]


def live_count(engine: sa.Engine, sid: int) -> int:
    with engine.connect() as conn:
        return int(conn.execute(
            sa.select(sa.func.count()).select_from(responses)
            .where(responses.c.sid == sid, responses.c.deleted_in_source.is_(False))).scalar() or 0)


def live_ids(engine: sa.Engine, sid: int, upto: int) -> list[int]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(responses.c.response_id)
            .where(responses.c.sid == sid, responses.c.deleted_in_source.is_(False),
                   responses.c.response_id <= upto))
        return [int(r[0]) for r in rows]


def cursor_of(engine: sa.Engine, sid: int) -> int:
    with engine.connect() as conn:
        return read_cursor(conn, sid)


_INSERT_COLUMNS = ("sid", "response_id", "pseudonym", "wave", "submitted_at", "complete", "data",
                   "data_hash")


def _bulk_insert(conn: sa.Connection, rows: list[dict[str, Any]], run_id: int) -> None:
    """New responses in one driver-level executemany (the full sync's hot path).

    Core's per-row parameter processing cost more than the database's own work here;
    the values are already plain (the JSON is text from ``RawJSON``), so they go to the
    driver as tuples. Both sqlite3 and psycopg take positional parameters.
    """
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    columns = (*_INSERT_COLUMNS, "first_run_id", "last_run_id", "deleted_in_source")
    # only constant identifiers and placeholders are formatted in; values are parameters
    sql = (f"INSERT INTO {responses.name} ({', '.join(columns)}) "  # noqa: S608
           f"VALUES ({', '.join([mark] * len(columns))})")
    tail = (run_id, run_id, False)
    params = [(*(_plain(row[c]) for c in _INSERT_COLUMNS), *tail) for row in rows]
    conn.exec_driver_sql(sql, params)


def _plain(value: Any) -> Any:
    if isinstance(value, RawJSON):
        return value.text
    if isinstance(value, dict):
        return orjson.dumps(value).decode()
    return value


def apply_page(
    engine: sa.Engine,
    sid: int,
    run_id: int,
    decide: Callable[[sa.Connection], PageWrite],
) -> PageWrite:
    """Read what is stored, let ``decide`` plan the page, write it: one transaction.

    The cursor only moves forward, and only here, with the rows it covers.
    """
    with _begin(engine) as conn, conn.begin():
        write = decide(conn)
        if write.inserts:
            _bulk_insert(conn, write.inserts, run_id)
        if write.updates:
            conn.execute(
                responses.update()
                .where(responses.c.sid == sa.bindparam("b_sid"),
                       responses.c.response_id == sa.bindparam("b_id"))
                .values(last_run_id=run_id, deleted_in_source=False, deleted_run_id=None),
                [{"b_sid": row["sid"], "b_id": row["response_id"],
                  **{k: v for k, v in row.items() if k not in ("sid", "response_id")}}
                 for row in write.updates])
        if write.deletions:
            for i in range(0, len(write.deletions), 500):
                conn.execute(
                    responses.update()
                    .where(responses.c.sid == sid,
                           responses.c.response_id.in_(write.deletions[i:i + 500]),
                           responses.c.deleted_in_source.is_(False))
                    .values(deleted_in_source=True, deleted_run_id=run_id))
        if write.cursor is not None and write.cursor > read_cursor(conn, sid):
            moved = conn.execute(sync_cursors.update().where(sync_cursors.c.sid == sid)
                                 .values(max_response_id=write.cursor, updated_at=now()))
            if moved.rowcount == 0:
                conn.execute(sync_cursors.insert().values(sid=sid, max_response_id=write.cursor,
                                                          updated_at=now()))
    return write
