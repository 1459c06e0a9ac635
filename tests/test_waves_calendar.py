"""The wave calendar and the pure due-list."""

from __future__ import annotations

from datetime import date

from bip_bridge.cohort import StoredParticipant, TokenState, WaveState
from bip_bridge.config import WaveSettings
from bip_bridge.duelist import Action, due_actions
from bip_bridge.wave_calendar import current_wave, due_date

W = WaveSettings(interval_months=3, reminder_days=(7, 14))


def test_enrolment_on_the_31st_clamps_without_drift() -> None:
    result = [due_date(date(2026, 8, 31), k) for k in range(5)]
    expected = [date(2026, 8, 31), date(2026, 11, 30), date(2027, 2, 28), date(2027, 5, 31),
                date(2027, 8, 31)]
    assert result == expected


def test_leap_day() -> None:
    assert [due_date(date(2028, 2, 29), k, 12) for k in range(2)] == [
        date(2028, 2, 29), date(2029, 2, 28)]


def test_current_wave() -> None:
    enrolled = date(2026, 8, 31)
    days = [date(2026, 8, 30), date(2026, 8, 31), date(2026, 11, 29), date(2026, 11, 30),
            date(2027, 2, 27), date(2027, 2, 28), date(2027, 8, 31)]
    assert [current_wave(enrolled, d) for d in days] == [-1, 0, 0, 1, 1, 2, 4]


def person(p: str = "p1", enrolled: date = date(2026, 1, 31), ended: date | None = None,
           assignments: tuple[tuple[int, str], ...] = ((0, "CW1"),)) -> StoredParticipant:
    return StoredParticipant(p, "sv", enrolled, ended, None if ended is None else "work",
                             assignments)


def tok(kind: str, wave: int, due: date, **kw: object) -> TokenState:
    return TokenState(kind=kind, pseudonym="p1", wave=wave, sid=1 if kind == "participant" else 2,
                      token=f"t{kind[0]}{wave}", due_on=due, tid=wave + 1,
                      caseworker_id="CW1", **kw)


def test_due_actions_new_participant_creates_and_invites_in_both_surveys() -> None:
    state = WaveState({"p1": person()}, {})
    result = due_actions(state, date(2026, 1, 31), W)
    d = date(2026, 1, 31)
    expected = [Action("create", "participant", "p1", 0, d, "CW1"),
                Action("invite", "participant", "p1", 0, d, "CW1"),
                Action("create", "caseworker", "p1", 0, d, "CW1"),
                Action("invite", "caseworker", "p1", 0, d, "CW1")]
    assert result == expected


def test_reminders_after_7_and_14_days_not_when_completed() -> None:
    d = date(2026, 1, 31)
    state = WaveState({"p1": person()}, {
        ("participant", "p1", 0): tok("participant", 0, d, invited_on=d),
        ("caseworker", "p1", 0): tok("caseworker", 0, d, invited_on=d, completed=True),
    })
    assert due_actions(state, date(2026, 2, 6), W) == []
    assert due_actions(state, date(2026, 2, 7), W) == [
        Action("remind", "participant", "p1", 0, d, "CW1", reminder=1)]
    once = WaveState(state.participants, {**state.tokens, ("participant", "p1", 0): tok(
        "participant", 0, d, invited_on=d, reminders_sent=1, last_reminded_on=date(2026, 2, 7))})
    assert due_actions(once, date(2026, 2, 13), W) == []
    assert due_actions(once, date(2026, 2, 14), W) == [
        Action("remind", "participant", "p1", 0, d, "CW1", reminder=2)]


def test_a_late_first_reminder_holds_back_the_second() -> None:
    d = date(2026, 1, 31)
    late = WaveState({"p1": person()}, {("participant", "p1", 0): tok(
        "participant", 0, d, invited_on=d, reminders_sent=1, last_reminded_on=date(2026, 2, 13))})
    assert due_actions(late, date(2026, 2, 14), W) == [
        Action("create", "caseworker", "p1", 0, d, "CW1"),
        Action("invite", "caseworker", "p1", 0, d, "CW1")]
    assert due_actions(late, date(2026, 2, 20), W)[0].reminder == 2


def test_missed_waves_are_not_created_late_and_ended_get_nothing() -> None:
    state = WaveState({"p1": person()}, {})
    result = {(a.op, a.wave) for a in due_actions(state, date(2026, 8, 1), W)}
    assert result == {("create", 2), ("invite", 2)}
    ended = WaveState({"p1": person(ended=date(2026, 3, 1))}, {
        ("caseworker", "p1", 1): tok("caseworker", 1, date(2026, 4, 30)),
        ("participant", "p1", 0): tok("participant", 0, date(2026, 1, 31),
                                      invited_on=date(2026, 1, 31)),
    })
    assert due_actions(ended, date(2026, 5, 1), W) == [
        Action("withdraw", "caseworker", "p1", 1, date(2026, 4, 30), "CW1")]


def test_caseworker_change_applies_from_its_wave() -> None:
    state = WaveState({"p1": person(assignments=((0, "CW1"), (1, "CW2")))}, {})
    result = [(a.wave, a.caseworker_id) for a in due_actions(state, date(2026, 4, 30), W)]
    assert result == [(1, "CW2")] * 4
