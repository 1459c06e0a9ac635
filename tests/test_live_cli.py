"""An operator's first day on a real LimeSurvey, through the CLI only (skipped unless
BIP_BRIDGE_TEST_LIMESURVEY_* name a server).

`provision`, `participants import`, `sync` (waves, invitations by LimeSurvey, caseworker
digests over a loopback SMTP server the test starts, pull, push-back, reports with
cards), answers entered in LimeSurvey, `status --live --json` (read from LimeSurvey's
tokens before the next sync), `sync` again, `pushback` (nothing left to push), and
`participants card`: the card shows the first name read from LimeSurvey while the store
holds no name. The test's own surveys are deleted at the end.
"""

from __future__ import annotations

import json
import os
import random
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from click.testing import CliRunner

import live_support
import outreach_support
from bip_bridge.cli import main
from bip_bridge.pseudonyms import pseudonymise
from bip_bridge.store import open_store, schema
from bip_bridge.templates import load_templates
from live_year_support import PSEUDONYM_KEY, answers, enter_response, sgqa_columns, tokens_of
from outreach_support import Inbox, write_roster
from test_waves_support import dump_store

pytestmark = live_support.LIVE_MARKS
live_client = live_support.live_client  # the fixture
smtp_server = outreach_support.smtp  # the fixture: aiosmtpd on a loopback port

KINDS = ("participant", "caseworker")


def test_an_operators_first_day(live_client: Any, tmp_path: Path,
                                smtp_server: tuple[Any, Inbox]) -> None:
    controller, inbox = smtp_server
    run = uuid.uuid4().hex[:6]
    today = date.today()
    store = f"sqlite:///{tmp_path / 'store.sqlite'}"
    url, user, password = (os.environ[v] for v in live_support.ENV)
    config = tmp_path / "bip-bridge.toml"
    config.write_text(
        f'[limesurvey]\nurl = "{url}"\nusername = "{user}"\nretries = 2\ntimeout = 120\n'
        f'[store]\nurl = "{store}"\n'
        f'[reports]\nout_dir = "{tmp_path / "out"}"\nafter_sync = true\n'
        f'[smtp]\nhost = "127.0.0.1"\nport = {controller.port}\nstarttls = false\n'
        'sender = "bip-bridge@example.org"\n', encoding="utf-8")
    env = {"BIP_BRIDGE_LIMESURVEY_PASSWORD": password, "BIP_BRIDGE_PSEUDONYM_KEY": PSEUDONYM_KEY}

    def cli(*args: str) -> Any:
        result = CliRunner().invoke(main, ["--config", str(config), *args], env=env)
        assert result.exit_code == 0, result.output
        return result

    names = ("Anna", "Björn", "Mads", "Emma", "Sara")
    langs = ("sv", "sv", "da", "en", "sv")
    people = [(f"C{run}-{i}", name, f"{name.lower()}.{run}@example.org".replace("ö", "o"),
               lang, today.isoformat(), f"HL-{i % 2 + 1}", f"hl{i % 2 + 1}.{run}@example.org")
              for i, (name, lang) in enumerate(zip(names, langs, strict=True))]
    roster = write_roster(tmp_path / "roster.csv", people)
    engine = open_store(store)
    try:
        cli("provision")
        with engine.connect() as conn:
            sids = {str(k): int(s) for s, k in conn.execute(
                sa.select(schema.surveys.c.sid, schema.surveys.c.kind))}
        cli("participants", "import", str(roster))
        first = cli("sync")
        assert "sent 2 e-mail(s) listing 5 assessment(s)" in first.output, first.output
        assert len(inbox.messages) == 2, [r for r, _ in inbox.messages]
        participant_tokens = tokens_of(live_client, sids["participant"])
        assert sorted(t["participant_info"]["firstname"] for t in participant_tokens) == \
            sorted(names)
        assert all(t["sent"] != "N" for t in participant_tokens)

        # three participants and one caseworker answer in LimeSurvey
        templates = load_templates()
        key = PSEUDONYM_KEY.encode()
        pseudonym = {p[0]: pseudonymise(p[0], key, today=today) for p in people}
        with engine.connect() as conn:
            tok = {(r.kind, r.pseudonym): r for r in conn.execute(sa.select(schema.tokens))}
        stamp = datetime.combine(today, datetime.min.time())
        rng = random.Random(run)
        for kind, who in (("participant", people[:3]), ("caseworker", people[:1])):
            columns = sgqa_columns(live_client, sids[kind])
            for person in who:
                t = tok[(kind, pseudonym[person[0]])]
                values = answers(templates, kind, t.pseudonym, 0, str(t.caseworker_id), rng)
                enter_response(live_client, sids[kind], columns, t.token, values,
                               submitted=stamp)
                live_client.set_participant_properties(
                    sids[kind], int(t.tid), {"completed": f"{stamp:%Y-%m-%d %H:%M}"})

        live = json.loads(cli("status", "--live", "--json").output)
        wave0 = next(w for w in live["waves"] if w["wave"] == 0)
        assert live["live"] is True
        assert (wave0["due"], wave0["invited_p"], wave0["answered_p"], wave0["invited_c"],
                wave0["answered_c"]) == (5, 5, 3, 5, 1), wave0

        second = cli("sync")
        assert f"survey {sids['participant']} (participant): 3 new" in second.output, \
            second.output
        assert f"survey {sids['caseworker']} (caseworker): 1 new" in second.output, \
            second.output
        assert len(inbox.messages) == 2, second.output  # no digest twice
        stored = json.loads(cli("status", "--json").output)
        wave0 = next(w for w in stored["waves"] if w["wave"] == 0)
        assert (wave0["answered_p"], wave0["answered_c"]) == (3, 1), stored
        again = cli("pushback")
        assert "push-back: pushed 0 token(s)" in again.output, again.output  # sync pushed

        card = Path(cli("participants", "card", people[2][0]).output.strip())
        text = card.read_text(encoding="utf-8")
        assert "Mads" in text, (card, second.output)  # read from LimeSurvey at render time
        dumped = dump_store(engine)
        assert not any(name in dumped for name in names)
        assert not any(p[2] in dumped for p in people)
    finally:
        live_support.delete_own_surveys(live_client, engine)
        engine.dispose()
