"""The LimeSurvey password and session keys never appear in logs, errors, reprs or CLI output."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bip_bridge.errors import BipBridgeError, LimeSurveyRejected
from test_check import (  # noqa: F401
    VERSION_OK,
    queue_all_ok,
    restore_bip_bridge_logger,
    run_check_cli,
    write_config,
)
from test_limesurvey_replay import KEY, PASSWORD, Replay, make_client, replay_fixture  # noqa: F401

KEY2 = "Zz9~yy8_xx7ww6vv5uu4tt3ss2rr1qq0"  # the key after a re-login
SECRETS = (PASSWORD, KEY, KEY2)


def assert_clean(*texts: str | None) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in (text or ""), f"secret leaked into: {text!r}"


def test_client_logs_and_errors_carry_no_secret(replay: Replay,
                                                caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # every logger: bip_bridge, citric, requests, urllib3
    replay.login()
    replay.add("provision", "list_surveys.empty")
    replay.add("expired", "expired.list_surveys", method="get_summary")
    replay.add("session", "get_session_key.ok", key=KEY2)
    replay.add("responses", "get_summary.invalid_survey")
    replay.add_raw(("{\"id\":1,\"result\":{\"status\":\"Bad key " + KEY2 + " for "
                    + PASSWORD + "\"},\"error\":null}").encode(), method="list_surveys")
    replay.add("session", "release_session_key")
    client = make_client()
    errors: list[BipBridgeError] = []
    client.list_surveys()
    with pytest.raises(LimeSurveyRejected) as first:
        client.get_summary(999999)
    errors.append(first.value)
    with pytest.raises(LimeSurveyRejected) as echoed:  # a server echoing secrets back
        client.list_surveys()
    errors.append(echoed.value)
    assert client.logins == 2
    assert_clean(caplog.text, repr(client), str(client.__dict__.get("_session")))
    for err in errors:
        assert_clean(str(err), err.hint, repr(err), err.status)
    assert "***" in str(echoed.value)
    client.close()
    assert_clean(caplog.text)
    assert replay.sent_params()[-1] == [KEY2]  # the live key was released, not leaked


def test_wrong_password_and_lockout_messages_are_clean(replay: Replay,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    replay.add("session", "get_session_key.wrong_password")
    with pytest.raises(BipBridgeError) as info:
        make_client().list_surveys()
    assert_clean(caplog.text, str(info.value), info.value.hint, repr(info.value))


@pytest.mark.parametrize("verbosity", ["-v", "-vv", "-vvv"])
def test_verbose_check_output_is_clean(replay: Replay, tmp_path: Path, verbosity: str) -> None:
    queue_all_ok(replay, VERSION_OK)
    result = run_check_cli(write_config(tmp_path), verbosity)
    assert result.exit_code == 0, result.output
    if verbosity != "-v":
        assert "DEBUG" in result.stderr  # the debug log really was on
    assert_clean(result.stdout, result.stderr, result.output)


def test_verbose_check_failure_output_is_clean(replay: Replay, tmp_path: Path) -> None:
    replay.login()
    replay.add("expired", "expired.list_surveys", method="get_site_settings")
    replay.add("session", "get_session_key.ok", key=KEY2)
    replay.add("session", "unknown_method", method="get_site_settings")
    replay.add("provision", "list_surveys.after")
    replay.add("provision", "get_survey_properties.some")
    replay.add_raw(b"Bad gateway", status=502, content_type="text/plain",
                   method="list_participants")
    replay.add("session", "release_session_key", key=KEY2)
    result = run_check_cli(write_config(tmp_path), "-vv")
    assert result.exit_code == 69
    assert "HTTP 502" in result.stdout
    assert_clean(result.stdout, result.stderr, result.output)
