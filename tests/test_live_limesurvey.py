"""Integration tests against a live LimeSurvey (read-only; skipped unless configured).

Set BIP_BRIDGE_TEST_LIMESURVEY_URL (the RemoteControl URL), _USER and _PASSWORD, then
``python -m pytest -m live tests/test_live_limesurvey.py``. Optional:
BIP_BRIDGE_TEST_LIMESURVEY_SID (a survey this user can read, probed by `check`) and
BIP_BRIDGE_TEST_LIMESURVEY_CA_BUNDLE. Nothing here creates, changes or deletes anything on
the server, and there is exactly one login per test (a wrong password is never retried).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from bip_bridge.cli import main
from bip_bridge.limesurvey import LimeSurveyClient

URL = os.environ.get("BIP_BRIDGE_TEST_LIMESURVEY_URL", "")
USER = os.environ.get("BIP_BRIDGE_TEST_LIMESURVEY_USER", "")
PASSWORD = os.environ.get("BIP_BRIDGE_TEST_LIMESURVEY_PASSWORD", "")
SID = os.environ.get("BIP_BRIDGE_TEST_LIMESURVEY_SID", "")
CA_BUNDLE = os.environ.get("BIP_BRIDGE_TEST_LIMESURVEY_CA_BUNDLE", "")

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(not (URL and USER and PASSWORD),
                       reason="set BIP_BRIDGE_TEST_LIMESURVEY_URL, _USER and _PASSWORD"),
]


@pytest.fixture
def live_client() -> Iterator[LimeSurveyClient]:
    client = LimeSurveyClient(URL, USER, PASSWORD, timeout=30, retries=2,
                              verify=CA_BUNDLE or True)
    try:
        yield client
    finally:
        client.close()


def _config(tmp_path: Path) -> Path:
    lines = ["[limesurvey]", f'url = "{URL}"', f'username = "{USER}"', "retries = 2"]
    if CA_BUNDLE:
        lines.append(f'ca_bundle = "{CA_BUNDLE}"')
    if SID:
        lines += ["[surveys]", f"participant_sid = {int(SID)}"]
    lines += ["[store]", f'url = "sqlite:///{tmp_path / "absent.sqlite"}"']
    path = tmp_path / "bip-bridge.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_check_passes_against_the_live_server(tmp_path: Path) -> None:
    runner = CliRunner(env={"BIP_BRIDGE_LIMESURVEY_PASSWORD": PASSWORD,
                            "BIP_BRIDGE_CONFIG": None})
    result = runner.invoke(main, ["-vv", "--config", str(_config(tmp_path)), "check"])
    assert result.exit_code == 0, result.output
    statuses = [line.split()[0] for line in result.stdout.splitlines() if line[:1] != " "]
    assert "FAIL" not in statuses
    assert PASSWORD not in result.output
    assert not (tmp_path / "absent.sqlite").exists()  # check never creates a store


def test_read_only_calls(live_client: LimeSurveyClient) -> None:
    surveys = live_client.list_surveys()
    assert all(isinstance(s["sid"], int) for s in surveys)
    version = live_client.server_version()
    assert version is None or version[0].isdigit()
    if SID:
        sid = int(SID)
        properties = live_client.get_survey_properties(sid, ["active", "language"])
        assert set(properties) == {"active", "language"}
        participants = live_client.list_participants(sid, start=0, limit=2)
        assert all(isinstance(p["tid"], int) for p in participants)
        if properties["active"] == "Y":
            rows = live_client.export_responses(sid, from_id=1, to_id=1, fields=["id"])
            assert all(set(row) == {"id"} for row in rows)


def test_session_key_is_released_and_replaced(live_client: LimeSurveyClient) -> None:
    live_client.list_surveys()
    assert live_client.logins == 1
    session = live_client._session
    assert session is not None
    session.call("release_session_key")  # as if the key expired on the server
    live_client.list_surveys()  # transparent re-login
    assert live_client.logins == 2
