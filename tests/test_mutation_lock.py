"""One lock for every command that changes LimeSurvey or the store (issue 13, case 1).

Two real processes: a second changing command waits ``[store] lock_wait_seconds``, then
exits 75 naming the holder; two concurrent `waves` (and `waves` + `sync`) against the
emulator send each e-mail once, even when LimeSurvey takes its time to send (as a real
server does, mailing one address after the other and marking each as sent afterwards).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner
from tests.conftest import EMULATOR_PASSWORD, EMULATOR_USER

from bip_bridge.cli import main
from bip_bridge.config import StoreSettings
from bip_bridge.errors import StateLocked
from bip_bridge.locking import mutation_lock
from lock_support import lock_held_elsewhere

KEY = "lock-test-pseudonym-key-0123456789"
TODAY = date.today()
N = 6

CLI = "import sys; from bip_bridge.cli import main; sys.exit(main())"


def _settings(url: str, wait: float) -> Any:
    return SimpleNamespace(store=StoreSettings(url=url, lock_wait_seconds=wait))


def test_second_command_waits_then_names_the_holder(store_url: str) -> None:
    with lock_held_elsewhere(store_url, "waves") as holder:
        started = time.monotonic()
        with pytest.raises(StateLocked) as info, \
                mutation_lock(_settings(store_url, 0.6), command="participants import"):
            pass
        assert time.monotonic() - started >= 0.5  # it waited before giving up
        err = info.value
        assert err.exit_code == 75
        text = f"{err} {err.holder}"
        for part in ("waves", f"pid {holder.pid}", socket.gethostname()[:8], "since "):
            assert part in text, (part, text)


def test_second_command_gets_the_lock_when_the_first_finishes_within_the_wait(
        store_url: str) -> None:
    with lock_held_elsewhere(store_url, "sync", seconds=0.5) as holder, \
            mutation_lock(_settings(store_url, 10), command="waves"):
        assert holder.wait(5) == 0  # it let go, and only then did this one get the lock


def test_the_lock_is_reentrant_within_a_process(tmp_path: Path) -> None:
    settings = _settings(f"sqlite:///{tmp_path / 'bip.sqlite'}", 0)
    with mutation_lock(settings, command="sync"), mutation_lock(settings, command="waves"):
        pass
    assert (tmp_path / "bip.sqlite.changes.lock").stat().st_mode & 0o077 == 0


# --- real commands against the emulator ------------------------------------------------


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    from bip_bridge.emulator import EmulatorServer
    from bip_bridge.limesurvey import LimeSurveyClient
    from bip_bridge.provision import provision
    from bip_bridge.store import open_store
    from bip_bridge.templates import load_templates

    noon = datetime.combine(TODAY, datetime.min.time()).replace(hour=12)
    with EmulatorServer(username=EMULATOR_USER, password=EMULATOR_PASSWORD,
                        clock=lambda: noon) as server:
        store = tmp_path / "store.sqlite"
        engine = open_store(f"sqlite:///{store}")
        client = LimeSurveyClient(server.url, EMULATOR_USER, EMULATOR_PASSWORD, timeout=10,
                                  retries=1)
        provision(client, engine, load_templates(None))
        client.close()
        engine.dispose()
        config = tmp_path / "bip-bridge.toml"
        config.write_text(f'[limesurvey]\nurl = "{server.url}"\nusername = "{EMULATOR_USER}"\n'
                          f'[store]\nurl = "sqlite:///{store}"\nlock_wait_seconds = 60\n'
                          '[sync]\npushback = false\n'
                          '[waves]\ncaseworker_email = "limesurvey"\n', encoding="utf-8")
        monkeypatch.setenv("BIP_BRIDGE_LIMESURVEY_PASSWORD", EMULATOR_PASSWORD)
        monkeypatch.setenv("BIP_BRIDGE_PSEUDONYM_KEY", KEY)
        roster = tmp_path / "roster.csv"
        lines = ["external_id,first_name,email,language,enrolled_on,caseworker_id,"
                 "caseworker_email"]
        lines += [f"P-{i:03d},Person{i},p{i}@example.org,sv,{TODAY.isoformat()},HL-{i % 2 + 1},"
                  f"cw{i % 2 + 1}@example.org" for i in range(N)]
        roster.write_text("\n".join(lines) + "\n", encoding="utf-8")
        result = CliRunner().invoke(main, ["--config", str(config), "participants", "import",
                                           str(roster)], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert server.outbox == []
        yield {"server": server, "config": config}


def _slow_sending(server: Any, seconds_per_mail: float) -> None:
    """LimeSurvey mails one address after the other (each marked as sent after its mail),
    and PHP serves other requests meanwhile: the emulator lets other calls in while a
    mail is on its way."""
    core, endpoint = server.core, server.endpoint
    mail = core._mail

    def slow_mail(*args: Any, **kwargs: Any) -> Any:
        endpoint.lock.release()
        try:
            time.sleep(seconds_per_mail)
        finally:
            endpoint.lock.acquire()
        return mail(*args, **kwargs)

    core._mail = slow_mail


def _run_together(world: dict[str, Any], *commands: list[str]) -> list[int]:
    env = dict(os.environ)
    procs = [subprocess.Popen([sys.executable, "-c", CLI, "--config", str(world["config"]),
                               *cmd], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for cmd in commands]
    outputs = []
    try:
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            outputs.append((proc.returncode, out, err))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    for code, out, err in outputs:
        assert code in (0, 75), (out, err)
    return [code for code, _, _ in outputs]


def _mails(server: Any) -> Counter[tuple[int, int, str]]:
    return Counter((m.survey_id, m.tid, m.kind) for m in server.outbox)


@pytest.mark.parametrize("second", [["waves"], ["sync"]], ids=["waves+waves", "waves+sync"])
def test_concurrent_changing_commands_send_each_mail_once(world: dict[str, Any],
                                                          second: list[str]) -> None:
    server = world["server"]
    _slow_sending(server, 0.15)
    codes = _run_together(world, ["waves"], second)
    assert codes == [0, 0]  # the second waited for the first (lock_wait_seconds = 60)
    mails = _mails(server)
    assert len(mails) == 2 * N  # a participant and a caseworker invitation per person
    assert set(mails.values()) == {1}, [k for k, v in mails.items() if v > 1]


# --- a store folder that does not exist: one exit code everywhere --------------------


@pytest.mark.parametrize("args", [["participants", "list"], ["sync"], ["waves"],
                                  ["participants", "end", "--pseudonym", "ab", "--reason",
                                   "work"], ["report"]])
def test_a_missing_store_folder_gives_73_from_every_command(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]) -> None:
    config = tmp_path / "bip-bridge.toml"
    config.write_text('[limesurvey]\nurl = "http://127.0.0.1:9/index.php/admin/remotecontrol"\n'
                      'username = "admin"\n'
                      f'[store]\nurl = "sqlite:///{tmp_path / "nope" / "bip.sqlite"}"\n',
                      encoding="utf-8")
    monkeypatch.setenv("BIP_BRIDGE_LIMESURVEY_PASSWORD", "x")
    monkeypatch.setenv("BIP_BRIDGE_PSEUDONYM_KEY", KEY)
    result = CliRunner().invoke(main, ["--config", str(config), *args])
    assert result.exit_code == 73, result.output
    assert "does not exist" in result.output
    assert not (tmp_path / "nope").exists()
