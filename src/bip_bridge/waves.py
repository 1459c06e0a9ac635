"""The ``waves`` run: the due-list applied at the edge (docs/waves.md).

:func:`run_waves` reconciles the store with LimeSurvey's own ``sent`` /
``remindercount`` / ``completed`` columns, computes the due-list
(:func:`bip_bridge.duelist.due_actions`) and applies it in batches (one
``add_participants``, ``invite_participants`` or ``remind_participants`` call per survey
per batch), recording each result in the store in a transaction right after the call.

Never twice: tokens are deterministic and recorded before they are created
(:mod:`bip_bridge.tokens`); invitations and reminders are recorded right after each call
and reconciled with LimeSurvey's own columns, and ``invite_participants`` only sends to
tokens it has not sent to.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa

from bip_bridge.api import LimeSurveyAPI
from bip_bridge.cohort import CASEWORKER, KINDS, PARTICIPANT, TokenState, load_state
from bip_bridge.config import Settings
from bip_bridge.duelist import Action, due_actions
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

log = logging.getLogger(__name__)


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
    without_email: int = 0  # participants without an e-mail address: not mailed (letters)
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
        text = (f"Waves on {self.today.isoformat()}: created {self.created} token(s), sent "
                f"{self.invited} invitation(s) and {self.reminded} reminder(s), withdrew "
                f"{self.withdrawn} token(s); {len(self.skipped)} skipped.")
        if self.without_email:
            text += (f" {self.without_email} invitation(s) or reminder(s) not mailed: no "
                     "e-mail address (print them with `bip-bridge letters`).")
        return text


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
    state, changed, adopted = reconcile(stored, ls, sids, key, settings)
    report = WavesReport(today=today, dry_run=dry_run)
    report.actions = due_actions(state, today, settings)
    if dry_run:
        return report

    now = now_on(today)
    save_reconciled(engine, changed, adopted, now)

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
    latest = latest_contacts(ls[PARTICIPANT])
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
            cw = caseworker_contact(ls[CASEWORKER], a.pseudonym, a.caseworker_id)
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
                                        skipped=report.skipped)

    # invite, then remind: one call per survey per batch of at most LimeSurvey's
    # maxemails, each result recorded right after its call
    with engine.connect() as conn:
        fresh = load_state(conn)
    # caseworkers get one digest per run instead (bip_bridge.outreach.digest)
    mailed = KINDS if settings.waves.caseworker_email == "limesurvey" else (PARTICIPANT,)
    no_address = {p for p, tok in latest.items() if not tok.email.strip()}
    limit = mail_batch_size(api, settings)
    for op in ("invite", "remind"):
        for kind in mailed:
            todo = [(a, fresh.tokens.get((kind, a.pseudonym, a.wave)))
                    for a in report.actions if a.op == op and a.kind == kind]
            ready: list[tuple[Action, TokenState]] = []
            for a, found in todo:
                if found is None or found.tid is None:
                    continue
                if kind == PARTICIPANT and a.pseudonym in no_address:
                    report.without_email += 1  # LimeSurvey mails nobody without an address
                    continue
                ready.append((a, found))
            _send_in_batches(api, engine, report, op, sids[kind], ready, limit, now)
    return report


def mail_batch_size(api: LimeSurveyAPI, settings: Settings) -> int:
    """How many mails one invite/remind call may send: LimeSurvey's ``maxemails`` when
    this user may read it, else ``[waves] max_emails_per_call`` (default 50, as
    LimeSurvey's own default)."""
    read = getattr(api, "max_emails_per_call", None)
    value = read() if callable(read) else None
    return int(value) if isinstance(value, int) and value > 0 else \
        settings.waves.max_emails_per_call


def _refusal(result: Mapping[str, Any], tid: int) -> str:
    entry = result.get(str(tid))
    if isinstance(entry, Mapping):
        why = entry.get("error") or entry.get("warning") or entry.get("status")
        if why:
            return str(why)
    return "not among the tokens it would mail"


def _send_in_batches(api: LimeSurveyAPI, engine: sa.Engine, report: WavesReport, op: str,
                     sid: int, ready: list[tuple[Action, TokenState]], limit: int,
                     now: Any) -> None:
    """Invite or remind ``ready`` in calls of at most ``limit`` tokens, recording each
    sent mail right after its call. LimeSurvey stops a call at its maxemails: tokens
    of a call that sent some are asked again in the next one; a token a call with no
    progress left unsent is reported with the reason and the fix."""
    t = schema.tokens
    pending = list(ready)
    while pending:
        batch, pending = pending[:limit], pending[limit:]
        tids = [tok.tid for _, tok in batch if tok.tid is not None]
        if op == "invite":
            result = api.invite_participants(sid, tids)
        else:
            result = api.remind_participants(sid, tids)
        ok = {int(k) for k, v in result.items()
              if k.isdigit() and isinstance(v, Mapping) and v.get("status") == "OK"}
        with engine.begin() as conn:
            for a, tok in batch:
                if tok.tid not in ok:
                    continue
                values: dict[str, Any] = (
                    {"invited_at": now} if op == "invite" else
                    {"reminders_sent": a.reminder, "last_reminded_at": now})
                conn.execute(sa.update(t).where(
                    t.c.sid == tok.sid, t.c.pseudonym == tok.pseudonym,
                    t.c.wave == tok.wave).values(**values))
        unsent = [(a, tok) for a, tok in batch if tok.tid not in ok]
        if op == "invite":
            report.invited += len(batch) - len(unsent)
        else:
            report.reminded += len(batch) - len(unsent)
        if ok and unsent:  # the call stopped at LimeSurvey's limit: the rest go next
            pending = unsent + pending
            continue
        for a, tok in unsent:
            report.skipped.append(
                f"{a.describe()}: LimeSurvey did not send it ({_refusal(result, tok.tid or 0)})."
                f" Fix: in LimeSurvey's participant list of survey {sid}, token id {tok.tid}, "
                "check the e-mail address and the e-mail status (OK, not opted out or "
                "bounced), or correct the address in the roster and import it again; then "
                "run waves again.")
