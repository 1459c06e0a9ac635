"""First names for the progression cards, read from a real LimeSurvey 6 server (skipped
unless one is named): `list_participants` with the pseudonym attribute gives each
participant's first name, and the store holds none of them afterwards. The test creates
its own surveys and deletes them at the end."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import live_support
from bip_bridge.participants import import_roster
from bip_bridge.provision import provision
from bip_bridge.pseudonyms import pseudonymise
from bip_bridge.reports.names import read_first_names
from bip_bridge.roster import parse_roster
from bip_bridge.store import open_store
from bip_bridge.templates import load_templates
from test_waves_support import PSEUDONYM_KEY, dump_store, make_settings, roster_bytes

pytestmark = live_support.LIVE_MARKS
live_client = live_support.live_client  # the fixture


def test_first_names_from_a_real_server(live_client: Any, tmp_path: Path) -> None:
    today = date.today()
    templates = load_templates()
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    engine = open_store(url)
    settings = make_settings(url, tmp_path)
    created: list[int] = []
    try:
        report = provision(live_client, engine, templates)
        created = [o.sid for o in report.outcomes if o.sid is not None]
        people = [("X-CARD-1", "Märta", "marta@example.org", "sv", today.isoformat(), "HL-1",
                   "cw1@example.org"),
                  ("X-CARD-2", "Søren", "soren@example.org", "da", today.isoformat(), "HL-2",
                   "cw2@example.org")]
        rows = parse_roster(roster_bytes(*people), today=today)
        import_roster(live_client, engine, settings, templates, rows, today=today)

        names = read_first_names(live_client, engine, templates)

        assert names == {pseudonymise("X-CARD-1", PSEUDONYM_KEY): "Märta",
                         pseudonymise("X-CARD-2", PSEUDONYM_KEY): "Søren"}
        stored = dump_store(engine)
        assert "Märta" not in stored and "Søren" not in stored
    finally:
        live_support.delete_own_surveys(live_client, engine, created)
        engine.dispose()
