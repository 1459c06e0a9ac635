"""Erasure on a real LimeSurvey 6 (issue 13): `forget`, then a LimeSurvey export of both
surveys holds no response with that pseudonym, and `sync` brings nothing back.

Skipped unless BIP_BRIDGE_TEST_LIMESURVEY_URL, _USER and _PASSWORD name a test server.
Creates its own two surveys and deletes them at the end; touches no other survey.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa

import live_support
from bip_bridge.erasure import forget_participant, forgotten_predicate
from bip_bridge.participants import import_roster
from bip_bridge.provision import provision
from bip_bridge.pseudonyms import pseudonymise
from bip_bridge.roster import parse_roster
from bip_bridge.store import open_store, schema
from bip_bridge.sync import run_sync
from bip_bridge.templates import load_templates
from test_waves_support import PSEUDONYM_KEY, make_settings, roster_bytes

pytestmark = live_support.LIVE_MARKS
live_client = live_support.live_client  # the fixture


def _columns(client: Any, sid: int) -> dict[str, str]:
    return {f["title"]: key for key, f in client.get_fieldmap(sid).items()
            if f.get("title") in ("PSEUDO", "WAVE") and not f.get("aid")}


def test_forget_on_a_real_server_holds(live_client: Any, tmp_path: Path) -> None:
    today = date.today()
    templates = load_templates()
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    engine = open_store(url)
    settings = make_settings(url, tmp_path)
    created: list[int] = []
    try:
        report = provision(live_client, engine, templates)
        created = [o.sid for o in report.outcomes if o.sid is not None]
        sids = {o.kind: int(o.sid) for o in report.outcomes if o.sid is not None}
        people = [("X-ERASE-1", "Anna", "anna@example.org", "sv", today.isoformat(), "HL-1",
                   "cw1@example.org"),
                  ("X-ERASE-2", "Mads", "mads@example.org", "da", today.isoformat(), "HL-2",
                   "cw2@example.org")]
        rows = parse_roster(roster_bytes(*people), today=today)
        import_roster(live_client, engine, settings, templates, rows, today=today)
        anna = pseudonymise("X-ERASE-1", PSEUDONYM_KEY)
        mads = pseudonymise("X-ERASE-2", PSEUDONYM_KEY)
        with engine.connect() as conn:
            anna_tokens = {r.sid: r.token for r in conn.execute(
                sa.select(schema.tokens).where(schema.tokens.c.pseudonym == anna))}
        cols = {kind: _columns(live_client, sid) for kind, sid in sids.items()}

        def answer(kind: str, pseudonym: str, *, token: str | None = None) -> int:
            row = {cols[kind]["PSEUDO"]: pseudonym, cols[kind]["WAVE"]: "0"}
            if token:
                row["token"] = token
            return int(live_client.add_response(sids[kind], row))

        p, c = sids["participant"], sids["caseworker"]
        answer("participant", anna, token=anna_tokens[p])  # through her link
        answer("caseworker", anna, token=anna_tokens[c])
        answer("participant", anna)  # entered by hand, no token
        kept = answer("participant", mads, token=None)
        run_sync(live_client, engine, model=templates.model)  # some are in the store
        answer("caseworker", anna)  # never synced, no token

        erased = forget_participant(live_client, engine, settings, anna, templates=templates)
        figures = {s.sid: (s.responses_by_token, s.responses_by_pseudonym,
                           s.responses_stored_only, s.tokens) for s in erased.surveys}
        print(f"\nlive erasure: per survey (by token, by PSEUDO only, store only, tokens): "
              f"{figures}; store rows {erased.store_rows}")
        assert figures[p] == (1, 1, 0, 1) and figures[c] == (1, 1, 0, 1), figures

        for kind, sid in sids.items():
            exported = live_client.export_responses(sid)
            carrying = [r for r in exported
                        if r.get("PSEUDO") == anna or r.get("token") in anna_tokens.values()]
            print(f"live export of the {kind} survey {sid}: {len(exported)} response(s), "
                  f"{len(carrying)} carrying the erased pseudonym")
            assert carrying == []
        assert [int(r["id"]) for r in live_client.export_responses(p)] == [kept]

        answer("participant", anna)  # entered by hand after the erasure
        summary = run_sync(live_client, engine, model=templates.model,
                           forgotten=forgotten_predicate(engine, PSEUDONYM_KEY))
        skipped = summary.totals()["erased_skipped"]
        with engine.connect() as conn:
            stored = [r.pseudonym for r in conn.execute(sa.select(schema.responses))]
        print(f"live sync after the erasure: {skipped} skipped, stored pseudonyms "
              f"{sorted({s[:8] for s in stored if s})}")
        assert skipped == 1 and anna not in stored and mads in stored
    finally:
        live_support.delete_own_surveys(live_client, engine, created)
        engine.dispose()
