"""The caseworker digest (the default ``[waves] caseworker_email``) on a real LimeSurvey.

Skipped unless BIP_BRIDGE_TEST_LIMESURVEY_* name a server. `bip-bridge waves` lets
LimeSurvey invite the participants and mails each caseworker one digest over a local
SMTP server started by the test (loopback); LimeSurvey itself must not have mailed the
caseworker tokens, and every link in a digest must open that caseworker questionnaire
on the server with its access code accepted. A second run sends nothing. The test's own
surveys are deleted at the end.
"""

from __future__ import annotations

import html
import os
import re
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa
from click.testing import CliRunner

import live_support
import outreach_support
from bip_bridge.cli import main
from bip_bridge.store import open_store, schema
from bip_bridge.templates import load_templates
from live_year_support import PSEUDONYM_KEY, tokens_of
from outreach_support import Inbox, write_roster

pytestmark = live_support.LIVE_MARKS
live_client = live_support.live_client  # the fixture
smtp_server = outreach_support.smtp  # the fixture: aiosmtpd on a loopback port


def _body(message: Any) -> str:
    part = message.get_body(preferencelist=("plain",))
    return str(part.get_content())


def test_digest_links_open_the_caseworker_questionnaire(live_client: Any, tmp_path: Path,
                                                        smtp_server: tuple[Any, Inbox]) -> None:
    controller, inbox = smtp_server
    run = uuid.uuid4().hex[:6]
    today = date.today()
    store = f"sqlite:///{tmp_path / 'store.sqlite'}"
    url, user, password = (os.environ[v] for v in live_support.ENV)
    config = tmp_path / "bip-bridge.toml"
    config.write_text(
        f'[limesurvey]\nurl = "{url}"\nusername = "{user}"\nretries = 2\ntimeout = 120\n'
        f'[store]\nurl = "{store}"\n[reports]\nout_dir = "{tmp_path / "out"}"\n'
        f'[smtp]\nhost = "127.0.0.1"\nport = {controller.port}\nstarttls = false\n'
        'sender = "bip-bridge@example.org"\n', encoding="utf-8")
    env = {"BIP_BRIDGE_LIMESURVEY_PASSWORD": password, "BIP_BRIDGE_PSEUDONYM_KEY": PSEUDONYM_KEY}

    def cli(*args: str) -> Any:
        result = CliRunner().invoke(main, ["--config", str(config), *args], env=env)
        assert result.exit_code == 0, result.output
        return result

    karin, sofie = f"karin.{run}@example.org", f"sofie.{run}@example.org"
    roster = write_roster(tmp_path / "roster.csv", [
        (f"D{run}-1", "Anna", f"anna.{run}@example.org", "sv", today.isoformat(), "HL-1", karin),
        (f"D{run}-2", "Mads", f"mads.{run}@example.org", "da", today.isoformat(), "HL-2", sofie),
        (f"D{run}-3", "Eva", f"eva.{run}@example.org", "en", today.isoformat(), "HL-1", karin),
    ])
    engine = open_store(store)
    sids: dict[str, int] = {}
    try:
        cli("provision")
        with engine.connect() as conn:
            sids = {str(k): int(s) for s, k in conn.execute(
                sa.select(schema.surveys.c.sid, schema.surveys.c.kind))}
        cli("participants", "import", str(roster))
        first = cli("waves")
        assert "sent 2 e-mail(s) listing 3 assessment(s)" in first.output, first.output

        # LimeSurvey invited the participants and not the caseworkers
        held = {kind: tokens_of(live_client, sid) for kind, sid in sids.items()}
        assert len(held["participant"]) == len(held["caseworker"]) == 3
        assert all(t["sent"] != "N" for t in held["participant"])
        assert all(t["sent"] == "N" for t in held["caseworker"])
        assert sorted(r[0] for r, _ in inbox.messages) == sorted([karin, sofie])

        # every link in the digests opens the caseworker questionnaire, code accepted
        base = url.split("/index.php")[0]
        links = [link for _, message in inbox.messages for link in re.findall(
            rf"{re.escape(base)}/index\.php/{sids['caseworker']}\?token=[^\s&]+&lang=\w+",
            _body(message))]
        assert sorted(re.sub(r".*token=([^&]+).*", r"\1", link) for link in links) == \
            sorted(t["token"] for t in held["caseworker"])
        welcome = load_templates().questionnaire("caseworker").welcome
        names = {t["token"]: t["participant_info"]["firstname"] for t in held["caseworker"]}
        for link in links:
            page = requests.get(link, timeout=60)
            assert page.status_code == 200
            token, lang = re.findall(r"token=([^&]+)&lang=(\w+)", link)[0]
            # the welcome page with the participant's first name: the code was accepted
            text = html.unescape(page.text)
            assert welcome[lang].split("{TOKEN")[0] + names[token] in text, link

        again = cli("waves")
        assert "sent 0 e-mail(s)" in again.output, again.output
        assert len(inbox.messages) == 2
        assert [t["sent"] for t in tokens_of(live_client, sids["caseworker"])] == ["N"] * 3
    finally:
        live_support.delete_own_surveys(live_client, engine, sids.values())
        engine.dispose()
