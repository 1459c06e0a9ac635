"""`bip-bridge check` end to end through click, against recorded LimeSurvey answers."""

from __future__ import annotations

import json
import logging
import re
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from bip_bridge.checks import CheckReport, CheckResult, configured_surveys, provisioned_surveys
from bip_bridge.cli import main
from bip_bridge.config import load_settings
from bip_bridge.store import schema
from test_limesurvey_replay import PASSWORD, URL, Replay, replay_fixture  # noqa: F401

VERSION_OK = b'{"id":1,"result":"6.14.0","error":null}'
VERSION_HIDDEN = b'{"id":1,"result":{"status":"Invalid setting"},"error":null}'


@pytest.fixture(autouse=True)
def restore_bip_bridge_logger() -> Iterator[None]:
    """The CLI's setup_logging() detaches the bip_bridge logger from the root (propagate
    off, own handler); undo that so later tests' caplog still sees bip_bridge records."""
    logger = logging.getLogger("bip_bridge")
    saved = (logger.level, logger.propagate, list(logger.handlers))
    yield
    logger.setLevel(saved[0])
    logger.propagate = saved[1]
    logger.handlers[:] = saved[2]


def write_config(tmp_path: Path, *, url: str = URL, extra: str = "") -> Path:
    path = tmp_path / "bip-bridge.toml"
    path.write_text(  # caseworkers mailed by LimeSurvey: no SMTP line (tests of it: outreach)
        '[waves]\ncaseworker_email = "limesurvey"\n'
        f'[limesurvey]\nurl = "{url}"\nusername = "admin"\nretries = 0\n'
        f"[surveys]\nparticipant_sid = 845216\n{extra}",
        encoding="utf-8",
    )
    return path


def run_check_cli(config: Path, *args: str) -> Result:
    runner = CliRunner(env={"BIP_BRIDGE_LIMESURVEY_PASSWORD": PASSWORD,
                            "BIP_BRIDGE_CONFIG": None})
    return runner.invoke(main, [*args, "--config", str(config), "check"])


def lines(result: Result) -> list[str]:
    found = [re.match(r"(\S+)\s+(.*?)\s{2,}", line)
             for line in result.stdout.splitlines() if line and not line.startswith(" ")]
    return [f"{m.group(1)} {m.group(2)}" for m in found if m]


def queue_all_ok(replay: Replay, version: bytes = VERSION_OK) -> None:
    replay.login()
    replay.add_raw(version, method="get_site_settings")
    replay.add("provision", "list_surveys.after")
    replay.add("provision", "get_survey_properties.some")
    replay.add("participants", "list_participants.start0_limit2")
    replay.add("responses", "export_responses.json.to1")
    replay.add("session", "release_session_key")


def test_all_ok(replay: Replay, tmp_path: Path) -> None:
    queue_all_ok(replay)
    result = run_check_cli(write_config(tmp_path))
    assert result.exit_code == 0, result.output
    assert lines(result) == [
        "OK connection",
        "OK json-rpc",
        "OK login",
        "OK version",
        "OK permission: list surveys",
        "OK survey 845216",
        "OK permission: survey settings of 845216",
        "OK permission: participants of 845216",
        "OK permission: responses of 845216",
    ]
    assert "LimeSurvey 6.14.0" in result.stdout
    assert "2 survey(s) visible" in result.stdout
    assert replay.sent_params()[5][-1] == ["id"]  # the response probe exports only ids


@pytest.mark.parametrize(("version", "status"), [
    ("6.14.0", "OK"), ("6.14.3", "OK"), ("5.6.8", "OK"), ("5.6.12", "OK"),
    ("6.15.0", "WARN"), ("6.13.2", "WARN"), ("5.3.0", "WARN"), ("7.0.0", "WARN"),
    ("3.28.76", "WARN"), ("unknown", "WARN"),
])
def test_tested_versions_pass_quietly_others_warn_once_naming_them(
        replay: Replay, tmp_path: Path, version: str, status: str) -> None:
    body = json.dumps({"id": 1, "result": version, "error": None}).encode()
    queue_all_ok(replay, body)
    result = run_check_cli(write_config(tmp_path))
    assert result.exit_code == 0, result.output
    assert lines(result)[3] == f"{status} version"
    assert f"LimeSurvey {version}" in result.stdout
    assert result.stdout.count("6.14 and the 5.6 LTS line") == (status == "WARN")
    assert sum(line.startswith("WARN") for line in result.stdout.splitlines()) == (
        status == "WARN")


