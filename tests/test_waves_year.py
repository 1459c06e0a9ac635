"""A roster walked through a year of waves with a frozen clock (in-memory LimeSurvey).

Enrolment on the 31st of a month, a participant who ends early, a caseworker change
from a re-imported roster, a completed questionnaire: the tokens, attributes,
invitations and reminders at each date, and re-runs that change nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bip_bridge.participants import end_participant, import_roster
from bip_bridge.pseudonyms import pseudonymise
from bip_bridge.roster import parse_roster
from bip_bridge.store import schema
from bip_bridge.waves import run_waves
from test_waves_support import (
    C_SID,
    P_SID,
    PSEUDONYM_KEY,
    FakeLimeSurvey,
    make_settings,
    roster_bytes,
    store_engine,
)

A = ("19121212-1212", "Anna", "anna@example.org", "sv", "2026-01-31", "CW-1", "cw1@example.org")
B = ("811218-9876", "Mads", "mads@example.org", "da", "2026-02-10", "CW-2", "cw2@example.org")
C = ("X-0042", "Emma", "emma@example.org", "en", "2026-03-01", "CW-1", "cw1@example.org")
C_NEW_CW = (*C[:5], "CW-3", "cw3@example.org")
START = date(2026, 1, 31)


@pytest.fixture
def engine(store_url: str) -> Iterator[Any]:
    yield from store_engine(store_url)


def label(pseudonym: str, today: date) -> str:
    for name, row in (("A", A), ("B", B), ("C", C)):
        if pseudonymise(row[0], PSEUDONYM_KEY, today=today) == pseudonym:
            return name
    raise AssertionError("unknown pseudonym")


def walk(engine: Any, tmp_path: Path, days: int = 366) -> tuple[FakeLimeSurvey, Any, Any]:
    settings = make_settings(str(engine.url), tmp_path)
    ls = FakeLimeSurvey(START)
    ls.add_survey(P_SID)
    ls.add_survey(C_SID)
    imports = {date(2026, 1, 31): [A], date(2026, 2, 10): [A, B], date(2026, 3, 1): [A, B, C],
               date(2026, 7, 1): [A, B, C_NEW_CW], date(2026, 10, 1): [A, B, C_NEW_CW]}
    for i in range(days):
        today = START + timedelta(days=i)
        ls.today = today
        if today in imports:
            rows = parse_roster(roster_bytes(*imports[today]), today=today)
            import_roster(ls, engine, settings, None, rows, today=today)
        if today == date(2026, 2, 3):  # A answers the baseline questionnaire
            tid = next(t for t, tok in ls.surveys[P_SID].tokens.items()
                       if tok["attribute_2"] == "0")
            ls.complete(P_SID, tid)
        if today == date(2026, 6, 1):
            end_participant(engine, pseudonymise(B[0], PSEUDONYM_KEY, today=today), "work",
                            today=today)
        run_waves(ls, engine, settings, None, today=today)
    return ls, engine, settings


def test_a_year_of_waves(engine: Any, tmp_path: Path) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the daily walk runs on SQLite; PostgreSQL runs the short walk below")
    ls, engine, settings = walk(engine, tmp_path)
    survey = {P_SID: "P", C_SID: "C"}
    result = [(m.on.isoformat(), survey[m.sid], label(m.attributes["attribute_1"], m.on),
               m.attributes["attribute_2"], m.attributes["attribute_3"], m.kind, m.to,
               m.firstname) for m in ls.outbox]
    expected = EXPECTED_MAIL
    assert result == expected

    # every token once, with its attributes
    tokens = sorted((survey[sid], label(t["attribute_1"], START), t["attribute_2"],
                     t["attribute_3"], t["email"], t["language"], t["firstname"])
                    for sid in (P_SID, C_SID) for t in ls.surveys[sid].tokens.values())
    assert tokens == EXPECTED_TOKENS
    # one add_participants call per survey per run that had something to create
    adds = [n for name, n in ls.calls if name == "add_participants"]
    assert max(adds) >= 1 and len(adds) == EXPECTED_ADD_CALLS

    # re-running any day after the year changes nothing and sends nothing
    before = (len(ls.outbox), sum(len(s.tokens) for s in ls.surveys.values()))
    run_waves(ls, engine, settings, None, today=ls.today)
    run_waves(ls, engine, settings, None, today=ls.today)
    assert (len(ls.outbox), sum(len(s.tokens) for s in ls.surveys.values())) == before


def test_reimporting_the_same_roster_changes_nothing(engine: Any, tmp_path: Path) -> None:
    ls, engine, settings = walk(engine, tmp_path, days=40)
    with engine.connect() as conn:
        before = [sorted(map(tuple, conn.execute(sa.select(t)))) for t in
                  (schema.participants, schema.caseworker_assignments, schema.tokens)]
    calls = len(ls.calls)
    rows = parse_roster(roster_bytes(A, B), today=ls.today)
    report = import_roster(ls, engine, settings, None, rows, today=ls.today)
    with engine.connect() as conn:
        after = [sorted(map(tuple, conn.execute(sa.select(t)))) for t in
                 (schema.participants, schema.caseworker_assignments, schema.tokens)]
    assert after == before
    assert (report.new, report.caseworker_changes, report.tokens_created,
            report.contacts_updated) == (0, 0, 0, 0)
    assert {name for name, _ in ls.calls[calls:]} == {"list_participants"}


# (date, survey, person, wave, caseworker, e-mail kind, to, first name)
EXPECTED_MAIL: list[tuple[str, ...]] = [
    ('2026-01-31', 'P', 'A', '0', 'CW-1', 'invitation', 'anna@example.org', 'Anna'),
    ('2026-01-31', 'C', 'A', '0', 'CW-1', 'invitation', 'cw1@example.org', 'Anna'),
    ('2026-02-07', 'C', 'A', '0', 'CW-1', 'reminder', 'cw1@example.org', 'Anna'),
    ('2026-02-10', 'P', 'B', '0', 'CW-2', 'invitation', 'mads@example.org', 'Mads'),
    ('2026-02-10', 'C', 'B', '0', 'CW-2', 'invitation', 'cw2@example.org', 'Mads'),
    ('2026-02-14', 'C', 'A', '0', 'CW-1', 'reminder', 'cw1@example.org', 'Anna'),
    ('2026-02-17', 'P', 'B', '0', 'CW-2', 'reminder', 'mads@example.org', 'Mads'),
    ('2026-02-17', 'C', 'B', '0', 'CW-2', 'reminder', 'cw2@example.org', 'Mads'),
    ('2026-02-24', 'P', 'B', '0', 'CW-2', 'reminder', 'mads@example.org', 'Mads'),
    ('2026-02-24', 'C', 'B', '0', 'CW-2', 'reminder', 'cw2@example.org', 'Mads'),
    ('2026-03-01', 'P', 'C', '0', 'CW-1', 'invitation', 'emma@example.org', 'Emma'),
    ('2026-03-01', 'C', 'C', '0', 'CW-1', 'invitation', 'cw1@example.org', 'Emma'),
    ('2026-03-08', 'P', 'C', '0', 'CW-1', 'reminder', 'emma@example.org', 'Emma'),
    ('2026-03-08', 'C', 'C', '0', 'CW-1', 'reminder', 'cw1@example.org', 'Emma'),
    ('2026-03-15', 'P', 'C', '0', 'CW-1', 'reminder', 'emma@example.org', 'Emma'),
    ('2026-03-15', 'C', 'C', '0', 'CW-1', 'reminder', 'cw1@example.org', 'Emma'),
    ('2026-04-30', 'P', 'A', '1', 'CW-1', 'invitation', 'anna@example.org', 'Anna'),
    ('2026-04-30', 'C', 'A', '1', 'CW-1', 'invitation', 'cw1@example.org', 'Anna'),
    ('2026-05-07', 'P', 'A', '1', 'CW-1', 'reminder', 'anna@example.org', 'Anna'),
    ('2026-05-07', 'C', 'A', '1', 'CW-1', 'reminder', 'cw1@example.org', 'Anna'),
    ('2026-05-10', 'P', 'B', '1', 'CW-2', 'invitation', 'mads@example.org', 'Mads'),
    ('2026-05-10', 'C', 'B', '1', 'CW-2', 'invitation', 'cw2@example.org', 'Mads'),
    ('2026-05-14', 'P', 'A', '1', 'CW-1', 'reminder', 'anna@example.org', 'Anna'),
    ('2026-05-14', 'C', 'A', '1', 'CW-1', 'reminder', 'cw1@example.org', 'Anna'),
    ('2026-05-17', 'P', 'B', '1', 'CW-2', 'reminder', 'mads@example.org', 'Mads'),
    ('2026-05-17', 'C', 'B', '1', 'CW-2', 'reminder', 'cw2@example.org', 'Mads'),
    ('2026-05-24', 'P', 'B', '1', 'CW-2', 'reminder', 'mads@example.org', 'Mads'),
    ('2026-05-24', 'C', 'B', '1', 'CW-2', 'reminder', 'cw2@example.org', 'Mads'),
    ('2026-06-01', 'P', 'C', '1', 'CW-1', 'invitation', 'emma@example.org', 'Emma'),
    ('2026-06-01', 'C', 'C', '1', 'CW-1', 'invitation', 'cw1@example.org', 'Emma'),
    ('2026-06-08', 'P', 'C', '1', 'CW-1', 'reminder', 'emma@example.org', 'Emma'),
    ('2026-06-08', 'C', 'C', '1', 'CW-1', 'reminder', 'cw1@example.org', 'Emma'),
    ('2026-06-15', 'P', 'C', '1', 'CW-1', 'reminder', 'emma@example.org', 'Emma'),
    ('2026-06-15', 'C', 'C', '1', 'CW-1', 'reminder', 'cw1@example.org', 'Emma'),
    ('2026-07-31', 'P', 'A', '2', 'CW-1', 'invitation', 'anna@example.org', 'Anna'),
    ('2026-07-31', 'C', 'A', '2', 'CW-1', 'invitation', 'cw1@example.org', 'Anna'),
    ('2026-08-07', 'P', 'A', '2', 'CW-1', 'reminder', 'anna@example.org', 'Anna'),
    ('2026-08-07', 'C', 'A', '2', 'CW-1', 'reminder', 'cw1@example.org', 'Anna'),
    ('2026-08-14', 'P', 'A', '2', 'CW-1', 'reminder', 'anna@example.org', 'Anna'),
    ('2026-08-14', 'C', 'A', '2', 'CW-1', 'reminder', 'cw1@example.org', 'Anna'),
    ('2026-09-01', 'P', 'C', '2', 'CW-3', 'invitation', 'emma@example.org', 'Emma'),
    ('2026-09-01', 'C', 'C', '2', 'CW-3', 'invitation', 'cw3@example.org', 'Emma'),
    ('2026-09-08', 'P', 'C', '2', 'CW-3', 'reminder', 'emma@example.org', 'Emma'),
    ('2026-09-08', 'C', 'C', '2', 'CW-3', 'reminder', 'cw3@example.org', 'Emma'),
    ('2026-09-15', 'P', 'C', '2', 'CW-3', 'reminder', 'emma@example.org', 'Emma'),
    ('2026-09-15', 'C', 'C', '2', 'CW-3', 'reminder', 'cw3@example.org', 'Emma'),
    ('2026-10-31', 'P', 'A', '3', 'CW-1', 'invitation', 'anna@example.org', 'Anna'),
    ('2026-10-31', 'C', 'A', '3', 'CW-1', 'invitation', 'cw1@example.org', 'Anna'),
    ('2026-11-07', 'P', 'A', '3', 'CW-1', 'reminder', 'anna@example.org', 'Anna'),
    ('2026-11-07', 'C', 'A', '3', 'CW-1', 'reminder', 'cw1@example.org', 'Anna'),
    ('2026-11-14', 'P', 'A', '3', 'CW-1', 'reminder', 'anna@example.org', 'Anna'),
    ('2026-11-14', 'C', 'A', '3', 'CW-1', 'reminder', 'cw1@example.org', 'Anna'),
    ('2026-12-01', 'P', 'C', '3', 'CW-3', 'invitation', 'emma@example.org', 'Emma'),
    ('2026-12-01', 'C', 'C', '3', 'CW-3', 'invitation', 'cw3@example.org', 'Emma'),
    ('2026-12-08', 'P', 'C', '3', 'CW-3', 'reminder', 'emma@example.org', 'Emma'),
    ('2026-12-08', 'C', 'C', '3', 'CW-3', 'reminder', 'cw3@example.org', 'Emma'),
    ('2026-12-15', 'P', 'C', '3', 'CW-3', 'reminder', 'emma@example.org', 'Emma'),
    ('2026-12-15', 'C', 'C', '3', 'CW-3', 'reminder', 'cw3@example.org', 'Emma'),
    ('2027-01-31', 'P', 'A', '4', 'CW-1', 'invitation', 'anna@example.org', 'Anna'),
    ('2027-01-31', 'C', 'A', '4', 'CW-1', 'invitation', 'cw1@example.org', 'Anna'),
]
# (survey, person, wave, caseworker, e-mail, language, first name)
EXPECTED_TOKENS: list[tuple[str, ...]] = [
    ('C', 'A', '0', 'CW-1', 'cw1@example.org', 'sv', 'Anna'),
    ('C', 'A', '1', 'CW-1', 'cw1@example.org', 'sv', 'Anna'),
    ('C', 'A', '2', 'CW-1', 'cw1@example.org', 'sv', 'Anna'),
    ('C', 'A', '3', 'CW-1', 'cw1@example.org', 'sv', 'Anna'),
    ('C', 'A', '4', 'CW-1', 'cw1@example.org', 'sv', 'Anna'),
    ('C', 'B', '0', 'CW-2', 'cw2@example.org', 'sv', 'Mads'),
    ('C', 'B', '1', 'CW-2', 'cw2@example.org', 'sv', 'Mads'),
    ('C', 'C', '0', 'CW-1', 'cw1@example.org', 'sv', 'Emma'),
    ('C', 'C', '1', 'CW-1', 'cw1@example.org', 'sv', 'Emma'),
    ('C', 'C', '2', 'CW-3', 'cw3@example.org', 'sv', 'Emma'),
    ('C', 'C', '3', 'CW-3', 'cw3@example.org', 'sv', 'Emma'),
    ('P', 'A', '0', 'CW-1', 'anna@example.org', 'sv', 'Anna'),
    ('P', 'A', '1', 'CW-1', 'anna@example.org', 'sv', 'Anna'),
    ('P', 'A', '2', 'CW-1', 'anna@example.org', 'sv', 'Anna'),
    ('P', 'A', '3', 'CW-1', 'anna@example.org', 'sv', 'Anna'),
    ('P', 'A', '4', 'CW-1', 'anna@example.org', 'sv', 'Anna'),
    ('P', 'B', '0', 'CW-2', 'mads@example.org', 'da', 'Mads'),
    ('P', 'B', '1', 'CW-2', 'mads@example.org', 'da', 'Mads'),
    ('P', 'C', '0', 'CW-1', 'emma@example.org', 'en', 'Emma'),
    ('P', 'C', '1', 'CW-1', 'emma@example.org', 'en', 'Emma'),
    ('P', 'C', '2', 'CW-3', 'emma@example.org', 'en', 'Emma'),
    ('P', 'C', '3', 'CW-3', 'emma@example.org', 'en', 'Emma'),
]
EXPECTED_ADD_CALLS = 22
