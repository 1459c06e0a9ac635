"""The caseworker digest end to end: the emulator, a local SMTP server (aiosmtpd), the CLI;
a crash after each send then a re-run (no mail twice); an SMTP outage (sent next run)."""

from __future__ import annotations

from datetime import date, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
import sqlalchemy as sa

from bip_bridge.cohort import CASEWORKER, PARTICIPANT, TokenState
from bip_bridge.duelist import Action
from bip_bridge.outreach.digest import (
    DigestItem,
    plan_digests,
    render_digest,
    send_digests,
    smtp_sender,
)
from bip_bridge.store import schema
from bip_bridge.templates import load_templates
from bip_bridge.tokens import LsToken
from bip_bridge.waves import run_waves
from outreach_support import TODAY, cli, settings_of, smtp, world

pytest.importorskip("aiosmtpd")
__all__ = ["smtp", "world"]  # fixtures


def body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def test_one_digest_per_caseworker_never_twice(world: dict[str, Any]) -> None:
    server, inbox = world["server"], world["inbox"]
    assert cli(world, "participants", "import", str(world["roster"])).exit_code == 0
    dry = cli(world, "waves", "--dry-run", "--today", TODAY.isoformat(), day=TODAY)
    assert "e-mail caseworker HL-017 one digest listing 2 assessment(s)" in dry.output
    assert "e-mail caseworker HL-018 one digest listing 1 assessment(s)" in dry.output
    assert inbox.messages == [] and server.outbox == []
    result = cli(world, "waves", "--send-as-of", TODAY.isoformat(), day=TODAY)
    assert result.exit_code == 0, result.output
    assert "sent 2 e-mail(s) listing 3 assessment(s)" in result.output
    # LimeSurvey mailed the participants only
    assert sorted(m.to.split("<")[-1].rstrip(">") for m in server.outbox) == [
        "anna@example.org", "eva@example.org", "mads@example.org"]
    karin, sofie = inbox.to("karin@example.org"), inbox.to("sofie@example.org")
    assert len(karin) == 1 and len(sofie) == 1 and len(inbox.messages) == 2
    message = karin[0]
    assert message["To"] == "karin@example.org"  # no participant's name as display name
    assert message["Subject"] == "BIP: 2 bedömningar att fylla i"
    text = body(message)
    assert "- Anna: första mätningen" in text and "- Eva Lisa: första mätningen" in text
    assert "Mads" not in text
    c_sid = next(s for s, k in _surveys(world) if k == CASEWORKER)
    tokens = _tokens(world, CASEWORKER)
    for token in tokens:
        link = f"{server.base_url}/index.php/{c_sid}?token={token}&lang=sv"
        assert link in text or link in body(sofie[0])
    # the second run, the same day: nothing new
    again = cli(world, "waves", "--send-as-of", TODAY.isoformat(), day=TODAY)
    assert again.exit_code == 0 and "sent 0 e-mail(s)" in again.output
    assert len(inbox.messages) == 2
    # reminders 7 days on: one digest per caseworker, listed as reminders
    day = TODAY + timedelta(days=7)
    assert cli(world, "waves", "--send-as-of", day.isoformat(), day=day).exit_code == 0
    assert len(inbox.messages) == 4
    reminder = body(inbox.to("karin@example.org")[1])
    assert "Påminnelse" in reminder and "Anna" in reminder
    with world["engine"].connect() as conn:
        rows = conn.execute(sa.select(schema.tokens.c.reminders_sent)
                            .where(schema.tokens.c.kind == CASEWORKER)).scalars().all()
    assert rows == [1, 1, 1]
    # the store holds no first name or address
    from test_waves_support import dump_store
    stored = dump_store(world["engine"])
    for value in ("Anna", "Eva", "karin@", "Mads"):
        assert value not in stored


