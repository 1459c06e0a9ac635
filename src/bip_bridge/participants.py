"""Participants: the roster, pseudonyms, enrolment, ending and erasure.

Why this module looks the way it does (docs/participants.md, docs/privacy.md):

* bip-bridge's store knows a person only by a *pseudonym*, a keyed hash (HMAC-SHA256)
  of the normalised external id. Names and e-mail addresses go to LimeSurvey's
  participant table and nowhere else; the store keeps pseudonyms, dates, waves and
  caseworker codes.
* A roster is validated as a whole before anything is written: one bad line rejects the
  file with every problem listed by line (:class:`~bip_bridge.errors.DataInvalid`).
* Decisions are pure (:func:`parse_roster`, :func:`plan_import`); effects happen at the
  edge (:func:`import_roster`, :func:`end_participant`, :func:`forget_participant`), each
  step recorded right after the LimeSurvey call it depends on, so a re-run after a crash
  completes the work instead of repeating it.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import hmac
import io
import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from stdnum import luhn

from bip_bridge.api import LimeSurveyAPI
from bip_bridge.config import LANGUAGES, Settings
from bip_bridge.errors import DataInvalid, LimeSurveyRejected, NotFound, Problem
from bip_bridge.store import schema

log = logging.getLogger(__name__)

ROSTER_COLUMNS: tuple[str, ...] = (
    "external_id", "first_name", "email", "language", "enrolled_on",
    "caseworker_id", "caseworker_email",
)
END_REASONS: tuple[str, ...] = ("work", "studies", "other")

# --- external ids and pseudonyms ----------------------------------------------------

# A Swedish personnummer (or samordningsnummer) in any written form:
# YYMMDD-NNNN, YYMMDD+NNNN, YYMMDDNNNN, YYYYMMDD-NNNN, YYYYMMDDNNNN.
_PNR = re.compile(r"^(?P<century>\d{2})?(?P<yymmdd>\d{6})(?P<sep>[-+]?)(?P<tail>\d{4})$")


def looks_like_personnummer(external_id: str) -> bool:
    """True when ``external_id`` has the shape of a personnummer (10 or 12 digits)."""
    return _PNR.match(external_id.strip()) is not None


def _birth_date(year: int, month: int, day: int) -> date | None:
    if day > 60:  # samordningsnummer: day + 60
        day -= 60
    try:
        return date(year, month, day)
    except ValueError:
        return None


def personnummer_problem(external_id: str, *, today: date | None = None) -> str | None:
    """Why a personnummer-shaped id is invalid (date or checksum), or None if it is valid."""
    try:
        normalise_personnummer(external_id, today=today)
    except ValueError as exc:
        return str(exc)
    return None


def normalise_personnummer(external_id: str, *, today: date | None = None) -> str:
    """The 12 digits YYYYMMDDNNNN of a personnummer written in any of its forms.

    A 10-digit form gets its century as the Swedish Tax Agency writes it: with ``-``
    the person is under 100 on ``today``, with ``+`` 100 or older. Raises ValueError
    for an impossible date or a wrong check digit.
    """
    m = _PNR.match(external_id.strip())
    if m is None:
        raise ValueError("not a personnummer")
    yymmdd, tail, sep = m["yymmdd"], m["tail"], m["sep"]
    yy, mm, dd = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:])
    if m["century"] is not None:
        year = int(m["century"] + yymmdd[:2])
    else:
        ref = today or date.today()
        year = ref.year - (ref.year - yy) % 100  # the latest year up to now ending in yy
        born = _birth_date(year, mm, dd)
        if born is None or born > ref:
            year -= 100
        if sep == "+":
            year -= 100
    if _birth_date(year, mm, dd) is None:
        raise ValueError(f"the birth date {yymmdd} (YYMMDD) does not exist")
    if not luhn.is_valid(yymmdd + tail):
        raise ValueError("the check digit (last digit) is wrong")
    return f"{year:04d}{yymmdd[2:]}{tail}"


def normalise_external_id(external_id: str, *, today: date | None = None) -> str:
    """The form of an external id that the pseudonym is computed from.

    * a personnummer or samordningsnummer in any written form (``YYMMDD-NNNN``,
      ``YYMMDD+NNNN``, ``YYMMDDNNNN``, ``YYYYMMDD-NNNN``, ``YYYYMMDDNNNN``) becomes its
      12 digits ``YYYYMMDDNNNN``, so every way of writing it gives one pseudonym;
    * any other id is Unicode-normalised (NFKC), stripped and case-folded
      (``" AB-17 "`` and ``"ab-17"`` are the same person).
    """
    text = unicodedata.normalize("NFKC", external_id).strip()
    if looks_like_personnummer(text):
        try:
            return normalise_personnummer(text, today=today)
        except ValueError:
            pass  # validation reports it; a bad one is still hashed consistently
    return text.casefold()


def pseudonymise(external_id: str, key: bytes, *, today: date | None = None) -> str:
    """HMAC-SHA256 (hex, 64 characters) of the normalised external id with ``key``.

    Without the key nobody can recompute or reverse it; with a different key the same
    person gets a different pseudonym (docs/privacy.md: keep and back up the key).
    """
    if not key:
        raise ValueError("an empty pseudonym key")
    normalised = normalise_external_id(external_id, today=today)
    return hmac.new(key, normalised.encode("utf-8"), hashlib.sha256).hexdigest()


# --- the roster -----------------------------------------------------------------------

_EMAIL = re.compile(r"^[^@\s,;<>\"']+@[^@\s,;<>\"']+\.[A-Za-z]{2,}$")
# Caseworker ids are codes: letters, digits, '.', '_' or '-', with at least one digit.
_CASEWORKER_CODE = re.compile(r"^(?=.*\d)[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class RosterRow:
    """One validated roster line. Personal data lives here only in memory, on its way
    to LimeSurvey's participant table."""

    line: int
    external_id: str
    first_name: str
    email: str
    language: str
    enrolled_on: date
    caseworker_id: str
    caseworker_email: str = field(repr=False)

    def __repr__(self) -> str:  # never print names, e-mails or ids in logs/tracebacks
        return f"RosterRow(line={self.line}, enrolled_on={self.enrolled_on})"


