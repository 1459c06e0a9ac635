"""One change at a time, per store: a lock that dies with its holder.

Every command that changes LimeSurvey or the store (``sync``, ``waves``, ``provision``,
``participants import|end|forget``, ``pushback``, letters, digests) runs inside
:func:`mutation_lock`: a second one waits ``[store] lock_wait_seconds`` (default 5) for
the first to finish, then stops with :class:`StateLocked` (exit 75) naming the holder
(command, pid, host, since). Within one process the lock is re-entrant, so a command
that calls another command's core function (``sync`` runs the waves) holds it once.

* SQLite store: an OS file lock (``flock``; ``msvcrt.locking`` on Windows) on a file
  beside the database, ``<store>.sqlite.<name>.lock``. The kernel drops it when the
  holder exits for any reason, ``kill -9`` included, so it is never stale. The file
  itself stays (deleting lock files races); it holds the last holder's pid for messages.
* PostgreSQL store: a session-level advisory lock (``pg_try_advisory_lock``) on its own
  connection, keyed by the schema and the lock name. PostgreSQL drops it when that
  session ends, which a killed process's closed socket does.
* A ``sqlite:///:memory:`` store is private to its process: nothing to lock.

A second holder is refused with :class:`StateLocked` (exit code 75, EX_TEMPFAIL:
schedulers treat it as "try again later") once its wait is over.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING

import sqlalchemy as sa

from bip_bridge.errors import StateLocked
from bip_bridge.store import (
    create_store_engine,
    lock_key,
    safe_url,
    sqlite_path,
    store_folder_missing,
)

if TYPE_CHECKING:
    from bip_bridge.config import Settings

MUTATION = "changes"  # the one lock of every command that changes LimeSurvey or the store
POLL_S = 0.2
HINT = ("Another bip-bridge command is still changing this store; wait for it to finish "
        "and run this one again. This run changed nothing. Schedulers: exit code 75 means "
        "try again later.")

_held: dict[tuple[str, str], int] = {}  # (url, name) -> depth, in this process


def holder_text(command: str | None = None) -> str:
    """Who holds the lock: ``waves pid 123 since 2026-11-30 14:30:00Z on host``."""
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    who = f"{command} " if command else ""
    return f"{who}pid {os.getpid()} since {started} on {socket.gethostname()}"


def _waited(wait: float) -> str:
    return f" (waited {wait:g} s)" if wait > 0 else ""


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
def _file_lock(path: Path, name: str, command: str | None, wait: float) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
    fh = open(fd, "a+", encoding="utf-8")  # noqa: SIM115 - held for the whole block
    try:
        deadline = time.monotonic() + wait
        while not _try_flock(fh):
            if time.monotonic() >= deadline:
                fh.seek(0)
                holder = fh.read().strip() or None
                raise StateLocked(
                    f"Another bip-bridge command holds the lock {path}"
                    + (f": {holder}" if holder else "") + _waited(wait) + ".",
                    lock=str(path), holder=holder, hint=HINT)
            time.sleep(POLL_S)
        fh.seek(0)
        fh.truncate()
        fh.write(holder_text(command) + "\n")
        fh.flush()
        yield
    finally:
        fh.close()  # closing the descriptor releases the lock


@contextlib.contextmanager
def _pg_lock(url: str, name: str, command: str | None, wait: float) -> Iterator[None]:
    engine = create_store_engine(url).execution_options(isolation_level="AUTOCOMMIT")
    label = f"bip-bridge {holder_text(command or name)}"[:63]
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT set_config('application_name', :n, false)"), {"n": label})
            key = lock_key(conn, name)
            deadline = time.monotonic() + wait
            while not conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"),
                                   {"k": key}).scalar():
                if time.monotonic() < deadline:
                    time.sleep(POLL_S)
                    continue
                holder = conn.execute(sa.text(
                    "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a "
                    "ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
                    "AND l.classid = :hi AND l.objid = :lo LIMIT 1"),
                    {"hi": (key >> 32) & 0xFFFFFFFF, "lo": key & 0xFFFFFFFF}).scalar()
                raise StateLocked(
                    f"Another bip-bridge command holds the advisory lock {key} on "
                    f"{safe_url(url)}" + (f": {holder}" if holder else "") + _waited(wait)
                    + ".",
                    lock=f"pg_advisory_lock({key})", holder=holder, hint=HINT)
            try:
                yield
            finally:
                with contextlib.suppress(sa.exc.SQLAlchemyError):
                    conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
    finally:
        engine.dispose()


@contextlib.contextmanager
def store_lock(url: str, name: str = MUTATION, *, command: str | None = None,
               wait: float = 0.0) -> Iterator[None]:
    """Hold the ``name`` lock of the store at ``url`` for the block; wait up to ``wait``
    seconds for another holder to let go, then raise StateLocked naming it.

    Re-entrant within a process: a nested call for the same store and name holds nothing
    more (so a core function may take the lock that its caller already holds).
    """
    ident = (url, name)
    if _held.get(ident):
        _held[ident] += 1
        try:
            yield
        finally:
            _held[ident] -= 1
        return
    backend = sa.make_url(url).get_backend_name()
    if backend == "postgresql":
        lock = _pg_lock(url, name, command, wait)
    else:
        path = sqlite_path(url)
        if path is None:  # :memory: is private to this process
            yield
            return
        if not path.parent.is_dir():
            raise store_folder_missing(path)
        lock = _file_lock(path.with_name(f"{path.name}.{name}.lock"), name, command, wait)
    with lock:
        _held[ident] = 1
        try:
            yield
        finally:
            _held.pop(ident, None)


@contextlib.contextmanager
def no_lock() -> Iterator[None]:
    """What a dry run holds instead of :func:`mutation_lock`: nothing."""
    yield


def mutation_lock(settings: Settings, *, command: str,
                  wait: float | None = None) -> contextlib.AbstractContextManager[None]:
    """The lock every command that changes LimeSurvey or the store holds while it runs.

    ``with mutation_lock(settings, command="waves"): ...``. A second command waits up to
    ``[store] lock_wait_seconds`` (or ``wait``), then raises StateLocked (exit 75) naming
    the holder's command, pid, host and start time. Dry runs and read-only commands do
    not take it.
    """
    seconds = settings.store.lock_wait_seconds if wait is None else wait
    return store_lock(settings.store.url, MUTATION, command=command, wait=seconds)


__all__ = ["MUTATION", "mutation_lock", "store_lock"]
