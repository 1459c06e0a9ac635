"""What the live runs taught, kept for CI: the recordings of tests/record_live.py replayed.

``live-6.14.jsonl`` and ``live-5.6.jsonl`` hold the same calls made against LimeSurvey
6.14.0 and 5.6.8 (the bridge's own surveys). Each fact is replayed byte for byte through
the client, and where the emulator should answer alike, compared with the emulator.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from bip_bridge.errors import LimeSurveyRejected
from bip_bridge.provision import provision
from bip_bridge.store import open_store
from bip_bridge.templates import load_templates
from conftest import EMULATOR_PASSWORD, EMULATOR_USER, load_recording, recording_step
from test_limesurvey_replay import Replay, make_client, replay_fixture  # noqa: F401

SERVERS = {"live-6.14": ("6.14.0", 630), "live-5.6": ("5.6.8", 495)}


def result_of(name: str, step: str) -> Any:
    return json.loads(recording_step(name, step)["response_text"])["result"]


def test_both_recordings_hold_the_same_steps() -> None:
    steps = {name: [r["step"] for r in load_recording(name)] for name in SERVERS}
    assert steps["live-6.14"] == steps["live-5.6"]
    assert len(steps["live-6.14"]) == 16
    for name in SERVERS:
        text = "".join(json.dumps(r) for r in load_recording(name))
        assert "127.0.0.1" not in text and "password" not in text.lower().replace(
            "<password>", "")


@pytest.mark.parametrize("name", SERVERS)
def test_version_and_db_version(replay: Replay, name: str) -> None:
    version, db_version = SERVERS[name]
    replay.login()
    replay.add(name, "get_site_settings.versionnumber")
    with make_client() as client:
        assert client.server_version() == version
    assert result_of(name, "get_site_settings.dbversionnumber") == db_version  # an int


@pytest.mark.parametrize("name", SERVERS)
def test_answer_codes_0_to_n_arrive_as_a_list_and_are_read_as_codes(replay: Replay,
                                                                     name: str) -> None:
    assert isinstance(result_of(name, "get_question_properties.answeroptions_0_to_n")[
        "answeroptions"], list)
    replay.login()
    replay.add(name, "get_question_properties.answeroptions_0_to_n")
    replay.add(name, "get_question_properties.answeroptions_1_to_n")
    with make_client() as client:
        ins = client.get_question_properties(1, ["answeroptions"], language="en")
        assert list(ins["answeroptions"]) == ["0", "1", "2"]
        assert ins["answeroptions"]["2"]["answer"] == "The whole period"
        scale = client.get_question_properties(2, ["answeroptions"], language="en")
        assert list(scale["answeroptions"]) == [str(i) for i in range(1, 11)] + ["99"]


@pytest.mark.parametrize("name", SERVERS)
def test_deleting_a_missing_survey_says_no_permission(replay: Replay, name: str) -> None:
    replay.login()
    replay.add(name, "delete_survey.missing")
    with make_client() as client, pytest.raises(LimeSurveyRejected) as err:
        client.delete_survey(999991)
    assert err.value.status == "No permission"


@pytest.mark.parametrize("name", SERVERS)
def test_invitations_and_reminders(replay: Replay, name: str) -> None:
    replay.login()
    replay.add(name, "invite_participants.one_of_four")
    replay.add(name, "invite_participants.no_email")
    replay.add(name, "remind_participants.one")
    replay.add(name, "list_participants.sent_remindercount")
    with make_client() as client:
        invited = client.invite_participants(1, [1])
        assert invited["status"] == "2 left to send"  # the others of the survey, not 0
        assert invited["1"]["status"] == "OK"
        assert client.invite_participants(1, [4]) == {}  # no address: nothing to send
        assert client.remind_participants(1, [1])["1"]["status"] == "OK"
        rows = client.list_participants(1, attributes=["sent", "remindersent",
                                                       "remindercount", "completed"])
    got = [(r["tid"], r["sent"] != "N", r["remindersent"] != "N", r["remindercount"],
            r["participant_info"]["email"]) for r in rows]
    assert got == [(1, True, True, 1, "rec0@example.org"), (2, False, False, 0,
                                                             "rec1@example.org"),
                   (3, False, False, 0, "rec2@example.org"), (4, False, False, 0, "")]


def test_unset_attributes_differ_between_versions() -> None:
    """add_participants echoes attributes it was not given as "" on 6.14, null on 5.6."""
    last = {name: result_of(name, "add_participants.with_and_without_email")[-1]
            for name in SERVERS}
    assert (last["live-6.14"]["attribute_3"], last["live-5.6"]["attribute_3"]) == ("", None)
    assert all(row["tid"] == "4" and row["email"] == "" for row in last.values())


@pytest.mark.parametrize("name", SERVERS)
def test_update_response_is_refused_without_edit_after_completion(replay: Replay,
                                                                  name: str) -> None:
    assert result_of(name, "add_response.incomplete") == "1"
    replay.login()
    replay.add(name, "update_response.edit_not_allowed")
    with make_client() as client, pytest.raises(LimeSurveyRejected) as err:
        client.update_response(1, {"id": 1, "submitdate": "2026-11-30 10:00:00"})
    assert err.value.status == "Survey does not allow edit after completion"


@pytest.mark.parametrize("name", SERVERS)
def test_the_sync_export_is_plain_rows(replay: Replay, name: str) -> None:
    replay.login()
    replay.add(name, "export_responses.json_code")
    with make_client() as client:
        rows = client.export_responses(1, from_id=1, to_id=10)
    assert [(r["id"], r["submitdate"] is None, r["PSEUDO"]) for r in rows] == [
        (1, True, "PSEUDO1"), (2, False, "PSEUDO0")]
    assert list(rows[0])[:8] == ["id", "submitdate", "lastpage", "startlanguage", "seed",
                                 "token", "startdate", "datestamp"]


@pytest.mark.parametrize("name", SERVERS)
def test_a_null_conditions_parameter_is_never_sent(replay: Replay, name: str) -> None:
    """An explicit null for list_participants' conditions is an HTTP 500 on PHP 8
    (count(null)); the client leaves trailing nulls out so LimeSurvey uses its default."""
    record = recording_step(name, "list_participants.null_conditions")
    assert record["http_status"] == 500 and "count(): Argument #1" in record["response_text"]
    replay.login()
    replay.add(name, "list_participants.sent_remindercount")
    with make_client() as client:
        client.list_participants(1, attributes=["sent"])
    sent = dict(zip(replay.sent_methods(), replay.sent_params(), strict=True))
    assert sent["list_participants"][-1] == ["sent"]  # nothing after the attributes


@pytest.mark.parametrize(("name", "found"), [("live-6.14", ["PSEUDO0"]), ("live-5.6", [])])
def test_export_by_token_list_finds_nothing_on_5_6(replay: Replay, name: str,
                                                   found: list[str]) -> None:
    """The bridge does not call export_responses_by_token; whoever does must know that a
    list of tokens silently matches nothing on 5.6.8."""
    replay.login()
    replay.add(name, "export_responses_by_token.list")
    with make_client() as client:
        rows = client.export_responses_by_token(1, ["rectoken0"])
    assert [r["PSEUDO"] for r in rows] == found


# --- the emulator against the same facts ---------------------------------------------------


def _raw(emulator: Any, method: str, *params: Any) -> Any:
    def post(m: str, p: list[Any]) -> Any:
        return requests.post(emulator.url, json={"method": m, "params": p, "id": 1},
                             timeout=10).json()["result"]

    key = post("get_session_key", [EMULATOR_USER, EMULATOR_PASSWORD])
    try:
        return post(method, [key, *params])
    finally:
        post("release_session_key", [key])


@pytest.fixture
def emulated(emulator: Any, ls_client: Any) -> Any:
    engine = open_store("sqlite://")
    report = provision(ls_client, engine, load_templates())
    engine.dispose()
    return {o.kind: o.sid for o in report.outcomes}


def test_the_emulator_answers_the_recorded_shapes(emulator: Any, ls_client: Any,
                                                  emulated: Any) -> None:
    recorded = "live-6.14"
    assert type(_raw(emulator, "get_site_settings", "dbversionnumber")) is int
    cw = emulated["caseworker"]
    qid = next(int(q["qid"]) for q in ls_client.list_questions(cw) if q["title"] == "INS"
               and not int(q.get("parent_qid") or 0))
    got = _raw(emulator, "get_question_properties", qid, ["answeroptions"], "en")
    assert got == result_of(recorded, "get_question_properties.answeroptions_0_to_n")
    assert _raw(emulator, "delete_survey", 999991) == result_of(recorded,
                                                                "delete_survey.missing")


def test_the_emulator_refuses_update_response_like_limesurvey(emulator: Any, ls_client: Any,
                                                              emulated: Any) -> None:
    sid = emulated["participant"]
    rid = ls_client.add_response(sid, {"token": "x", "submitdate": None})
    got = _raw(emulator, "update_response", sid, {"id": rid, "submitdate": "2026-11-30 10:00"})
    assert got == result_of("live-6.14", "update_response.edit_not_allowed")
