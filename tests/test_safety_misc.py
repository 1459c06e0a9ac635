"""Smaller traps of issue 13 (case 9): Ctrl-C at start-up, owner-only store, read-only
commands that create nothing, https on an http port, plain http to another host."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bip_bridge.cli import main
from bip_bridge.errors import LimeSurveyUnavailable
from bip_bridge.limesurvey import LimeSurveyClient, plain_http_to_another_host
from bip_bridge.store import open_store

CTRL_C_WHILE_LOADING = """
import sys

class CtrlC:  # the user presses Ctrl-C while the `waves` command module loads
    def find_spec(self, name, path=None, target=None):
        if name == "bip_bridge.cli.waves":
            raise KeyboardInterrupt
        return None

sys.meta_path.insert(0, CtrlC())
from bip_bridge.cli import main
sys.exit(main())
"""


def test_ctrl_c_at_start_up_exits_130_without_a_traceback() -> None:
    run = subprocess.run([sys.executable, "-c", CTRL_C_WHILE_LOADING, "--help"],
                         capture_output=True, text=True, timeout=60, env=dict(os.environ))
    assert run.returncode == 130, run.stderr
    assert "Traceback" not in run.stderr and "Interrupted." in run.stderr


def test_a_new_sqlite_store_is_owner_only(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        engine = open_store(f"sqlite:///{tmp_path / 'bip.sqlite'}")
        engine.dispose()
    finally:
        os.umask(old)
    assert (tmp_path / "bip.sqlite").stat().st_mode & 0o777 == 0o600


def _config(tmp_path: Path, url: str) -> Path:
    config = tmp_path / "bip-bridge.toml"
    config.write_text(f'[limesurvey]\nurl = "{url}"\nusername = "admin"\n'
                      f'[store]\nurl = "sqlite:///{tmp_path / "bip.sqlite"}"\n',
                      encoding="utf-8")
    return config


def test_read_only_commands_create_no_store(tmp_path: Path, emulator: object,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import EMULATOR_PASSWORD

    monkeypatch.setenv("BIP_BRIDGE_LIMESURVEY_PASSWORD", EMULATOR_PASSWORD)
    config = _config(tmp_path, emulator.url)  # type: ignore[attr-defined]
    listing = CliRunner().invoke(main, ["--config", str(config), "participants", "list"])
    assert listing.exit_code == 66 and "nothing was created" in listing.output
    dry = CliRunner().invoke(main, ["--config", str(config), "provision", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would create" in dry.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bip-bridge.toml"]


def test_https_on_an_http_port_says_so(emulator: object) -> None:
    from tests.conftest import EMULATOR_PASSWORD

    url = emulator.url.replace("http://", "https://")  # type: ignore[attr-defined]
    client = LimeSurveyClient(url, "admin", EMULATOR_PASSWORD, timeout=5, retries=0)
    with pytest.raises(LimeSurveyUnavailable) as info:
        client.list_surveys()
    client.close()
    assert "plain HTTP" in str(info.value)
    assert "http://" in (info.value.hint or "") and "ca_bundle" in (info.value.hint or "")


@pytest.mark.parametrize(("url", "warned"), [
    ("http://survey.example.org/index.php/admin/remotecontrol", True),
    ("http://10.0.0.5/index.php/admin/remotecontrol", True),
    ("http://127.0.0.1:8614/index.php/admin/remotecontrol", False),
    ("http://localhost/index.php/admin/remotecontrol", False),
    ("http://[::1]/index.php/admin/remotecontrol", False),
    ("https://survey.example.org/index.php/admin/remotecontrol", False),
])
def test_plain_http_to_another_host_is_warned_about(url: str, warned: bool,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    assert plain_http_to_another_host(url) is warned
    with caplog.at_level(logging.WARNING, logger="bip_bridge"):
        LimeSurveyClient(url, "admin", "pw-x", timeout=1, retries=0).close()
    assert ("unencrypted" in caplog.text) is warned


def test_report_files_are_owner_only(tmp_path: Path) -> None:
    from bip_bridge.synthetic import generate_frames
    from test_analyse import MODEL, write_json

    p, c = generate_frames(12, 2, seed=4, model=MODEL)
    old = os.umask(0o022)
    try:
        run = CliRunner().invoke(main, [
            "analyse", "--participant-export", str(write_json(p, tmp_path / "p.json")),
            "--caseworker-export", str(write_json(c, tmp_path / "c.json")),
            "--out", str(tmp_path / "out")])
    finally:
        os.umask(old)
    assert run.exit_code == 0, run.output
    made = [tmp_path / "out", *(tmp_path / "out").rglob("*")]
    assert len(made) > 3
    loose = [str(x) for x in made if x.stat().st_mode & 0o077]
    assert loose == []


def test_the_private_file_helper(tmp_path: Path) -> None:
    from bip_bridge.files import private_folder, write_private

    folder = private_folder(tmp_path / "a" / "b")
    path = write_private(folder / "x.html", "<p>Anna</p>")
    assert (folder.stat().st_mode & 0o777, path.stat().st_mode & 0o777) == (0o700, 0o600)
    assert path.read_text(encoding="utf-8") == "<p>Anna</p>"


def test_ctrl_c_at_a_prompt_exits_130(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import click

    def ctrl_c(*_: object, **__: object) -> bool:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise click.exceptions.Abort() from None  # what click's prompt does

    config = _config(tmp_path, "http://127.0.0.1:9/index.php/admin/remotecontrol")
    monkeypatch.setenv("BIP_BRIDGE_PSEUDONYM_KEY", "k" * 32)
    open_store(f"sqlite:///{tmp_path / 'bip.sqlite'}").dispose()
    monkeypatch.setattr(click, "confirm", ctrl_c)
    run = CliRunner().invoke(main, ["--config", str(config), "participants", "forget",
                                    "--pseudonym", "a" * 64])
    assert run.exit_code == 130 and "Interrupted." in run.output
    assert "Traceback" not in run.output
