"""`status`: the pure function over store frames (before/after fixtures), the CLI on a
missing store (creates nothing), and the tables and JSON after a run on the emulator."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from bip_bridge.cli import main
from bip_bridge.outreach.status import StatusFrames, compute_status
from outreach_support import TODAY, cli, smtp, world

__all__ = ["smtp", "world"]  # fixtures

D0 = date(2026, 1, 15)
NOW = date(2026, 5, 1)  # wave 1 of people enrolled on D0 came due on 15 April


def frames(**changes: Any) -> StatusFrames:
    people = pd.DataFrame([("a", D0, None), ("b", D0, None), ("c", D0, date(2026, 2, 1)),
                           ("d", date(2026, 4, 28), None)],
                          columns=["pseudonym", "enrolled_on", "ended_on"])
    assignments = pd.DataFrame([("a", 0, "CW1"), ("b", 0, "CW1"), ("c", 0, "CW2"),
                                ("d", 0, "CW2"), ("b", 1, "CW2")],
                               columns=["pseudonym", "from_wave", "caseworker_id"])
    rows = []
    for p, wave, due in (("a", 0, D0), ("b", 0, D0), ("c", 0, D0), ("a", 1, date(2026, 4, 15)),
                         ("b", 1, date(2026, 4, 15)), ("d", 0, date(2026, 4, 28))):
        cw = {"a": "CW1", "b": "CW1" if wave == 0 else "CW2", "c": "CW2", "d": "CW2"}[p]
        for kind in ("participant", "caseworker"):
            rows.append((p, wave, kind, cw, due, 1, f"t{p}{wave}{kind[0]}", 1 if kind[0] ==
                         "p" else 2, True, wave == 0 and p in "ab"))
    tokens = pd.DataFrame(rows, columns=["pseudonym", "wave", "kind", "caseworker_id",
                                         "due_on", "tid", "token", "sid", "invited",
                                         "completed"])
    answered = pd.DataFrame([("a", 1, "participant")], columns=["pseudonym", "wave", "kind"])
    base = {"participants": people, "assignments": assignments, "tokens": tokens,
            "answered": answered,
            "last_sync": {"started_at": datetime(2026, 4, 30, 6, tzinfo=UTC),
                          "finished_at": datetime(2026, 4, 30, 6, 1, tzinfo=UTC),
                          "status": "ok", "new": 3, "updated": 0, "error": None}}
    base.update(changes)
    return StatusFrames(**base)


def test_status_tables_from_frames() -> None:
    result = compute_status(frames(), NOW)
    expected_waves = pd.DataFrame({
        "wave": [0, 1], "due": [4, 2], "invited_p": [4, 2], "invited_c": [4, 2],
        "answered_p": [2, 1], "answered_c": [2, 0], "rate_p": [0.5, 0.5], "rate_c": [0.5, 0.0],
    })
    pd.testing.assert_frame_equal(result.waves, expected_waves)
    # a: CW1 wave 1 open since 15 April: 16 days > 14 -> overdue; b moved to CW2 from
    # wave 1 (open, overdue); d: CW2 wave 0 open 3 days; c ended
    expected_cw = pd.DataFrame({"caseworker_id": ["CW1", "CW2"], "participants": [1, 2],
                                "open": [1, 2], "overdue": [1, 1]})
    pd.testing.assert_frame_equal(result.caseworkers, expected_cw)
    expected_next = pd.DataFrame({"due_on": [date(2026, 7, 15), date(2026, 7, 28)],
                                  "participants": [2, 1]})
    pd.testing.assert_frame_equal(result.next_due, expected_next)
    assert result.last_sync is not None and result.last_sync["status"] == "ok"


def test_status_after_answers_and_a_later_day() -> None:
    before = frames()
    answered = pd.DataFrame([("a", 1, "participant"), ("a", 1, "caseworker"),
                             ("b", 1, "caseworker")], columns=["pseudonym", "wave", "kind"])
    after = compute_status(frames(answered=answered), NOW)
    assert compute_status(before, NOW).caseworkers["open"].tolist() == [1, 2]
    assert after.caseworkers["open"].tolist() == [0, 1]
    assert after.waves.loc[1, "answered_c"] == 2 and after.waves.loc[1, "rate_c"] == 1.0
    # the day before the grace period ends nothing is overdue yet
    early = compute_status(before, date(2026, 4, 29))
    assert early.caseworkers["overdue"].tolist() == [0, 0]


def test_status_of_an_empty_store() -> None:
    empty = frames(participants=frames().participants.iloc[0:0],
                   tokens=frames().tokens.iloc[0:0], last_sync=None)
    result = compute_status(empty, NOW)
    assert result.waves.empty and result.caseworkers.empty and result.next_due.empty
    assert list(result.waves.columns)[:2] == ["wave", "due"]


def test_status_without_a_store_creates_nothing(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "bip-bridge.toml"
    config.write_text('[limesurvey]\nurl = "http://127.0.0.1:1/index.php/admin/remotecontrol"\n'
                      'username = "u"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(config), "status"])
    assert result.exit_code == 66, result.output
    assert "no bip-bridge store" in result.output and "nothing was created" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bip-bridge.toml"]


def test_status_cli_tables_and_json(world: dict[str, Any]) -> None:
    assert cli(world, "participants", "import", str(world["roster"])).exit_code == 0
    assert cli(world, "waves", "--send-as-of", TODAY.isoformat(), day=TODAY).exit_code == 0
    table = cli(world, "status", "--today", TODAY.isoformat())
    assert table.exit_code == 0, table.output
    assert "Waves on" in table.output and "HL-017" in table.output
    assert "Last sync: never" in table.output
    for secret in ("Anna", "karin@", "anna@"):
        assert secret not in table.output
    data = json.loads(cli(world, "status", "--json", "--today", TODAY.isoformat()).output)
    assert data["waves"] == [{"wave": 0, "due": 3, "invited_p": 3, "invited_c": 3,
                              "answered_p": 0, "answered_c": 0, "rate_p": 0.0, "rate_c": 0.0}]
    assert data["caseworkers"] == [
        {"caseworker_id": "HL-017", "participants": 2, "open": 2, "overdue": 0},
        {"caseworker_id": "HL-018", "participants": 1, "open": 1, "overdue": 0}]
    assert data["next_due"][0]["participants"] >= 1 and data["last_sync"] is None
    # a participant answers in LimeSurvey: --live sees it before any sync
    import sqlalchemy as sa

    from bip_bridge.store import schema

    with world["engine"].connect() as conn:
        sid, tid = conn.execute(sa.select(schema.tokens.c.sid, schema.tokens.c.tid).where(
            schema.tokens.c.kind == "participant").limit(1)).one()
    world["client"].set_participant_properties(int(sid), int(tid),
                                               {"completed": f"{TODAY.isoformat()} 09:00"})
    day = (TODAY + timedelta(days=1)).isoformat()
    stored = json.loads(cli(world, "status", "--json", "--today", day).output)
    live = json.loads(cli(world, "status", "--json", "--live", "--today", day).output)
    assert stored["waves"][0]["answered_p"] == 0 and stored["live"] is False
    assert live["live"] is True and live["waves"][0]["answered_p"] == 1


def test_status_on_an_unreadable_store_says_so(tmp_path: Path) -> None:
    junk = tmp_path / "store.sqlite"
    junk.write_bytes(b"this is not a database" * 100)
    config = tmp_path / "bip-bridge.toml"
    config.write_text('[limesurvey]\nurl = "http://127.0.0.1:1/index.php/admin/remotecontrol"\n'
                      f'username = "u"\n[store]\nurl = "sqlite:///{junk}"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(config), "status"])
    assert result.exit_code == 69, result.output
    assert "Cannot read the store" in result.output
    assert junk.read_bytes() == b"this is not a database" * 100


# --- invariants (hypothesis) ---------------------------------------------------------

_people = st.lists(st.tuples(st.integers(0, 500), st.one_of(st.none(), st.integers(0, 600)),
                             st.booleans(), st.booleans(), st.sampled_from(["CW1", "CW2"])),
                   min_size=0, max_size=12)


@settings(max_examples=60, deadline=None)
@given(people=_people, offset=st.integers(0, 700))
def test_status_invariants(people: list[tuple[int, int | None, bool, bool, str]],
                           offset: int) -> None:
    start = date(2025, 1, 1)
    today = start + timedelta(days=offset)
    rows, assignments, tokens = [], [], []
    for n, (enrol, end, invited, done, cw) in enumerate(people):
        p = f"p{n:03d}"
        enrolled = start + timedelta(days=enrol)
        ended = None if end is None or end < enrol else start + timedelta(days=end)
        rows.append((p, enrolled, ended))
        assignments.append((p, 0, cw))
        for wave in range(5):
            due = enrolled + timedelta(days=91 * wave)
            for kind in ("participant", "caseworker"):
                tokens.append((p, wave, kind, cw, due, n * 10 + wave, f"t{p}{wave}{kind[0]}",
                               1 if kind == "participant" else 2, invited, done and wave % 2 == 0))
    result = compute_status(frames(
        participants=pd.DataFrame(rows, columns=["pseudonym", "enrolled_on", "ended_on"]),
        assignments=pd.DataFrame(assignments, columns=["pseudonym", "from_wave",
                                                       "caseworker_id"]),
        tokens=pd.DataFrame(tokens, columns=["pseudonym", "wave", "kind", "caseworker_id",
                                             "due_on", "tid", "token", "sid", "invited",
                                             "completed"]),
        answered=pd.DataFrame([], columns=["pseudonym", "wave", "kind"])), today)
    w = result.waves
    for column in ("invited_p", "invited_c", "answered_p", "answered_c"):
        assert (w[column] <= w["due"]).all()
    assert ((w["rate_p"] >= 0) & (w["rate_p"] <= 1)).all()
    assert w["due"].is_monotonic_decreasing  # nobody is due wave k+1 without wave k
    cw = result.caseworkers
    assert (cw["overdue"] <= cw["open"]).all()
    active = sum(1 for _, enrolled, ended in rows if ended is None)
    assert int(cw["participants"].sum()) == active
    assert int(result.next_due["participants"].sum()) <= active
    assert (result.next_due["due_on"] > today).all()