def test_version_hidden_is_still_ok(replay: Replay, tmp_path: Path) -> None:
    queue_all_ok(replay, VERSION_HIDDEN)
    result = run_check_cli(write_config(tmp_path))
    assert result.exit_code == 0, result.output
    assert "not readable by this user" in result.stdout


def test_rpc_off(replay: Replay, tmp_path: Path) -> None:
    replay.add("rpc_disabled", "off.get_session_key")
    result = run_check_cli(write_config(tmp_path))
    assert result.exit_code == 78
    assert lines(result) == ["OK connection", "FAIL json-rpc"]
    assert "Global settings > Interfaces" in result.stdout


def test_rpc_xml(replay: Replay, tmp_path: Path) -> None:
    replay.add("rpc_disabled", "xml.get_session_key_json_body")
    result = run_check_cli(write_config(tmp_path))
    assert result.exit_code == 78
    assert "XML-RPC" in result.stdout
    assert "Fix: " in result.stdout


def test_wrong_password(replay: Replay, tmp_path: Path) -> None:
    replay.add("session", "get_session_key.wrong_password")
    result = run_check_cli(write_config(tmp_path))
    assert result.exit_code == 77
    assert lines(result) == ["OK connection", "OK json-rpc", "FAIL login"]
    assert "BIP_BRIDGE_LIMESURVEY_PASSWORD" in result.stdout


def test_locked_out(replay: Replay, tmp_path: Path) -> None:
    replay.add_raw(b'{"id":1,"result":{"status":"You have exceeded the number of maximum '
                   b'login attempts. Please wait 10 minutes before trying again."},'
                   b'"error":null}', method="get_session_key")
    result = run_check_cli(write_config(tmp_path))
    assert result.exit_code == 77
    assert "Wait 10 minutes" in result.stdout


