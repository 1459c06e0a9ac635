"""The local store: SQLAlchemy Core over SQLite (default) or PostgreSQL.

``open_store(url)`` returns an Engine whose schema has been migrated to the current
version (Alembic, with the migration scripts shipped in ``bip_bridge.store.migrations``).
See docs/store.md for why it is configured the way it is.
"""

from __future__ import annotations

import json
import os
import zlib
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bip_bridge.errors import FileAccessError, NotFound, StoreError
from bip_bridge.store import schema

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# execution option: open this connection's SQLite transactions with BEGIN IMMEDIATE
SQLITE_IMMEDIATE = "bip_sqlite_immediate"
SQLITE_BUSY_TIMEOUT_S = 30


class RawJSON:
    """A JSON value that already carries its text, so the store never serialises twice.

    Sync hashes each response's JSON text; handing that same text to the database saves
    a second serialisation of every row. Compares equal to the value it wraps.
    """

    __slots__ = ("text", "value")

    def __init__(self, value: Any, text: str) -> None:
        self.value = value
        self.text = text

    def __eq__(self, other: object) -> bool:
        return self.value == (other.value if isinstance(other, RawJSON) else other)

    def __hash__(self) -> int:
        return hash(self.text)

    def __repr__(self) -> str:
        return f"RawJSON({self.text[:60]!r})"


def _json_dumps(value: Any) -> str:
    if isinstance(value, RawJSON):
        return value.text
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:  # a type orjson refuses: let json say what is wrong
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def safe_url(url: str | sa.URL) -> str:
    """The URL as text without its password (for messages and logs)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not even parseable: show only the scheme
        return str(url).split(":", 1)[0] + ":…"


def _normalise(url: str) -> sa.URL:
    parsed = make_url(url)
    if parsed.drivername == "postgresql":  # plain postgresql:// means psycopg2; we ship psycopg 3
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def sqlite_path(url: str | sa.URL) -> Path | None:
    """The database file of a SQLite URL (None for other databases and :memory:)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(str(parsed.database))


def require_existing_sqlite(url: str, *, needed_for: str) -> None:
    """NotFound (exit 66) when ``url`` names a SQLite file that does not exist yet (73
    when its folder does not exist either).

    Commands that only read a set-up store's people (``letters``, ``report``) call it
    first, so a mistyped ``[store] url`` creates no empty store (nor its lock file)."""
    from bip_bridge.errors import NotFound

    path = sqlite_path(url)
    if path is not None and not path.parent.is_dir():
        raise store_folder_missing(path)  # exit 73, as from every command
    if path is not None and not path.exists():
        raise NotFound(
            f"There is no bip-bridge store at {path} yet, so there is {needed_for}; "
            "nothing was created.",
            hint="Check [store] url (a relative path is read from the folder of the "
                 "configuration file), or set up first: `bip-bridge provision`, then "
                 "`bip-bridge participants import ROSTER` and `bip-bridge sync`.")


def store_folder_missing(path: Path) -> FileAccessError:
    """The one error (exit 73) for a SQLite store whose folder does not exist."""
    return FileAccessError(
        f"Cannot open the store {path}: the folder {path.parent} does not exist.",
        path=str(path.parent), reason="the folder does not exist",
        hint="Create the folder, or set [store] url to a path in an existing one.")


