"""Tokens in LimeSurvey and in the store: deterministic access codes, listing,
reconciling the store with LimeSurvey's own columns, and creating tokens never twice.

Tokens are derived from an HMAC of survey, pseudonym and wave with the pseudonym key,
and recorded *before* they are created, so a crash between creating and recording is
repaired on the next run by finding the token (or by the duplicate-token answer).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa

from bip_bridge.api import LimeSurveyAPI, Row
from bip_bridge.cohort import CASEWORKER, KINDS, PARTICIPANT, TokenState, WaveState
from bip_bridge.config import Settings
from bip_bridge.errors import NotFound
from bip_bridge.store import queries, schema
from bip_bridge.wave_calendar import due_date

log = logging.getLogger(__name__)

DEFAULT_ATTRIBUTES: dict[str, str] = {
    "pseudonym": "attribute_1", "wave": "attribute_2", "caseworker": "attribute_3",
}
BATCH = 500  # participants per add/invite/remind call
TOKEN_LENGTH = 20  # base32 characters: 100 bits from the HMAC


def token_for(key: bytes, sid: int, pseudonym: str, wave: int) -> str:
    """The access code of a wave's token: unguessable without the key, the same on every
    run (so a re-run after a crash finds the token it may already have created)."""
    digest = hmac.new(key, f"token|{sid}|{pseudonym}|{wave}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii").lower()[:TOKEN_LENGTH]


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


def now_on(today: date) -> datetime:
    """A timestamp on ``today`` (tests freeze the date) at the real time of day."""
    return datetime.combine(today, datetime.now(UTC).time(), UTC)


def reconcile(state: WaveState, ls: Mapping[str, list[LsToken]], sids: Mapping[str, int],
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


def save_reconciled(engine: sa.Engine, changed: Sequence[tuple[TokenState, TokenState]],
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
                  *, today: date, skipped: list[str] | None = None) -> int:
    """Create tokens in batches, never twice.

    1. record each token (deterministic access code, no tid yet) in the store;
    2. one ``add_participants`` call per survey per batch, with the access codes given;
    3. record the tids in one transaction right after the call. A duplicate-token
       answer means an earlier run created it: its tid is looked up.
    """
    now = now_on(today)
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
                    if skipped is not None:
                        skipped.append(f"survey {sid}: a token was refused "
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


def latest_contacts(ls_tokens: Sequence[LsToken]) -> dict[str, LsToken]:
    """Each pseudonym's latest token (highest wave, then tid): the copy source."""
    latest: dict[str, LsToken] = {}
    for tok in ls_tokens:
        if not tok.pseudonym:
            continue
        best = latest.get(tok.pseudonym)
        if best is None or ((tok.wave or -1), tok.tid) > ((best.wave or -1), best.tid):
            latest[tok.pseudonym] = tok
    return latest


def caseworker_contact(ls_tokens: Sequence[LsToken], pseudonym: str,
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
