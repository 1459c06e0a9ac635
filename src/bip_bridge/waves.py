"""The three-monthly measurement waves: a pure due-list, applied at the edge.

* :func:`due_date` / :func:`current_wave` — the calendar (wave k is due at enrolment +
  k x interval calendar months, counted from the enrolment date, so the 31st gives the
  30th, 28th or 29th in shorter months without drifting).
* :func:`due_actions` — given the store's view of participants and tokens and a date,
  what to create, invite, remind or withdraw. Pure, so a year can be walked in tests.
* :func:`run_waves` — reconciles the store with LimeSurvey's own ``sent`` /
  ``remindercount`` / ``completed`` columns, computes the due-list and applies it in
  batches (one ``add_participants``, ``invite_participants`` or ``remind_participants``
  call per survey per batch), recording each result in the store in a transaction right
  after the call.

Never twice: tokens are derived from an HMAC of survey, pseudonym and wave with the
pseudonym key, and recorded *before* they are created, so a crash between creating and
recording is repaired on the next run by finding the token (or by the duplicate-token
answer); invitations and reminders are recorded right after each call and reconciled
with LimeSurvey's own columns, and ``invite_participants`` only sends to tokens it has
not sent to. See docs/waves.md.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from bip_bridge.api import LimeSurveyAPI, Row
from bip_bridge.config import Settings, WaveSettings
from bip_bridge.errors import NotFound
from bip_bridge.participants import ImportPlan, StoredParticipant, load_participants
from bip_bridge.store import queries, schema

log = logging.getLogger(__name__)

PARTICIPANT = "participant"
CASEWORKER = "caseworker"
KINDS: tuple[str, ...] = (PARTICIPANT, CASEWORKER)
DEFAULT_ATTRIBUTES: dict[str, str] = {
    "pseudonym": "attribute_1", "wave": "attribute_2", "caseworker": "attribute_3",
}
BATCH = 500  # participants per add/invite/remind call
TOKEN_LENGTH = 20  # base32 characters: 100 bits from the HMAC


# --- the calendar -------------------------------------------------------------------


def due_date(enrolled_on: date, wave: int, interval_months: int = 3) -> date:
    """The day wave ``wave`` is due: enrolment + wave x interval calendar months.

    Counted from the enrolment date each time (not from the previous wave), so an
    enrolment on 31 January gives 30 April, 31 July, 31 October, 31 January.
    """
    return enrolled_on + relativedelta(months=wave * interval_months)


def current_wave(enrolled_on: date, today: date, interval_months: int = 3) -> int:
    """The latest wave due on or before ``today`` (-1 before the enrolment date)."""
    if today < enrolled_on:
        return -1
    months = (today.year - enrolled_on.year) * 12 + today.month - enrolled_on.month
    k = months // interval_months + 1
    while due_date(enrolled_on, k, interval_months) > today:
        k -= 1
    return k


def token_for(key: bytes, sid: int, pseudonym: str, wave: int) -> str:
    """The access code of a wave's token: unguessable without the key, the same on every
    run (so a re-run after a crash finds the token it may already have created)."""
    digest = hmac.new(key, f"token|{sid}|{pseudonym}|{wave}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii").lower()[:TOKEN_LENGTH]


# --- state and actions --------------------------------------------------------------


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


@dataclass(frozen=True)
class Action:
    """One thing to do for one token. ``op`` is create, invite, remind or withdraw."""

    op: str
    kind: str
    pseudonym: str
    wave: int
    due_on: date
    caseworker_id: str | None = None
    reminder: int = 0  # the reminder's number (1, 2, ...) for op == "remind"

    def describe(self) -> str:
        what = {"create": "create token", "invite": "send invitation",
                "remind": f"send reminder {self.reminder}",
                "withdraw": "withdraw the not yet invited token"}[self.op]
        return (f"{what}: {self.kind} survey, participant {self.pseudonym[:12]}…, "
                f"wave {self.wave} (due {self.due_on.isoformat()})")


def due_actions(state: WaveState, today: date, settings: Settings | WaveSettings) -> list[Action]:
    """What is due on ``today``. Pure.

    * the current wave (the latest one due) of every active participant gets a token in
      both surveys, then an invitation (on its due date, or the first run after it);
    * reminders ``reminder_days`` after the invitation (normally sent on the due date),
      never closer together than the gap between two configured days, only to invited,
      not-completed tokens of the current wave;
    * earlier waves that were never created are not created late (a missing wave is
      missing data, not a late one); a wave's reminders stop when the next wave is due;
    * ended participants get nothing new; tokens created in advance for a wave due after
      the end (a caseworker change) are withdrawn unless already invited.
    """
    waves = settings.waves if isinstance(settings, Settings) else settings
    days = waves.reminder_days
    actions: list[Action] = []
    for pseudonym in sorted(state.participants):
        person = state.participants[pseudonym]
        if person.ended_on is not None:
            for (kind, p, wave), tok in sorted(state.tokens.items()):
                if (p == pseudonym and tok.due_on > person.ended_on and tok.invited_on is None
                        and not tok.completed):
                    actions.append(Action("withdraw", kind, p, wave, tok.due_on,
                                          tok.caseworker_id))
            continue
        k = current_wave(person.enrolled_on, today, waves.interval_months)
        if k < 0:
            continue
        due = due_date(person.enrolled_on, k, waves.interval_months)
        cw = person.caseworker_at(k)
        for kind in KINDS:
            existing = state.tokens.get((kind, pseudonym, k))
            if existing is None or existing.tid is None:
                actions.append(Action("create", kind, pseudonym, k, due, cw))
                actions.append(Action("invite", kind, pseudonym, k, due, cw))
                continue
            tok = existing
            if tok.completed:
                continue
            if tok.invited_on is None:
                actions.append(Action("invite", kind, pseudonym, k, due, tok.caseworker_id))
                continue
            n = tok.reminders_sent
            if n >= len(days) or today < tok.invited_on + relativedelta(days=days[n]):
                continue
            if n > 0 and tok.last_reminded_on is not None and \
                    today < tok.last_reminded_on + relativedelta(days=days[n] - days[n - 1]):
                continue
            actions.append(Action("remind", kind, pseudonym, k, due, tok.caseworker_id,
                                  reminder=n + 1))
    return actions


# --- LimeSurvey side ----------------------------------------------------------------


def attribute_names(templates: Any, kind: str) -> dict[str, str]:
    """``pseudonym`` / ``wave`` / ``caseworker`` -> ``attribute_N`` from the templates."""
    if templates is None:
        return dict(DEFAULT_ATTRIBUTES)
    questionnaire = getattr(templates, kind, None)
    mapping = getattr(questionnaire, "attribute_map", None) or {}
    return {name: mapping.get(name, default) for name, default in DEFAULT_ATTRIBUTES.items()}


def iter_tokens(api: LimeSurveyAPI, sid: int, *, attributes: Sequence[str] = (),
                conditions: Mapping[str, Any] | None = None,
                page_size: int = 1000) -> Iterator[Row]:
    """Every token of a survey, paging by tid (``start`` is a tid lower bound and the
    server's default limit is 10, so a limit is always passed)."""
    start = 0
    while True:
        page = api.list_participants(sid, start=start, limit=page_size,
                                     attributes=attributes, conditions=conditions)
        if not page:
            return
        yield from page
        last = max(int(row["tid"]) for row in page)
        if len(page) < page_size:
            return
        start = last + 1


@dataclass(frozen=True)
class LsToken:
    """A token row as LimeSurvey lists it (contact data held in memory only)."""

    tid: int
    token: str
    pseudonym: str
    wave: int | None
    caseworker_id: str
    firstname: str
    lastname: str
    email: str
    language: str
    sent: str
    remindersent: str
    remindercount: int
    completed: bool

    def __repr__(self) -> str:
        return f"LsToken(tid={self.tid}, wave={self.wave})"


def _ls_date(value: Any) -> date | None:
    if not value or value == "N":
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def load_ls_tokens(api: LimeSurveyAPI, sid: int, attrs: Mapping[str, str],
                   *, page_size: int = 1000,
                   conditions: Mapping[str, Any] | None = None) -> list[LsToken]:
    columns = (attrs["pseudonym"], attrs["wave"], attrs["caseworker"], "language", "sent",
               "remindersent", "remindercount", "completed")
    out = []
    for row in iter_tokens(api, sid, attributes=columns, conditions=conditions,
                           page_size=page_size):
        info = row.get("participant_info") or {}
        wave_text = str(row.get(attrs["wave"]) or "").strip()
        out.append(LsToken(
            tid=int(row["tid"]), token=str(row.get("token") or ""),
            pseudonym=str(row.get(attrs["pseudonym"]) or ""),
            wave=int(wave_text) if wave_text.isdigit() else None,
            caseworker_id=str(row.get(attrs["caseworker"]) or ""),
            firstname=str(info.get("firstname") or ""), lastname=str(info.get("lastname") or ""),
            email=str(info.get("email") or ""), language=str(row.get("language") or ""),
            sent=str(row.get("sent") or "N"), remindersent=str(row.get("remindersent") or "N"),
            remindercount=int(row.get("remindercount") or 0),
            completed=str(row.get("completed") or "N") != "N"))
    return out


def active_surveys(engine: sa.Engine, settings: Settings | None = None) -> dict[str, int]:
    """The survey ids new waves go to, by kind (configuration overrides the store)."""
    found = dict(queries.active_surveys(engine))
    if settings is not None:
        if settings.surveys.participant_sid:
            found[PARTICIPANT] = settings.surveys.participant_sid
        if settings.surveys.caseworker_sid:
            found[CASEWORKER] = settings.surveys.caseworker_sid
    missing = [k for k in KINDS if k not in found]
    if missing:
        raise NotFound(f"No active {' and '.join(missing)} survey is known to the store.",
                       hint="Run `bip-bridge provision` first (or set participant_sid and "
                       "caseworker_sid in [surveys] for surveys imported by hand).")
    return {k: int(found[k]) for k in KINDS}


# --- store side ---------------------------------------------------------------------


def _now(today: date) -> datetime:
    """A timestamp on ``today`` (tests freeze the date) at the real time of day."""
    return datetime.combine(today, datetime.now(UTC).time(), UTC)


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


def _reconcile(state: WaveState, ls: Mapping[str, list[LsToken]], sids: Mapping[str, int],
               key: bytes, settings: Settings) -> tuple[WaveState, list[tuple[TokenState,
                                                                              TokenState]],
                                                        list[TokenState]]:
    """The store's token view brought up to date with LimeSurvey's own columns.

    Returns the new state, the changed rows as (before, after) and the rows to adopt
    (tokens found in LimeSurvey with bip-bridge's access code but no store row). Pure.
    """
    tokens = dict(state.tokens)
    changed: list[tuple[TokenState, TokenState]] = []
    adopted: list[TokenState] = []
    for kind, sid in sids.items():
        by_token = {t.token: t for t in ls.get(kind, [])}
        for k, tok in list(tokens.items()):
            if k[0] != kind or tok.sid != sid:
                continue
            found = by_token.pop(tok.token, None)
            if found is None:
                continue
            new = _merge(tok, found)
            if new != tok:
                tokens[k] = new
                changed.append((tok, new))
        for found in by_token.values():  # LimeSurvey knows a token the store does not
            person = state.participants.get(found.pseudonym)
            if person is None or found.wave is None:
                continue
            if found.token != token_for(key, sid, found.pseudonym, found.wave):
                continue  # not one of ours
            tok = TokenState(kind=kind, pseudonym=found.pseudonym, wave=found.wave, sid=sid,
                             token=found.token, caseworker_id=found.caseworker_id or None,
                             due_on=due_date(person.enrolled_on, found.wave,
                                             settings.waves.interval_months))
            tok = _merge(tok, found)
            tokens[(kind, found.pseudonym, found.wave)] = tok
            adopted.append(tok)
    return replace(state, tokens=tokens), changed, adopted


def _merge(tok: TokenState, found: LsToken) -> TokenState:
    """A store token updated with what LimeSurvey says happened to it."""
    reminded = _ls_date(found.remindersent)
    more_reminders = found.remindercount > tok.reminders_sent
    return replace(
        tok,
        tid=found.tid,
        invited_on=tok.invited_on or _ls_date(found.sent),
        reminders_sent=max(tok.reminders_sent, found.remindercount),
        last_reminded_on=(max(filter(None, [tok.last_reminded_on, reminded]), default=None)
                          if more_reminders else tok.last_reminded_on),
        completed=tok.completed or found.completed,
    )


def _at(day: date | None, now: datetime) -> datetime | None:
    return None if day is None else datetime.combine(day, now.timetz())


def _save_reconciled(engine: sa.Engine, changed: Sequence[tuple[TokenState, TokenState]],
                     adopted: Sequence[TokenState], now: datetime) -> None:
    """Write what reconciliation learnt, in one transaction."""
    if not changed and not adopted:
        return
    t = schema.tokens
    with engine.begin() as conn:
        for old, new in changed:
            values: dict[str, Any] = {}
            if old.tid != new.tid:
                values["tid"] = new.tid
                if old.tid is None:
                    values["created_at"] = now
            if old.invited_on != new.invited_on:
                values["invited_at"] = _at(new.invited_on, now)
            if old.reminders_sent != new.reminders_sent:
                values["reminders_sent"] = new.reminders_sent
            if old.last_reminded_on != new.last_reminded_on:
                values["last_reminded_at"] = _at(new.last_reminded_on, now)
            if old.completed != new.completed:
                values["completed"] = new.completed
            conn.execute(sa.update(t).where(t.c.sid == new.sid, t.c.pseudonym == new.pseudonym,
                                            t.c.wave == new.wave).values(**values))
        for tok in adopted:
            conn.execute(sa.insert(t).values(
                sid=tok.sid, pseudonym=tok.pseudonym, wave=tok.wave, kind=tok.kind,
                token=tok.token, tid=tok.tid, caseworker_id=tok.caseworker_id,
                due_on=tok.due_on, created_at=now, invited_at=_at(tok.invited_on, now),
                reminders_sent=tok.reminders_sent,
                last_reminded_at=_at(tok.last_reminded_on, now), completed=tok.completed))


# --- effects ------------------------------------------------------------------------


@dataclass(frozen=True)
class Contact:
    """Where a token's e-mail goes (held in memory only, on its way to LimeSurvey)."""

    firstname: str
    email: str
    language: str
    lastname: str = ""

    def __repr__(self) -> str:
        return f"Contact(language={self.language!r})"


@dataclass(frozen=True)
class TokenSpec:
    kind: str
    sid: int
    pseudonym: str
    wave: int
    due_on: date
    caseworker_id: str | None
    contact: Contact


@dataclass
class WavesReport:
    """What a run did (or, with ``dry_run``, would do). Counts and pseudonyms only."""

    today: date
    dry_run: bool = False
    actions: list[Action] = field(default_factory=list)
    created: int = 0
    invited: int = 0
    reminded: int = 0
    withdrawn: int = 0
    skipped: list[str] = field(default_factory=list)  # why some action could not be done

    @property
    def lines(self) -> list[str]:
        return [a.describe() for a in self.actions]

    def summary(self) -> str:
        if self.dry_run:
            counts: dict[str, int] = {}
            for a in self.actions:
                counts[a.op] = counts.get(a.op, 0) + 1
            return (f"Dry run for {self.today.isoformat()}: would create {counts.get('create', 0)}"
                    f" token(s), send {counts.get('invite', 0)} invitation(s) and "
                    f"{counts.get('remind', 0)} reminder(s), withdraw "
                    f"{counts.get('withdraw', 0)} token(s). Nothing was changed.")
        return (f"Waves on {self.today.isoformat()}: created {self.created} token(s), sent "
                f"{self.invited} invitation(s) and {self.reminded} reminder(s), withdrew "
                f"{self.withdrawn} token(s); {len(self.skipped)} skipped.")


def _token_row(spec: TokenSpec, token: str, attrs: Mapping[str, str], today: date) -> Row:
    row: Row = {
        "firstname": spec.contact.firstname, "lastname": spec.contact.lastname,
        "email": spec.contact.email, "language": spec.contact.language, "token": token,
        attrs["pseudonym"]: spec.pseudonym, attrs["wave"]: str(spec.wave),
        attrs["caseworker"]: spec.caseworker_id or "",
    }
    if spec.due_on > today:  # created in advance: the link works from the due date on
        row["validfrom"] = f"{spec.due_on.isoformat()} 00:00:00"
    return row


def _find_tid(api: LimeSurveyAPI, sid: int, token: str) -> int | None:
    rows = api.list_participants(sid, start=0, limit=2, conditions={"token": token})
    return int(rows[0]["tid"]) if rows else None


def create_tokens(api: LimeSurveyAPI, engine: sa.Engine, key: bytes,
                  specs: Sequence[TokenSpec], attrs_by_kind: Mapping[str, Mapping[str, str]],
                  *, today: date, report: WavesReport | None = None) -> int:
    """Create tokens in batches, never twice.

    1. record each token (deterministic access code, no tid yet) in the store;
    2. one ``add_participants`` call per survey per batch, with the access codes given;
    3. record the tids in one transaction right after the call. A duplicate-token
       answer means an earlier run created it: its tid is looked up.
    """
    now = _now(today)
    t = schema.tokens
    created = 0
    by_sid: dict[int, list[TokenSpec]] = {}
    for spec in specs:
        by_sid.setdefault(spec.sid, []).append(spec)
    for sid, group in sorted(by_sid.items()):
        with engine.begin() as conn:
            for spec in group:
                token = token_for(key, sid, spec.pseudonym, spec.wave)
                exists = conn.execute(sa.select(t.c.tid).where(
                    t.c.sid == sid, t.c.pseudonym == spec.pseudonym, t.c.wave == spec.wave)
                ).first()
                if exists is None:
                    conn.execute(sa.insert(t).values(
                        sid=sid, pseudonym=spec.pseudonym, wave=spec.wave, kind=spec.kind,
                        token=token, tid=None, caseworker_id=spec.caseworker_id,
                        due_on=spec.due_on, reminders_sent=0, completed=False))
        for start in range(0, len(group), BATCH):
            batch = group[start:start + BATCH]
            tokens = [token_for(key, sid, s.pseudonym, s.wave) for s in batch]
            result = api.add_participants(
                sid, [_token_row(s, tok, attrs_by_kind[s.kind], today)
                      for s, tok in zip(batch, tokens, strict=True)], create_tokens=False)
            tids: dict[str, int] = {}
            for row in result:
                token = str(row.get("token") or "")
                if row.get("errors"):
                    text = str(row["errors"])
                    if "already been taken" in text or "already" in text.lower():
                        tid = _find_tid(api, sid, token)
                        if tid is not None:
                            tids[token] = tid
                            continue
                    log.warning("survey %s: LimeSurvey refused a token: %s", sid,
                                {k: v for k, v in row["errors"].items()})
                    if report is not None:
                        report.skipped.append(f"survey {sid}: a token was refused "
                                              f"({', '.join(row['errors'])})")
                    continue
                tids[token] = int(row["tid"])
            with engine.begin() as conn:
                for spec, token in zip(batch, tokens, strict=True):
                    if token in tids:
                        conn.execute(sa.update(t).where(
                            t.c.sid == sid, t.c.pseudonym == spec.pseudonym,
                            t.c.wave == spec.wave).values(tid=tids[token], created_at=now))
                        created += 1
    return created


def _contacts(ls_tokens: Sequence[LsToken]) -> dict[str, LsToken]:
    """Each pseudonym's latest token (highest wave, then tid): the copy source."""
    latest: dict[str, LsToken] = {}
    for tok in ls_tokens:
        if not tok.pseudonym:
            continue
        best = latest.get(tok.pseudonym)
        if best is None or ((tok.wave or -1), tok.tid) > ((best.wave or -1), best.tid):
            latest[tok.pseudonym] = tok
    return latest


def _caseworker_contact(ls_tokens: Sequence[LsToken], pseudonym: str,
                        caseworker_id: str | None) -> LsToken | None:
    """The latest caseworker token of this person addressed to this caseworker."""
    best: LsToken | None = None
    for tok in ls_tokens:
        if tok.pseudonym == pseudonym and tok.caseworker_id == (caseworker_id or "") and (
                best is None or ((tok.wave or -1), tok.tid) > ((best.wave or -1), best.tid)):
            best = tok
    return best


def caseworker_language(settings: Settings) -> str:
    """Caseworkers get their e-mails in the association's working language."""
    return settings.reports.language


def run_waves(api: LimeSurveyAPI, engine: sa.Engine, settings: Settings, templates: Any, *,
              today: date, dry_run: bool = False) -> WavesReport:
    """Create the tokens that have come due, send invitations and reminders (see module doc)."""
    key = settings.require_pseudonym_key()
    sids = active_surveys(engine, settings)
    attrs = {kind: attribute_names(templates, kind) for kind in KINDS}
    page = settings.sync.page_size
    ls = {kind: load_ls_tokens(api, sids[kind], attrs[kind], page_size=page) for kind in KINDS}
    with engine.connect() as conn:
        stored = load_state(conn)
    state, changed, adopted = _reconcile(stored, ls, sids, key, settings)
    report = WavesReport(today=today, dry_run=dry_run)
    report.actions = due_actions(state, today, settings)
    if dry_run:
        return report

    now = _now(today)
    _save_reconciled(engine, changed, adopted, now)

    # withdraw tokens created in advance for a wave after the participant's end
    t = schema.tokens
    withdraw = [a for a in report.actions if a.op == "withdraw"]
    for kind in KINDS:
        doomed = [state.tokens[(kind, a.pseudonym, a.wave)] for a in withdraw if a.kind == kind]
        with_tid = sorted(tok.tid for tok in doomed if tok.tid is not None)
        if with_tid:
            api.delete_participants(sids[kind], with_tid)
        if doomed:
            with engine.begin() as conn:
                for tok in doomed:
                    conn.execute(sa.delete(t).where(t.c.sid == tok.sid,
                                                    t.c.pseudonym == tok.pseudonym,
                                                    t.c.wave == tok.wave))
            report.withdrawn += len(doomed)

    # create
    latest = _contacts(ls[PARTICIPANT])
    specs: list[TokenSpec] = []
    for a in report.actions:
        if a.op != "create":
            continue
        person = state.participants[a.pseudonym]
        source = latest.get(a.pseudonym)
        if source is None:
            report.skipped.append(f"participant {a.pseudonym[:12]}…: no token in LimeSurvey to "
                                  "copy the contact data from; import the roster again")
            continue
        if a.kind == PARTICIPANT:
            contact = Contact(firstname=source.firstname, lastname=source.lastname,
                              email=source.email, language=source.language or person.language)
        else:
            cw = _caseworker_contact(ls[CASEWORKER], a.pseudonym, a.caseworker_id)
            if cw is None:
                report.skipped.append(f"participant {a.pseudonym[:12]}…: no e-mail address "
                                      f"known for caseworker {a.caseworker_id}; import the "
                                      "roster again")
                continue
            contact = Contact(firstname=source.firstname, email=cw.email,
                              language=cw.language or caseworker_language(settings))
        specs.append(TokenSpec(a.kind, sids[a.kind], a.pseudonym, a.wave, a.due_on,
                               a.caseworker_id, contact))
    if specs:
        report.created += create_tokens(api, engine, key, specs, attrs, today=today,
                                        report=report)

    # invite, then remind: one call per survey per batch, recorded right after
    with engine.connect() as conn:
        fresh = load_state(conn)
    for op in ("invite", "remind"):
        for kind in KINDS:
            todo = [(a, fresh.tokens.get((kind, a.pseudonym, a.wave)))
                    for a in report.actions if a.op == op and a.kind == kind]
            ready = [(a, tok) for a, tok in todo if tok is not None and tok.tid is not None]
            for start in range(0, len(ready), BATCH):
                batch = ready[start:start + BATCH]
                tids = [tok.tid for _, tok in batch if tok.tid is not None]
                if op == "invite":
                    result = api.invite_participants(sids[kind], tids)
                else:
                    result = api.remind_participants(sids[kind], tids)
                ok = {int(k) for k, v in result.items()
                      if k.isdigit() and isinstance(v, Mapping) and v.get("status") == "OK"}
                with engine.begin() as conn:
                    for a, tok in batch:
                        assert tok is not None and tok.tid is not None
                        if tok.tid not in ok:
                            continue
                        values: dict[str, Any] = (
                            {"invited_at": now} if op == "invite" else
                            {"reminders_sent": a.reminder, "last_reminded_at": now})
                        conn.execute(sa.update(t).where(
                            t.c.sid == tok.sid, t.c.pseudonym == tok.pseudonym,
                            t.c.wave == tok.wave).values(**values))
                for a, tok in batch:
                    assert tok is not None
                    if tok.tid in ok:
                        if op == "invite":
                            report.invited += 1
                        else:
                            report.reminded += 1
                    else:
                        report.skipped.append(f"{a.describe()}: LimeSurvey did not send it")
    return report


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
    state, changed, adopted = _reconcile(stored, ls, sids, key, settings)
    now = _now(today)
    _save_reconciled(engine, changed, adopted, now)
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
                old = _caseworker_contact(ls[CASEWORKER], p, cw_k)
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
        latest = _contacts([t for (pp, _), t in by_ls[PARTICIPANT].items() if pp == p]).get(p)
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
            cw_tok = _caseworker_contact(ls[CASEWORKER], p, row.caseworker_id)
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
