"""Sync end to end: the real client against the LimeSurvey emulator, and `bip-bridge sync`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from bip_bridge.cli import main
from bip_bridge.config import load_settings
from bip_bridge.jobs import sync_job
from bip_bridge.provision import provision
from bip_bridge.store import open_store
from bip_bridge.store.queries import active_surveys, load_response_frames
from bip_bridge.sync import run_sync
from bip_bridge.templates import load_templates
from conftest import EMULATOR_PASSWORD, EMULATOR_USER
from lock_support import lock_held_elsewhere

KEY = "a-test-pseudonym-key-0123456789"


class Counting:
    """Counts the calls that reach the client, by method."""

    def __init__(self, api: Any) -> None:
        self.api, self.calls = api, Counter[str]()

    def __getattr__(self, name: str) -> Callable[..., Any]:
        target = getattr(self.api, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return target(*args, **kwargs)

        return call


@pytest.fixture
def templates() -> Any:
    return load_templates(None)


@pytest.fixture
def provisioned(ls_client: Any, store_url: str, templates: Any) -> Iterator[sa.Engine]:
    engine = open_store(store_url)
    provision(ls_client, engine, templates)
    yield engine
    engine.dispose()


def add_responses(client: Any, sid: int, n: int, *, complete: bool = True,
                  first: int = 0) -> list[int]:
    columns = {f["title"]: key for key, f in client.get_fieldmap(sid).items()
               if f.get("title") in ("PSEUDO", "WAVE") and not f.get("aid")}
    ids = []
    for i in range(first, first + n):
        row = {columns["PSEUDO"]: f"S{i:03d}", columns["WAVE"]: "0"}
        if not complete:
            row["submitdate"] = None
        ids.append(client.add_response(sid, row))
    return ids


def test_sync_through_the_real_client(ls_client: Any, provisioned: sa.Engine,
                                      templates: Any) -> None:
    engine = provisioned
    sid = active_surveys(engine)["participant"]
    add_responses(ls_client, sid, 23)
    late = add_responses(ls_client, sid, 2, complete=False, first=23)
    api = Counting(ls_client)
    first = run_sync(api, engine, page_size=10, model=templates.model)
    by_sid = {s.sid: s for s in first.surveys}
    assert (by_sid[sid].new, by_sid[sid].still_incomplete, by_sid[sid].pages) == (25, 2, 3)
    participant, caseworker = load_response_frames(engine)
    assert len(participant) == 25 and caseworker.empty
    assert participant.loc[0, "PSEUDO"] == "S000"
    assert {"id", "sid", "submitdate", "token", "WAVE"} <= set(participant.columns)

    api.calls.clear()
    second = run_sync(api, engine, page_size=10, model=templates.model)
    assert second.totals()["new"] == second.totals()["updated"] == 0
    # participant: incomplete re-check, empty page, summary; caseworker (no responses):
    # empty page, summary
    assert sum(api.calls.values()) == 5

    # LimeSurvey refuses update_response while alloweditaftercompletion is N (the bridge's
    # setting): allow it for this one edit, as the respondent finishing in the browser would
    ls_client.set_survey_properties(sid, {"alloweditaftercompletion": "Y"})
    ls_client.update_response(sid, {"id": late[0], "submitdate": "2026-11-23 10:00:00"})
    ls_client.set_survey_properties(sid, {"alloweditaftercompletion": "N"})
    ls_client.delete_response(sid, 4)
    third = run_sync(api, engine, page_size=10, model=templates.model)
    s = {x.sid: x for x in third.surveys}[sid]
    assert (s.new, s.updated, s.completed, s.still_incomplete, s.deleted) == (0, 1, 1, 1, 1)
    participant, _ = load_response_frames(engine)
    assert 4 not in set(participant["id"]) and len(participant) == 24


def write_config(tmp_path: Path, url: str, store_url: str, *, after_sync: bool) -> Path:
    path = tmp_path / "bip-bridge.toml"
    path.write_text(
        f'[limesurvey]\nurl = "{url}"\nusername = "{EMULATOR_USER}"\nretries = 1\n'
        f'[store]\nurl = "{store_url}"\nlock_wait_seconds = 1\n'
        f'[reports]\nout_dir = "{tmp_path / "reports"}"\nafter_sync = {str(after_sync).lower()}\n'
        "[sync]\npage_size = 10\n", encoding="utf-8")
    return path


ENV = {"BIP_BRIDGE_LIMESURVEY_PASSWORD": EMULATOR_PASSWORD, "BIP_BRIDGE_PSEUDONYM_KEY": KEY}


def test_sync_job_runs_every_step(emulator: Any, ls_client: Any, provisioned: sa.Engine,
                                  store_url: str, tmp_path: Path) -> None:
    sid = active_surveys(provisioned)["participant"]
    add_responses(ls_client, sid, 3)
    settings = load_settings(write_config(tmp_path, emulator.url, store_url, after_sync=False),
                             env=ENV)
    result = sync_job(settings)
    assert result.sync is not None and result.sync.status == "ok"
    assert result.sync.totals()["new"] == 3
    assert result.waves is not None and result.pushback is not None  # every step ran
    assert result.report_dir is None


def test_sync_job_writes_reports_after_sync(emulator: Any, ls_client: Any,
                                            provisioned: sa.Engine, store_url: str,
                                            tmp_path: Path) -> None:
    sid = active_surveys(provisioned)["participant"]
    add_responses(ls_client, sid, 3)
    settings = load_settings(write_config(tmp_path, emulator.url, store_url, after_sync=True),
                             env=ENV)
    result = sync_job(settings)
    assert result.report_dir is not None and result.report_dir.is_dir()


def test_cli_sync_prints_the_summary_and_refuses_a_second_run(
    emulator: Any, ls_client: Any, provisioned: sa.Engine, store_url: str, tmp_path: Path
) -> None:
    sid = active_surveys(provisioned)["participant"]
    add_responses(ls_client, sid, 2)
    config = write_config(tmp_path, emulator.url, store_url, after_sync=False)
    runner = CliRunner()
    result = runner.invoke(main, ["--config", str(config), "sync"], env=ENV)
    assert result.exit_code == 0, result.output
    assert f"survey {sid} (participant): 2 new, 0 updated" in result.output
    with lock_held_elsewhere(store_url, "waves") as holder:
        locked = runner.invoke(main, ["--config", str(config), "sync"], env=ENV)
    assert locked.exit_code == 75
    assert "Another bip-bridge command holds the" in locked.output
    assert f"waves pid {holder.pid}" in locked.output
    assert "exit code 75 means try again later" in locked.output
    again = runner.invoke(main, ["--config", str(config), "sync", "--full-refresh"], env=ENV)
    assert again.exit_code == 0, again.output
    assert "0 new, 0 updated" in again.output
