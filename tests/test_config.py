"""Configuration: every problem listed at once, secrets only from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bip_bridge.cli import main
from bip_bridge.config import STARTER, load_settings
from bip_bridge.errors import ConfigError

GOOD = """
[limesurvey]
url = "https://survey.example.org/index.php/admin/remotecontrol"
username = "bip"

[privacy]
min_cell = 7

[reports]
out_dir = "out"
language = "da"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bip-bridge.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_good_file_with_secrets_from_environment(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    settings = load_settings(
        path,
        env={
            "BIP_BRIDGE_LIMESURVEY_PASSWORD": "s3cret-password",
            "BIP_BRIDGE_PSEUDONYM_KEY": "k" * 32,
        },
    )
    assert settings.limesurvey.url.endswith("/remotecontrol")
    assert settings.limesurvey.password == "s3cret-password"
    assert settings.limesurvey.verify_tls is True
    assert settings.privacy.min_cell == 7
    assert settings.privacy.pseudonym_key == b"k" * 32
    assert settings.reports.language == "da"
    assert settings.reports.out_dir == tmp_path / "out"
    assert settings.store.url == f"sqlite:///{(tmp_path / 'bip-bridge.sqlite').resolve()}"
    assert "s3cret" not in repr(settings)


def test_secret_from_file(tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("from-a-file\n", encoding="utf-8")
    settings = load_settings(
        write(tmp_path, GOOD), env={"BIP_BRIDGE_LIMESURVEY_PASSWORD_FILE": str(secret)}
    )
    assert settings.limesurvey.password == "from-a-file"


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[limesurvey]
url = "ftp://nowhere"
timeout = "soon"
password = "hunter22"

[privacy]
min_cell = 0

[reports]
language = "fi"

[waves]
reminder_days = [14, 7]

[colours]
red = 1
""",
    )
    with pytest.raises(ConfigError) as info:
        load_settings(path, env={})
    wheres = [p.where for p in info.value.problems]
    assert wheres == [
        "[limesurvey] password",
        "[colours]",
        "[limesurvey] url",
        "[limesurvey] username",
        "[limesurvey] timeout",
        "[privacy] min_cell",
        "[reports] language",
        "[waves] reminder_days",
    ]
    message = str(info.value)
    assert "hunter22" not in message
    assert "BIP_BRIDGE_LIMESURVEY_PASSWORD" in message


def test_password_in_toml_is_refused_with_where_to_put_it(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace('username = "bip"', 'username = "bip"\npassword = "x"'))
    with pytest.raises(ConfigError) as info:
        load_settings(path, env={})
    (problem,) = info.value.problems
    assert problem.where == "[limesurvey] password"
    assert "BIP_BRIDGE_LIMESURVEY_PASSWORD" in problem.expected


def test_missing_file_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path / "nope.toml", env={})
    assert info.value.hint is not None and "bip-bridge init" in info.value.hint


def test_invalid_toml_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="line 2"):
        load_settings(write(tmp_path, "[limesurvey]\nurl = \n"), env={})


def test_starter_file_is_valid(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, STARTER), env={})
    assert settings.limesurvey.username == "bip-bridge"
    assert settings.waves.reminder_days == (7, 14)


def test_init_writes_starter_and_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "bip-bridge.toml"
    runner = CliRunner()
    first = runner.invoke(main, ["init", str(target)])
    assert first.exit_code == 0, first.output
    assert target.read_text(encoding="utf-8") == STARTER
    second = runner.invoke(main, ["init", str(target)])
    assert second.exit_code == 78
    assert "already exists" in second.output


def test_store_url_relative_sqlite_is_beside_config(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + '\n[store]\nurl = "sqlite:///data/bip.sqlite"\n')
    settings = load_settings(path, env={})
    assert settings.store.url == f"sqlite:///{(tmp_path / 'data' / 'bip.sqlite').resolve()}"


def test_store_url_with_password_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + '\n[store]\nurl = "postgresql+psycopg://bip:pw@db/bip"\n')
    with pytest.raises(ConfigError, match="contains a password"):
        load_settings(path, env={})


def test_the_sender_is_read_and_an_address_limesurvey_refuses_is_named(tmp_path: Path) -> None:
    good = write(tmp_path, GOOD + '\n[surveys]\nsender_name = "Samordningsförbundet Exempel"\n'
                 'sender_email = " bip@samordning.example.se "\n')
    settings = load_settings(good, env={})
    assert settings.surveys.sender_name == "Samordningsförbundet Exempel"
    assert settings.surveys.sender_email == "bip@samordning.example.se"
    bad = write(tmp_path, GOOD + '\n[surveys]\nsender_email = "björn@mail.example.org"\n')
    with pytest.raises(ConfigError) as info:
        load_settings(bad, env={})
    assert [p.where for p in info.value.problems] == ["[surveys] sender_email"]
