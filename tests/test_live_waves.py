"""Participants and waves on a real LimeSurvey 6 server (skipped unless one is named).

Set BIP_BRIDGE_TEST_LIMESURVEY_URL (the RemoteControl URL), _USER and _PASSWORD. The
test provisions both surveys, imports a two-person roster (addresses @example.org, a
reserved domain), runs the waves twice (the server sends the invitations through its own
SMTP setting), checks that each token exists once with its attributes and was invited
once, erases one person, and deletes the surveys at the end. Use a test server.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import live_support
from bip_bridge.erasure import forget_participant
from bip_bridge.participants import import_roster
from bip_bridge.provision import provision
from bip_bridge.pseudonyms import pseudonymise
from bip_bridge.roster import parse_roster
from bip_bridge.store import open_store
from bip_bridge.templates import load_templates
from bip_bridge.tokens import iter_tokens
from bip_bridge.waves import run_waves
from test_waves_support import PSEUDONYM_KEY, make_settings, roster_bytes

pytestmark = live_support.LIVE_MARKS
live_client = live_support.live_client  # the fixture


def test_waves_on_a_real_server(live_client: Any, tmp_path: Path) -> None:
    today = date.today()
    templates = load_templates()
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    engine = open_store(url)
    settings = make_settings(url, tmp_path)
    created: list[int] = []
    try:
        report = provision(live_client, engine, templates)
        created = [o.sid for o in report.outcomes if o.sid is not None]
        sids = {o.kind: o.sid for o in report.outcomes}
        people = [("X-LIVE-1", "Anna", "anna@example.org", "sv", today.isoformat(), "HL-1",
                   "cw1@example.org"),
                  ("X-LIVE-2", "Mads", "mads@example.org", "da", today.isoformat(), "HL-2",
                   "cw2@example.org")]
        rows = parse_roster(roster_bytes(*people), today=today)
        import_roster(live_client, engine, settings, templates, rows, today=today)
        import_roster(live_client, engine, settings, templates, rows, today=today)
        first = run_waves(live_client, engine, settings, templates, today=today)
        second = run_waves(live_client, engine, settings, templates, today=today)
        assert (first.invited, second.created, second.invited) == (4, 0, 0)

        cols = ("attribute_1", "attribute_2", "attribute_3", "sent", "remindercount")
        for kind, sid in sids.items():
            tokens = list(iter_tokens(live_client, sid, attributes=cols, page_size=100))
            result = sorted((t["participant_info"]["email"], t["attribute_2"],
                             t["attribute_3"], t["remindercount"]) for t in tokens)
            expected = (sorted([("anna@example.org", "0", "HL-1", 0),
                                ("mads@example.org", "0", "HL-2", 0)])
                        if kind == "participant" else
                        sorted([("cw1@example.org", "0", "HL-1", 0),
                                ("cw2@example.org", "0", "HL-2", 0)]))
            assert result == expected
            assert all(t["sent"] != "N" for t in tokens)

        erased = forget_participant(live_client, engine, settings,
                                    pseudonymise("X-LIVE-1", PSEUDONYM_KEY), templates=templates)
        assert erased.tokens_removed == 2
    finally:
        live_support.delete_own_surveys(live_client, engine, created)
        engine.dispose()
