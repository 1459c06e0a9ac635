"""The whole bridge on a real LimeSurvey (skipped unless BIP_BRIDGE_TEST_LIMESURVEY_* name one).

One scenario, each step asserted on what LimeSurvey itself then holds: `bip-bridge
provision` twice (the second changes nothing) and `bip-bridge check`; a roster of 22
people (one Danish, one English who has no e-mail address: her caseworker is invited,
she is not); waves on the enrolment day, a week later (reminders), three and six months later
(the waves function given the date); answers entered with add_response, some incomplete;
sync; push-back into the tokens' attributes; the report; a response completed later and
one deleted in LimeSurvey; `bip-bridge participants forget`. The test creates its own
two surveys and deletes them at the end; it never touches other surveys on the server.
Caseworkers are mailed by LimeSurvey here (``[waves] caseworker_email = "limesurvey"``),
so every invitation and reminder shows in the tokens.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from click.testing import CliRunner
from dateutil.relativedelta import relativedelta

import live_support
from bip_bridge.cli import main
from bip_bridge.config import load_settings
from bip_bridge.participants import import_roster
from bip_bridge.pseudonyms import pseudonymise
from bip_bridge.pushback import push_back, pushback_names
from bip_bridge.reports.build import write_reports
from bip_bridge.roster import parse_roster
from bip_bridge.store import open_store, schema
from bip_bridge.sync import run_sync
from bip_bridge.templates import load_templates
from bip_bridge.waves import run_waves
from live_year_support import (
    PSEUDONYM_KEY,
    answers,
    enter_response,
    exported,
    live_env,
    roster_people,
    sgqa_columns,
    tokens_of,
    write_config,
)
from test_waves_support import roster_bytes

pytestmark = live_support.LIVE_MARKS
live_client = live_support.live_client  # the fixture

KINDS = ("participant", "caseworker")


def cli(config: Path, *args: str) -> Any:
    result = CliRunner().invoke(main, ["--config", str(config), *args], env=live_env())
    assert result.exit_code == 0, result.output
    return result


def stored_surveys(engine: sa.Engine) -> dict[str, int]:
    s = schema.surveys
    with engine.connect() as conn:
        return {str(k): int(sid) for sid, k in conn.execute(
            sa.select(s.c.sid, s.c.kind).where(s.c.active.is_(True)))}


def stored_tokens(engine: sa.Engine) -> list[Any]:
    t = schema.tokens
    with engine.connect() as conn:
        return list(conn.execute(sa.select(t.c.sid, t.c.kind, t.c.pseudonym, t.c.wave, t.c.tid,
                                           t.c.token, t.c.caseworker_id)))


def by_wave(tokens: list[dict[str, Any]], wave: int) -> list[dict[str, Any]]:
    return [t for t in tokens if str(t["attribute_2"]) == str(wave)]


def test_a_year_on_a_real_server(live_client: Any, tmp_path: Path) -> None:
    run = uuid.uuid4().hex[:6]
    day0 = date.today()  # the server's clock stamps invitations: enrolment is today
    templates = load_templates()
    store_url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    config = write_config(tmp_path, store_url)
    settings = load_settings(config, env=live_env())
    key = PSEUDONYM_KEY.encode()
    engine = open_store(store_url)
    sids: dict[str, int] = {}
    try:
        # --- provision twice, then check -------------------------------------------------
        first = cli(config, "provision")
        sids = stored_surveys(engine)
        assert set(sids) == set(KINDS), first.output
        second = cli(config, "provision")
        assert "nothing was changed" in second.output.lower(), second.output
        assert stored_surveys(engine) == sids
        on_server = {int(s["sid"]): s for s in live_client.list_surveys()}
        assert all(on_server[sid]["active"] == "Y" for sid in sids.values())
        checked = cli(config, "check")
        assert "FAIL" not in checked.output
        assert "(a tested version)" in checked.output, checked.output

        # --- roster: 22 people ----------------------------------------------------------
        people = roster_people(day0, run, with_no_email=True)
        rows = parse_roster(roster_bytes(*people), today=day0)
        no_email = people[-1][0]  # Emma, English, without an e-mail address
        import_roster(live_client, engine, settings, templates, rows, today=day0)
        pseudonym = {p[0]: pseudonymise(p[0], key, today=day0) for p in people}
        who = {v: k for k, v in pseudonym.items()}

        # --- waves on the enrolment day, twice ------------------------------------------
        w0 = run_waves(live_client, engine, settings, templates, today=day0)
        expected_invites = 2 * len(people) - 1  # not the person without an address
        assert w0.invited == expected_invites, w0.skipped
        again = run_waves(live_client, engine, settings, templates, today=day0)
        assert (again.created, again.invited, again.reminded) == (0, 0, 0)
        held0 = {kind: tokens_of(live_client, sids[kind]) for kind in KINDS}
        for kind in KINDS:
            toks = held0[kind]
            assert sorted(who[t["attribute_1"]] for t in toks) == sorted(pseudonym)
            assert {str(t["attribute_2"]) for t in toks} == {"0"}
            assert all(int(t["remindercount"]) == 0 for t in toks)
            unsent = [who[t["attribute_1"]] for t in toks if t["sent"] == "N"]
            assert unsent == ([no_email] if kind == "participant" else [])
        part = {who[t["attribute_1"]]: t for t in held0["participant"]}
        assert part[f"L{run}-DK"]["language"] == "da"
        assert part[f"L{run}-EN"]["language"] == "en"
        assert {t["language"] for i, t in part.items() if not i.endswith(("DK", "EN"))} == {"sv"}
        assert not part[no_email]["participant_info"]["email"]

        # --- answers: 16 complete and 3 incomplete participant answers, 14 caseworker ----
        rng = random.Random(run)
        columns = {kind: sgqa_columns(live_client, sids[kind]) for kind in KINDS}
        tok = {(r.kind, who[r.pseudonym], r.wave): r for r in stored_tokens(engine)}
        ids = sorted(pseudonym)
        response_ids: dict[tuple[str, str], int] = {}
        submitted = datetime.combine(day0, datetime.min.time()) + timedelta(hours=10)
        for kind, complete, incomplete in (("participant", ids[:16], ids[16:19]),
                                           ("caseworker", ids[:14], [])):
            for ext in complete + incomplete:
                t = tok[(kind, ext, 0)]
                values = answers(templates, kind, pseudonym[ext], 0, str(t.caseworker_id), rng)
                done = ext in complete
                response_ids[(kind, ext)] = enter_response(
                    live_client, sids[kind], columns[kind], t.token, values,
                    submitted=submitted if done else None)
                if done:  # the web runtime marks the token completed
                    live_client.set_participant_properties(
                        sids[kind], int(t.tid), {"completed": f"{submitted:%Y-%m-%d %H:%M}"})

        # --- a week later: reminders to the invited who did not answer, once ------------
        w7 = run_waves(live_client, engine, settings, templates, today=day0 + timedelta(days=7))
        not_done = {"participant": len(people) - 16 - 1,  # never invited: no reminder
                    "caseworker": len(people) - 14}
        assert (w7.created, w7.invited, w7.reminded) == (0, 0, sum(not_done.values())), \
            w7.skipped
        again7 = run_waves(live_client, engine, settings, templates,
                           today=day0 + timedelta(days=7))
        assert (again7.invited, again7.reminded) == (0, 0)
        for kind in KINDS:
            counts = Counter(int(t["remindercount"]) for t in tokens_of(live_client, sids[kind]))
            assert counts == {1: not_done[kind], 0: len(people) - not_done[kind]}, kind

        # --- sync -------------------------------------------------------------------------
        s1 = run_sync(live_client, engine, page_size=7, model=templates.model)
        by_sid = {s.sid: s for s in s1.surveys}
        assert by_sid[sids["participant"]].new == 19
        assert by_sid[sids["participant"]].still_incomplete == 3
        assert by_sid[sids["caseworker"]].new == 14
        r = schema.responses
        with engine.connect() as conn:
            stored = {(int(x.sid), int(x.response_id)): x for x in conn.execute(sa.select(r))}
        for kind in KINDS:
            held = {int(row["id"]): row for row in exported(live_client, sids[kind])}
            assert {rid for (sid, rid) in stored if sid == sids[kind]} == set(held)
            for rid, row in held.items():
                assert stored[(sids[kind], rid)].pseudonym == row["PSEUDO"]
        s1b = run_sync(live_client, engine, page_size=7, model=templates.model)
        assert (s1b.totals()["new"], s1b.totals()["updated"]) == (0, 0)

        # --- push-back: the indices and last answers in the current tokens --------------
        pushed = push_back(live_client, engine, templates, min_cell=settings.privacy.min_cell)
        assert pushed.pushed > 0 and pushed.failed == 0, pushed.warnings
        declared = {
            kind: {name: col for col, name in _descriptions(live_client, sids[kind]).items()
                   if name in pushback_names(templates.model, kind)} for kind in KINDS}
        prev = declared["participant"]["prev_JOBTRO"]
        held = {who[t["attribute_1"]]: t for t in tokens_of(live_client, sids["participant"],
                                                            attributes=(prev,))}
        answered = ids[:16]
        assert all(str(held[e][prev]).strip() for e in answered)
        assert not any(str(held[e].get(prev) or "").strip() for e in ids[19:])
        again_push = push_back(live_client, engine, templates,
                               min_cell=settings.privacy.min_cell)
        assert again_push.pushed == 0

        # --- report -----------------------------------------------------------------------
        out = write_reports(engine, settings, templates, today=day0,
                            out_dir=tmp_path / "reports")
        assert (out / "report.html").is_file() and (out / "scores.csv").is_file()

        # --- one response completed later, one deleted, in LimeSurvey -------------------
        late = response_ids[("participant", ids[16])]
        gone = response_ids[("participant", ids[0])]
        # update_response is refused while alloweditaftercompletion is N (the bridge's
        # setting), even for an incomplete response: allow it for this one edit, as the
        # respondent finishing the questionnaire in the browser would
        live_client.set_survey_properties(sids["participant"], {"alloweditaftercompletion": "Y"})
        live_client.update_response(sids["participant"],
                                    {"id": late, "submitdate": f"{submitted:%Y-%m-%d %H:%M:%S}"})
        live_client.set_survey_properties(sids["participant"], {"alloweditaftercompletion": "N"})
        live_client.delete_response(sids["participant"], gone)
        s2 = run_sync(live_client, engine, page_size=7, model=templates.model)
        p2 = {s.sid: s for s in s2.surveys}[sids["participant"]]
        assert (p2.new, p2.completed, p2.deleted, p2.still_incomplete) == (0, 1, 1, 2)
        with engine.connect() as conn:
            now_stored = {int(x.response_id): x for x in conn.execute(
                sa.select(r).where(r.c.sid == sids["participant"]))}
        assert now_stored[late].complete
        assert gone not in now_stored or now_stored[gone].deleted_in_source

        # --- three and six months later: the next waves, each sent once -----------------
        def sent_state(kind: str, wave: int) -> list[tuple[Any, ...]]:
            return [(t["tid"], t["sent"], t["remindercount"], t["remindersent"])
                    for t in by_wave(tokens_of(live_client, sids[kind]), wave)]

        for wave, months in ((1, 3), (2, 6)):
            before = {(kind, w): sent_state(kind, w) for kind in KINDS for w in range(wave)}
            day = day0 + relativedelta(months=months)
            wk = run_waves(live_client, engine, settings, templates, today=day)
            assert (wk.created, wk.invited) == (2 * len(people), expected_invites), wk.skipped
            assert wk.reminded == 0
            repeat = run_waves(live_client, engine, settings, templates, today=day)
            assert (repeat.created, repeat.invited, repeat.reminded) == (0, 0, 0)
            for kind in KINDS:
                toks = tokens_of(live_client, sids[kind])
                assert len(toks) == len(people) * (wave + 1)
                fresh = by_wave(toks, wave)
                assert sorted(who[t["attribute_1"]] for t in fresh) == sorted(pseudonym)
                assert all(int(t["remindercount"]) == 0 for t in fresh)
                unsent = sorted(who[t["attribute_1"]] for t in fresh if t["sent"] == "N")
                assert unsent == ([no_email] if kind == "participant" else [])
                # the earlier waves' invitations and reminders were not sent again
                assert all(sent_state(kind, w) == before[(kind, w)] for w in range(wave))

        # --- forget one person: nothing of theirs left in either survey -----------------
        target = ids[1]  # answered both questionnaires
        cli(config, "participants", "forget", target, "--yes")
        p = pseudonym[target]
        for kind in KINDS:
            left = [t for t in tokens_of(live_client, sids[kind]) if t["attribute_1"] == p]
            assert left == []
            assert all(row.get("PSEUDO") != p for row in exported(live_client, sids[kind]))
        s3 = run_sync(live_client, engine, page_size=7, model=templates.model)
        assert s3.totals()["new"] == 0
        with engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(r).where(
                r.c.pseudonym == p)).scalar() == 0
    finally:
        live_support.delete_own_surveys(live_client, engine, sids.values())
        engine.dispose()


def _descriptions(api: Any, sid: int) -> dict[str, str]:
    """attribute_N -> its description, as the survey declares it."""
    from bip_bridge.pushback import live_attributes

    raw = api.get_survey_properties(sid, ["attributedescriptions"])["attributedescriptions"]
    return {col: name for name, col in live_attributes(raw).items()}
