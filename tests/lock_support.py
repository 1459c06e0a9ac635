"""Hold the store's lock for changing commands in another process (the lock is
re-entrant within one process, so a test cannot be its own second holder)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

HOLD = """
import sys, time
from bip_bridge.locking import store_lock
with store_lock(sys.argv[1], command=sys.argv[2]):
    print("locked", flush=True)
    time.sleep(float(sys.argv[3]))
"""


@contextmanager
def lock_held_elsewhere(url: str, command: str = "waves",
                        seconds: float = 60) -> Iterator[subprocess.Popen[str]]:
    """A child process holds the lock of the store at ``url`` for the block."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD, url, command, str(seconds)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        yield holder
    finally:
        if holder.poll() is None:
            holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
