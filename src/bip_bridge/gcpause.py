"""The cyclic garbage collector paused around bulk parsing (sync's pages, analyse's exports).

Parsing a LimeSurvey export makes a dict per response and a string per answer. They are
freed by reference counting and are never part of a cycle, but each one counts toward
the collector's thresholds, so the collector kept running collections (and, as the
objects flowed, full ones over every object of the process) that found nothing.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """The collector off inside the block, on again after it (also after an error).

    A caller who had it off finds it off. Cycles made inside the block (a few objects per
    HTTP call) are found by the first collection after it.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
