"""Erasure: ``participants forget`` (docs/privacy.md).

Everything about one person goes, in LimeSurvey and in the store; each step looks up
what is still there, so a re-run completes a half-done erasure:

1. in every survey bip-bridge knows, the responses carrying the person: found by their
   tokens (``get_response_ids``), by the pseudonym column of a full export (responses
   entered by hand or never synced, with no token), and by the store's own copy;
2. their tokens in LimeSurvey;
3. every store row about them, in one transaction with the ``erasure_log`` entry
   (counts and time only) and an *erasure mark*: HMAC-SHA256 of the pseudonym with the
   pseudonym key under its own label, so nothing readable is kept, yet ``participants
   import`` refuses the person (unless ``--re-enrol``) and ``sync`` never brings their
   responses back.

Report folders written before the erasure are files the bridge does not delete on its
own; :func:`folders_holding` names the ones that still mention the person.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bip_bridge.api import LimeSurveyAPI
from bip_bridge.config import Settings
from bip_bridge.errors import LimeSurveyRejected
from bip_bridge.store import schema
from bip_bridge.tokens import attribute_names, iter_tokens, now_on

log = logging.getLogger(__name__)

PSEUDONYM_QUESTION = "PSEUDO"  # default question code; the templates' model names it
TEXT_SUFFIXES = frozenset({".csv", ".html", ".htm", ".json", ".txt", ".md", ".svg", ".xml"})


# --- erasure marks --------------------------------------------------------------------


def erasure_mark(key: bytes, pseudonym: str) -> str:
    """The keyed record of an erased person: HMAC-SHA256 (hex) of the pseudonym under
    the label ``erased``. Without the key it says nothing; with it, only "erased"."""
    return hmac.new(key, f"erased|{pseudonym}".encode(), hashlib.sha256).hexdigest()


def erased_marks(conn: sa.Connection) -> set[str]:
    return {r.mark for r in conn.execute(sa.select(schema.erased_people.c.mark))}


def forgotten_predicate(engine: sa.Engine, key: bytes | None) -> Callable[[str], bool] | None:
    """A test ``pseudonym -> erased?`` for sync, or None when nobody was ever erased."""
    with engine.connect() as conn:
        marks = erased_marks(conn)
    if not marks:
        return None
    if key is None:
        # Without the key the marks cannot be matched: refuse rather than re-import.
        from bip_bridge.errors import ConfigError

        raise ConfigError("The store records erased people, and matching them needs the "
                          "pseudonym key.", hint="Set BIP_BRIDGE_PSEUDONYM_KEY (or _FILE).")
    cache: dict[str, bool] = {}

    def forgotten(pseudonym: str) -> bool:
        hit = cache.get(pseudonym)
        if hit is None:
            hit = cache[pseudonym] = erasure_mark(key, pseudonym) in marks
        return hit

    return forgotten


def lift_erasure(engine: sa.Engine, key: bytes, pseudonyms: Iterable[str]) -> int:
    """Remove the erasure marks of people enrolled again after new consent."""
    marks = sorted({erasure_mark(key, p) for p in pseudonyms})
    if not marks:
        return 0
    e = schema.erased_people
    with engine.begin() as conn:
        return conn.execute(sa.delete(e).where(e.c.mark.in_(marks))).rowcount or 0


# --- forget -------------------------------------------------------------------------


@dataclass
class SurveyErasure:
    """What was removed from one LimeSurvey survey."""

    sid: int
    tokens: int = 0
    responses_by_token: int = 0  # found through the person's tokens
    responses_by_pseudonym: int = 0  # found only by the pseudonym column (no token)
    responses_stored_only: int = 0  # found through the store's copy only

    @property
    def responses(self) -> int:
        return self.responses_by_token + self.responses_by_pseudonym + self.responses_stored_only


@dataclass
class ErasureReport:
    surveys: list[SurveyErasure] = field(default_factory=list)
    store_rows: dict[str, int] = field(default_factory=dict)  # table -> rows deleted
    already_marked: bool = False  # the person had been erased before

    @property
    def tokens_removed(self) -> int:
        return sum(s.tokens for s in self.surveys)

    @property
    def responses_removed(self) -> int:
        return sum(s.responses for s in self.surveys)

    @property
    def store_rows_removed(self) -> int:
        return sum(self.store_rows.values())

    @property
    def anything(self) -> bool:
        return bool(self.tokens_removed or self.responses_removed or self.store_rows_removed)

    def lines(self) -> list[str]:
        """Exactly what was removed, survey by survey and table by table."""
        out = []
        for s in self.surveys:
            if s.tokens or s.responses:
                out.append(f"survey {s.sid}: {s.responses} response(s) deleted "
                           f"({s.responses_by_token} found by token, "
                           f"{s.responses_by_pseudonym} by the pseudonym column only, "
                           f"{s.responses_stored_only} through the store's copy), "
                           f"{s.tokens} token(s) deleted")
        rows = ", ".join(f"{n} {t}" for t, n in sorted(self.store_rows.items()) if n)
        if rows:
            out.append(f"store: {rows} row(s) deleted")
        return out


def _survey_ids(conn: sa.Connection, settings: Settings) -> list[int]:
    sids = {int(r.sid) for r in conn.execute(sa.select(schema.surveys.c.sid))}
    sids |= {int(r.sid) for r in conn.execute(sa.select(schema.tokens.c.sid).distinct())}
    sids |= {int(r.sid) for r in conn.execute(sa.select(schema.responses.c.sid).distinct())}
    for sid in (settings.surveys.participant_sid, settings.surveys.caseworker_sid):
        if sid:
            sids.add(sid)
    return sorted(sids)


def _pseudonym_question(templates: Any) -> str:
    model = getattr(templates, "model", None)
    return str(getattr(model, "pseudonym_question", None) or PSEUDONYM_QUESTION)


def _responses_carrying(api: LimeSurveyAPI, sid: int, pseudonym: str, tokens: set[str],
                        column: str) -> tuple[set[int], set[int]]:
    """Response ids of ``sid`` carrying the person: (by token, by pseudonym column only).

    A full export (every response, complete or not) is read once: the pseudonym column
    finds responses entered by hand or never synced; the token column those linked to
    one of the person's tokens. ``get_response_ids`` per token adds any the export
    missed.
    """
    by_token: set[int] = set()
    by_column: set[int] = set()
    try:
        rows = api.export_responses(sid)
    except LimeSurveyRejected as exc:  # no responses table (never activated) or deleted
        log.info("survey %s: no responses to read (%s)", sid, exc)
        rows = []
    for row in rows:
        try:
            rid = int(row.get("id"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue
        if str(row.get("token") or "") in tokens:
            by_token.add(rid)
        elif str(row.get(column) or "").strip().lower() == pseudonym:
            by_column.add(rid)
    for token in sorted(tokens):
        with contextlib.suppress(LimeSurveyRejected):  # no responses table (inactive)
            by_token |= set(api.get_response_ids(sid, token))
    return by_token, by_column - by_token


def forget_participant(api: LimeSurveyAPI, engine: sa.Engine, settings: Settings,
                       pseudonym: str, *, templates: Any = None,
                       today: date | None = None) -> ErasureReport:
    """Erase everything about one person, in LimeSurvey and in the store (module doc).

    Each step looks up what is still there, so a re-run completes a half-done erasure;
    the erasure mark is written with the store deletions, in one transaction.
    """
    key = settings.require_pseudonym_key()
    mark = erasure_mark(key, pseudonym)
    column = _pseudonym_question(templates)
    report = ErasureReport()
    t, r = schema.tokens, schema.responses
    with engine.connect() as conn:
        sids = _survey_ids(conn, settings)
        stored_tokens = [(int(x.sid), x.token, x.tid) for x in conn.execute(
            sa.select(t.c.sid, t.c.token, t.c.tid).where(t.c.pseudonym == pseudonym))]
        stored_responses = [(int(x.sid), int(x.response_id)) for x in conn.execute(
            sa.select(r.c.sid, r.c.response_id).where(r.c.pseudonym == pseudonym))]
        report.already_marked = mark in erased_marks(conn)

    tids_by_sid: dict[int, set[int]] = {}
    for sid in sids:
        done = SurveyErasure(sid)
        report.surveys.append(done)
        attr = attribute_names(templates, "participant")["pseudonym"]
        found: dict[int, str] = {}
        try:
            for row in iter_tokens(api, sid, attributes=(attr,), conditions={attr: pseudonym},
                                   page_size=settings.sync.page_size):
                found[int(row["tid"])] = str(row["token"])
        except LimeSurveyRejected as exc:  # a survey without a participants table, or deleted
            log.info("survey %s: no participants table (%s)", sid, exc)
        tokens = set(found.values()) | {tok for s, tok, _ in stored_tokens if s == sid}
        by_token, by_column = _responses_carrying(api, sid, pseudonym, tokens, column)
        stored_only = {rid for s, rid in stored_responses if s == sid} - by_token - by_column
        for rid in sorted(by_token | by_column | stored_only):
            try:
                api.delete_response(sid, rid)
            except LimeSurveyRejected:  # already gone ("Response Id not found")
                continue
            if rid in by_token:
                done.responses_by_token += 1
            elif rid in by_column:
                done.responses_by_pseudonym += 1
            else:
                done.responses_stored_only += 1
        if found:
            api.delete_participants(sid, sorted(found))
            done.tokens = len(found)
        tids_by_sid[sid] = set(found) | {int(tid) for s, _, tid in stored_tokens
                                         if s == sid and tid is not None}

    p, a, ps = schema.participants, schema.caseworker_assignments, schema.pushback_state
    d = schema.deliveries  # digest items and letters sent to or about the person
    with engine.begin() as conn:
        rows = report.store_rows
        pushed = 0
        for sid, tids in tids_by_sid.items():
            if tids:
                pushed += conn.execute(sa.delete(ps).where(
                    ps.c.sid == sid, ps.c.tid.in_(sorted(tids)))).rowcount or 0
        rows["pushback_state"] = pushed
        for name, table in (("responses", r), ("tokens", t), ("caseworker_assignments", a),
                            ("deliveries", d), ("participants", p)):
            rows[name] = conn.execute(
                sa.delete(table).where(table.c.pseudonym == pseudonym)).rowcount or 0
        when = now_on(today) if today else datetime.now(UTC)
        if report.anything:
            conn.execute(sa.insert(schema.erasure_log).values(
                erased_at=when, tokens_removed=report.tokens_removed,
                responses_removed=report.responses_removed,
                store_rows_removed=report.store_rows_removed))
        if not report.already_marked:
            conn.execute(sa.insert(schema.erased_people).values(mark=mark, erased_at=when))
    return report


def letter_locations(engine: sa.Engine, pseudonym: str) -> list[Path]:
    """Where letters to the person were written (read before the erasure deletes them)."""
    d = schema.deliveries
    with engine.connect() as conn:
        return [Path(x.location) for x in conn.execute(
            sa.select(d.c.location).where(d.c.pseudonym == pseudonym,
                                          d.c.location.is_not(None)))]


def person_tokens(engine: sa.Engine, pseudonym: str) -> list[str]:
    """The person's access codes (read before the erasure deletes them): a meeting sheet
    names the person and carries their links, but not their pseudonym."""
    t = schema.tokens
    with engine.connect() as conn:
        return sorted({str(x.token) for x in conn.execute(
            sa.select(t.c.token).where(t.c.pseudonym == pseudonym))})


def folders_holding(pseudonym: str, roots: Iterable[Path],
                    tokens: Iterable[str] = ()) -> list[Path]:
    """Folders under ``roots`` whose files still mention the person: a file named with
    the pseudonym's first 12 characters (cards), a letter named with its first 8
    (``letter-w<wave>-<prefix>.html``) or a text file containing the pseudonym or one of
    the person's access codes ``tokens`` (a meeting sheet lists their links).
    Each report folder (the first level below a root; for letters below a root, the dated
    folder) is listed once."""
    from bip_bridge.outreach.letters import LETTER_PREFIX_LENGTH, LETTERS_DIR

    needles = [pseudonym.encode(), *(t.encode() for t in tokens if len(t) >= 8)]
    prefix = pseudonym[:12]
    letter_end = f"-{pseudonym[:LETTER_PREFIX_LENGTH]}.html"  # letter-w<wave>-<p[:8]>.html
    hits: set[Path] = set()
    for root in roots:
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if not path.is_file():
                continue
            parts = path.relative_to(root).parts
            # a report folder, or one dated folder of letters (out_dir/letters/DATE)
            top = root.joinpath(*parts[:2 if parts[0] == LETTERS_DIR and len(parts) > 2 else 1])
            if top in hits:
                continue
            holds = prefix in path.name or (path.name.startswith("letter-w")
                                             and path.name.endswith(letter_end))
            if not holds and path.suffix.lower() in TEXT_SUFFIXES:
                with contextlib.suppress(OSError):
                    data = path.read_bytes()
                    holds = any(needle in data for needle in needles)
            if holds:
                hits.add(top if top.is_dir() else root)
    return sorted(hits)
