"""Invitations in batches LimeSurvey sends whole (its maxemails), refusals reported with
the fix (issue 13, case 5), and people without an e-mail address (issue 12)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from tests.conftest import EMULATOR_PASSWORD, EMULATOR_USER

from bip_bridge.cli import main

KEY = "mail-test-pseudonym-key-0123456789"
TODAY = date.today()


@pytest.fixture
def make_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
               ) -> Iterator[Callable[[list[str]], dict[str, Any]]]:
    from bip_bridge.emulator import EmulatorServer
    from bip_bridge.limesurvey import LimeSurveyClient
    from bip_bridge.provision import provision
    from bip_bridge.store import open_store
    from bip_bridge.templates import load_templates

    noon = datetime.combine(TODAY, datetime.min.time()).replace(hour=12)
    servers: list[Any] = []

    def make(emails: list[str]) -> dict[str, Any]:
        server = EmulatorServer(username=EMULATOR_USER, password=EMULATOR_PASSWORD,
                                clock=lambda: noon).start()
        servers.append(server)
        store = tmp_path / "store.sqlite"
        engine = open_store(f"sqlite:///{store}")
        client = LimeSurveyClient(server.url, EMULATOR_USER, EMULATOR_PASSWORD, timeout=10,
                                  retries=1)
        provision(client, engine, load_templates(None))
        engine.dispose()
        config = tmp_path / "bip-bridge.toml"
        config.write_text(f'[limesurvey]\nurl = "{server.url}"\nusername = "{EMULATOR_USER}"\n'
                          f'[store]\nurl = "sqlite:///{store}"\n', encoding="utf-8")
        monkeypatch.setenv("BIP_BRIDGE_LIMESURVEY_PASSWORD", EMULATOR_PASSWORD)
        monkeypatch.setenv("BIP_BRIDGE_PSEUDONYM_KEY", KEY)
        roster = tmp_path / "roster.csv"
        lines = ["external_id,first_name,email,language,enrolled_on,caseworker_id,"
                 "caseworker_email"]
        lines += [f"P-{i:03d},Person{i},{email},sv,{TODAY.isoformat()},HL-1,cw1@example.org"
                  for i, email in enumerate(emails)]
        roster.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return {"server": server, "config": config, "roster": roster, "client": client}

    yield make
    for server in servers:
        server.stop()


def cli(world: dict[str, Any], *args: str) -> Any:
    return CliRunner().invoke(main, ["--config", str(world["config"]), *args],
                              catch_exceptions=False)


def test_a_cohort_larger_than_maxemails_is_invited_in_one_run(
        make_world: Callable[[list[str]], dict[str, Any]]) -> None:
    """LimeSurvey sends at most maxemails (50) per call: 60 people got '10 skipped'."""
    world = make_world([f"p{i}@example.org" for i in range(60)])
    assert world["server"].core.maxemails == 50
    assert cli(world, "participants", "import", str(world["roster"])).exit_code == 0
    result = cli(world, "waves")
    assert result.exit_code == 0, result.output
    assert "sent 60 invitation(s)" in result.output and "0 skipped" in result.output
    sent = [m for m in world["server"].outbox if m.kind == "invite"]
    assert len(sent) == len({(m.survey_id, m.tid) for m in sent}) == 60
    assert cli(world, "waves").output.count("sent 0 invitation(s)") == 1  # nothing twice
    world["client"].close()


def test_a_mail_limesurvey_refuses_is_reported_with_the_person_and_the_fix(
        make_world: Callable[[list[str]], dict[str, Any]]) -> None:
    world = make_world(["p0@example.org", "p1@example.org", "p2@example.org"])
    assert cli(world, "participants", "import", str(world["roster"])).exit_code == 0
    client = world["client"]
    sids = [int(s["sid"]) for s in client.list_surveys()]
    opted = None
    for sid in sids:
        for row in client.list_participants(sid, start=0, limit=10):
            if row["participant_info"]["email"] == "p1@example.org":
                client.set_participant_properties(sid, int(row["tid"]), {"emailstatus": "OptOut"})
                opted = (sid, int(row["tid"]))
    assert opted is not None
    result = cli(world, "waves")
    assert result.exit_code == 0
    assert "sent 2 invitation(s)" in result.output and "1 skipped" in result.output
    lines = [x for x in result.output.splitlines() if x.startswith("skipped: send")]
    assert len(lines) == 1, result.output
    line = lines[0]
    assert "participant " in line and "…" in line  # the pseudonym prefix, never a name
    assert f"token id {opted[1]}" in line and "Fix:" in line and "e-mail status" in line
    assert "Person1" not in line and "p1@example.org" not in line
    client.close()


def test_people_without_an_email_address_are_enrolled_and_not_mailed(
        make_world: Callable[[list[str]], dict[str, Any]]) -> None:
    world = make_world(["p0@example.org", "", "p2@example.org"])
    result = cli(world, "participants", "import", str(world["roster"]))
    assert result.exit_code == 0, result.output
    assert "3 enrolled" in result.output and "6 token(s) created" in result.output
    assert "1 enrolled without an e-mail address" in result.output
    waves = cli(world, "waves")
    assert waves.exit_code == 0, waves.output
    assert "sent 2 invitation(s)" in waves.output and "0 skipped" in waves.output
    assert "1 invitation(s) or reminder(s) not mailed: no e-mail address" in waves.output
    assert all(m.to for m in world["server"].outbox)
    world["client"].close()
