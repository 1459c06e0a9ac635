"""Crash tests: a failure right after each LimeSurvey call, then a re-run.

The outcome after crash + re-run must equal the outcome of an uninterrupted run: every
token exists once, no invitation or reminder is sent twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bip_bridge.cohort import CASEWORKER, PARTICIPANT
from bip_bridge.erasure import forget_participant
from bip_bridge.participants import end_participant, import_roster
from bip_bridge.pseudonyms import pseudonymise
from bip_bridge.roster import parse_roster
from bip_bridge.store import open_store, schema
from bip_bridge.tokens import Contact, TokenSpec, create_tokens, token_for
from bip_bridge.waves import run_waves
from test_waves_support import (
    C_SID,
    P_SID,
    PSEUDONYM_KEY,
    Crash,
    CrashAfter,
    FakeLimeSurvey,
    dump_store,
    make_settings,
    register_surveys,
    roster_bytes,
)

A = ("X-1", "Anna", "anna@example.org", "sv", "2026-01-10", "CW-1", "cw1@example.org")
B = ("X-2", "Bo", "bo@example.org", "en", "2025-10-20", "CW-2", "cw2@example.org")
A2 = (*A[:5], "CW-9", "cw9@example.org")
B2 = (B[0], B[1], "bo.new@example.org", *B[3:])
START = date(2026, 1, 10)
DAYS = 22


def scenario(api: Any, plain: FakeLimeSurvey, engine: Any, settings: Any) -> int:
    """Import, daily waves for three weeks, a caseworker change, an end. On a crash the
    step is run again without the crashing proxy (the operator's re-run)."""
    crashes = 0

    def step(fn: Any) -> None:
        nonlocal crashes
        try:
            fn(api)
        except Crash:
            crashes += 1
            fn(plain)

    for i in range(DAYS):
        today = START + timedelta(days=i)
        plain.today = today
        if i == 0:
            rows = parse_roster(roster_bytes(A, B), today=today)
            step(lambda ls, rows=rows, today=today: import_roster(
                ls, engine, settings, None, rows, today=today))
        if i == 9:
            rows = parse_roster(roster_bytes(A2, B2), today=today)
            step(lambda ls, rows=rows, today=today: import_roster(
                ls, engine, settings, None, rows, today=today))
        if i == 12:
            end_participant(engine, pseudonymise(A[0], PSEUDONYM_KEY), "studies", today=today)
        step(lambda ls, today=today: run_waves(ls, engine, settings, None, today=today))
    return crashes


def outcome(ls: FakeLimeSurvey) -> tuple[list[Any], list[Any]]:
    mails = sorted((m.sid, m.attributes["attribute_1"], m.attributes["attribute_2"], m.kind,
                    m.on, m.to) for m in ls.outbox)
    tokens = sorted((sid, t["attribute_1"], t["attribute_2"], t["attribute_3"], t["email"],
                     t["token"]) for sid, s in ls.surveys.items() for t in s.tokens.values())
    return mails, tokens


def fresh(tmp_path: Path, name: str) -> tuple[FakeLimeSurvey, Any, Any]:
    url = f"sqlite:///{tmp_path / name}.sqlite"
    engine = open_store(url)
    register_surveys(engine)
    ls = FakeLimeSurvey(START)
    ls.add_survey(P_SID)
    ls.add_survey(C_SID)
    return ls, engine, make_settings(url, tmp_path)


@pytest.fixture
def baseline(tmp_path: Path) -> Iterator[tuple[Any, dict[str, int]]]:
    ls, engine, settings = fresh(tmp_path, "baseline")
    scenario(ls, ls, engine, settings)
    counts: dict[str, int] = {}
    for name, _ in ls.calls:
        counts[name] = counts.get(name, 0) + 1
    yield outcome(ls), counts
    engine.dispose()


def test_baseline_sends_each_mail_once(baseline: tuple[Any, dict[str, int]]) -> None:
    (mails, tokens), counts = baseline
    keys = [(sid, p, w, kind) for sid, p, w, kind, _, _ in mails]
    assert len(keys) == len(set(keys)) + sum(1 for k in keys if k[3] == "reminder") - len(
        {k for k in keys if k[3] == "reminder"})  # reminders may repeat (1st, 2nd) per token
    assert len({(sid, p, w) for sid, p, w, *_ in tokens}) == len(tokens)
    assert counts["add_participants"] >= 4 and counts["invite_participants"] >= 3
    assert counts["remind_participants"] >= 2 and counts["delete_participants"] == 1
    assert counts["set_participant_properties"] == 1
    assert ("bo.new@example.org" in {m[5] for m in mails})


@pytest.mark.parametrize("method", [
    "add_participants", "invite_participants", "remind_participants",
    "delete_participants", "list_participants", "set_participant_properties",
])
def test_crash_after_each_call_then_rerun(method: str, tmp_path: Path,
                                          baseline: tuple[Any, dict[str, int]]) -> None:
    expected, counts = baseline
    assert counts.get(method, 0) > 0, f"the scenario never calls {method}"
    for nth in range(1, min(counts[method], 8) + 1):
        ls, engine, settings = fresh(tmp_path, f"{method}-{nth}")
        proxy = CrashAfter(ls, method, nth)
        crashes = scenario(proxy, ls, engine, settings)
        assert crashes == 1, (method, nth)
        result = outcome(ls)
        assert result == expected, (method, nth)
        engine.dispose()


def test_duplicate_token_answer_means_already_created(tmp_path: Path) -> None:
    ls, engine, _ = fresh(tmp_path, "dup")
    with engine.begin() as conn:
        conn.execute(sa.insert(schema.participants).values(
            pseudonym="p" * 64, language="sv", enrolled_on=START, created_at=sa.func.now()))
    token = token_for(PSEUDONYM_KEY, P_SID, "p" * 64, 0)
    ls.add_participants(P_SID, [{"token": token, "email": "x@example.org",
                                 "attribute_1": "p" * 64, "attribute_2": "0"}])
    spec = TokenSpec(PARTICIPANT, P_SID, "p" * 64, 0, START, "CW-1",
                     Contact("X", "x@example.org", "sv"))
    created = create_tokens(ls, engine, PSEUDONYM_KEY, [spec],
                            {PARTICIPANT: {"pseudonym": "attribute_1", "wave": "attribute_2",
                                           "caseworker": "attribute_3"},
                             CASEWORKER: {}}, today=START)
    with engine.connect() as conn:
        tid = conn.execute(sa.select(schema.tokens.c.tid)).scalar()
    assert (created, tid, len(ls.surveys[P_SID].tokens)) == (1, 1, 1)
    engine.dispose()


@pytest.mark.parametrize("method", ["delete_response", "delete_participants",
                                    "get_response_ids"])
def test_forget_completes_after_a_crash(method: str, tmp_path: Path) -> None:
    ls, engine, settings = fresh(tmp_path, f"forget-{method}")
    scenario(ls, ls, engine, settings)
    pseudonym = pseudonymise(B[0], PSEUDONYM_KEY)
    for sid, tok in ((s, t) for s, sv in ls.surveys.items() for t in list(sv.tokens.values())):
        ls.add_response(sid, {"token": tok["token"], "PSEUDO": tok["attribute_1"]})
    proxy = CrashAfter(ls, method, 1)
    with pytest.raises(Crash):
        forget_participant(proxy, engine, settings, pseudonym, today=ls.today)
    forget_participant(ls, engine, settings, pseudonym, today=ls.today)
    left_tokens = [t for s in ls.surveys.values() for t in s.tokens.values()
                   if t["attribute_1"] == pseudonym]
    left_responses = [r for s in ls.surveys.values() for r in s.responses.values()
                      if r["PSEUDO"] == pseudonym]
    assert (left_tokens, left_responses) == ([], [])
    assert pseudonym not in dump_store(engine)
    with engine.connect() as conn:
        log = [tuple(r)[2:] for r in conn.execute(sa.select(schema.erasure_log))]
    assert len(log) >= 1 and sum(r[0] for r in log) >= 1
    engine.dispose()