def _surveys(world: dict[str, Any]) -> list[tuple[int, str]]:
    with world["engine"].connect() as conn:
        return [(int(r.sid), r.kind) for r in conn.execute(sa.select(schema.surveys))]


def _tokens(world: dict[str, Any], kind: str) -> list[str]:
    with world["engine"].connect() as conn:
        return list(conn.execute(sa.select(schema.tokens.c.token)
                                 .where(schema.tokens.c.kind == kind)).scalars())


class Crash(RuntimeError):
    pass


@pytest.mark.parametrize("nth", [1, 2])
def test_crash_after_each_send_then_rerun_sends_nothing_twice(world: dict[str, Any],
                                                             nth: int) -> None:
    inbox = world["inbox"]
    assert cli(world, "participants", "import", str(world["roster"])).exit_code == 0
    settings = settings_of(world)
    templates = load_templates(None)
    api, engine = world["client"], world["engine"]
    run_waves(api, engine, settings, templates, today=TODAY)
    real = smtp_sender(settings)
    calls = {"n": 0}

    def crashing(message: EmailMessage) -> None:
        real(message)  # the server took it ...
        calls["n"] += 1
        if calls["n"] == nth:
            raise Crash("killed right after the send")  # ... and the process died

    with pytest.raises(Crash):
        send_digests(api, engine, settings, templates, today=TODAY, send=crashing)
    assert len(inbox.messages) == nth
    report = send_digests(api, engine, settings, templates, today=TODAY)
    assert len(inbox.messages) == 2  # the rest, nothing twice
    assert sorted(r[0] for r, _ in inbox.messages) == ["karin@example.org",
                                                        "sofie@example.org"]
    assert report.uncertain == (2 if nth == 1 and _first_is_karin(inbox) else 1)
    assert send_digests(api, engine, settings, templates, today=TODAY).digests == 0
    # the interrupted items count as invited: their reminders come on time, once
    day = TODAY + timedelta(days=7)
    run_waves(api, engine, settings, templates, today=day)
    send_digests(api, engine, settings, templates, today=day)
    send_digests(api, engine, settings, templates, today=day)
    assert len(inbox.messages) == 4
    assert len(inbox.to("karin@example.org")) == 2 and len(inbox.to("sofie@example.org")) == 2


def _first_is_karin(inbox: Any) -> bool:
    return bool(inbox.messages[0][0] == ["karin@example.org"])


def test_smtp_outage_sends_nothing_and_the_next_run_sends_all(world: dict[str, Any]) -> None:
    inbox = world["inbox"]
    assert cli(world, "participants", "import", str(world["roster"])).exit_code == 0
    settings = settings_of(world)
    templates = load_templates(None)
    api, engine = world["client"], world["engine"]
    run_waves(api, engine, settings, templates, today=TODAY)
    from bip_bridge.errors import MailError

    def down(message: EmailMessage) -> None:
        raise MailError("The SMTP server is down; nothing was sent.", host="h", port=25)

    report = send_digests(api, engine, settings, templates, today=TODAY, send=down)
    assert report.digests == 0 and "nothing was sent" in report.skipped[0]
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.deliveries)
                            ).scalar() == 0
    assert send_digests(api, engine, settings, templates, today=TODAY).digests == 2
    assert len(inbox.messages) == 2


def test_without_smtp_nobody_is_mailed_and_the_summary_says_how_to_fix(
        world: dict[str, Any]) -> None:
    config = world["config"]
    text = config.read_text(encoding="utf-8")
    config.write_text(text[:text.index("[smtp]")], encoding="utf-8")
    assert cli(world, "participants", "import", str(world["roster"])).exit_code == 0
    result = cli(world, "waves", "--send-as-of", TODAY.isoformat(), day=TODAY)
    assert result.exit_code == 0
    assert "3 caseworker assessment(s) are due but no caseworker was told" in result.output
    assert 'caseworker_email = "limesurvey"' in result.output
    assert world["inbox"].messages == []


