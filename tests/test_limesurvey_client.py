"""The client's successful paths against recorded answers: ids, decoding, paging, params."""

from __future__ import annotations

import base64
import json

import pytest

from bip_bridge.api import LimeSurveyAPI
from bip_bridge.config import settings_from_mapping
from bip_bridge.limesurvey import LimeSurveyClient, connect
from conftest import load_recording, recording_step
from test_limesurvey_replay import KEY, Replay, make_client, replay_fixture  # noqa: F401

EXPORT_STEPS = [
    r["step"] for r in load_recording("responses")
    if r.get("method") == "export_responses" and r["params"][2] == "json"
    and (r.get("response_text") or "").startswith('{"id":1, "result":"')
]


def test_client_satisfies_the_protocol() -> None:
    assert isinstance(make_client(), LimeSurveyAPI)


@pytest.mark.parametrize("step", EXPORT_STEPS)
def test_export_decoding_matches_recorded_decoded(replay: Replay, step: str) -> None:
    replay.login()
    record = replay.add("responses", step)
    result = make_client().export_responses(845216)
    expected = json.loads(record["result_decoded"])["responses"]
    assert result == expected


def test_export_rows_keep_code_headings_and_types(replay: Replay) -> None:
    replay.login()
    replay.add("responses", "export_responses.json.from2_to3")
    result = make_client().export_responses(845216, from_id=2, to_id=3)
    assert [row["id"] for row in result] == [2, 3]
    assert isinstance(result[0]["lastpage"], int)
    assert "LIFEAREAS[SQ001]" in result[0]
    assert replay.sent_params()[-1] == [KEY, 845216, "json", None, "all", "code", "short", 2, 3]


def test_export_by_token_list_and_unknown_list(replay: Replay) -> None:
    replay.login()
    replay.add("responses", "export_responses_by_token.list")
    replay.add("responses", "export_responses_by_token.unknown_token_list")
    client = make_client()
    result = [r["token"] for r in client.export_responses_by_token(
        845216, ["HijogxXD8TcwAdv", "U8QdfVboirgGuyy"])]
    assert result == ["HijogxXD8TcwAdv", "U8QdfVboirgGuyy"]
    assert client.export_responses_by_token(845216, ["no-such-token"]) == []


def test_ids_are_ints(replay: Replay) -> None:
    replay.login()
    replay.add("responses", "add_response.complete.1")
    replay.add("provision", "import_survey.reference")
    replay.add("participants", "add_participants.create_tokens")
    replay.add("responses", "get_response_ids.P-001")
    client = make_client()
    assert client.add_response(845216, {"token": "t"}) == 1
    assert client.import_survey(b"<xml/>") == 845216
    rows = client.add_participants(845216, [{"firstname": "x"}], create_tokens=True)
    assert [row["tid"] for row in rows] == [1, 2, 3]
    assert client.get_response_ids(845216, "YiWLNDsBURaDzhf") == [1, 5]
    sent = replay.sent_params()
    assert sent[2] == [KEY, base64.b64encode(b"<xml/>").decode(), "lss"]


def test_duplicate_token_row_carries_errors(replay: Replay) -> None:
    replay.login()
    replay.add("participants", "add_participants.duplicate_token")
    rows = make_client().add_participants(845216, [{"token": "p004-w1"}])
    assert "tid" not in rows[0]
    assert rows[0]["errors"] == {"token": ['Access code "p004-w1" has already been taken.']}


def test_iter_participants_pages_by_tid_lower_bound(replay: Replay) -> None:
    replay.login()
    replay.add("participants", "list_participants.start0_limit2")
    replay.add("participants", "list_participants.start3_limit2")
    replay.add("participants", "list_participants.start100", method="list_participants")
    steps = ["list_participants.start0_limit2", "list_participants.start3_limit2"]
    expected_tids = [r["tid"] for s in steps
                     for r in json.loads(recording_step("participants", s)["response_text"])[
                         "result"]]
    result = [row["tid"] for row in make_client().iter_participants(845216, page_size=2)]
    assert result == expected_tids
    starts = [params[2] for params in replay.sent_params()[1:]]
    assert starts == [0, 3, 5]


def test_invite_result_with_left_to_send_status_is_success(replay: Replay) -> None:
    replay.login()
    replay.add("participants", "invite_participants")
    result = make_client().invite_participants(845216, [1, 2, 3, 4])
    assert result["status"] == "0 left to send"
    assert result["1"]["status"] == "OK"
    assert replay.sent_params()[-1] == [KEY, 845216, [1, 2, 3, 4]]


