"""PHP arrays in both JSON shapes: the emulator writes them as PHP's json_encode does
(emulator/phpjson.py), the bridge reads them through one helper (api.php_array)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bip_bridge.api import attribute_descriptions, php_array, php_list
from bip_bridge.emulator.phpjson import php_json, php_key
from bip_bridge.errors import LimeSurveyRejected
from test_limesurvey_replay import Replay, make_client, replay_fixture  # noqa: F401


def test_keys_0_to_n_minus_1_in_order_are_a_list_others_an_object() -> None:
    assert php_json({"0": "a", "1": "b", "2": "c"}) == '["a","b","c"]'
    assert php_json({0: "a", 1: "b"}) == '["a","b"]'
    assert php_json({"1": "a", "0": "b"}) == '{"1":"a","0":"b"}'  # not in order
    assert php_json({"1": "a", "2": "b"}) == '{"1":"a","2":"b"}'  # not from 0
    assert php_json({"0": "a", "01": "b"}) == '{"0":"a","01":"b"}'  # "01" stays a string
    assert php_json({}) == "[]"
    assert php_json({"answeroptions": {"0": {"answer": "Ingen"}}}) == (
        '{"answeroptions":[{"answer":"Ingen"}]}')


def test_php_keys() -> None:
    assert [php_key(k) for k in ("0", "17", "-3", "01", " 1", "-0", "1.5", "A", True)] == [
        0, 17, -3, "01", " 1", "-0", "1.5", "A", 1]


def test_php_array_reads_both_shapes() -> None:
    assert php_array([{"answer": "Ingen"}, {"answer": "Hela"}]) == {
        "0": {"answer": "Ingen"}, "1": {"answer": "Hela"}}
    assert php_array({"A": 1, 2: "x"}) == {"A": 1, "2": "x"}
    assert php_array([]) == {}
    for not_an_array in (None, False, "No available answer options", 3):
        assert php_array(not_an_array) == {}


def test_php_list_reads_both_shapes() -> None:
    assert php_list([1, 2]) == [1, 2]
    assert php_list({"2": "c", "0": "a", "10": "d", "1": "b"}) == ["a", "b", "c", "d"]
    assert php_list(None) == []
    assert php_list("No surveys found") == []


def test_attribute_descriptions_in_every_shape() -> None:
    declared = {"attribute_2": {"description": "WAVE", "mandatory": "N"},
                "attribute_1": {"description": "PSEUDO"}, "attribute_10": "TEXT",
                "language": "sv"}
    expected = {"attribute_1": "PSEUDO", "attribute_2": "WAVE", "attribute_10": "TEXT"}
    assert attribute_descriptions(json.dumps(declared)) == expected
    assert attribute_descriptions(declared) == expected
    assert list(attribute_descriptions(declared)) == list(expected)  # by number
    for empty in ("", "[]", "{}", "not json", None, []):
        assert attribute_descriptions(empty) == {}


keys = st.one_of(st.integers(min_value=-5, max_value=12).map(str),
                 st.sampled_from(["A", "01", "99", "JOB", " 1", "-0"]))
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5))


@settings(deadline=None)  # a shared, busy machine: timing is for benchmarks/
@given(st.dictionaries(keys, scalars, max_size=8))
def test_what_the_emulator_writes_the_bridge_reads_back(value: dict[str, Any]) -> None:
    """Any map the emulator sends, in whichever shape PHP picks, reads back unchanged."""
    assert php_array(json.loads(php_json(value))) == value


# --- the client reads every result through the helper --------------------------------------


def _answer(result: Any) -> bytes:
    return json.dumps({"id": 1, "result": result, "error": None}).encode()


def test_client_reads_each_map_and_list_result_in_either_shape(replay: Replay) -> None:
    """What PHP may send for each call the bridge reads: a map as a list (keys 0..n-1, or
    an empty array), a list as an object (keys with a gap)."""
    replay.login()
    option = {"answer": "Ingen", "assessment_value": 0, "scale_id": 0, "order": 0}
    replay.add_raw(_answer({"answeroptions": [option, option], "available_answers": ["a", "b"],
                            "attributes": [], "attributes_lang": [],
                            "subquestions": "No available answers"}),
                   method="get_question_properties")
    replay.add_raw(_answer([]), method="get_survey_properties")
    replay.add_raw(_answer([]), method="get_fieldmap")
    replay.add_raw(_answer([]), method="get_summary")
    replay.add_raw(_answer({"0": {"tid": "1", "token": "a", "participant_info": []},
                            "2": {"tid": "3", "token": "b", "participant_info": {
                                "firstname": "B", "lastname": "", "email": "b@x.se"}}}),
                   method="list_participants")
    replay.add_raw(_answer({"0": 1, "3": 7}), method="get_response_ids")
    replay.add_raw(_answer({"1": {"name": "A", "email": "a@x.se", "status": "OK",
                                  "warning": None, "error": None},
                            "status": "2 left to send"}), method="invite_participants")
    client = make_client()

    props = client.get_question_properties(5)
    assert props["answeroptions"] == {"0": option, "1": option}
    assert props["available_answers"] == {"0": "a", "1": "b"}
    assert props["attributes"] == props["attributes_lang"] == props["subquestions"] == {}
    assert client.get_survey_properties(1, ["attributedescriptions"]) == {}
    assert client.get_fieldmap(1) == {}
    assert client.get_summary(1) == {}
    rows = client.list_participants(1)
    assert [(r["tid"], r["participant_info"]) for r in rows] == [
        (1, {}), (3, {"firstname": "B", "lastname": "", "email": "b@x.se"})]
    assert client.get_response_ids(1, "a") == [1, 7]
    assert client.invite_participants(1, [1])["1"]["status"] == "OK"


def test_client_delete_of_a_missing_survey_names_both_causes(ls_client: Any) -> None:
    with pytest.raises(LimeSurveyRejected) as info:
        ls_client.delete_survey(999999)
    assert info.value.status == "No permission"
    assert info.value.hint is not None and "does not exist" in info.value.hint