def _decode(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataInvalid(
            f"{where} is not UTF-8 (byte {exc.start} cannot be read); nothing was written.",
            [Problem(f"{where} line {line}", f"not UTF-8 text (byte 0x{data[exc.start]:02x}; "
                     "probably saved as Windows-1252/ANSI)", "a CSV file saved as UTF-8")],
            source=where,
            hint="In Excel choose 'Save as' > 'CSV UTF-8 (comma delimited)'.",
        ) from None


def _delimiter(header_line: str) -> str:
    """Swedish Excel writes ';' (the comma is the decimal sign); others write ','."""
    return ";" if header_line.count(";") > header_line.count(",") else ","


def parse_roster(data: bytes, *, today: date, source: str = "roster.csv") -> list[RosterRow]:
    """Validate a whole roster file; return its rows or raise DataInvalid listing every
    problem by line. Pure: reads nothing but ``data`` and writes nothing."""
    name = Path(source).name
    text = _decode(data, name)
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise DataInvalid(f"{name} is empty; nothing was written.",
                          [Problem(f"{name} line 1", "no header row", ",".join(ROSTER_COLUMNS))],
                          source=name)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(lines[0]))
    header = [h.strip().lower() for h in next(reader)]
    problems: list[Problem] = []
    missing = [c for c in ROSTER_COLUMNS if c not in header]
    unknown = [h for h in header if h not in ROSTER_COLUMNS]
    if missing or unknown or len(set(header)) != len(header):
        what = "; ".join(filter(None, [
            f"missing column(s) {', '.join(missing)}" if missing else "",
            f"unknown column(s) {', '.join(unknown)}" if unknown else "",
            "a column appears twice" if len(set(header)) != len(header) else "",
        ]))
        raise DataInvalid(f"{name} has a wrong header row; nothing was written.",
                          [Problem(f"{name} line 1", what, ",".join(ROSTER_COLUMNS))],
                          source=name,
                          hint="The first line must name exactly these columns (any order).")

    rows: list[RosterRow] = []
    seen_ids: dict[str, int] = {}
    caseworker_emails: dict[str, tuple[str, int]] = {}
    for record in reader:
        line = reader.line_num
        if not any(v.strip() for v in record):
            continue  # blank lines (Excel often adds some at the end)
        where = f"{name} line {line}"
        if len(record) != len(header):
            problems.append(Problem(where, f"{len(record)} fields instead of {len(header)}",
                                    "one value per column, separated like the header"))
            continue
        values = {h: v.strip() for h, v in zip(header, record, strict=True)}
        row_problems: list[Problem] = []
        for column in ROSTER_COLUMNS:
            if not values[column]:
                row_problems.append(Problem(where, f"{column} is missing", "a value"))

        ext = values["external_id"]
        if ext:
            if looks_like_personnummer(ext):
                why = personnummer_problem(ext, today=today)
                if why:
                    row_problems.append(Problem(where, f"external_id is not a valid personnummer: "
                                                f"{why}", "YYYYMMDD-NNNN with a correct check "
                                                "digit"))
            elif len(ext) > 64:
                row_problems.append(Problem(where, "external_id is longer than 64 characters",
                                            "a personnummer or a short id"))
            key = normalise_external_id(ext, today=today)
            if key in seen_ids:
                row_problems.append(Problem(where, f"external_id duplicates line {seen_ids[key]}",
                                            "each person once"))
            else:
                seen_ids[key] = line

        if values["first_name"] and len(values["first_name"]) > 100:
            row_problems.append(Problem(where, "first_name is longer than 100 characters",
                                        "a first name"))
        for column in ("email", "caseworker_email"):
            if values[column] and not _EMAIL.match(values[column]):
                row_problems.append(Problem(where, f"{column} is not an e-mail address",
                                            "name@example.org"))
        lang = values["language"].lower()
        if lang and lang not in LANGUAGES:
            row_problems.append(Problem(where, f"language {values['language']!r} is not "
                                        "supported", "sv, da or en"))
        enrolled: date | None = None
        raw_date = values["enrolled_on"]
        if raw_date:
            try:
                if not _ISO_DATE.match(raw_date):
                    raise ValueError
                enrolled = date.fromisoformat(raw_date)
            except ValueError:
                row_problems.append(Problem(where, f"enrolled_on {raw_date!r} is not a date",
                                            "an ISO date YYYY-MM-DD"))
            else:
                if enrolled > today:
                    row_problems.append(Problem(where, f"enrolled_on {raw_date} is in the future",
                                                f"a date on or before {today.isoformat()}"))
        cw = values["caseworker_id"]
        if cw and not _CASEWORKER_CODE.match(cw):
            row_problems.append(Problem(
                where, f"caseworker_id {cw!r} looks like a name, not a code",
                "a code of letters and digits with at least one digit, e.g. HL-017 "
                "(caseworker ids are visible in survey pages and exports)"))
        cw_email = values["caseworker_email"].lower()
        if cw and cw_email:
            earlier = caseworker_emails.setdefault(cw, (cw_email, line))
            if earlier[0] != cw_email:
                row_problems.append(Problem(where, f"caseworker {cw} has another e-mail address "
                                            f"on line {earlier[1]}", "one address per caseworker"))

        problems.extend(row_problems)
        if not row_problems and enrolled is not None:
            rows.append(RosterRow(line=line, external_id=ext, first_name=values["first_name"],
                                  email=values["email"], language=lang, enrolled_on=enrolled,
                                  caseworker_id=cw, caseworker_email=values["caseworker_email"]))
    if problems:
        raise DataInvalid(f"{name} has {len(problems)} problem(s); nothing was written.",
                          problems, source=name,
                          hint="Fix every line listed above and import the whole file again.")
    if not rows:
        raise DataInvalid(f"{name} has no participants; nothing was written.",
                          [Problem(f"{name} line 2", "no data rows", "one row per participant")],
                          source=name)
    return rows