def test_invite_and_remind_nobody_send_nothing() -> None:
    client = make_client()
    assert client.invite_participants(845216, []) == {}
    assert client.remind_participants(845216, []) == {}
    assert client.logins == 0


def test_activate_survey_ok_with_extra_keys(replay: Replay) -> None:
    replay.login()
    replay.add("provision", "activate_survey")
    replay.add("provision", "activate_tokens")
    client = make_client()
    assert client.activate_survey(845216) is None
    assert client.activate_tokens(845216, [1, 2, 3]) is None


def test_properties_and_params(replay: Replay) -> None:
    replay.login()
    replay.add("provision", "get_language_properties.da")
    replay.add("provision", "list_questions.en")
    replay.add("participants", "get_participant_properties.by_tid_int")
    replay.add("responses", "delete_response.5")
    replay.add("responses", "update_response.complete_4")
    client = make_client()
    assert client.get_language_properties(845216, "da")["surveyls_language"] == "da"
    assert client.list_questions(845216, "en")[0]["id"] == 1
    assert client.get_participant_properties(845216, 1)["tid"] == 1
    assert client.delete_response(845216, 5) is None
    assert client.update_response(845216, {"id": 4}) is None
    assert replay.sent_params()[1:4] == [[KEY, 845216, None, "da"], [KEY, 845216, None, "en"],
                                        [KEY, 845216, 1]]


def test_server_version_when_readable_and_not(replay: Replay) -> None:
    replay.login()
    replay.add_raw(b'{"id":1,"result":"6.14.0","error":null}', method="get_site_settings")
    replay.add_raw(b'{"id":1,"result":{"status":"Invalid setting"},"error":null}',
                   method="get_site_settings")
    client = make_client()
    assert client.server_version() == "6.14.0"
    assert client.server_version() is None


def test_connect_releases_key_even_on_error(replay: Replay) -> None:
    settings = settings_from_mapping(
        {"limesurvey": {"url": "https://survey.example.org/index.php/admin/remotecontrol",
                        "username": "admin"}},
        base_dir=__import__("pathlib").Path("."),
        env={"BIP_BRIDGE_LIMESURVEY_PASSWORD": "S3cret-Pa55word!"},
    )
    replay.login()
    replay.add("provision", "list_surveys.empty")
    replay.add("session", "release_session_key")
    with pytest.raises(RuntimeError), connect(settings) as client:
        assert isinstance(client, LimeSurveyClient)
        assert client.verify is True
        client.list_surveys()
        raise RuntimeError("boom")
    assert replay.sent_methods() == ["get_session_key", "list_surveys", "release_session_key"]


def test_connect_passes_ca_bundle(tmp_path: object) -> None:
    from pathlib import Path

    base = Path(str(tmp_path))
    (base / "ca.pem").write_text("x", encoding="utf-8")
    settings = settings_from_mapping(
        {"limesurvey": {"url": "https://h/index.php/admin/remotecontrol", "username": "u",
                        "ca_bundle": "ca.pem", "timeout": 12, "retries": 2}},
        base_dir=base, env={"BIP_BRIDGE_LIMESURVEY_PASSWORD": "pw-123456"},
    )
    with connect(settings) as client:
        result = (client.verify, client.timeout, client.retries)
    assert result == (str(base / "ca.pem"), 12.0, 2)


def test_paging_and_ids_against_the_emulator(ls_client: LimeSurveyClient) -> None:
    from pathlib import Path

    reference = Path(__file__).parent / "fixtures" / "limesurvey" / "reference-survey.lss"
    sid = ls_client.import_survey(reference.read_bytes())
    ls_client.activate_tokens(sid, [1, 2, 3])
    ls_client.activate_survey(sid)
    rows = ls_client.add_participants(sid, [{"token": f"tok{i}"} for i in range(5)])
    tids = [row["tid"] for row in rows]
    assert tids == [1, 2, 3, 4, 5]
    ls_client.delete_participants(sid, [2])
    result = [row["tid"] for row in ls_client.iter_participants(sid, page_size=2)]
    assert result == [1, 3, 4, 5]
    assert ls_client.export_responses(sid) == []
    response_id = ls_client.add_response(sid, {"token": "tok1", f"{sid}X1X2": "3"})
    exported = ls_client.export_responses(sid, from_id=response_id, to_id=response_id)
    assert [(r["id"], r["token"], r["WELLBEING"]) for r in exported] == [(1, "tok1", "3")]
