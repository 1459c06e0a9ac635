"""Unit tests of the emulator's core and its test knobs (what the recordings do not cover
call by call: lock-out, expiry, injected failures, equations, the outbox, exact exports)."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests

from bip_bridge.emulator import EmulatorCore, EmulatorServer, decode_export, export_rows
from bip_bridge.emulator.phpjson import php_json
from conftest import EMULATOR_PASSWORD, EMULATOR_USER, RECORDINGS

LSS = base64.b64encode((RECORDINGS / "reference-survey.lss").read_bytes()).decode("ascii")
SID = 845216


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 30, 15)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def core(clock: Clock) -> EmulatorCore:
    return EmulatorCore(EMULATOR_USER, EMULATOR_PASSWORD, clock=clock, seed=1)


def login(core: EmulatorCore) -> str:
    key = core.call("get_session_key", [EMULATOR_USER, EMULATOR_PASSWORD])
    assert isinstance(key, str)
    return key


def active_survey(core: EmulatorCore, *, attributes: int = 3) -> str:
    key = login(core)
    assert core.call("import_survey", [key, LSS, "lss"]) == SID
    core.call("activate_tokens", [key, SID, list(range(1, attributes + 1))])
    core.call("activate_survey", [key, SID])
    return key


# --- sessions ---------------------------------------------------------------------------


def test_session_key_is_32_chars_of_the_limesurvey_alphabet(core: EmulatorCore) -> None:
    key = login(core)
    assert len(key) == 32
    assert set(key) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_~")


def test_three_failures_lock_out_even_the_right_password_for_ten_minutes(
    core: EmulatorCore, clock: Clock
) -> None:
    for _ in range(3):
        assert core.call("get_session_key", [EMULATOR_USER, "wrong"]) == {
            "status": "Invalid user name or password"}
    locked = core.call("get_session_key", [EMULATOR_USER, EMULATOR_PASSWORD])
    assert locked == {"status": "You have exceeded the number of maximum login attempts. "
                                "Please wait 10 minutes before trying again."}
    clock.now += timedelta(seconds=601)
    assert isinstance(core.call("get_session_key", [EMULATOR_USER, EMULATOR_PASSWORD]), str)


def test_keys_expire_after_the_ttl_and_on_demand(clock: Clock) -> None:
    core = EmulatorCore(EMULATOR_USER, EMULATOR_PASSWORD, clock=clock, session_ttl=60)
    key = login(core)
    clock.now += timedelta(seconds=59)
    assert core.call("list_surveys", [key]) == {"status": "No surveys found"}
    clock.now += timedelta(seconds=2)
    assert core.call("list_surveys", [key]) == {"status": "Invalid session key"}
    key = login(core)
    core.expire_all_sessions()
    assert core.call("list_surveys", [key]) == {"status": "Invalid session key"}
    assert core.call("release_session_key", [key]) == "OK"


def test_call_log_counts_calls_in_order(core: EmulatorCore) -> None:
    key = login(core)
    core.call("list_surveys", [key])
    core.call("release_session_key", [key])
    assert core.call_log == ["get_session_key", "list_surveys", "release_session_key"]


# --- import and structure ---------------------------------------------------------------


def test_import_renumbers_ids_and_keeps_a_free_sid(core: EmulatorCore) -> None:
    key = login(core)
    assert core.call("import_survey", [key, LSS, "lss", "Kopia"]) == SID
    second = core.call("import_survey", [key, LSS, "lss"])
    assert isinstance(second, int) and second != SID and 100000 <= second <= 999999
    questions = core.call("list_questions", [key, SID])
    assert sorted(q["qid"] for q in questions) == list(range(1, 19))
    assert core.call("get_language_properties", [key, SID, ["surveyls_title"], "da"]) == {
        "surveyls_title": "Kopia"}
    assert core.call("list_groups", [key, second])[0]["gid"] == 2


def test_other_import_types(core: EmulatorCore) -> None:
    key = login(core)
    assert core.call("import_survey", [key, LSS, "tsv"]) == {"status": "Invalid extension"}
    refused = core.call("import_survey", [key, LSS, "txt"])
    assert refused["status"].startswith("LimeSurvey emulator: only .lss imports")


def test_fieldmap_token_column_only_with_a_participants_table(core: EmulatorCore) -> None:
    key = login(core)
    core.call("import_survey", [key, LSS, "lss"])
    assert "token" not in core.call("get_fieldmap", [key, SID])
    core.call("activate_tokens", [key, SID, [1]])
    fieldmap = core.call("get_fieldmap", [key, SID])
    assert list(fieldmap)[:8] == ["id", "submitdate", "lastpage", "startlanguage", "seed",
                                  "token", "startdate", "datestamp"]
    assert list(fieldmap)[8:11] == ["845216X1X1SQ001", "845216X1X1SQ002", "845216X1X1SQ003"]


def test_set_survey_properties_on_an_active_survey(core: EmulatorCore) -> None:
    key = active_survey(core)
    assert core.call("set_survey_properties", [key, SID, {"anonymized": "Y", "sid": 1}]) == {
        "status": "No valid Data"}
    assert core.call("set_survey_properties", [key, SID, {"admin": "X", "datestamp": "N"}]) == {
        "admin": True}


# --- participants and mail ----------------------------------------------------------------


def test_invite_and_remind_fill_the_outbox_never_real_mail(core: EmulatorCore,
                                                           clock: Clock) -> None:
    key = active_survey(core)
    added = core.call("add_participants", [key, SID, [
        {"firstname": "Emma", "lastname": "Smith", "email": "emma@example.org",
         "language": "en", "token": "tok-1"},
        {"firstname": "No", "lastname": "Mail", "email": "", "token": "tok-2"},
    ], False])
    assert [p["tid"] for p in added] == ["1", "2"]
    result = core.call("invite_participants", [key, SID])
    assert result == {"1": {"name": "Emma Smith", "email": "emma@example.org", "status": "OK",
                            "warning": None, "error": None}, "status": "0 left to send"}
    assert core.call("invite_participants", [key, SID]) == {
        "status": "Error: No candidate tokens"}
    clock.now += timedelta(days=3)
    key = login(core)  # the first key expired meanwhile
    assert "1" in core.call("remind_participants", [key, SID, 2])
    row = core.call("get_participant_properties",
                    [key, SID, 1, ["sent", "remindersent", "remindercount"]])
    assert row == {"sent": "2026-03-02 09:30", "remindersent": "2026-03-05 09:30",
                   "remindercount": 1}
    assert [(m.kind, m.to, m.language, m.subject) for m in core.outbox] == [
        ("invite", "Emma Smith <emma@example.org>", "en", "Invitation to the self-assessment"),
        ("remind", "Emma Smith <emma@example.org>", "en", "Reminder: self-assessment"),
    ]
    assert "token=tok-1&amp;lang=en" in core.outbox[0].body
    assert "{SURVEYURL}" not in core.outbox[0].body


def test_list_participants_conditions_and_tid_lower_bound(core: EmulatorCore) -> None:
    key = active_survey(core)
    core.call("add_participants", [key, SID, [
        {"firstname": f"P{i}", "attribute_2": str(i)} for i in range(1, 6)], True])
    def tids(*args: Any) -> Any:
        result = core.call("list_participants", [key, SID, *args])
        return [r["tid"] for r in result] if isinstance(result, list) else result

    assert tids(2, 2) == [2, 3]
    assert tids(0, 10, False, False, {"attribute_2": [">=", "4"]}) == [4, 5]
    assert tids(0, 10, False, False, {"attribute_2": ["IN", ["1", "3"]]}) == [1, 3]
    assert tids(0, 10, False, False, {"attribute_2": ["<>", "1"]}) == [2, 3, 4, 5]
    assert tids(9) == {"status": "No survey participants found."}


# --- responses and exports -------------------------------------------------------------------


def test_add_response_semantics_and_exact_csv(core: EmulatorCore) -> None:
    key = active_survey(core)
    assert core.call("add_response", [key, SID, {
        "token": "t1", "845216X1X2": "4", "845216X1X5": 'a "b"\nc', "WELLBEING": "1",
        "lastpage": "1"}]) == "1"
    assert core.call("add_response", [key, SID, {"token": "t2", "submitdate": None}]) == "2"
    csv = decode_export(core.call("export_responses", [
        key, SID, "csv", None, "all", "code", "short", None, None,
        ["id", "submitdate", "lastpage", "token", "845216X1X2", "845216X1X5"]]))
    expected = (
        '\ufeff"id";"submitdate";"lastpage";"token";"WELLBEING";"COMMENT"\r\n'
        '"1";"2026-03-02 09:30:15";"1";"t1";"4";"a ""b""\nc"\r\n'
        '"2";;;"t2";;\r\n\r\n'
    )
    assert csv == expected
    rows = export_rows(core.call("export_responses", [key, SID, "json", None, "incomplete"]))
    assert [(r["id"], r["submitdate"], r["startlanguage"]) for r in rows] == [(2, None, "sv")]
    assert core.call("get_summary", [key, SID, "completed_responses"]) == 1
    assert core.call("get_participant_properties", [key, SID, {"token": "t1"}]) == {
        "status": "Error: No results were found based on your attributes."}


def test_update_and_delete_response(core: EmulatorCore) -> None:
    key = active_survey(core)
    core.call("add_response", [key, SID, {"token": "t", "submitdate": ""}])
    assert core.call("update_response", [key, SID, {"id": 1, "WELLBEING": "3"}]) == {
        "status": "Invalid Column names supplied: WELLBEING"}
    assert core.call("update_response", [key, SID, {"token": "t",
                                                    "submitdate": "2026-03-02 10:00:00"}])
    assert core.call("get_summary", [key, SID, "completed_responses"]) == 1
    assert core.call("delete_response", [key, SID, 1]) == {"1": "deleted"}
    assert core.call("add_response", [key, SID, {}]) == "2"  # ids are never reused


def test_equations_are_filled_from_the_token_only_when_asked(clock: Clock) -> None:
    for fill, expected in ((False, None), (True, "P-001")):
        core = EmulatorCore(EMULATOR_USER, EMULATOR_PASSWORD, clock=clock,
                            fill_equations_from_token=fill)
        key = login(core)
        lss = (RECORDINGS / "reference-survey.lss").read_text(encoding="utf-8")
        lss = lss.replace("<type><![CDATA[S]]></type>", "<type><![CDATA[*]]></type>")
        lss = lss.replace(
            "<attribute><![CDATA[maximum_chars]]></attribute>\n    <value><![CDATA[500]]>",
            "<attribute><![CDATA[equation]]></attribute>\n    "
            "<value><![CDATA[{TOKEN:ATTRIBUTE_1}]]>",
        )
        sid = core.call("import_survey", [key, base64.b64encode(lss.encode()).decode(), "lss"])
        core.call("activate_tokens", [key, sid, [1]])
        core.call("activate_survey", [key, sid])
        core.call("add_participants", [key, sid, [{"token": "tk", "attribute_1": "P-001"}],
                                       False])
        core.call("add_response", [key, sid, {"token": "tk"}])
        rows = export_rows(core.call("export_responses", [key, sid, "json"]))
        assert rows[0]["COMMENT"] == expected


# --- transport ---------------------------------------------------------------------------------


def test_php_json_escaping() -> None:
    assert php_json({"a": "Å/ä", "b": {}, "c": [1, None]}) == (
        '{"a":"\\u00c5\\/\\u00e4","b":[],"c":[1,null]}')


def post(server: EmulatorServer, body: Any, content_type: str = "application/json",
         ) -> requests.Response:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return requests.post(server.url, data=data, headers={"Content-Type": content_type},
                         timeout=10)


def test_server_knobs_failures_interface_and_notifications() -> None:
    with EmulatorServer(username=EMULATOR_USER, password=EMULATOR_PASSWORD) as server:
        login_call = {"method": "get_session_key", "params": [EMULATOR_USER, EMULATOR_PASSWORD],
                      "id": 1}
        server.fail_next(2, http_status=503)
        assert [post(server, login_call).status_code for _ in range(3)] == [503, 503, 200]
        server.set_rpc_interface("off")
        off = post(server, login_call)
        assert (off.status_code, off.text) == (200, "")
        server.set_rpc_interface("json")
        key = post(server, login_call).json()["result"]
        note = post(server, {"method": "release_session_key", "params": [key], "id": 0})
        assert (note.status_code, note.text) == (200, "")
        assert post(server, {"method": "list_surveys", "params": [key], "id": "x"}).json() == {
            "id": "x", "result": {"status": "Invalid session key"}, "error": None}
        assert server.call_log == ["get_session_key", "get_session_key",
                                   "release_session_key", "list_surveys"]
        assert post(server, b"{", content_type="application/json").text == (
            '{"id":null,"result":null,"error":"unable to decode malformed json"}')
    with pytest.raises(RuntimeError):
        _ = server.url


def test_every_rpc_method_lives_in_one_method_family_module() -> None:
    """core.py only dispatches; each RPC method is defined once, in its family's module."""
    from bip_bridge.emulator.core import RPC_METHODS

    families = {"session", "surveys", "questions", "participants", "mail", "responses"}
    homes = {name: getattr(EmulatorCore, name).__module__.rsplit(".", 1)[-1]
             for name in RPC_METHODS}
    assert set(homes.values()) == families
    assert homes["get_question_properties"] == "questions"
    assert homes["invite_participants"] == "mail"
    assert homes["export_responses"] == "responses"
