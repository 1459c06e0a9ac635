"""The store side of sync: runs, cursors and raw responses (SQLAlchemy Core).

Each writer here is one short transaction. ``apply_page`` is the only place responses
and the cursor change, and it changes them together: a page is in the store with its
cursor, or neither is. The decisions (what is new, changed, gone) are made by the pure
functions of :mod:`bip_bridge.sync`; this module only reads and writes.
"""

from __future__ import annotations

import itertools
import operator
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
    """Record a new run. Runs still marked ``running`` are closed as ``interrupted``: sync
    runs under the store's lock, so one still "running" now was killed (kill -9, power
    cut) before it could record its end."""
    with _begin(engine) as conn, conn.begin():
        conn.execute(sync_runs.update().where(sync_runs.c.status == "running")
                     .values(status="interrupted", finished_at=now()))
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
    """Stored responses of ``sid`` not marked deleted in LimeSurvey.

    All of them minus the deleted ones: the first count reads only the primary key's
    index and the second the small partial index of deleted rows, where counting the
    live rows directly would read every stored response's row (tens of ms per 50,000).
    """
    of_sid = responses.c.sid == sid
    everything = sa.select(sa.func.count()).select_from(responses).where(of_sid)
    deleted = everything.where(responses.c.deleted_in_source.is_(True))
    with engine.connect() as conn:
        return int(conn.execute(
            sa.select(everything.scalar_subquery() - deleted.scalar_subquery())).scalar() or 0)


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


_INSERT_COLUMNS = ("response_id", "pseudonym", "wave", "submitted_at", "complete", "data",
                   "data_hash")  # bound per row; sid and the run ids are the page's constants
_row_values = operator.itemgetter(*_INSERT_COLUMNS)


def _max_parameters(conn: sa.Connection) -> int:
    """Bound parameters one statement may carry on this database."""
    if conn.dialect.name == "sqlite":
        import sqlite3

        return 32766 if sqlite3.sqlite_version_info >= (3, 32) else 999
    return 65535  # PostgreSQL's wire protocol