def read_roster(path: Path, *, today: date) -> list[RosterRow]:
    """Read and validate the roster file at ``path`` (see :func:`parse_roster`)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise NotFound(f"Cannot read the roster {path}: {exc.strerror}.",
                       hint="Give the path of the CSV file exported from your register.") from None
    return parse_roster(data, today=today, source=path.name)


# --- store state ----------------------------------------------------------------------


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
    from bip_bridge.waves import current_wave

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
    dry_run: bool = False
    lines: list[str] = field(default_factory=list)


def _now(today: date) -> datetime:
    """A timestamp on ``today`` (the frozen clock of tests) at the real time of day."""
    return datetime.combine(today, datetime.now(UTC).time(), UTC)


def import_roster(api: LimeSurveyAPI | None, engine: sa.Engine, settings: Settings,
                  templates: Any, rows: Sequence[RosterRow], *, today: date,
                  dry_run: bool = False, source: str = "roster.csv") -> ImportReport:
    """Enrol the roster's people (see docs/participants.md).

    New people get a store row (pseudonym, language, enrolment date, caseworker code)
    and their current wave's tokens in both surveys, which carry their first name and
    e-mail into LimeSurvey. For people already enrolled, a changed caseworker is recorded
    from the next wave on and written to that wave's caseworker token at once; changed
    contact data is written onto their latest tokens. Re-importing the same roster
    changes nothing.
    """
    from bip_bridge import waves as wv

    key = settings.require_pseudonym_key()
    with engine.connect() as conn:
        existing = load_participants(conn)
    plan = plan_import(rows, existing, key=key, today=today,
                       interval_months=settings.waves.interval_months, source=source)
    if plan.conflicts:
        raise DataInvalid(f"{source} conflicts with the store in {len(plan.conflicts)} place(s); "
                          "nothing was written.", plan.conflicts, source=source,
                          hint="Correct the enrolment dates to the ones first imported.")
    report = ImportReport(new=len(plan.new), caseworker_changes=len(plan.caseworker_changes),
                          language_changes=len(plan.language_changes),
                          unchanged=len(plan.unchanged), dry_run=dry_run)
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
    wv.active_surveys(engine, settings)

    now = _now(today)
    p, a = schema.participants, schema.caseworker_assignments
    with engine.begin() as conn:
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
    result = wv.apply_roster_contacts(api, engine, settings, templates, plan, today=today)
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


# --- end ----------------------------------------------------------------------------


def resolve_pseudonym(engine: sa.Engine, settings: Settings, *, external_id: str | None,
                      pseudonym: str | None, today: date | None = None) -> str:
    """The pseudonym named on the command line (an external id, or ``--pseudonym``)."""
    if (external_id is None) == (pseudonym is None):
        raise DataInvalid("Name the person either by external id or by --pseudonym.",
                          [Problem("command line", "give exactly one of ID or --pseudonym")])
    if pseudonym is None:
        assert external_id is not None
        pseudonym = pseudonymise(external_id, settings.require_pseudonym_key(), today=today)
    return pseudonym.strip().lower()


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


# --- forget -------------------------------------------------------------------------


@dataclass
class ErasureReport:
    tokens_removed: int = 0
    responses_removed: int = 0
    store_rows_removed: int = 0

    @property
    def anything(self) -> bool:
        return bool(self.tokens_removed or self.responses_removed or self.store_rows_removed)


def _survey_ids(conn: sa.Connection, settings: Settings) -> list[int]:
    sids = {int(r.sid) for r in conn.execute(sa.select(schema.surveys.c.sid))}
    sids |= {int(r.sid) for r in conn.execute(sa.select(schema.tokens.c.sid).distinct())}
    sids |= {int(r.sid) for r in conn.execute(sa.select(schema.responses.c.sid).distinct())}
    for sid in (settings.surveys.participant_sid, settings.surveys.caseworker_sid):
        if sid:
            sids.add(sid)
    return sorted(sids)


def forget_participant(api: LimeSurveyAPI, engine: sa.Engine, settings: Settings,
                       pseudonym: str, *, templates: Any = None,
                       today: date | None = None) -> ErasureReport:
    """Erase everything about one person, in LimeSurvey and in the store.

    Order: responses in LimeSurvey, then tokens in LimeSurvey, then every store row in
    one transaction together with the ``erasure_log`` entry (counts and time only).
    Each step looks up what is still there, so a re-run completes a half-done erasure.
    """
    from bip_bridge.waves import attribute_names, iter_tokens

    report = ErasureReport()
    t, r = schema.tokens, schema.responses
    with engine.connect() as conn:
        sids = _survey_ids(conn, settings)
        stored_tokens = [(int(x.sid), x.token, x.tid) for x in conn.execute(
            sa.select(t.c.sid, t.c.token, t.c.tid).where(t.c.pseudonym == pseudonym))]
        stored_responses = [(int(x.sid), int(x.response_id)) for x in conn.execute(
            sa.select(r.c.sid, r.c.response_id).where(r.c.pseudonym == pseudonym))]

    tids_by_sid: dict[int, set[int]] = {}
    for sid in sids:
        attr = attribute_names(templates, "participant")["pseudonym"]
        found: dict[int, str] = {}
        try:
            for row in iter_tokens(api, sid, attributes=(attr,), conditions={attr: pseudonym},
                                   page_size=settings.sync.page_size):
                found[int(row["tid"])] = str(row["token"])
        except LimeSurveyRejected as exc:  # a survey without a participants table, or deleted
            log.info("survey %s: no participants table (%s)", sid, exc)
        tokens = set(found.values()) | {tok for s, tok, _ in stored_tokens if s == sid}
        response_ids: set[int] = {rid for s, rid in stored_responses if s == sid}
        for token in sorted(tokens):
            with contextlib.suppress(LimeSurveyRejected):  # no responses table (inactive)
                response_ids |= set(api.get_response_ids(sid, token))
        for rid in sorted(response_ids):
            try:
                api.delete_response(sid, rid)
                report.responses_removed += 1
            except LimeSurveyRejected:  # already gone ("Response Id not found")
                continue
        if found:
            api.delete_participants(sid, sorted(found))
            report.tokens_removed += len(found)
        tids_by_sid[sid] = set(found) | {int(tid) for s, _, tid in stored_tokens
                                         if s == sid and tid is not None}

    p, a, ps = schema.participants, schema.caseworker_assignments, schema.pushback_state
    with engine.begin() as conn:
        removed = 0
        for sid, tids in tids_by_sid.items():
            if tids:
                removed += conn.execute(sa.delete(ps).where(
                    ps.c.sid == sid, ps.c.tid.in_(sorted(tids)))).rowcount or 0
        removed += conn.execute(sa.delete(r).where(r.c.pseudonym == pseudonym)).rowcount or 0
        removed += conn.execute(sa.delete(t).where(t.c.pseudonym == pseudonym)).rowcount or 0
        removed += conn.execute(sa.delete(a).where(a.c.pseudonym == pseudonym)).rowcount or 0
        removed += conn.execute(sa.delete(p).where(p.c.pseudonym == pseudonym)).rowcount or 0
        report.store_rows_removed = removed
        if report.anything:
            conn.execute(sa.insert(schema.erasure_log).values(
                erased_at=_now(today) if today else datetime.now(UTC),
                tokens_removed=report.tokens_removed,
                responses_removed=report.responses_removed,
                store_rows_removed=report.store_rows_removed))
    return report


def iter_roster_values(rows: Iterable[RosterRow]) -> Iterable[str]:
    """Every personal value of a roster (for privacy tests and audits)."""
    for row in rows:
        yield from (row.external_id, row.first_name, row.email, row.caseworker_email)
