"""Contract tests for facts measured on a real LimeSurvey 6.14 that the recordings in
tests/fixtures/limesurvey/ do not hold (issue 11). Each one is asserted on the raw
JSON-RPC body the emulator sends, the way the real server writes it:

* PHP's json_encode writes an array keyed 0..n-1 in order as a JSON list: the answer
  options (and available answers) of a question whose codes are 0, 1, 2 arrive as a list,
  those of codes 1..10, 99 as an object; an empty array as ``[]``;
* ``delete_survey`` of a survey that does not exist answers ``{"status": "No permission"}``;
* ``invite_participants`` / ``remind_participants`` with a list of tids report "N left to
  send" counting every other eligible participant of the survey (invite tid 1 of 3:
  "2 left to send");
* ``get_site_settings("dbversionnumber")`` is an integer (630);
* ``get_question_properties``: ``available_answers``/``subquestions`` from subquestions
  only, by title; each question type its own default attributes;
* ``activate_tokens`` creates the given attributes and every declared one.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from bip_bridge.emulator import EmulatorServer
from bip_bridge.templates import compile_lss, load_templates
from conftest import EMULATOR_PASSWORD, EMULATOR_USER


class Rpc:
    """Raw JSON-RPC calls with one session key; returns ``result`` as sent on the wire."""

    def __init__(self, server: EmulatorServer) -> None:
        self.server = server
        self.key = self.raw("get_session_key", EMULATOR_USER, EMULATOR_PASSWORD)

    def raw(self, method: str, *params: Any) -> Any:
        reply = requests.post(self.server.url, json={"method": method, "params": list(params),
                                                     "id": 1}, timeout=10)
        assert reply.status_code == 200
        body = reply.json()
        assert body["error"] is None
        return body["result"]

    def __call__(self, method: str, *params: Any) -> Any:
        return self.raw(method, self.key, *params)


@pytest.fixture
def rpc() -> Iterator[Rpc]:
    with EmulatorServer(username=EMULATOR_USER, password=EMULATOR_PASSWORD, seed=3) as server:
        yield Rpc(server)


def _import_caseworker_survey(rpc: Rpc) -> int:
    lss = compile_lss(load_templates().questionnaire("caseworker"))
    sid = rpc("import_survey", base64.b64encode(lss).decode("ascii"), "lss")
    assert isinstance(sid, int)
    return sid


def _parent(rpc: Rpc, sid: int, title: str) -> int:
    rows = rpc("list_questions", sid)
    return next(int(r["qid"]) for r in rows if r["title"] == title and not int(r["parent_qid"]))


def test_answer_codes_0_to_n_minus_1_are_a_json_list_others_an_object(rpc: Rpc) -> None:
    sid = _import_caseworker_survey(rpc)
    ins = rpc("get_question_properties", _parent(rpc, sid, "INS"),
              ["answeroptions", "available_answers", "subquestions"], "en")
    assert isinstance(ins["answeroptions"], list)
    assert [o["answer"] for o in ins["answeroptions"]] == [
        "None", "Part of the period", "The whole period"]
    assert isinstance(ins["subquestions"], dict)  # keyed by qid: never 0..n-1
    assert isinstance(ins["available_answers"], dict)  # by subquestion title (JOB, ...)
    bip = rpc("get_question_properties", _parent(rpc, sid, "BIPH"), ["answeroptions"])
    assert isinstance(bip["answeroptions"], dict)
    assert list(bip["answeroptions"]) == [str(i) for i in range(1, 11)] + ["99"]


def test_an_empty_array_is_an_empty_json_list(rpc: Rpc) -> None:
    sid = _import_caseworker_survey(rpc)
    assert rpc("get_summary", sid) == []  # no participants table, not active


def test_delete_survey_that_does_not_exist_says_no_permission(rpc: Rpc) -> None:
    assert rpc("delete_survey", 999999) == {"status": "No permission"}
    sid = _import_caseworker_survey(rpc)
    assert rpc("delete_survey", sid) == {"status": "OK"}
    assert rpc("delete_survey", sid) == {"status": "No permission"}


def test_left_to_send_counts_every_other_eligible_participant(rpc: Rpc) -> None:
    sid = _import_caseworker_survey(rpc)
    assert rpc("activate_tokens", sid, [1, 2, 3]) == {"status": "OK"}
    rpc("activate_survey", sid)
    people = [{"firstname": f"P{i}", "email": f"p{i}@example.org", "language": "en"}
              for i in (1, 2, 3)]
    people.append({"firstname": "NoMail", "email": "", "language": "en"})  # never eligible
    tids = [int(row["tid"]) for row in rpc("add_participants", sid, people, True)]
    assert tids == [1, 2, 3, 4]

    first = rpc("invite_participants", sid, [1])
    assert first["status"] == "2 left to send"
    assert set(first) == {"1", "status"}
    assert rpc("invite_participants", sid, [2, 3])["status"] == "0 left to send"
    assert rpc("invite_participants", sid, [1]) == {"status": "Error: No candidate tokens"}

    reminded = rpc("remind_participants", sid, None, None, [2])
    assert reminded["status"] == "2 left to send"
    assert set(reminded) == {"2", "status"}
    assert rpc("remind_participants", sid)["status"] == "0 left to send"  # all three


def test_site_settings_types(rpc: Rpc) -> None:
    assert rpc("get_site_settings", "dbversionnumber") == 630
    assert rpc("get_site_settings", "versionnumber") == "6.14.0"


def test_question_properties_as_measured_per_type(rpc: Rpc) -> None:
    """6.14 on the bridge's caseworker questionnaire: available answers and subquestions come
    from subquestions only (by title), each type has its own default attribute set."""
    sid = _import_caseworker_survey(rpc)

    def props(title: str) -> Any:
        return rpc("get_question_properties", _parent(rpc, sid, title),
                   ["available_answers", "subquestions", "attributes", "attributes_lang"], "sv")

    status = props("STATUS")  # a list (L) question: answer options, no subquestions
    assert status["available_answers"] == status["subquestions"] == "No available answers"
    assert {"answer_order", "display_columns", "time_limit"} <= set(status["attributes"])
    assert "time_limit_message" in status["attributes_lang"]
    ins = props("INS")
    assert list(ins["available_answers"]) == sorted(ins["available_answers"])  # by title
    assert [s["title"] for s in ins["subquestions"].values()] == sorted(ins["available_answers"])
    pseudo = props("PSEUDO")  # an equation (*)
    assert set(pseudo["attributes"]) == {
        "cssclass", "equation", "hidden", "numbers_only", "page_break", "public_statistics",
        "scale_export", "statistics_graphtype", "statistics_showgraph"}
    assert pseudo["attributes"]["hidden"] == "1"
    assert pseudo["attributes_lang"] == {"printable_help": None}
    gapw = props("GAPW")  # numeric (N)
    assert {"em_validation_sq", "input_size", "max_num_value_n"} <= set(gapw["attributes"])
    assert {"prefix", "suffix", "placeholder"} <= set(gapw["attributes_lang"])


def test_activate_tokens_adds_every_declared_attribute_after_the_given_ones(rpc: Rpc) -> None:
    sid = _import_caseworker_survey(rpc)
    declared = json.loads(rpc("get_survey_properties", sid,
                              ["attributedescriptions"])["attributedescriptions"])
    assert rpc("activate_tokens", sid, [3, 1]) == {"status": "OK"}
    rpc("add_participants", sid, [{"email": "a@example.org"}], True)
    columns = [c for c in rpc("get_participant_properties", sid, 1)
               if c.startswith("attribute_")]
    rest = [c for c in declared if c not in ("attribute_3", "attribute_1")]
    assert columns == ["attribute_3", "attribute_1", *rest]
