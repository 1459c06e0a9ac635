"""End to end through the CLI against the bundled emulator (real JSON-RPC client, surveys
provisioned from the shipped templates): import, waves, list, end, forget, and a proof
that the store holds no name, e-mail address or external id."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from tests.conftest import EMULATOR_PASSWORD, EMULATOR_USER

from bip_bridge.cli import main
from bip_bridge.store import open_store, schema
from test_waves_support import dump_store

KEY = "e2e-pseudonym-key-0123456789"
TODAY = date.today()
ROWS = [
    ("19121212-1212", "Anna", "anna@example.org", "sv", TODAY.isoformat(), "HL-017",
     "karin@example.org"),
    ("811218-9876", "Mads", "mads@example.org", "da", (TODAY - timedelta(days=2)).isoformat(),
     "HL-018", "sofie@example.org"),
]


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    from bip_bridge.emulator import EmulatorServer
    from bip_bridge.limesurvey import LimeSurveyClient
    from bip_bridge.provision import provision
    from bip_bridge.templates import load_templates

    clock = {"now": datetime.combine(TODAY, datetime.min.time()).replace(hour=8)}
    with EmulatorServer(username=EMULATOR_USER, password=EMULATOR_PASSWORD,
                        clock=lambda: clock["now"]) as server:
        store = tmp_path / "store.sqlite"
        engine = open_store(f"sqlite:///{store}")
        client = LimeSurveyClient(server.url, EMULATOR_USER, EMULATOR_PASSWORD, timeout=10,
                                  retries=1)
        provision(client, engine, load_templates(None))
        client.close()
        config = tmp_path / "bip-bridge.toml"
        config.write_text(f'[limesurvey]\nurl = "{server.url}"\nusername = "{EMULATOR_USER}"\n'
                          f'[store]\nurl = "sqlite:///{store}"\n'
                          '[waves]\ncaseworker_email = "limesurvey"\n', encoding="utf-8")
        monkeypatch.setenv("BIP_BRIDGE_LIMESURVEY_PASSWORD", EMULATOR_PASSWORD)
        monkeypatch.setenv("BIP_BRIDGE_PSEUDONYM_KEY", KEY)
        roster = tmp_path / "roster.csv"
        header = "external_id;first_name;email;language;enrolled_on;caseworker_id;caseworker_email"
        roster.write_text("\ufeff" + header + "\r\n" + "".join(";".join(r) + "\r\n" for r in ROWS),
                          encoding="utf-8")
        yield {"server": server, "engine": engine, "config": config, "roster": roster,
               "clock": clock, "tmp": tmp_path}
        engine.dispose()


def cli(world: dict[str, Any], *args: str, day: date | None = None) -> Any:
    if day is not None:
        world["clock"]["now"] = datetime.combine(day, datetime.min.time()).replace(hour=8)
    result = CliRunner().invoke(main, ["--config", str(world["config"]), *args],
                                catch_exceptions=False)
    return result


def test_import_waves_end_forget(world: dict[str, Any]) -> None:
    server = world["server"]
    assert cli(world, "participants", "import", str(world["roster"]), "--dry-run").exit_code == 0
    result = cli(world, "participants", "import", str(world["roster"]))
    assert result.exit_code == 0, result.output
    assert "2 enrolled" in result.output and "4 token(s) created" in result.output
    again = cli(world, "participants", "import", str(world["roster"]))
    assert "0 enrolled" in again.output and "0 token(s) created" in again.output

    dry = cli(world, "waves", "--dry-run")
    assert dry.exit_code == 0 and dry.output.count("send invitation") == 4
    assert server.outbox == []

    assert cli(world, "waves", day=TODAY).exit_code == 0
    result = sorted((m.kind, m.to.split("<")[-1].rstrip(">"), m.language) for m in server.outbox)
    expected = [("invite", "anna@example.org", "sv"), ("invite", "karin@example.org", "sv"),
                ("invite", "mads@example.org", "da"), ("invite", "sofie@example.org", "sv")]
    assert result == expected
    cw_mail = next(m for m in server.outbox if "karin@" in m.to)
    assert "Anna" in cw_mail.body and "0" in cw_mail.subject  # whom and which wave

    # reminders 7 and 14 days after the invitation; nothing twice
    for offset in range(1, 16):
        assert cli(world, "waves", "--send-as-of", (TODAY + timedelta(days=offset)).isoformat(),
                   day=TODAY + timedelta(days=offset)).exit_code == 0
    kinds = sorted(m.kind for m in server.outbox)
    assert kinds == ["invite"] * 4 + ["remind"] * 8

    listing = cli(world, "participants", "list")
    assert listing.exit_code == 0 and "reminded ×2" in listing.output
    for value in ("Anna", "anna@example.org", "19121212"):
        assert value not in listing.output

    assert cli(world, "participants", "end", ROWS[1][0], "--reason", "work").exit_code == 0
    result = cli(world, "participants", "forget", ROWS[0][0], "--yes")
    assert result.exit_code == 0 and "2 token(s)" in result.output, result.output
    with world["engine"].connect() as conn:
        people = conn.execute(sa.select(sa.func.count()).select_from(schema.participants)).scalar()
        log = [tuple(r)[2:] for r in conn.execute(sa.select(schema.erasure_log))]
    # erased: 2 tokens in LimeSurvey; store: participant, assignment, 2 tokens
    assert (people, log) == (1, [(2, 0, 4)])


def test_store_holds_no_name_email_or_external_id(world: dict[str, Any]) -> None:
    engine = world["engine"]
    assert cli(world, "participants", "import", str(world["roster"])).exit_code == 0
    for offset in range(0, 370, 7):  # a year of waves, weekly runs
        day = TODAY + timedelta(days=offset)
        assert cli(world, "waves", "--send-as-of", day.isoformat(), day=day).exit_code == 0
    # a sync-like insertion: a response as LimeSurvey exports it (pseudonym, codes)
    from bip_bridge.store.schema import responses, sync_runs
    with engine.begin() as conn:
        run = conn.execute(sa.insert(sync_runs).values(
            started_at=datetime.now(), status="ok")).inserted_primary_key[0]
        tok = conn.execute(sa.select(schema.tokens).limit(1)).first()
        conn.execute(sa.insert(responses).values(
            sid=tok.sid, response_id=1, pseudonym=tok.pseudonym, wave=tok.wave,
            submitted_at="2026-01-01 10:00:00", complete=True,
            data={"id": 1, "token": tok.token, "PSEUDO": tok.pseudonym, "WAVE": "0",
                  "CWID": "HL-017"}, data_hash="0" * 64, first_run_id=run, last_run_id=run))
    dump = dump_store(engine).casefold()
    assert len(server_tokens(world)) >= 16
    forms = {"19121212-1212", "191212121212", "121212-1212", "1212121212", "811218-9876",
             "8112189876", "198112189876"}
    for row in ROWS:
        for value in (row[1], row[2], row[6], *forms):
            assert value.casefold() not in dump, value
    assert not re.search(r"[\w.]+@[\w.]+", dump)


def server_tokens(world: dict[str, Any]) -> list[Any]:
    with world["engine"].connect() as conn:
        return list(conn.execute(sa.select(schema.tokens)))


def test_waves_today_without_dry_run_sends_nothing(world: dict[str, Any]) -> None:
    """Issue 13 case 3: `waves --today` a year ahead without --dry-run mailed everyone."""
    server = world["server"]
    assert cli(world, "participants", "import", str(world["roster"])).exit_code == 0
    ahead = (TODAY + timedelta(days=365)).isoformat()
    result = cli(world, "waves", "--today", ahead)
    assert result.exit_code == 2, result.output
    assert "--dry-run" in result.output and "--send-as-of" in result.output
    assert server.outbox == []
    preview = cli(world, "waves", "--dry-run", "--today", ahead)
    assert preview.exit_code == 0 and "send invitation" in preview.output
    assert server.outbox == []
    assert cli(world, "waves", "--send-as-of", TODAY.isoformat()).exit_code == 0
    assert len(server.outbox) >= 2


def _ls_client(world: dict[str, Any]) -> Any:
    from bip_bridge.limesurvey import LimeSurveyClient

    return LimeSurveyClient(world["server"].url, EMULATOR_USER, EMULATOR_PASSWORD, timeout=10,
                            retries=1)


def _columns(client: Any, sid: int) -> dict[str, str]:
    return {f["title"]: key for key, f in client.get_fieldmap(sid).items()
            if f.get("title") in ("PSEUDO", "WAVE") and not f.get("aid")}


def _carrying(client: Any, sid: int, pseudonym: str, tokens: set[str]) -> list[int]:
    """Response ids in a LimeSurvey export of ``sid`` that carry the person."""
    return [int(r["id"]) for r in client.export_responses(sid)
            if r.get("PSEUDO") == pseudonym or r.get("token") in tokens]


def test_erasure_holds(world: dict[str, Any]) -> None:
    """Issue 13 case 2: forget removes every response carrying the pseudonym (by token and
    by the PSEUDO column, never synced ones too), says what it removed, and neither
    sync nor a re-import brings the person back unless re-enrolled."""
    from bip_bridge.pseudonyms import pseudonymise
    from bip_bridge.store.queries import active_surveys

    assert cli(world, "participants", "import", str(world["roster"])).exit_code == 0
    assert cli(world, "waves", "--send-as-of", TODAY.isoformat(), day=TODAY).exit_code == 0
    anna = pseudonymise(ROWS[0][0], KEY.encode())
    sids = dict(active_surveys(world["engine"]))
    tokens = {r.token for r in server_tokens(world) if r.pseudonym == anna}
    token_p = next(r.token for r in server_tokens(world)
                   if r.pseudonym == anna and r.kind == "participant")
    client = _ls_client(world)
    try:
        p_cols, c_cols = _columns(client, sids["participant"]), _columns(client, sids["caseworker"])
        client.add_response(sids["participant"], {"token": token_p, p_cols["PSEUDO"]: anna,
                                                  p_cols["WAVE"]: "0"})
        client.add_response(sids["participant"], {p_cols["PSEUDO"]: anna, p_cols["WAVE"]: "0"})
        client.add_response(sids["caseworker"], {c_cols["PSEUDO"]: anna, c_cols["WAVE"]: "0"})
        other = client.add_response(sids["participant"], {p_cols["PSEUDO"]: "f" * 64,
                                                          p_cols["WAVE"]: "0"})
        # a report folder written before the erasure
        card = world["tmp"] / "reports" / "2026-11-30" / "cards" / "HL-017" / f"{anna[:12]}.html"
        card.parent.mkdir(parents=True)
        card.write_text("<p>card</p>", encoding="utf-8")

        result = cli(world, "participants", "forget", ROWS[0][0], "--yes")
        assert result.exit_code == 0, result.output
        assert "1 found by token, 1 by the pseudonym column only" in result.output
        assert "Erased: 3 response(s) and 2 token(s)" in result.output
        assert str(card.parents[2]) in result.output  # the report folder that still holds her
        for sid in sids.values():
            assert _carrying(client, sid, anna, tokens) == []
        assert [int(r["id"]) for r in client.export_responses(sids["participant"])] == [other]

        again = cli(world, "participants", "forget", ROWS[0][0], "--yes")
        assert again.exit_code == 0 and "already erased" in again.output

        # a response entered by hand after the erasure: sync skips it and says so
        client.add_response(sids["participant"], {p_cols["PSEUDO"]: anna, p_cols["WAVE"]: "1"})
    finally:
        client.close()
    synced = cli(world, "sync")
    assert synced.exit_code == 0, synced.output
    assert "1 response(s) of erased people skipped" in synced.output
    with world["engine"].connect() as conn:
        stored = list(conn.execute(sa.select(schema.responses.c.pseudonym)))
        people = [r.pseudonym for r in conn.execute(sa.select(schema.participants))]
        marks = [tuple(r) for r in conn.execute(sa.select(schema.erased_people))]
    assert anna not in {r.pseudonym for r in stored} and len(stored) == 1
    assert anna not in people
    assert len(marks) == 1 and anna not in str(marks)  # keyed: nothing readable

    refused = cli(world, "participants", "import", str(world["roster"]))
    assert refused.exit_code == 65, refused.output
    assert "line 2" in refused.output and "erased on request" in refused.output
    assert "Anna" not in refused.output
    back = cli(world, "participants", "import", str(world["roster"]), "--re-enrol", ROWS[0][0])
    assert back.exit_code == 0 and "1 enrolled" in back.output, back.output


def test_forget_refuses_a_wrong_check_digit(world: dict[str, Any]) -> None:
    """Issue 13 case 9: forget with a wrong check digit reported success."""
    assert cli(world, "participants", "import", str(world["roster"])).exit_code == 0
    result = cli(world, "participants", "forget", "19121212-1213", "--yes")
    assert result.exit_code == 65, result.output
    assert "check digit" in result.output
    with world["engine"].connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.participants)
                            ).scalar() == 2
