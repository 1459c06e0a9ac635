"""One sync at a time, per store: a lock that dies with its holder.

* SQLite store: an OS file lock (``flock``; ``msvcrt.locking`` on Windows) on a file
  beside the database, ``<store>.sqlite.<name>.lock``. The kernel drops it when the
  holder exits for any reason, ``kill -9`` included, so it is never stale. The file
  itself stays (deleting lock files races); it holds the last holder's pid for messages.
* PostgreSQL store: a session-level advisory lock (``pg_try_advisory_lock``) on its own
  connection, keyed by the schema and the lock name. PostgreSQL drops it when that
  session ends, which a killed process's closed socket does.
* A ``sqlite:///:memory:`` store is private to its process: nothing to lock.

A second holder is refused at once with :class:`StateLocked` (exit code 75,
EX_TEMPFAIL: schedulers treat it as "try again later").
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import sqlalchemy as sa

from bip_bridge.errors import StateLocked
from bip_bridge.store import create_store_engine, lock_key, safe_url, sqlite_path

HINT = ("Another bip-bridge {name} is still running on this store; wait for it to finish. "
        "This run changed nothing. Schedulers: exit code 75 means try again later.")


def holder_text() -> str:
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    return f"pid {os.getpid()} on {socket.gethostname()} since {started}"


def _try_flock(fh: IO[str]) -> bool:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        import msvcrt

        try:
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            return False
        return True
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


@contextlib.contextmanager
def _file_lock(path: Path, name: str) -> Iterator[None]:
    fh = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the whole block
    try:
        if not _try_flock(fh):
            fh.seek(0)
            holder = fh.read().strip() or None
            raise StateLocked(
                f"Another bip-bridge {name} holds the lock {path}"
                + (f" ({holder})." if holder else "."),
                lock=str(path), holder=holder, hint=HINT.format(name=name))
        fh.seek(0)
        fh.truncate()
        fh.write(holder_text() + "\n")
        fh.flush()
        yield
    finally:
        fh.close()  # closing the descriptor releases the lock


@contextlib.contextmanager
def _pg_lock(url: str, name: str) -> Iterator[None]:
    engine = create_store_engine(url).execution_options(isolation_level="AUTOCOMMIT")
    label = f"bip-bridge {name} {holder_text()}"[:63]
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT set_config('application_name', :n, false)"), {"n": label})
            key = lock_key(conn, name)
            if not conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
                holder = conn.execute(sa.text(
                    "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a "
                    "ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
                    "AND l.classid = :hi AND l.objid = :lo LIMIT 1"),
                    {"hi": (key >> 32) & 0xFFFFFFFF, "lo": key & 0xFFFFFFFF}).scalar()
                raise StateLocked(
                    f"Another bip-bridge {name} holds the advisory lock {key} on "
                    f"{safe_url(url)}" + (f" ({holder})." if holder else "."),
                    lock=f"pg_advisory_lock({key})", holder=holder, hint=HINT.format(name=name))
            try:
                yield
            finally:
                with contextlib.suppress(sa.exc.SQLAlchemyError):
                    conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
    finally:
        engine.dispose()


@contextlib.contextmanager
def store_lock(url: str, name: str = "sync") -> Iterator[None]:
    """Hold the ``name`` lock of the store at ``url`` for the block, or raise StateLocked."""
    backend = sa.make_url(url).get_backend_name()
    if backend == "postgresql":
        with _pg_lock(url, name):
            yield
        return
    path = sqlite_path(url)
    if path is None:  # :memory: is private to this process
        yield
        return
    with _file_lock(path.with_name(f"{path.name}.{name}.lock"), name):
        yield


__all__ = ["store_lock"]
