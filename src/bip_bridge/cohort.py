"""The store's view of the cohort: who is enrolled (with their caseworker history) and
the state of each of their tokens. Read-only; the due-list (:mod:`bip_bridge.duelist`)
is computed from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from bip_bridge.store import schema

PARTICIPANT = "participant"
CASEWORKER = "caseworker"
KINDS: tuple[str, ...] = (PARTICIPANT, CASEWORKER)

@dataclass(frozen=True)
class StoredParticipant:
    pseudonym: str
    language: str
    enrolled_on: date
    ended_on: date | None
    end_reason: str | None
    assignments: tuple[tuple[int, str], ...]  # (from_wave, caseworker_id), ascending

    def caseworker_at(self, wave: int) -> str | None:
        """The caseworker id that applies at ``wave``."""
        current = None
        for from_wave, cw in self.assignments:
            if from_wave <= wave:
                current = cw
        return current


def load_participants(conn: sa.Connection) -> dict[str, StoredParticipant]:
    """Every participant in the store with its caseworker history."""
    p, a = schema.participants, schema.caseworker_assignments
    history: dict[str, list[tuple[int, str]]] = {}
    for row in conn.execute(sa.select(a.c.pseudonym, a.c.from_wave, a.c.caseworker_id)
                            .order_by(a.c.pseudonym, a.c.from_wave)):
        history.setdefault(row.pseudonym, []).append((row.from_wave, row.caseworker_id))
    return {
        row.pseudonym: StoredParticipant(
            pseudonym=row.pseudonym, language=row.language, enrolled_on=row.enrolled_on,
            ended_on=row.ended_on, end_reason=row.end_reason,
            assignments=tuple(history.get(row.pseudonym, ())))
        for row in conn.execute(sa.select(p))
    }


@dataclass(frozen=True)
class TokenState:
    kind: str
    pseudonym: str
    wave: int
    sid: int
    token: str
    due_on: date
    caseworker_id: str | None = None
    tid: int | None = None
    invited_on: date | None = None
    reminders_sent: int = 0
    last_reminded_on: date | None = None
    completed: bool = False


@dataclass(frozen=True)
class WaveState:
    participants: Mapping[str, StoredParticipant]
    tokens: Mapping[tuple[str, str, int], TokenState]  # (kind, pseudonym, wave)


def _as_date(value: Any) -> date | None:
    if value is None:
        return None
    return value.date() if isinstance(value, datetime) else value


def load_state(conn: sa.Connection) -> WaveState:
    t = schema.tokens
    tokens = {}
    for row in conn.execute(sa.select(t)):
        tokens[(row.kind, row.pseudonym, row.wave)] = TokenState(
            kind=row.kind, pseudonym=row.pseudonym, wave=row.wave, sid=int(row.sid),
            token=row.token, due_on=row.due_on, caseworker_id=row.caseworker_id,
            tid=int(row.tid) if row.tid is not None else None,
            invited_on=_as_date(row.invited_at), reminders_sent=row.reminders_sent or 0,
            last_reminded_on=_as_date(row.last_reminded_at), completed=bool(row.completed))
    return WaveState(participants=load_participants(conn), tokens=tokens)