def test_unreachable(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = write_config(tmp_path, url=f"http://127.0.0.1:{port}/index.php/admin/remotecontrol")
    result = run_check_cli(config)
    assert result.exit_code == 69
    assert lines(result) == ["FAIL connection"]


def test_configured_survey_missing(replay: Replay, tmp_path: Path) -> None:
    replay.login()
    replay.add_raw(VERSION_OK, method="get_site_settings")
    replay.add("provision", "list_surveys.empty")
    replay.add("session", "release_session_key")
    result = run_check_cli(write_config(tmp_path))
    assert result.exit_code == 66
    assert "FAIL survey 845216" in lines(result)
    assert "participant survey (from the configuration) does not exist" in result.stdout
    assert "Check the survey id in [surveys]" in result.stdout


def test_missing_permission(replay: Replay, tmp_path: Path) -> None:
    replay.login()
    replay.add_raw(VERSION_HIDDEN, method="get_site_settings")
    replay.add("provision", "list_surveys.after")
    replay.add("provision", "get_survey_properties.some")
    replay.add("participants", "list_participants.start0_limit2")
    replay.add("responses", "export_responses.invalid_survey")  # {"status": "No permission"}
    replay.add("session", "release_session_key")
    result = run_check_cli(write_config(tmp_path))
    assert result.exit_code == 76
    assert lines(result)[-1] == "FAIL permission: responses of 845216"
    assert "No permission" in result.stdout
    assert "docs/limesurvey.md" in result.stdout


def test_inactive_survey_without_tokens_table(replay: Replay, tmp_path: Path) -> None:
    replay.login()
    replay.add_raw(VERSION_OK, method="get_site_settings")
    replay.add("provision", "list_surveys.after")
    replay.add("provision", "get_survey_properties.some")
    replay.add("participants", "list_participants.no_token_table")
    replay.add("session", "release_session_key")
    config = write_config(tmp_path).read_text(encoding="utf-8").replace("845216", "496581")
    (tmp_path / "bip-bridge.toml").write_text(config, encoding="utf-8")
    result = run_check_cli(tmp_path / "bip-bridge.toml")
    assert result.exit_code == 76
    assert lines(result)[-2:] == ["FAIL permission: participants of 496581",
                                  "WARN permission: responses of 496581"]


def test_no_password_is_a_configuration_failure(tmp_path: Path) -> None:
    runner = CliRunner(env={"BIP_BRIDGE_LIMESURVEY_PASSWORD": None, "BIP_BRIDGE_CONFIG": None})
    result = runner.invoke(main, ["--config", str(write_config(tmp_path)), "check"])
    assert result.exit_code == 78
    assert lines(result) == ["FAIL configuration"]
    assert "BIP_BRIDGE_LIMESURVEY_PASSWORD" in result.stdout


def test_store_surveys_are_checked_without_creating_a_store(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    settings = load_settings(config, env={"BIP_BRIDGE_LIMESURVEY_PASSWORD": PASSWORD})
    store_file = tmp_path / "bip-bridge.sqlite"
    assert provisioned_surveys(settings.store.url) == []
    assert not store_file.exists()
    engine = sa.create_engine(settings.store.url)
    schema.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(schema.surveys.insert(), [
            {"sid": 845216, "kind": "participant", "template_version": "1",
             "structure_hash": "x", "active": True, "provisioned_at": datetime.now(UTC)},
            {"sid": 111111, "kind": "caseworker", "template_version": "1",
             "structure_hash": "y", "active": True, "provisioned_at": datetime.now(UTC)},
        ])
    engine.dispose()
    result = [(s.sid, s.kind, s.source) for s in configured_surveys(settings)]
    expected = [(845216, "participant", "configuration"), (111111, "caseworker", "store")]
    assert result == expected


def test_report_exit_code_is_first_failure() -> None:
    report = CheckReport((CheckResult("a", "OK", ""), CheckResult("b", "WARN", ""),
                          CheckResult("c", "FAIL", "", exit_code=66),
                          CheckResult("d", "FAIL", "", exit_code=76)))
    assert (report.ok, report.exit_code) == (False, 66)


@pytest.mark.parametrize("flag", ["-q", "-v"])
def test_flags_do_not_change_the_report(replay: Replay, tmp_path: Path, flag: str) -> None:
    queue_all_ok(replay)
    result = run_check_cli(write_config(tmp_path), flag)
    assert result.exit_code == 0
    assert len(lines(result)) == 9


def test_check_against_the_emulator(emulator: object, tmp_path: Path) -> None:
    """The real client and `check` against the bundled emulator (a live loopback server)."""
    from bip_bridge.limesurvey import connect
    from conftest import EMULATOR_PASSWORD

    reference = Path(__file__).parent / "fixtures" / "limesurvey" / "reference-survey.lss"
    config = write_config(tmp_path, url=emulator.url)  # type: ignore[attr-defined]
    settings = load_settings(config, env={"BIP_BRIDGE_LIMESURVEY_PASSWORD": EMULATOR_PASSWORD})
    with connect(settings) as client:
        sid = client.import_survey(reference.read_bytes())
        client.activate_tokens(sid, [1, 2, 3])
        client.activate_survey(sid)
    runner = CliRunner(env={"BIP_BRIDGE_LIMESURVEY_PASSWORD": EMULATOR_PASSWORD,
                            "BIP_BRIDGE_CONFIG": None})
    result = runner.invoke(main, ["--config", str(config), "check"])
    assert result.exit_code == 0, result.output
    assert [line.split()[0] for line in result.stdout.splitlines()] == ["OK"] * 9
