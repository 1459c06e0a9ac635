"""Shared by the outreach tests: a local SMTP server (aiosmtpd) and a small world on the
emulator (surveys provisioned from the shipped templates, a store, a configuration with
[smtp] pointing at the local server, a roster)."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bip_bridge.cli import main
from bip_bridge.store import open_store

EMULATOR_USER, EMULATOR_PASSWORD = "outreach-admin", "outreach-Pass-1"
KEY = "outreach-pseudonym-key-0123456789"
TODAY = date.today()
ROWS = [
    ("19121212-1212", "Anna", "anna@example.org", "sv", TODAY.isoformat(), "HL-017",
     "karin@example.org"),
    ("811218-9876", "Mads", "mads@example.org", "da", (TODAY - timedelta(days=2)).isoformat(),
     "HL-018", "sofie@example.org"),
    ("P-3", "Eva Lisa", "eva@example.org", "en", TODAY.isoformat(), "HL-017",
     "karin@example.org"),
]


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for rcpt, m in self.messages if address in rcpt]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Any, Inbox]]:
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


def write_roster(path: Path, rows: list[tuple[str, ...]]) -> Path:
    header = "external_id;first_name;email;language;enrolled_on;caseworker_id;caseworker_email"
    path.write_text(header + "\n" + "".join(";".join(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
          smtp: tuple[Any, Inbox]) -> Iterator[dict[str, Any]]:
    from bip_bridge.emulator import EmulatorServer
    from bip_bridge.limesurvey import LimeSurveyClient
    from bip_bridge.provision import provision
    from bip_bridge.templates import load_templates

    controller, inbox = smtp
    clock = {"now": datetime.combine(TODAY, datetime.min.time()).replace(hour=8)}
    with EmulatorServer(username=EMULATOR_USER, password=EMULATOR_PASSWORD,
                        clock=lambda: clock["now"]) as server:
        store = tmp_path / "store.sqlite"
        engine = open_store(f"sqlite:///{store}")
        client = LimeSurveyClient(server.url, EMULATOR_USER, EMULATOR_PASSWORD, timeout=10,
                                  retries=1)
        provision(client, engine, load_templates(None))
        config = tmp_path / "bip-bridge.toml"
        config.write_text(
            f'[limesurvey]\nurl = "{server.url}"\nusername = "{EMULATOR_USER}"\n'
            f'[store]\nurl = "sqlite:///{store}"\n'
            f'[reports]\nout_dir = "{tmp_path / "out"}"\n'
            f'[smtp]\nhost = "127.0.0.1"\nport = {controller.port}\nstarttls = false\n'
            'sender = "bip-bridge@example.org"\n', encoding="utf-8")
        monkeypatch.setenv("BIP_BRIDGE_LIMESURVEY_PASSWORD", EMULATOR_PASSWORD)
        monkeypatch.setenv("BIP_BRIDGE_PSEUDONYM_KEY", KEY)
        roster = write_roster(tmp_path / "roster.csv", ROWS)
        yield {"server": server, "engine": engine, "config": config, "roster": roster,
               "clock": clock, "tmp": tmp_path, "inbox": inbox, "client": client}
        client.close()
        engine.dispose()


def cli(world: dict[str, Any], *args: str, day: date | None = None) -> Any:
    """Run the CLI on ``day`` (the emulator's clock and --today where the command has it)."""
    if day is not None:
        world["clock"]["now"] = datetime.combine(day, datetime.min.time()).replace(hour=8)
    return CliRunner().invoke(main, ["--config", str(world["config"]), *args],
                              catch_exceptions=False)


def settings_of(world: dict[str, Any]) -> Any:
    from bip_bridge.config import load_settings

    return load_settings(str(world["config"]))