def _bulk_insert(conn: sa.Connection, rows: list[dict[str, Any]], run_id: int) -> None:
    """New responses as multi-row ``INSERT … VALUES (…), (…)`` statements (the hot path).

    Why not ``executemany``: sqlite3 lets go of the GIL around every row's step, and
    while the next page is parsed on the fetch thread, taking it back costs up to a
    switch interval each time; a 1,000-row executemany then took several times its own
    work. One statement per page is one step. Core's per-row parameter processing is
    skipped too (the values are already plain), and the columns that are the same for
    the whole page (sid, run ids, not deleted) are integer literals rather than
    parameters: binding is the part of the insert that holds the GIL.
    """
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sids = {r["sid"] for r in rows}
    if len(sids) != 1:
        raise ValueError("a bulk insert holds the responses of one survey")
    # Only identifiers, placeholders and integers (int() of our own ids) are formatted
    # in; every value that came from LimeSurvey is a bound parameter.
    false = "0" if conn.dialect.name == "sqlite" else "FALSE"
    constants = f"{int(sids.pop())}, {int(run_id)}, {int(run_id)}, {false}"
    one = f"({', '.join([mark] * len(_INSERT_COLUMNS))}, {constants})"
    columns = ", ".join((*_INSERT_COLUMNS, "sid", "first_run_id", "last_run_id",
                         "deleted_in_source"))
    head = f"INSERT INTO {responses.name} ({columns}) VALUES "  # noqa: S608
    per_statement = max(1, _max_parameters(conn) // len(_INSERT_COLUMNS))
    for start in range(0, len(rows), per_statement):
        chunk = rows[start:start + per_statement]
        params = list(itertools.chain.from_iterable(map(_row_values, chunk)))
        for i in range(5, len(params), len(_INSERT_COLUMNS)):  # the JSON: RawJSON -> text
            params[i] = _json_text(params[i])
        conn.exec_driver_sql(head + ", ".join([one] * len(chunk)), tuple(params))


# PostgreSQL: a page's changed responses are copied (COPY, psycopg's copy) into this
# temporary table, then written with one INSERT … SELECT … ON CONFLICT (new ones, known
# new from the read in the same transaction, are copied straight in): the rows go
# over the wire in COPY's compact format instead of as thousands of bound parameters of
# a statement the driver would parse for every page. The table belongs to the session
# (no other connection sees it; it goes when the connection closes) and each page
# empties it first, inside its own transaction, so a rolled-back page leaves nothing
# behind. Emptied at the start rather than ON COMMIT: a commit then does no more work
# than before, and its result is visible as soon as it returns.
_STAGE = "bip_sync_stage"
_STAGE_DDL = (
    f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGE} ("
    "response_id BIGINT NOT NULL, pseudonym VARCHAR(64), wave INTEGER, "
    "submitted_at VARCHAR(32), complete BOOLEAN NOT NULL, data TEXT NOT NULL, "
    "data_hash VARCHAR(64) NOT NULL)"
)
_COPY = f"COPY {_STAGE} ({', '.join(_INSERT_COLUMNS)}) FROM STDIN"
_CHANGED = ("pseudonym", "wave", "submitted_at", "complete", "data", "data_hash")
# New responses get both run ids; changed ones keep their first run and are live again
# (what the per-row UPDATE of the other databases does).
_UPSERT = (
    f"INSERT INTO {responses.name} ({', '.join(_INSERT_COLUMNS)}, sid, first_run_id, "  # noqa: S608
    "last_run_id, deleted_in_source) "
    "SELECT response_id, pseudonym, wave, submitted_at, complete, data::json, data_hash, "
    f"%(sid)s, %(run)s, %(run)s, FALSE FROM {_STAGE} "
    "ON CONFLICT (sid, response_id) DO UPDATE SET "
    + ", ".join(f"{c} = EXCLUDED.{c}" for c in _CHANGED)
    + ", last_run_id = EXCLUDED.last_run_id, deleted_in_source = FALSE, deleted_run_id = NULL"
)


_COPY_NEW = (f"COPY {responses.name} ({', '.join(_INSERT_COLUMNS)}, sid, first_run_id, "
             "last_run_id, deleted_in_source) FROM STDIN")


def _copy_insert(conn: sa.Connection, sid: int, rows: list[dict[str, Any]],
                 run_id: int) -> None:
    """COPY a page's new responses straight into ``responses`` (PostgreSQL, psycopg 3).

    The page's transaction has just read what is stored in its range, so these rows are
    known to be new: no staging and no conflict handling are needed (a concurrent writer
    is excluded by the sync lock, and would make the COPY fail, never write twice).
    """
    if any(r["sid"] != sid for r in rows):
        raise ValueError("a page holds the responses of one survey")
    driver = conn.connection.driver_connection
    assert driver is not None
    tail = (int(sid), int(run_id), int(run_id), False)
    with driver.cursor() as cur, cur.copy(_COPY_NEW) as copy:
        write_row = copy.write_row
        for row in rows:
            values = _row_values(row)
            write_row((*values[:5], _json_text(values[5]), values[6], *tail))


def _copy_upsert(conn: sa.Connection, sid: int, rows: list[dict[str, Any]],
                 run_id: int) -> None:
    """Stage ``rows`` with COPY and upsert them in one statement (PostgreSQL, psycopg 3).

    Runs on the page's own connection and transaction: the cursor moves in the same
    commit, and a crash before it leaves neither staged nor written rows.
    """
    if any(r["sid"] != sid for r in rows):
        raise ValueError("a page holds the responses of one survey")
    conn.exec_driver_sql(f"{_STAGE_DDL}; TRUNCATE {_STAGE}")  # one round trip, no parameters
    driver = conn.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cur, cur.copy(_COPY) as copy:
        write_row = copy.write_row
        for row in rows:
            values = _row_values(row)
            write_row((*values[:5], _json_text(values[5]), values[6]))
    conn.exec_driver_sql(_UPSERT, {"sid": int(sid), "run": int(run_id)})


def _json_text(value: Any) -> str:
    if type(value) is RawJSON:
        return value.text
    return orjson.dumps(value).decode()


def writer(engine: sa.Engine) -> sa.Connection:
    """A connection for a series of :func:`apply_page` calls (one per page).

    Reusing one connection saves a pool checkout, reset and event round per page;
    each page is still its own transaction.
    """
    return _begin(engine)


def apply_page(
    bind: sa.Engine | sa.Connection,
    sid: int,
    run_id: int,
    decide: Callable[[sa.Connection], PageWrite],
) -> PageWrite:
    """Read what is stored, let ``decide`` plan the page, write it: one transaction.

    ``bind`` is the engine, or a connection from :func:`writer` that is not inside a
    transaction. The cursor only moves forward, and only here, with the rows it covers.
    """
    if isinstance(bind, sa.Connection):
        with bind.begin():
            return _write_page(bind, sid, run_id, decide)
    with _begin(bind) as conn, conn.begin():
        return _write_page(conn, sid, run_id, decide)


def _write_page(conn: sa.Connection, sid: int, run_id: int,
                decide: Callable[[sa.Connection], PageWrite]) -> PageWrite:
    if conn.dialect.name == "postgresql":
        # This page's commit does not wait for its WAL flush (PostgreSQL's
        # synchronous_commit, for this transaction only). A server crash may then lose
        # the last pages committed, but only whole: each page's rows and its cursor are
        # one transaction, so the store is as if they were never pulled and the next run
        # pulls them again. The run's closing record in sync_runs is committed with the
        # default, and its flush makes every page before it durable (the WAL is one
        # sequence): a run reported finished has lost nothing. SQLite's equivalent is
        # the store's synchronous=NORMAL in WAL mode.
        conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
    write = decide(conn)
    if conn.dialect.name == "postgresql" and (write.inserts or write.updates):
        if write.inserts:  # known new (read in this transaction): straight in
            _copy_insert(conn, sid, write.inserts, run_id)
        if write.updates:
            _copy_upsert(conn, sid, write.updates, run_id)
        _write_deletions_and_cursor(conn, sid, run_id, write)
        return write
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
    _write_deletions_and_cursor(conn, sid, run_id, write)
    return write


def _write_deletions_and_cursor(conn: sa.Connection, sid: int, run_id: int,
                                write: PageWrite) -> None:
    if write.deletions:
        for i in range(0, len(write.deletions), 500):
            conn.execute(
                responses.update()
                .where(responses.c.sid == sid,
                       responses.c.response_id.in_(write.deletions[i:i + 500]),
                       responses.c.deleted_in_source.is_(False))
                .values(deleted_in_source=True, deleted_run_id=run_id))
    if write.cursor is not None:
        _advance_cursor(conn, sid, write.cursor)


def _advance_cursor(conn: sa.Connection, sid: int, cursor: int) -> None:
    """Move the cursor of ``sid`` to ``cursor`` unless it is already there or beyond.

    One upsert statement (SQLite and PostgreSQL both have ``ON CONFLICT``) rather than a
    read and a write: a page's transaction is then BEGIN, the read of what is stored,
    the insert, this, and COMMIT. The statement is built once per dialect.
    """
    stmt = _CURSOR_UPSERTS.get(conn.dialect.name)
    if stmt is None:
        stmt = _CURSOR_UPSERTS[conn.dialect.name] = _cursor_upsert(conn.dialect.name)
    conn.execute(stmt, {"c_sid": sid, "c_max": cursor, "c_at": now()})


_CURSOR_UPSERTS: dict[str, Any] = {}


def _cursor_upsert(dialect: str) -> Any:
    insert: Any
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    elif dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported stores
        raise NotImplementedError(f"no cursor upsert for {dialect}")
    stmt = insert(sync_cursors).values(sid=sa.bindparam("c_sid"),
                                       max_response_id=sa.bindparam("c_max"),
                                       updated_at=sa.bindparam("c_at"))
    return stmt.on_conflict_do_update(
        index_elements=[sync_cursors.c.sid],
        set_={"max_response_id": stmt.excluded.max_response_id,
              "updated_at": stmt.excluded.updated_at},
        where=sync_cursors.c.max_response_id < stmt.excluded.max_response_id)