# --- the pure parts -----------------------------------------------------------------


def _tok(p: str, wave: int, tid: int | None, cw: str = "CW1", **kw: Any) -> TokenState:
    return TokenState(kind=CASEWORKER, pseudonym=p, wave=wave, sid=9, token=f"tok{p}",
                      due_on=date(2026, 1, 1), caseworker_id=cw, tid=tid, **kw)


def test_plan_groups_by_caseworker_and_skips_delivered_and_unconfirmed() -> None:
    day = date(2026, 1, 1)
    actions = [Action("invite", CASEWORKER, "a", 0, day, "CW1"),
               Action("invite", CASEWORKER, "b", 0, day, "CW2"),
               Action("remind", CASEWORKER, "c", 0, day, "CW1", reminder=1),
               Action("invite", CASEWORKER, "d", 0, day, "CW1"),  # no tid yet
               Action("invite", PARTICIPANT, "a", 0, day, "CW1"),
               Action("invite", CASEWORKER, "e", 0, day, "CW1")]  # already delivered
    tokens = {(CASEWORKER, "a", 0): _tok("a", 0, 1), (CASEWORKER, "b", 0): _tok("b", 0, 2, "CW2"),
              (CASEWORKER, "c", 0): _tok("c", 0, 3), (CASEWORKER, "d", 0): _tok("d", 0, None),
              (CASEWORKER, "e", 0): _tok("e", 0, 5)}
    plan = plan_digests(actions, tokens, {(9, "e", 0, "invite")})
    expected = {
        "CW1": [DigestItem(9, "a", 0, day, "CW1", 1, "toka", "invite"),
                DigestItem(9, "c", 0, day, "CW1", 3, "tokc", "remind", 1)],
        "CW2": [DigestItem(9, "b", 0, day, "CW2", 2, "tokb", "invite")],
    }
    assert plan == expected
    assert plan["CW1"][1].item == "remind1"


@pytest.mark.parametrize(("language", "subject", "words"), [
    ("sv", "BIP: 1 bedömning att fylla i", "mätning 2 (3 månader efter start), från 2026-04-01"),
    ("da", "BIP: 1 vurdering at udfylde", "måling 2 (3 måneder efter start), fra 1.4.2026"),
    ("en", "BIP: 1 assessment to fill in",
     "measurement 2 (3 months after the start), since 1 April 2026"),
])
def test_render_digest_in_each_language(language: str, subject: str, words: str) -> None:
    item = DigestItem(9, "p" * 64, 1, date(2026, 4, 1), "CW1", 7, "abc", "invite")
    contact = LsToken(tid=7, token="abc", pseudonym="p" * 64, wave=1, caseworker_id="CW1",
                      firstname="Zoë\nX", lastname="", email="cw@example.org",
                      language=language, sent="N", remindersent="N", remindercount=0,
                      completed=False)
    got_subject, text = render_digest([item], {7: contact}, language=language,
                                      rpc_url="https://ls.example.org/index.php/admin/"
                                      "remotecontrol", interval_months=3)
    assert got_subject == subject
    assert f"- Zoë X: {words}\n  https://ls.example.org/index.php/9?token=abc&lang={language}" \
        in text
    unnamed, _ = render_digest([item], {}, language=language, rpc_url="http://h/rc",
                               interval_months=3)
    assert unnamed == subject


def test_sync_sends_the_digests_once(world: dict[str, Any]) -> None:
    assert cli(world, "participants", "import", str(world["roster"])).exit_code == 0
    first = cli(world, "sync", day=TODAY)
    assert first.exit_code == 0, first.output
    assert "Caseworker digests: sent 2 e-mail(s) listing 3 assessment(s)" in first.output
    second = cli(world, "sync", day=TODAY)
    assert second.exit_code == 0 and "sent 0 e-mail(s)" in second.output
    assert len(world["inbox"].messages) == 2
