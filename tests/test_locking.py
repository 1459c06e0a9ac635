"""One changing command at a time: a second holder is refused (exit 75), no stale lock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bip_bridge.errors import EX_TEMPFAIL, StateLocked
from bip_bridge.locking import store_lock

HOLD = """
import sys, time
from bip_bridge.locking import store_lock
with store_lock(sys.argv[1]):
    print("locked", flush=True)
    time.sleep(60)
"""


def acquire_eventually(url: str, deadline_s: float = 10.0) -> None:
    """The lock can be taken again (PostgreSQL notices a dead session within moments)."""
    end = time.monotonic() + deadline_s
    while True:
        try:
            with store_lock(url):
                return
        except StateLocked:
            if time.monotonic() > end:
                raise
            time.sleep(0.05)


def test_second_holder_is_refused_with_exit_code_75(store_url: str) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLD, store_url],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(StateLocked) as info, store_lock(store_url):
            pass
        err = info.value
        assert err.exit_code == EX_TEMPFAIL == 75
        assert f"pid {holder.pid}" in (err.holder or "")
        assert "wait for it to finish" in (err.hint or "")
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    acquire_eventually(store_url)  # released when the holder is gone


def test_a_nested_hold_in_the_same_process_is_reentrant(store_url: str) -> None:
    with store_lock(store_url), store_lock(store_url):
        pass


def test_other_lock_names_do_not_conflict(store_url: str) -> None:
    with store_lock(store_url, "sync"), store_lock(store_url, "erase"):
        pass


def test_kill_9_of_the_holder_leaves_no_stale_lock(store_url: str) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLD, store_url],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(StateLocked) as info, store_lock(store_url):
            pass
        assert f"pid {holder.pid}" in (info.value.holder or "")
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
        acquire_eventually(store_url)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()


def test_memory_store_needs_no_lock() -> None:
    with store_lock("sqlite:///:memory:"), store_lock("sqlite:///:memory:"):
        pass


def test_lock_file_sits_beside_the_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bip.sqlite'}"
    with store_lock(url):
        assert (tmp_path / "bip.sqlite.changes.lock").exists()