def _configure_sqlite(engine: sa.Engine) -> None:
    """WAL, foreign keys, a busy timeout and real transactions (BEGIN emitted by us).

    pysqlite's own transaction handling does not wrap DDL and cannot BEGIN IMMEDIATE;
    the SQLAlchemy-documented recipe hands control of BEGIN to these events.
    """

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_S * 1000}")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA journal_mode = WAL")
        # Safe against a killed process; after a power cut a last commit may be undone,
        # and then its cursor with it, so the next sync pulls those responses again.
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        immediate = conn.get_execution_options().get(SQLITE_IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_store_engine(url: str) -> sa.Engine:
    """An Engine for ``url`` without migrating (open_store is what commands use)."""
    try:
        parsed = _normalise(url)
        if parsed.get_backend_name() == "sqlite":
            path = sqlite_path(parsed)
            if path is not None and not path.parent.is_dir():
                raise store_folder_missing(path)
            engine = sa.create_engine(parsed, json_serializer=_json_dumps)
            _configure_sqlite(engine)
        else:
            engine = sa.create_engine(parsed, json_serializer=_json_dumps, pool_pre_ping=True)
    except (StoreError, FileAccessError):
        raise
    except Exception as exc:  # bad URL, missing driver
        raise StoreError(
            f"Cannot open the store {safe_url(url)}: {type(exc).__name__}: "
            f"{_scrub(str(exc), url)}",
            hint="Check [store] url: sqlite:///PATH or postgresql+psycopg://USER@HOST/DB.",
        ) from None
    return engine


def _scrub(text: str, url: str | sa.URL) -> str:
    try:
        password = make_url(url).password
    except Exception:
        return text
    return text.replace(str(password), "***") if password else text


def lock_key(conn: sa.Connection, name: str) -> int:
    """A stable 63-bit advisory-lock key for ``name`` in this database schema."""
    scope = name
    if conn.dialect.name == "postgresql":
        scope = f"{conn.execute(sa.text('SELECT current_schema()')).scalar()}:{name}"
    return zlib.crc32(f"bip-bridge:{scope}".encode()) | (0x5B1B << 32)


def migrate(engine: sa.Engine) -> str:
    """Bring the schema to the newest revision; returns it. Safe to run concurrently."""
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    script = ScriptDirectory.from_config(cfg)
    head = script.get_current_head()
    assert head is not None
    with engine.connect() as probe:
        current = MigrationContext.configure(probe).get_current_revision()
    if current == head:
        return head
    with engine.connect().execution_options(**{SQLITE_IMMEDIATE: True}) as conn, conn.begin():
        if conn.dialect.name == "postgresql":  # two first runs at once: one migrates
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"),
                         {"k": lock_key(conn, "migrate")})
        current = MigrationContext.configure(conn).get_current_revision()
        if current is not None and current not in {s.revision for s in script.walk_revisions()}:
            raise StoreError(
                f"The store {safe_url(engine.url)} has schema revision {current}, which this "
                "bip-bridge does not know: a newer version wrote it.",
                hint="Upgrade bip-bridge to the version that last used this store.",
            )
        if current != head:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    return head


def open_store(url: str, *, create: bool = True) -> sa.Engine:
    """Open (and create or migrate) the store at ``url``.

    A new SQLite file is created owner-only (0600; SQLite gives its -wal and -shm files
    the same mode). With ``create=False`` (read-only commands) a SQLite store that does
    not exist yet raises NotFound and nothing is created.

    Raises StoreError naming the URL (never its password) when the database cannot be
    reached, or was written by a newer bip-bridge.
    """
    path = sqlite_path(url)
    if path is not None and not path.exists():
        if not path.parent.is_dir():
            raise store_folder_missing(path)
        if not create:
            raise NotFound(
                f"There is no bip-bridge store at {safe_url(url)} yet; nothing was created.",
                hint="Check [store] url, or set up first: `bip-bridge provision`, then "
                "`bip-bridge participants import ROSTER`.")
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    engine = create_store_engine(url)
    try:
        migrate(engine)
    except StoreError:
        engine.dispose()
        raise
    except sa.exc.SQLAlchemyError as exc:
        engine.dispose()
        detail = _scrub(str(getattr(exc, "orig", None) or exc).strip().splitlines()[0], url)
        raise StoreError(
            f"Cannot open the store {safe_url(url)}: {detail}",
            hint=_open_hint(url),
        ) from None
    return engine


__all__ = ["RawJSON", "create_store_engine", "migrate", "open_store", "safe_url", "schema"]


def _open_hint(url: str) -> str:
    """What to check when the store cannot be opened, for the kind of database in ``url``."""
    if url.startswith("sqlite"):
        return ("Check that [store] url names a SQLite file in a folder that exists and that "
                "the user running bip-bridge may write (the file and its -wal/-shm companions), "
                "and that the file is a bip-bridge store, not another kind of file.")
    return ("Check that the database server runs and [store] url is right "
            "(PostgreSQL passwords go in PGPASSWORD or ~/.pgpass, never in the URL).")
