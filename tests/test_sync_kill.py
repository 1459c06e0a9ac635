"""A real ``kill -9`` of a sync process in the middle of a pull, then a re-run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from bip_bridge.store import open_store
from bip_bridge.store.schema import responses, sync_runs
from bip_bridge.sync import run_sync
from test_locking import acquire_eventually
from test_sync_fake import FakeLimeSurvey, add_survey_rows, store_snapshot

SID, N, PAGE = 333333, 300, 10
TESTS = str(Path(__file__).parent)

SYNC = f"""
import sys
sys.path.insert(0, {TESTS!r})
from test_sync_fake import FakeLimeSurvey
from bip_bridge.locking import store_lock
from bip_bridge.store import open_store
from bip_bridge.sync import run_sync

fake = FakeLimeSurvey(delay=0.02)
fake.add_survey({SID})
fake.add_many({SID}, {N})
with store_lock(sys.argv[1]):
    engine = open_store(sys.argv[1])
    run_sync(fake, engine, page_size={PAGE})
"""


def source() -> FakeLimeSurvey:
    fake = FakeLimeSurvey()
    fake.add_survey(SID)
    fake.add_many(SID, N)
    return fake


def stored_count(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(responses)).scalar() or 0)


def test_kill_9_mid_sync_then_rerun_equals_an_uninterrupted_run(store_url: str) -> None:
    engine = open_store(store_url)
    add_survey_rows(engine, [(SID, "participant")])
    proc = subprocess.Popen([sys.executable, "-c", SYNC, store_url])
    try:
        deadline = time.monotonic() + 60
        while stored_count(engine) < 5 * PAGE and proc.poll() is None:
            assert time.monotonic() < deadline, "the sync subprocess made no progress"
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    killed_at = stored_count(engine)
    assert 0 < killed_at < N  # really interrupted in the middle
    assert killed_at % PAGE == 0  # whole pages only: a page and its cursor, or neither

    acquire_eventually(store_url)  # the killed holder left no lock
    summary = run_sync(source(), engine, page_size=PAGE)
    assert summary.totals()["new"] == N - killed_at
    with engine.connect() as conn:  # the killed run is closed as interrupted, not left running
        runs = [(r.status, r.finished_at is not None) for r in conn.execute(
            sa.select(sync_runs.c.status, sync_runs.c.finished_at).order_by(sync_runs.c.id))]
    assert runs == [("interrupted", True), ("ok", True)]
    after_rerun = store_snapshot(engine)
    engine.dispose()

    reference = open_store("sqlite:///:memory:")
    add_survey_rows(reference, [(SID, "participant")])
    run_sync(source(), reference, page_size=PAGE)
    assert after_rerun == store_snapshot(reference)
    reference.dispose()
