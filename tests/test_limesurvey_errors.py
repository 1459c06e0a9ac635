"""One test per recorded LimeSurvey error shape: what the client raises or returns."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bip_bridge.errors import (
    EX_CONFIG,
    EX_NOPERM,
    EX_PROTOCOL,
    LimeSurveyAuthError,
    LimeSurveyRejected,
    LimeSurveyUnavailable,
    RemoteControlDisabled,
)
from bip_bridge.limesurvey import html_error_message
from test_limesurvey_replay import KEY, PASSWORD, Replay, make_client, replay_fixture  # noqa: F401

# --- session.jsonl ------------------------------------------------------------------------


def test_wrong_password_is_auth_error_and_never_retried(replay: Replay) -> None:
    replay.add("session", "get_session_key.wrong_password")
    client = make_client()
    with pytest.raises(LimeSurveyAuthError) as info:
        client.list_surveys()
    assert info.value.locked_out is False
    assert info.value.exit_code == EX_NOPERM
    assert "Invalid user name or password" in str(info.value)
    assert "BIP_BRIDGE_LIMESURVEY_PASSWORD" in (info.value.hint or "")
    # A second call must not try to log in again (that would count towards the lock-out).
    with pytest.raises(LimeSurveyAuthError):
        client.get_summary(1)
    assert replay.sent_methods() == ["get_session_key"]
    assert client.sleeps == []


def test_locked_out_login(replay: Replay) -> None:
    # What LSUserIdentity::authenticate answers once FailedLoginAttempt::isLockedOut()
    # (docs/limesurvey.md); the envelope is the recorded wrong-password one.
    message = ("You have exceeded the number of maximum login attempts. "
               "Please wait 10 minutes before trying again.")
    replay.add_raw(('{"id":1,"result":{"status":"' + message + '"},"error":null}').encode(),
                   method="get_session_key")
    client = make_client()
    with pytest.raises(LimeSurveyAuthError) as info:
        client.list_surveys()
    assert info.value.locked_out is True
    assert "Wait 10 minutes" in (info.value.hint or "")
    with pytest.raises(LimeSurveyAuthError):
        client.list_surveys()
    assert replay.sent_methods() == ["get_session_key"]


def test_unknown_method_html_500_is_rejected_without_retry(replay: Replay) -> None:
    replay.login()
    record = replay.add("session", "unknown_method", method="list_surveys")
    client = make_client()
    with pytest.raises(LimeSurveyRejected) as info:
        client.list_surveys()
    assert info.value.status == record["html_error_message"]
    assert info.value.exit_code == EX_PROTOCOL
    assert 'does not have a method "no_such_method"' in str(info.value)
    assert client.sleeps == []


def test_too_few_arguments_html_500(replay: Replay) -> None:
    replay.login()
    record = replay.add("session", "wrong_param_count", method="get_summary")
    with pytest.raises(LimeSurveyRejected) as info:
        make_client().get_summary(845216)
    assert info.value.status == record["html_error_message"]


def test_html_error_message_matches_every_recorded_page() -> None:
    from conftest import load_recording

    pages = [r for name in ("session",) for r in load_recording(name)
             if r.get("html_error_message")]
    result = [html_error_message(r["response_text"]) for r in pages]
    expected = [r["html_error_message"] for r in pages]
    assert len(pages) == 3
    assert result == expected


def test_server_could_not_decode_request(replay: Replay) -> None:
    replay.login()
    replay.add("session", "malformed_json", method="list_surveys")
    with pytest.raises(LimeSurveyRejected) as info:
        make_client().list_surveys()
    assert info.value.status == "unable to decode malformed json"


def test_release_always_ok_and_close_twice(replay: Replay) -> None:
    replay.login()
    replay.add("session", "too_many_params", method="list_surveys")
    replay.add("session", "release_session_key")
    client = make_client()
    assert client.list_surveys() == []
    client.close()
    client.close()
    assert replay.sent_methods() == ["get_session_key", "list_surveys", "release_session_key"]
    assert replay.sent_params()[-1] == [KEY]


def test_empty_body_notification_shape_means_rpc_off(replay: Replay) -> None:
    replay.login()
    replay.add("session", "request_id_zero")
    with pytest.raises(RemoteControlDisabled) as info:
        make_client().list_surveys()
    assert info.value.mode == "off"


# --- rpc_disabled.jsonl ---------------------------------------------------------------------


def test_rpc_off(replay: Replay) -> None:
    replay.add("rpc_disabled", "off.get_session_key")
    with pytest.raises(RemoteControlDisabled) as info:
        make_client().list_surveys()
    assert info.value.mode == "off"
    assert info.value.exit_code == EX_CONFIG
    assert "JSON-RPC" in (info.value.hint or "")
    assert "Global settings > Interfaces" in (info.value.hint or "")


def test_rpc_xml_mode(replay: Replay) -> None:
    replay.add("rpc_disabled", "xml.get_session_key_json_body")
    with pytest.raises(RemoteControlDisabled) as info:
        make_client().list_surveys()
    assert info.value.mode == "xml"
    assert "JSON-RPC" in (info.value.hint or "")


def test_rpc_back_to_json(replay: Replay) -> None:
    replay.add("rpc_disabled", "json.get_session_key")
    replay.add("rpc_disabled", "json.list_surveys")
    replay.add("rpc_disabled", "json.release_session_key")
    client = make_client()
    result = [s["sid"] for s in client.list_surveys()]
    client.close()
    assert result[:3] == [223256, 481435, 496581]


# --- expired.jsonl ---------------------------------------------------------------------------


def test_expired_key_relogin_once(replay: Replay) -> None:
    replay.add("expired", "get_session_key.1")
    replay.add("expired", "valid.list_surveys")
    replay.add("expired", "expired.list_surveys")
    replay.add("expired", "get_session_key.2")
    replay.add("expired", "valid.list_surveys")
    client = make_client()
    first = client.list_surveys()
    second = client.list_surveys()
    assert first == second
    assert client.logins == 2
    assert replay.sent_methods() == ["get_session_key", "list_surveys", "list_surveys",
                                     "get_session_key", "list_surveys"]


def test_deleted_key_twice_gives_auth_error(replay: Replay) -> None:
    replay.add("expired", "get_session_key.1")
    replay.add("expired", "deleted.get_summary")
    replay.add("expired", "get_session_key.2")
    replay.add("expired", "deleted.get_summary")
    with pytest.raises(LimeSurveyAuthError) as info:
        make_client().get_summary(1)
    assert "fresh session key" in str(info.value)


def test_session_key_expires_in_the_middle_of_a_paged_export(replay: Replay) -> None:
    """Page 1 ok, key expires, page 2 re-logs in transparently: one extra login only."""
    replay.login()
    replay.add("responses", "export_responses.json.to1")
    replay.add("expired", "expired.list_surveys", method="export_responses")
    replay.login()
    replay.add("responses", "export_responses.json.from2_to3")
    replay.add("responses", "export_responses.json.from4")
    client = make_client()
    pages = [client.export_responses(845216, from_id=1, to_id=1),
             client.export_responses(845216, from_id=2, to_id=3),
             client.export_responses(845216, from_id=4)]
    assert [[r["id"] for r in page] for page in pages] == [[1], [2, 3], [4, 5]]
    assert replay.sent_methods().count("get_session_key") == 2
    assert client.logins == 2


# --- application statuses (provision / participants / responses) ----------------------------

EMPTY_CASES: list[tuple[str, str, Callable[[Any], Any], Any]] = [
    ("provision", "list_surveys.empty", lambda c: c.list_surveys(), []),
    ("responses", "export_responses.json.zero_responses",
     lambda c: c.export_responses(845216), []),
    ("participants", "list_participants.start100",
     lambda c: c.list_participants(845216, start=100, limit=10), []),
    ("participants", "invite_participants.again",
     lambda c: c.invite_participants(845216, [1, 2]), {}),
    ("responses", "export_responses_by_token.unknown_token",
     lambda c: c.export_responses_by_token(845216, ["no-such-token"]), []),
    ("provision", "partial_import.831862.list_questions",
     lambda c: c.list_questions(831862), []),
    ("responses", "get_summary.inactive_survey", lambda c: c.get_summary(496581), {}),
    ("responses", "get_response_ids.unknown", lambda c: c.get_response_ids(845216, "x"), []),
]


@pytest.mark.parametrize(("name", "step", "call", "expected"), EMPTY_CASES,
                         ids=[c[1] for c in EMPTY_CASES])
def test_empty_answers_are_empty_results(replay: Replay, name: str, step: str, call: object,
                                         expected: object) -> None:
    replay.login()
    replay.add(name, step)
    result = call(make_client())  # type: ignore[operator]
    assert result == expected


REJECTED_CASES = [
    ("provision", "import_survey.broken.truncated",
     lambda c: c.import_survey(b"<x", file_type="lss"),
     "Error: This is not a valid LimeSurvey survey structure XML file."),
    ("provision", "import_survey.invalid_type",
     lambda c: c.import_survey(b"<x", file_type="xml"), "Invalid extension"),
    ("provision", "activate_survey.again", lambda c: c.activate_survey(845216),
     "Error: Survey already active"),
    ("provision", "set_survey_properties.anonymized_after_activation",
     lambda c: c.set_survey_properties(845216, {"anonymized": "Y"}), "No valid Data"),
    ("participants", "list_participants.no_token_table",
     lambda c: c.list_participants(496581), "Error: No survey participants table"),
    ("participants", "get_participant_properties.ambiguous",
     lambda c: c.get_participant_properties(845216, 1),
     "Error: More than 1 result was found based on your attributes."),
    ("participants", "get_participant_properties.none",
     lambda c: c.get_participant_properties(845216, 999),
     "Error: No results were found based on your attributes."),
    ("responses", "export_responses.json.invalid_language",
     lambda c: c.export_responses(845216), "Language code not found for this survey."),
    ("responses", "update_response.by_token_ambiguous",
     lambda c: c.update_response(845216, {"token": "t"}),
     "More then one matching response, updateing multiple responses at once is not supported"),
    ("responses", "update_response.invalid_column",
     lambda c: c.update_response(845216, {"id": 4}),
     "Invalid Column names supplied: LIFEAREAS[SQ004]"),
    ("responses", "update_response.missing_id",
     lambda c: c.update_response(845216, {"lastpage": "1"}),
     "Missing response identifier (id|token)"),
    ("responses", "update_response.no_such_id",
     lambda c: c.update_response(845216, {"id": 999}), "No matching Response"),
    ("responses", "delete_response.5.again", lambda c: c.delete_response(845216, 5),
     "Response Id not found"),
    ("responses", "add_response.invalid_survey", lambda c: c.add_response(999999, {}),
     "Error: Invalid survey ID"),
    ("responses", "update_response.invalid_survey",
     lambda c: c.update_response(999999, {"id": 1}), "Invalid survey ID"),
    ("responses", "get_summary.invalid_survey", lambda c: c.get_summary(999999),
     "Invalid surveyid"),
    ("responses", "export_responses.invalid_survey", lambda c: c.export_responses(999999),
     "No permission"),
    ("responses", "export_responses.inactive_survey", lambda c: c.export_responses(496581),
     "No Data, survey table does not exist."),
    ("responses", "add_response.inactive_survey", lambda c: c.add_response(496581, {}),
     "No survey response table"),
    ("responses", "update_response.inactive_survey",
     lambda c: c.update_response(496581, {"id": 1}), "Survey is not active"),
]


@pytest.mark.parametrize(("name", "step", "call", "status"), REJECTED_CASES,
                         ids=[c[1] for c in REJECTED_CASES])
def test_status_answers_are_rejected_without_retry(replay: Replay, name: str, step: str,
                                                   call: object, status: str) -> None:
    replay.login()
    replay.add(name, step)
    client = make_client()
    with pytest.raises(LimeSurveyRejected) as info:
        call(client)  # type: ignore[operator]
    assert info.value.status == status
    assert info.value.method == replay.sent_methods()[-1]
    assert status in str(info.value)
    assert client.sleeps == []


PHP_EXCEPTION_CASES = [
    ("provision", "activate_tokens.again", lambda c: c.activate_tokens(845216, [1, 2, 3]),
     "already exists"),
    ("provision", "import_survey.broken.duplicate_group_l10n",
     lambda c: c.import_survey(b"<x"), "Error while saving group"),
]


@pytest.mark.parametrize(("name", "step", "call", "fragment"), PHP_EXCEPTION_CASES,
                         ids=[c[1] for c in PHP_EXCEPTION_CASES])
def test_php_exception_error_string_is_rejected(replay: Replay, name: str, step: str,
                                                call: object, fragment: str) -> None:
    replay.login()
    replay.add(name, step)
    with pytest.raises(LimeSurveyRejected) as info:
        call(make_client())  # type: ignore[operator]
    assert fragment in str(info.value)
    assert fragment in (info.value.status or "")


def test_malformed_json_reply_is_unavailable(replay: Replay) -> None:
    replay.login()
    replay.add_raw(b'{"id":1,"result":[{"sid":1', method="list_surveys")
    with pytest.raises(LimeSurveyUnavailable) as info:
        make_client().list_surveys()
    assert "not valid JSON" in str(info.value)
    assert not isinstance(info.value, RemoteControlDisabled)


def test_html_login_page_instead_of_rpc_hints_at_url(replay: Replay) -> None:
    replay.add_raw(b"<!DOCTYPE html><html><body>LimeSurvey</body></html>",
                   content_type="text/html; charset=UTF-8")
    with pytest.raises(LimeSurveyUnavailable) as info:
        make_client().list_surveys()
    assert "admin/remotecontrol" in (info.value.hint or "")


def test_password_not_in_any_error(replay: Replay) -> None:
    replay.add("session", "get_session_key.wrong_password")
    with pytest.raises(LimeSurveyAuthError) as info:
        make_client().list_surveys()
    assert PASSWORD not in str(info.value)
    assert PASSWORD not in (info.value.hint or "")
    assert PASSWORD not in repr(make_client())
