"""A new user's mistakes, through the CLI: every command that needs LimeSurvey fails with
one message and the documented exit code (no traceback, no secret), and bad input files
change nothing, neither in the store nor in LimeSurvey."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from tests.conftest import EMULATOR_PASSWORD, EMULATOR_USER

from bip_bridge.cli import main
from bip_bridge.store import open_store, schema

KEY = "new-user-pseudonym-key-0123456789"
WRONG_PASSWORD = "wrong-Pa55word-for-test"
HEADER = "external_id,first_name,email,language,enrolled_on,caseworker_id,caseworker_email\n"
GOOD_ROW = "A1,Anna,anna@example.org,sv,2025-01-10,HL-017,karin@example.org\n"

# every command that talks to LimeSurvey, with the arguments that make it do so
SERVER_COMMANDS: list[list[str]] = [
    ["provision"],
    ["participants", "import", "{roster}"],
    ["waves"],
    ["pushback"],
    ["participants", "forget", "A1", "--yes"],
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _config(path: Path, url: str, store: Path) -> Path:
    path.write_text(f'[limesurvey]\nurl = "{url}"\nusername = "{EMULATOR_USER}"\nretries = 0\n'
                    f'[store]\nurl = "sqlite:///{store}"\n', encoding="utf-8")
    return path


def _run(config: Path, args: list[str], roster: Path, password: str) -> Result:
    argv = ["--config", str(config), *(a.format(roster=roster) for a in args)]
    return CliRunner(env={"BIP_BRIDGE_LIMESURVEY_PASSWORD": password,
                          "BIP_BRIDGE_PSEUDONYM_KEY": KEY}).invoke(main, argv)


def _assert_one_clean_error(result: Result, code: int, *secrets: str) -> None:
    assert result.exit_code == code, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert result.output.count("Error: ") == 1, result.output
    for secret in (*secrets, KEY):
        assert secret not in result.output


def _store_rows(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                for t in (schema.participants, schema.caseworker_assignments, schema.tokens)}


@pytest.fixture
def provisioned(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """An emulator with both surveys provisioned and one participant imported."""
    from bip_bridge.emulator import EmulatorServer

    with EmulatorServer(username=EMULATOR_USER, password=EMULATOR_PASSWORD) as server:
        store = tmp_path / "store.sqlite"
        config = _config(tmp_path / "bip-bridge.toml", server.url, store)
        roster = tmp_path / "roster.csv"
        roster.write_text(HEADER + GOOD_ROW, encoding="utf-8")
        assert _run(config, ["provision"], roster, EMULATOR_PASSWORD).exit_code == 0
        assert _run(config, ["participants", "import", str(roster)], roster,
                    EMULATOR_PASSWORD).exit_code == 0
        engine = open_store(f"sqlite:///{store}")
        yield {"server": server, "config": config, "roster": roster, "engine": engine,
               "tmp": tmp_path}
        engine.dispose()


def test_import_without_surveys_writes_nothing(tmp_path: Path) -> None:
    store = tmp_path / "store.sqlite"
    config = _config(tmp_path / "c.toml", f"http://127.0.0.1:{_free_port()}/rc", store)
    roster = tmp_path / "roster.csv"
    roster.write_text(HEADER + GOOD_ROW, encoding="utf-8")

    result = _run(config, ["participants", "import", str(roster)], roster, EMULATOR_PASSWORD)

    _assert_one_clean_error(result, 66)
    assert "bip-bridge provision" in result.output
    engine = open_store(f"sqlite:///{store}")
    try:
        assert _store_rows(engine) == {"participants": 0, "caseworker_assignments": 0,
                                       "tokens": 0}
    finally:
        engine.dispose()


@pytest.mark.parametrize("args", [["check"], *(a for a in SERVER_COMMANDS if a != ["pushback"])],
                         ids=lambda a: "-".join(a[:2]))  # pushback: nothing to push, no call
def test_unreachable_server_one_short_message(tmp_path: Path, args: list[str]) -> None:
    url = f"http://127.0.0.1:{_free_port()}/index.php/admin/remotecontrol"
    store = tmp_path / "store.sqlite"
    config = _config(tmp_path / "c.toml", url, store)
    roster = tmp_path / "roster.csv"
    roster.write_text(HEADER + GOOD_ROW, encoding="utf-8")
    engine = open_store(f"sqlite:///{store}")
    with engine.begin() as conn:  # surveys on record, so every command needs the server
        for kind, sid in (("participant", 111111), ("caseworker", 222222)):
            conn.execute(sa.insert(schema.surveys).values(
                sid=sid, kind=kind, template_version="1.0.0", structure_hash="x",
                active=True, provisioned_at=sa.func.now()))
    engine.dispose()

    result = _run(config, args, roster, EMULATOR_PASSWORD)

    assert result.exit_code == 69, result.output
    assert "Traceback" not in result.output and EMULATOR_PASSWORD not in result.output
    assert f"LimeSurvey at {url} did not answer" in result.output
    assert "connection refused" in result.output
    assert "HTTPConnectionPool" not in result.output  # urllib3's reprs are not for people


@pytest.mark.parametrize("args", SERVER_COMMANDS, ids=lambda a: "-".join(a[:2]))
@pytest.mark.parametrize(("fault", "code"), [("password", 77), ("off", 78), ("xml", 78)])
def test_server_refusals_one_clean_message(provisioned: dict[str, Any], args: list[str],
                                           fault: str, code: int) -> None:
    server = provisioned["server"]
    password = EMULATOR_PASSWORD
    if fault == "password":
        password = WRONG_PASSWORD
    else:
        server.set_rpc_interface(fault)
    before = _store_rows(provisioned["engine"])

    result = _run(provisioned["config"], args, provisioned["roster"], password)

    _assert_one_clean_error(result, code, WRONG_PASSWORD, EMULATOR_PASSWORD)
    assert "Fix: " in result.output
    assert _store_rows(provisioned["engine"]) == before


def test_bad_roster_changes_neither_store_nor_limesurvey(provisioned: dict[str, Any]) -> None:
    bad = provisioned["tmp"] / "bad.csv"
    bad.write_text(HEADER + "B2,Bo,bo@example.org,sv,2025-02-01,HL-017,karin@example.org\n"
                   "B3,Cy,not-an-address,fi,2025-13-01,Karin,karin@example.org\n"
                   "B4,Di\n", encoding="utf-8")
    before_store = _store_rows(provisioned["engine"])
    calls_before = len(provisioned["server"].core.call_log)

    result = _run(provisioned["config"], ["participants", "import", str(bad)],
                  provisioned["roster"], EMULATOR_PASSWORD)

    _assert_one_clean_error(result, 65)
    assert "bad.csv line 3: email is not an address LimeSurvey accepts" in result.output
    assert "bad.csv line 3: language 'fi' is not supported" in result.output
    assert "bad.csv line 4: 2 fields instead of 7" in result.output
    assert "B2" not in result.output and "Anna" not in result.output
    assert _store_rows(provisioned["engine"]) == before_store
    assert len(provisioned["server"].core.call_log) == calls_before  # not even a login


def test_windows_1252_roster_names_the_line(tmp_path: Path) -> None:
    roster = tmp_path / "ansi.csv"
    roster.write_bytes((HEADER + "A3,Jörgen,j@example.org,sv,2025-01-10,HL-017,k@example.org\n")
                       .encode("cp1252"))
    config = _config(tmp_path / "c.toml", "http://127.0.0.1:9/rc", tmp_path / "s.sqlite")

    result = _run(config, ["participants", "import", str(roster)], roster, EMULATOR_PASSWORD)

    _assert_one_clean_error(result, 65)
    assert "ansi.csv line 2: not UTF-8 text (byte 0xf6; probably saved as Windows-1252" \
        in result.output
    assert "CSV UTF-8" in result.output


@pytest.mark.parametrize(("content", "code", "expected"), [
    (b"", 65, "empty.csv is empty; nothing was written."),
    (None, 2, "is a directory"),
])
def test_empty_roster_and_folder(tmp_path: Path, content: bytes | None, code: int,
                                 expected: str) -> None:
    roster = tmp_path / "empty.csv"
    if content is None:
        roster.mkdir()
    else:
        roster.write_bytes(content)
    config = _config(tmp_path / "c.toml", "http://127.0.0.1:9/rc", tmp_path / "s.sqlite")

    result = _run(config, ["participants", "import", str(roster)], roster, EMULATOR_PASSWORD)

    assert result.exit_code == code, result.output
    assert expected in result.output
    assert "Traceback" not in result.output


def test_end_and_forget_unknown_id(provisioned: dict[str, Any]) -> None:
    config, roster = provisioned["config"], provisioned["roster"]
    before = _store_rows(provisioned["engine"])

    ended = _run(config, ["participants", "end", "NOBODY-1", "--reason", "work"], roster,
                 EMULATOR_PASSWORD)
    forgot = _run(config, ["participants", "forget", "NOBODY-1", "--yes"], roster,
                  EMULATOR_PASSWORD)

    _assert_one_clean_error(ended, 66)
    assert "No participant with that id or pseudonym is enrolled." in ended.output
    assert forgot.exit_code == 0, forgot.output
    assert "Nothing about this person was left to erase" in forgot.output
    assert "check the id" in forgot.output
    assert _store_rows(provisioned["engine"]) == before


def test_unwritable_paths_fail_with_one_message(tmp_path: Path) -> None:
    config = _config(tmp_path / "c.toml", "http://127.0.0.1:9/rc", tmp_path / "s.sqlite")
    open_store(f"sqlite:///{tmp_path / 's.sqlite'}").dispose()  # report needs a store
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    runner = CliRunner(env={"BIP_BRIDGE_PSEUDONYM_KEY": KEY})

    init = runner.invoke(main, ["init", str(tmp_path / "no" / "such" / "bip-bridge.toml")])
    report = runner.invoke(main, ["--config", str(config), "report",
                                  "--out", str(blocker / "reports")])

    for result in (init, report):
        _assert_one_clean_error(result, 73)
        assert "Fix: Check that the folder exists" in result.output
    assert f"Cannot use {tmp_path / 'no' / 'such' / 'bip-bridge.toml'}: No such file" \
        in init.output
    assert not (tmp_path / "no").exists()


def test_report_on_an_empty_store_says_why_it_is_empty(tmp_path: Path) -> None:
    config = _config(tmp_path / "c.toml", "http://127.0.0.1:9/rc", tmp_path / "s.sqlite")
    open_store(f"sqlite:///{tmp_path / 's.sqlite'}").dispose()  # set up, nothing synced

    result = CliRunner().invoke(main, ["--config", str(config), "report", "--out",
                                       str(tmp_path / "out"), "--date", "2026-01-15"])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"Reports written to {tmp_path / 'out' / '2026-01-15'}",
        "The store holds no responses yet, so the report is empty: run `bip-bridge sync` "
        "first (it pulls the answers from LimeSurvey).",
    ]


def test_unopenable_sqlite_store_names_the_file_not_a_server(tmp_path: Path) -> None:
    from bip_bridge.errors import StoreError
    from bip_bridge.store import open_store

    not_a_db = tmp_path / "notes.sqlite"
    not_a_db.write_bytes(b"this is not a database, just some notes " * 100)
    with pytest.raises(StoreError) as info:
        open_store(f"sqlite:///{not_a_db}")
    assert info.value.hint is not None
    assert "SQLite file" in info.value.hint and "database server" not in info.value.hint


@pytest.mark.parametrize("args", [["letters"], ["report"], ["report", "--email-cards"]],
                         ids=lambda a: "-".join(a))
def test_letters_and_report_on_a_mistyped_store_create_nothing(tmp_path: Path,
                                                               args: list[str]) -> None:
    """A typo in [store] url made `letters` create an empty store and its lock file, and
    `report` an empty report ('no responses yet'); both now say there is no store (66)."""
    config = _config(tmp_path / "c.toml", "http://127.0.0.1:9/rc", tmp_path / "typo.sqlite")
    before = sorted(p.name for p in tmp_path.iterdir())

    result = _run(config, args, tmp_path / "roster.csv", EMULATOR_PASSWORD)

    _assert_one_clean_error(result, 66)
    assert f"There is no bip-bridge store at {tmp_path / 'typo.sqlite'} yet" in result.output
    assert "nothing was created" in result.output and "Fix: Check [store] url" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == before
