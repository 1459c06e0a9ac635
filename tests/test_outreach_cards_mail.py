"""Progression cards by e-mail (`report --email-cards`): each caseworker their own cards and
index page, once per report date, crash-safe; against the emulator and a local SMTP server.
The cards themselves are the cards lane's; here a report folder holds stand-in files."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bip_bridge.outreach.cards_mail import cards_by_caseworker, send_cards
from bip_bridge.outreach.digest import smtp_sender
from bip_bridge.reports.cards import card_path, index_path
from bip_bridge.store import schema
from bip_bridge.templates import load_templates
from outreach_support import cli, settings_of, smtp, world

__all__ = ["smtp", "world"]  # fixtures


def _pseudonyms(world: dict[str, Any]) -> dict[str, str]:
    """pseudonym -> caseworker code, from the store."""
    with world["engine"].connect() as conn:
        rows = conn.execute(sa.select(schema.caseworker_assignments.c.pseudonym,
                                      schema.caseworker_assignments.c.caseworker_id)).all()
    return {r.pseudonym: r.caseworker_id for r in rows}


def _report(world: dict[str, Any], day: str) -> Path:
    folder = world["tmp"] / "out" / day
    people = _pseudonyms(world)
    for pseudonym, cw in people.items():
        path = card_path(folder, cw, pseudonym)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"<html>card {pseudonym[:8]}</html>", encoding="utf-8")
    for cw in set(people.values()):
        index_path(folder, cw).write_text("<html>index</html>", encoding="utf-8")
    return folder


class Crash(RuntimeError):
    pass


def test_cards_once_per_caseworker_and_report_date_crash_safe(world: dict[str, Any]) -> None:
    inbox = world["inbox"]
    assert cli(world, "participants", "import", str(world["roster"])).exit_code == 0
    settings, templates = settings_of(world), load_templates(None)
    api, engine = world["client"], world["engine"]
    folder = _report(world, "2026-05-01")
    grouped = cards_by_caseworker(folder, list(_pseudonyms(world)))
    assert {k: len(v) for k, v in grouped.items()} == {"HL-017": 2, "HL-018": 1}

    real = smtp_sender(settings)

    def crash_after_first(message: EmailMessage) -> None:
        real(message)
        raise Crash("killed right after the send")

    with pytest.raises(Crash):
        send_cards(api, engine, settings, templates, folder, send=crash_after_first)
    report = send_cards(api, engine, settings, templates, folder)
    assert len(inbox.messages) == 2 and report.emails == 1 and report.uncertain >= 1
    again = send_cards(api, engine, settings, templates, folder)
    assert again.emails == 0 and again.already == 3 and len(inbox.messages) == 2
    karin = inbox.to("karin@example.org")[0]
    assert karin["Subject"] == "BIP: progressionskort 2026-05-01"
    names = sorted(str(p.get_filename()) for p in karin.iter_attachments())
    assert len(names) == 3 and "index.html" in names
    # the next report's cards go out (once)
    later = _report(world, "2026-08-01")
    assert send_cards(api, engine, settings, templates, later).cards == 3
    assert send_cards(api, engine, settings, templates, later).cards == 0
    assert len(inbox.messages) == 4


def test_report_email_cards_without_smtp_says_so(world: dict[str, Any]) -> None:
    config = world["config"]
    text = config.read_text(encoding="utf-8")
    config.write_text(text[:text.index("[smtp]")], encoding="utf-8")
    assert cli(world, "participants", "import", str(world["roster"])).exit_code == 0
    result = cli(world, "report", "--email-cards", "--no-names")
    assert result.exit_code == 78
    assert "no card was sent" in result.output and "Fix: Add [smtp]" in result.output
    # told before the report is built: nothing written, no half-done run to clean up
    assert "Reports written to" not in result.output
    assert not list(settings_of(world).reports.out_dir.glob("*"))
    bundle = cli(world, "report", "--email", "--no-names")
    assert bundle.exit_code == 78
    assert "needs an [smtp] section; nothing was sent" in bundle.output
    assert "Reports written to" not in bundle.output
    assert not list(settings_of(world).reports.out_dir.glob("*"))


def test_report_email_cards_without_password_writes_nothing(
        world: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli(world, "participants", "import", str(world["roster"])).exit_code == 0
    monkeypatch.delenv("BIP_BRIDGE_LIMESURVEY_PASSWORD", raising=False)
    monkeypatch.delenv("BIP_BRIDGE_LIMESURVEY_PASSWORD_FILE", raising=False)
    result = cli(world, "report", "--email-cards", "--no-names")
    assert result.exit_code == 78, result.output
    assert "No LimeSurvey password is set." in result.output
    assert "Reports written to" not in result.output
    assert not list(settings_of(world).reports.out_dir.glob("*"))


def test_report_email_cards_smtp_down_exits_69_and_sends_later(
        world: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """An unreachable SMTP server was a 'skipped:' line and exit 0; it is exit 69 (as the
    help says), no delivery row is left, and the next run sends the cards."""
    import re as re_

    import bip_bridge.reports as reports
    from outreach_support import free_port

    assert cli(world, "participants", "import", str(world["roster"])).exit_code == 0
    folder = _report(world, "2026-05-01")
    monkeypatch.setattr(reports, "write_reports", lambda *a, **k: folder)
    config = world["config"]
    good = config.read_text(encoding="utf-8")
    config.write_text(re_.sub(r"port = \d+", f"port = {free_port()}", good), encoding="utf-8")
    down = cli(world, "report", "--email-cards", "--no-names")
    assert down.exit_code == 69, down.output
    assert "could not be used" in down.output and "nothing was sent" in down.output
    assert "Progression cards e-mailed: 0 e-mail(s)" in down.output
    assert "wait for the next `report --email-cards`" in down.output
    assert "Traceback" not in down.output and "skipped:" not in down.output
    with world["engine"].connect() as conn:
        assert conn.execute(sa.select(sa.func.count())
                            .select_from(schema.deliveries)).scalar() == 0
    config.write_text(good, encoding="utf-8")
    up = cli(world, "report", "--email-cards", "--no-names")
    assert up.exit_code == 0, up.output
    assert "2 e-mail(s) with 3 card(s)" in up.output and len(world["inbox"].messages) == 2
