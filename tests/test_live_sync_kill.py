"""A real ``kill -9`` of a sync pulling from a real LimeSurvey, then a re-run.

Skipped unless BIP_BRIDGE_TEST_LIMESURVEY_* name a server. The test provisions its own
two surveys, enters 160 responses (some incomplete) with add_response, starts a sync
in another process, kills it with SIGKILL once a few pages are stored, runs the sync
again and compares the store with one an uninterrupted sync filled from the same
server. The surveys are deleted at the end.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

import live_support
from bip_bridge.provision import provision
from bip_bridge.store import open_store
from bip_bridge.store.schema import responses
from bip_bridge.sync import run_sync
from bip_bridge.templates import load_templates
from live_year_support import sgqa_columns
from test_locking import acquire_eventually
from test_sync_fake import add_survey_rows, store_snapshot

pytestmark = live_support.LIVE_MARKS
live_client = live_support.live_client  # the fixture

N, PAGE = 160, 10

SYNC = """
import os, sys, time
from bip_bridge.limesurvey import LimeSurveyClient
from bip_bridge.locking import store_lock
from bip_bridge.store import open_store
from bip_bridge.sync import run_sync
from bip_bridge.templates import load_templates

url, user, password = (os.environ[v] for v in (
    "BIP_BRIDGE_TEST_LIMESURVEY_URL", "BIP_BRIDGE_TEST_LIMESURVEY_USER",
    "BIP_BRIDGE_TEST_LIMESURVEY_PASSWORD"))


class Slow:  # the real client, each export followed by a pause: the kill lands mid-sync

    def __init__(self, client):
        self.client = client

    def __getattr__(self, name):
        target = getattr(self.client, name)
        if name != "export_responses":
            return target

        def call(*args, **kwargs):
            rows = target(*args, **kwargs)
            time.sleep(0.1)
            return rows

        return call


with store_lock(sys.argv[1]), LimeSurveyClient(url, user, password, retries=1) as client:
    engine = open_store(sys.argv[1])
    run_sync(Slow(client), engine, page_size=int(sys.argv[2]), model=load_templates().model)
"""


def stored_count(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(responses)).scalar() or 0)


def test_kill_9_mid_sync_then_rerun_equals_an_uninterrupted_run(live_client: Any,
                                                                tmp_path: Path) -> None:
    templates = load_templates()
    url = f"sqlite:///{tmp_path / 'killed.sqlite'}"
    engine = open_store(url)
    created: list[int] = []
    try:
        report = provision(live_client, engine, templates)
        created = [o.sid for o in report.outcomes if o.sid is not None]
        sid = {o.kind: o.sid for o in report.outcomes}["participant"]
        assert sid is not None
        columns = sgqa_columns(live_client, sid)
        for i in range(N):
            row: dict[str, Any] = {"token": f"kill{i:04d}", columns["PSEUDO"]: f"K{i:04d}",
                                   columns["WAVE"]: str(i % 3),
                                   columns["BIPD[JOBTRO]"]: str(i % 10 + 1)}
            if i % 9 == 4:
                row["submitdate"] = None  # incomplete
            live_client.add_response(sid, row)

        proc = subprocess.Popen([sys.executable, "-c", SYNC, url, str(PAGE)])
        try:
            deadline = time.monotonic() + 120
            while stored_count(engine) < 3 * PAGE and proc.poll() is None:
                assert time.monotonic() < deadline, "the sync subprocess made no progress"
                time.sleep(0.005)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.returncode == -signal.SIGKILL
        killed_at = stored_count(engine)
        assert 0 < killed_at < N, "the sync was not interrupted in the middle"
        assert killed_at % PAGE == 0  # whole pages only: a page and its cursor, or neither

        acquire_eventually(url)  # the killed holder left no lock
        summary = run_sync(live_client, engine, page_size=PAGE, model=templates.model)
        assert summary.totals()["new"] == N - killed_at
        after_rerun = store_snapshot(engine)

        reference = open_store(f"sqlite:///{tmp_path / 'reference.sqlite'}")
        add_survey_rows(reference, [(s, k) for k, s in
                                    {o.kind: o.sid for o in report.outcomes}.items()
                                    if s is not None])
        run_sync(live_client, reference, page_size=PAGE, model=templates.model)
        assert after_rerun == store_snapshot(reference)
        assert len(after_rerun["responses"]) == N
        reference.dispose()
    finally:
        live_support.delete_own_surveys(live_client, engine, created)
        engine.dispose()
