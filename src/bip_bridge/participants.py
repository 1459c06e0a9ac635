"""Enrolment: importing a roster into the store and LimeSurvey, and ending a
participation (docs/participants.md).

* The store keeps pseudonyms, dates, waves and caseworker codes; names and e-mail
  addresses go to LimeSurvey's participant table and nowhere else
  (:func:`apply_roster_contacts`).
* Decisions are pure (:func:`plan_import`); effects happen at the edge
  (:func:`import_roster`, :func:`end_participant`), each step recorded right after the
  LimeSurvey call it depends on, so a re-run after a crash completes the work instead of
  repeating it.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa

from bip_bridge.api import LimeSurveyAPI
from bip_bridge.cohort import (
    CASEWORKER,
    KINDS,
    PARTICIPANT,
    StoredParticipant,
    load_participants,
    load_state,
)
from bip_bridge.config import Settings
from bip_bridge.erasure import erased_marks, erasure_mark
from bip_bridge.errors import (
    DataInvalid,
    LimeSurveyError,
    LimeSurveyUnavailable,
    NotFound,
    Problem,
)
from bip_bridge.pseudonyms import pseudonymise
from bip_bridge.roster import RosterRow
from bip_bridge.store import schema
from bip_bridge.tokens import (
    Contact,
    TokenSpec,
    active_surveys,
    attribute_names,
    caseworker_contact,
    caseworker_language,
    create_tokens,
    latest_contacts,
    load_ls_tokens,
    now_on,
    reconcile,
    save_reconciled,
)
from bip_bridge.wave_calendar import current_wave, due_date

log = logging.getLogger(__name__)

END_REASONS: tuple[str, ...] = ("work", "studies", "other")


# --- import -------------------------------------------------------------------------


@dataclass(frozen=True)
class Enrolment:
    """A person new to the store."""

    row: RosterRow
    pseudonym: str


@dataclass(frozen=True)
class CaseworkerChange:
    """A re-imported roster names another caseworker: it applies from ``from_wave``."""

    row: RosterRow
    pseudonym: str
    from_wave: int


@dataclass(frozen=True)
class ImportPlan:
    new: tuple[Enrolment, ...] = ()
    caseworker_changes: tuple[CaseworkerChange, ...] = ()
    language_changes: tuple[tuple[str, str], ...] = ()  # (pseudonym, language)
    unchanged: tuple[Enrolment, ...] = ()
    conflicts: tuple[Problem, ...] = ()

    @property
    def known(self) -> tuple[Enrolment, ...]:
        """Everyone on the roster already in the store (their contact data may be fresh)."""
        return self.unchanged + tuple(Enrolment(c.row, c.pseudonym)
                                      for c in self.caseworker_changes)


def plan_import(rows: Sequence[RosterRow], existing: Mapping[str, StoredParticipant], *,
                key: bytes, today: date, interval_months: int,
                source: str = "roster.csv") -> ImportPlan:
    """What importing ``rows`` changes in the store. Pure."""
    new: list[Enrolment] = []
    changes: list[CaseworkerChange] = []
    languages: list[tuple[str, str]] = []
    unchanged: list[Enrolment] = []
    conflicts: list[Problem] = []
    for row in rows:
        pseudonym = pseudonymise(row.external_id, key, today=today)
        stored = existing.get(pseudonym)
        if stored is None:
            new.append(Enrolment(row, pseudonym))
            continue
        if stored.enrolled_on != row.enrolled_on:
            conflicts.append(Problem(
                f"{source} line {row.line}",
                f"enrolled_on {row.enrolled_on.isoformat()} differs from the stored "
                f"{stored.enrolled_on.isoformat()} for this person",
                "the original enrolment date (a re-enrolment is not supported)"))
            continue
        if stored.language != row.language:
            languages.append((pseudonym, row.language))
        next_wave = current_wave(row.enrolled_on, today, interval_months) + 1
        if stored.caseworker_at(next_wave) != row.caseworker_id:
            changes.append(CaseworkerChange(row, pseudonym, next_wave))
        else:
            unchanged.append(Enrolment(row, pseudonym))
    return ImportPlan(tuple(new), tuple(changes), tuple(languages), tuple(unchanged),
                      tuple(conflicts))


@dataclass
class ImportReport:
    new: int = 0
    caseworker_changes: int = 0
    language_changes: int = 0
    unchanged: int = 0
    tokens_created: int = 0
    contacts_updated: int = 0
    re_enrolled: int = 0
    without_email: int = 0  # new people without an e-mail address (letters, not e-mail)
    dry_run: bool = False
    lines: list[str] = field(default_factory=list)


def import_roster(api: LimeSurveyAPI | None, engine: sa.Engine, settings: Settings,
                  templates: Any, rows: Sequence[RosterRow], *, today: date,
                  dry_run: bool = False, source: str = "roster.csv",
                  re_enrol: Collection[str] = ()) -> ImportReport:
    """Enrol the roster's people (see docs/participants.md).

    New people get a store row (pseudonym, language, enrolment date, caseworker code)
    and their current wave's tokens in both surveys, which carry their first name and
    e-mail into LimeSurvey. For people already enrolled, a changed caseworker is recorded
    from the next wave on and written to that wave's caseworker token at once; changed
    contact data is written onto their latest tokens. Re-importing the same roster
    changes nothing.

    People erased with ``participants forget`` are refused (the whole file, nothing
    written) unless their pseudonym is in ``re_enrol`` (new consent given). LimeSurvey
    is asked first, before the store is touched; if it stops answering half-way, the
    people it holds no token for are taken out of the store again and the error says
    who is enrolled and who is not.
    """
    key = settings.require_pseudonym_key()
    with engine.connect() as conn:
        existing = load_participants(conn)
        marks = erased_marks(conn)
    plan = plan_import(rows, existing, key=key, today=today,
                       interval_months=settings.waves.interval_months, source=source)
    erased = [e for e in plan.new
              if erasure_mark(key, e.pseudonym) in marks and e.pseudonym not in re_enrol]
    if erased:
        raise DataInvalid(
            f"{source}: {len(erased)} person(s) were erased on request (participants "
            "forget); nothing was written.",
            [Problem(f"{source} line {e.row.line}", "this person was erased on request",
                     "remove the line, or after new consent: --re-enrol with their id")
             for e in erased], source=source,
            hint="An erasure is final: a person is enrolled again only after giving consent "
            "again, with `participants import ROSTER --re-enrol ID`.")
    if plan.conflicts:
        raise DataInvalid(f"{source} conflicts with the store in {len(plan.conflicts)} place(s); "
                          "nothing was written.", plan.conflicts, source=source,
                          hint="Correct the enrolment dates to the ones first imported.")
    report = ImportReport(new=len(plan.new), caseworker_changes=len(plan.caseworker_changes),
                          language_changes=len(plan.language_changes),
                          unchanged=len(plan.unchanged), dry_run=dry_run,
                          without_email=sum(1 for e in plan.new if not e.row.email))
    if dry_run:
        report.lines = [f"would enrol {len(plan.new)} new participant(s)",
                        f"would record {len(plan.caseworker_changes)} caseworker change(s)",
                        f"would update the language of {len(plan.language_changes)}",
                        f"{len(plan.unchanged)} unchanged"]
        return report
    if api is None:
        raise ValueError("import_roster needs a LimeSurvey connection unless dry_run")
    # The tokens need both surveys: without them, refuse before the store is touched
    # (otherwise people would be enrolled in the store with nowhere to be asked).
    sids = active_surveys(engine, settings)
    for sid in sids.values():  # LimeSurvey answers (login, both token tables): else no write
        api.list_participants(sid, start=0, limit=1)

    now = now_on(today)
    p, a = schema.participants, schema.caseworker_assignments
    with engine.begin() as conn:
        lifted = sorted({e.pseudonym for e in plan.new} & set(re_enrol))
        if lifted:
            conn.execute(sa.delete(schema.erased_people).where(
                schema.erased_people.c.mark.in_([erasure_mark(key, x) for x in lifted])))
        report.re_enrolled = len(lifted)
        for e in plan.new:
            conn.execute(sa.insert(p).values(
                pseudonym=e.pseudonym, language=e.row.language, enrolled_on=e.row.enrolled_on,
                ended_on=None, end_reason=None, created_at=now))
            conn.execute(sa.insert(a).values(pseudonym=e.pseudonym, from_wave=0,
                                             caseworker_id=e.row.caseworker_id, recorded_at=now))
        for pseudonym, language in plan.language_changes:
            conn.execute(sa.update(p).where(p.c.pseudonym == pseudonym).values(language=language))

    # Contact data goes to LimeSurvey: current-wave tokens for everyone on the roster
    # who lacks them, the next wave's caseworker token for a changed caseworker.
    try:
        result = apply_roster_contacts(api, engine, settings, templates, plan, today=today)
    except LimeSurveyError as exc:
        kept, undone = _roll_back_untokened(engine, [e.pseudonym for e in plan.new])
        raise LimeSurveyUnavailable(
            f"LimeSurvey stopped answering during the import ({exc}). Of the "
            f"{len(plan.new)} new people, {kept} are enrolled with their tokens in "
            f"LimeSurvey; {undone} were taken out of the store again (not enrolled).",
            method=exc.method,
            hint="Run the same import again when LimeSurvey answers: it enrols the rest "
            "and creates the missing tokens, never twice.") from None
    report.tokens_created = result.tokens_created
    report.contacts_updated = result.contacts_updated

    # Only now (the token carrying the new caseworker's e-mail exists) is the change
    # recorded: a crash before this line leaves the roster still "changed" on re-import.
    with engine.begin() as conn:
        for change in plan.caseworker_changes:
            conn.execute(sa.delete(a).where(a.c.pseudonym == change.pseudonym,
                                            a.c.from_wave == change.from_wave))
            conn.execute(sa.insert(a).values(pseudonym=change.pseudonym,
                                             from_wave=change.from_wave,
                                             caseworker_id=change.row.caseworker_id,
                                             recorded_at=now))
    return report


def _roll_back_untokened(engine: sa.Engine, pseudonyms: Sequence[str]) -> tuple[int, int]:
    """Take the people of this import that got no token in LimeSurvey out of the store
    again; returns (kept, removed)."""
    p, a, t = schema.participants, schema.caseworker_assignments, schema.tokens
    removed = 0
    with engine.begin() as conn:
        for pseudonym in pseudonyms:
            has_token = conn.execute(sa.select(t.c.tid).where(
                t.c.pseudonym == pseudonym, t.c.tid.is_not(None)).limit(1)).first()
            if has_token is not None:
                continue
            for table in (t, a, p):
                conn.execute(sa.delete(table).where(table.c.pseudonym == pseudonym))
            removed += 1
    return len(pseudonyms) - removed, removed


# --- the roster's contact data -------------------------------------------------------


@dataclass
class ContactsResult:
    tokens_created: int = 0
    contacts_updated: int = 0


def apply_roster_contacts(api: LimeSurveyAPI, engine: sa.Engine, settings: Settings,
                          templates: Any, plan: ImportPlan, *, today: date) -> ContactsResult:
    """Carry a roster's contact data into LimeSurvey (the only place it is kept).

    * everyone on the roster whose current wave has no token yet gets one in each survey,
      addressed from the roster (new people, and people whose first import crashed);
    * a changed caseworker: the next wave's caseworker token is created now (valid from
      its due date, not invited before it) with the new caseworker's e-mail and code, or
      updated if it already exists;
    * changed contact data (first name, e-mail, language) is written onto the person's
      latest token in each survey, from which later waves copy it.
    """
    key = settings.require_pseudonym_key()
    sids = active_surveys(engine, settings)
    attrs = {kind: attribute_names(templates, kind) for kind in KINDS}
    interval = settings.waves.interval_months
    page = settings.sync.page_size
    ls = {kind: load_ls_tokens(api, sids[kind], attrs[kind], page_size=page) for kind in KINDS}
    with engine.connect() as conn:
        stored = load_state(conn)
    state, changed, adopted = reconcile(stored, ls, sids, key, settings)
    now = now_on(today)
    save_reconciled(engine, changed, adopted, now)
    result = ContactsResult()
    cw_lang = caseworker_language(settings)
    specs: list[TokenSpec] = []
    updates: list[tuple[int, int, dict[str, str]]] = []  # (sid, tid, properties)
    by_ls = {kind: {(t.pseudonym, t.wave): t for t in ls[kind]} for kind in KINDS}

    for enrolment in plan.new + plan.known:
        row, p = enrolment.row, enrolment.pseudonym
        person = state.participants.get(p)
        if person is None or person.ended_on is not None:
            continue
        k = current_wave(row.enrolled_on, today, interval)
        due = due_date(row.enrolled_on, k, interval)
        cw_k = person.caseworker_at(k) or row.caseworker_id
        for kind in KINDS:
            tok = state.tokens.get((kind, p, k))
            if tok is not None and tok.tid is not None:
                continue
            if kind == PARTICIPANT:
                contact = Contact(row.first_name, row.email, row.language)
            elif cw_k == row.caseworker_id:
                contact = Contact(row.first_name, row.caseworker_email, cw_lang)
            else:
                old = caseworker_contact(ls[CASEWORKER], p, cw_k)
                if old is None:
                    continue
                contact = Contact(row.first_name, old.email, old.language or cw_lang)
            specs.append(TokenSpec(kind, sids[kind], p, k, due, cw_k, contact))

    for change in plan.caseworker_changes:
        p, n, row = change.pseudonym, change.from_wave, change.row
        person = state.participants.get(p)
        if person is None or person.ended_on is not None:
            continue
        tok = state.tokens.get((CASEWORKER, p, n))
        if tok is not None and tok.tid is not None:
            updates.append((sids[CASEWORKER], tok.tid, {
                "email": row.caseworker_email, attrs[CASEWORKER]["caseworker"]: row.caseworker_id,
                "firstname": row.first_name}))
            with engine.begin() as conn:
                conn.execute(sa.update(schema.tokens).where(
                    schema.tokens.c.sid == tok.sid, schema.tokens.c.pseudonym == p,
                    schema.tokens.c.wave == n).values(caseworker_id=row.caseworker_id))
        else:
            specs.append(TokenSpec(CASEWORKER, sids[CASEWORKER], p, n,
                                   due_date(row.enrolled_on, n, interval), row.caseworker_id,
                                   Contact(row.first_name, row.caseworker_email, cw_lang)))

    # changed contact data onto the latest existing tokens
    planned = {(s.kind, s.pseudonym, s.wave) for s in specs}
    for enrolment in plan.known:
        row, p = enrolment.row, enrolment.pseudonym
        latest = latest_contacts([t for (pp, _), t in by_ls[PARTICIPANT].items() if pp == p]).get(p)
        if latest is not None and (PARTICIPANT, p, latest.wave) not in planned:
            want = {"firstname": row.first_name, "email": row.email, "language": row.language}
            have = {"firstname": latest.firstname, "email": latest.email,
                    "language": latest.language}
            if want != have:
                updates.append((sids[PARTICIPANT], latest.tid, want))
        person = state.participants.get(p)
        cw_now = person.caseworker_at(current_wave(row.enrolled_on, today, interval)) \
            if person else None
        if cw_now == row.caseworker_id:
            cw_tok = caseworker_contact(ls[CASEWORKER], p, row.caseworker_id)
            if cw_tok is not None and (cw_tok.email != row.caseworker_email
                                       or cw_tok.firstname != row.first_name):
                updates.append((sids[CASEWORKER], cw_tok.tid, {
                    "email": row.caseworker_email, "firstname": row.first_name}))

    for sid, tid, properties in updates:
        api.set_participant_properties(sid, tid, properties)
        result.contacts_updated += 1
    if specs:
        result.tokens_created = create_tokens(api, engine, key, specs, attrs, today=today)
    return result


# --- end ----------------------------------------------------------------------------

def end_participant(engine: sa.Engine, pseudonym: str, reason: str, *, today: date) -> bool:
    """Mark a participant as ended: no further waves. False if already ended.

    Tokens already created and invited stay; tokens of later waves created in advance
    (a caseworker change) are withdrawn by the next ``waves`` run.
    """
    if reason not in END_REASONS:
        raise DataInvalid(f"Unknown end reason {reason!r}.",
                          [Problem("--reason", f"{reason!r}", "work, studies or other")])
    p = schema.participants
    with engine.begin() as conn:
        row = conn.execute(sa.select(p.c.ended_on).where(p.c.pseudonym == pseudonym)).first()
        if row is None:
            raise NotFound("No participant with that id or pseudonym is enrolled.",
                           hint="Check the id (and the pseudonym key), or run "
                           "`bip-bridge participants list`.")
        if row.ended_on is not None:
            return False
        conn.execute(sa.update(p).where(p.c.pseudonym == pseudonym)
                     .values(ended_on=today, end_reason=reason))
    return True
