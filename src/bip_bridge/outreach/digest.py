"""The caseworker digest: one e-mail per caseworker per run listing every assessment due.

With ``[waves] caseworker_email = "digest"`` (the default) :func:`bip_bridge.waves.run_waves`
sends LimeSurvey's own invitations and reminders to participants only; the caseworker
survey's invitations and reminders that are due go out here instead, as one e-mail per
caseworker over ``[smtp]``, each line the participant's first name (read from LimeSurvey
now, never stored), the wave in words and the caseworker's personal link to that
participant's assessment.

Never twice, crash-safe:

1. a digest's items are recorded in ``deliveries`` as ``sending`` (one transaction);
2. the message goes to the SMTP server (one ``send_message``);
3. the items become ``sent`` and the tokens invited/reminded (one transaction).

An item that has a ``deliveries`` row is never put in a digest again. A run cut off
between 2 and 3 leaves ``sending`` rows: the next run cannot know whether the server
took the message, so it marks them ``uncertain``, counts the tokens as invited (so the
reminders follow as usual) and says so; it does not send them again. An SMTP error
means the server did not take the message (SMTP's own rule: a message is delivered
once the server has answered 250), so those rows are removed and the next run tries
again.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from functools import cache
from typing import Any

import jinja2
import sqlalchemy as sa

from bip_bridge.api import LimeSurveyAPI
from bip_bridge.cohort import CASEWORKER, TokenState, load_state
from bip_bridge.config import Settings
from bip_bridge.duelist import Action, due_actions
from bip_bridge.errors import MailError
from bip_bridge.outreach.delivery import Sender, delivered_keys, send_once, settle_interrupted
from bip_bridge.outreach.links import survey_url
from bip_bridge.outreach.texts import LANGUAGES, format_date, text, wave_words
from bip_bridge.pseudonyms import display_name
from bip_bridge.store import schema
from bip_bridge.tokens import LsToken, active_surveys, attribute_names, load_ls_tokens

log = logging.getLogger(__name__)

CHANNEL = "digest"


@dataclass(frozen=True)
class DigestItem:
    """One assessment in a caseworker's digest (pseudonyms only)."""

    sid: int
    pseudonym: str
    wave: int
    due_on: date
    caseworker_id: str
    tid: int
    token: str
    op: str  # invite | remind
    reminder: int = 0

    @property
    def item(self) -> str:
        return "invite" if self.op == "invite" else f"remind{self.reminder}"

    @property
    def key(self) -> tuple[int, str, int, str]:
        return (self.sid, self.pseudonym, self.wave, self.item)


def plan_digests(actions: Sequence[Action], tokens: Mapping[tuple[str, str, int], TokenState],
                 delivered: set[tuple[int, str, int, str]]) -> dict[str, list[DigestItem]]:
    """The caseworker invitations and reminders due, grouped by caseworker id. Pure.

    Only tokens LimeSurvey has confirmed (a tid) and items never recorded before.
    """
    out: dict[str, list[DigestItem]] = {}
    for a in actions:
        if a.kind != CASEWORKER or a.op not in ("invite", "remind"):
            continue
        tok = tokens.get((CASEWORKER, a.pseudonym, a.wave))
        if tok is None or tok.tid is None or tok.completed:
            continue
        cw = tok.caseworker_id or a.caseworker_id or ""
        item = DigestItem(sid=tok.sid, pseudonym=a.pseudonym, wave=a.wave, due_on=a.due_on,
                          caseworker_id=cw, tid=tok.tid, token=tok.token, op=a.op,
                          reminder=a.reminder)
        if item.key in delivered:
            continue
        out.setdefault(cw, []).append(item)
    for items in out.values():
        items.sort(key=lambda i: (i.op != "invite", i.due_on, i.pseudonym))
    return dict(sorted(out.items()))


def dry_run_lines(actions: Sequence[Action]) -> list[str]:
    """What ``waves --dry-run`` adds in digest mode: one line per caseworker. Pure."""
    counts = Counter(a.caseworker_id or "" for a in actions
                     if a.kind == CASEWORKER and a.op in ("invite", "remind"))
    return [f"e-mail caseworker {cw or '(none)'} one digest listing {n} assessment(s) "
            "(the caseworker lines above)" for cw, n in sorted(counts.items())]


@dataclass
class DigestReport:
    """What a run of the digests did. Counts only."""

    digests: int = 0  # e-mails sent
    items: int = 0  # assessments listed in them
    uncertain: int = 0  # items of a run cut off while sending (not sent again)
    skipped: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text_ = (f"Caseworker digests: sent {self.digests} e-mail(s) listing {self.items} "
                 f"assessment(s)")
        if self.uncertain:
            text_ += (f"; {self.uncertain} assessment(s) from a run cut off while sending "
                      "were not sent again (they may not have arrived)")
        return text_ + "."


# --- rendering ----------------------------------------------------------------------


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("bip_bridge.outreach", "templates"),
        autoescape=jinja2.select_autoescape(["html.j2"]), trim_blocks=True,
        lstrip_blocks=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


def render_digest(items: Sequence[DigestItem], contacts: Mapping[int, LsToken], *,
                  language: str, rpc_url: str, interval_months: int) -> tuple[str, str]:
    """Subject and text of one caseworker's digest. Pure."""
    lang = language if language in LANGUAGES else "en"

    def line(i: DigestItem) -> dict[str, str]:
        contact = contacts.get(i.tid)
        return {"name": display_name(i.pseudonym, contact.firstname if contact else None),
                "wave": wave_words(i.wave, lang, interval_months),
                "since": text("digest_due", lang, date=format_date(i.due_on, lang)),
                "link": survey_url(rpc_url, i.sid, i.token, lang)}

    new = [line(i) for i in items if i.op == "invite"]
    reminders = [line(i) for i in items if i.op != "invite"]
    count = len(items)
    subject = (text("digest_subject_one", lang) if count == 1
               else text("digest_subject", lang, count=count))
    body = _environment().get_template("digest.txt.j2").render(
        t=lambda key, **kw: text(key, lang, **kw), new=new, reminders=reminders)
    return subject, body


def build_digest_message(sender: str, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to  # the address only: no participant's name as a display name
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1] or None)
    message.set_content(body)
    return message


# --- effects ------------------------------------------------------------------------


def _now(today: date) -> datetime:
    return datetime.combine(today, datetime.now(UTC).time(), UTC)


def _token_values(item: str, now: datetime) -> dict[str, Any]:
    if item == "invite":
        return {"invited_at": now}
    return {"reminders_sent": int(item[len("remind"):]), "last_reminded_at": now}


def _mark_tokens(conn: sa.Connection, rows: Sequence[Any], now: datetime) -> None:
    t = schema.tokens
    for r in rows:
        values = _token_values(r.item, now)
        if "invited_at" in values:
            cond = t.c.invited_at.is_(None)
        else:
            cond = t.c.reminders_sent < values["reminders_sent"]
        conn.execute(sa.update(t).where(t.c.sid == r.sid, t.c.pseudonym == r.pseudonym,
                                        t.c.wave == r.wave, cond).values(**values))


def _settle(engine: sa.Engine, now: datetime) -> int:
    """Digest items of a run cut off while sending: uncertain, tokens counted as invited."""
    return settle_interrupted(engine, CHANNEL, now,
                              on_settled=lambda conn, rows: _mark_tokens(conn, rows, now))


def _address(items: Sequence[DigestItem], contacts: Mapping[int, LsToken]) -> str:
    """The caseworker's address: from their newest token that has one."""
    for i in sorted(items, key=lambda i: -i.tid):
        contact = contacts.get(i.tid)
        if contact is not None and contact.email.strip():
            return contact.email.strip()
    return ""


def _language(items: Sequence[DigestItem], contacts: Mapping[int, LsToken],
              default: str) -> str:
    """The caseworker's language: the one most of their tokens carry (bip-bridge writes
    [reports] language there), else [reports] language."""
    seen = Counter(c.language for i in items if (c := contacts.get(i.tid)) is not None
                   and c.language in LANGUAGES)
    return seen.most_common(1)[0][0] if seen else default


def smtp_sender(settings: Settings) -> Sender:
    from bip_bridge.mailer import send_message

    smtp = settings.smtp
    assert smtp is not None

    def send(message: EmailMessage) -> None:
        send_message(smtp, message)

    return send


def send_digests(api: LimeSurveyAPI, engine: sa.Engine, settings: Settings, templates: Any, *,
                 today: date, send: Sender | None = None) -> DigestReport:
    """Send every caseworker the assessments that have come due (see module doc)."""
    report = DigestReport()
    now = _now(today)
    report.uncertain = _settle(engine, now)
    with engine.connect() as conn:
        state = load_state(conn)
        done = delivered_keys(conn, CHANNEL)
    plan = plan_digests(due_actions(state, today, settings), state.tokens, done)
    if not plan:
        return report
    smtp = settings.smtp
    if send is None:
        if smtp is None or not smtp.host or not smtp.sender:
            count = sum(len(v) for v in plan.values())
            report.skipped.append(
                f"{count} caseworker assessment(s) are due but no caseworker was told: "
                "e-mail is not configured. Add an [smtp] section with host and sender "
                "(docs/configuration.md), or set [waves] caseworker_email = \"limesurvey\" "
                "to let LimeSurvey mail each assessment.")
            return report
        send = smtp_sender(settings)
    sender_address = smtp.sender if smtp is not None else "bip-bridge@localhost"
    sid = active_surveys(engine, settings)[CASEWORKER]
    attrs = attribute_names(templates, CASEWORKER)
    contacts = {t.tid: t for t in load_ls_tokens(api, sid, attrs,
                                                 page_size=settings.sync.page_size)}
    for cw, items in plan.items():
        address = _address(items, contacts)
        if not address:
            report.skipped.append(f"caseworker {cw}: no e-mail address on their tokens in "
                                  f"LimeSurvey; {len(items)} assessment(s) not sent (import "
                                  "the roster again with the caseworker's address)")
            continue
        language = _language(items, contacts, settings.reports.language)
        subject, body = render_digest(items, contacts, language=language,
                                      rpc_url=settings.limesurvey.url,
                                      interval_months=settings.waves.interval_months)
        message = build_digest_message(sender_address, address, subject, body)
        try:
            send_once(engine, CHANNEL, [i.key for i in items], message, send,
                      caseworker_id=cw, now=now,
                      on_sent=lambda conn, rows: _mark_tokens(conn, rows, now))
        except MailError as err:
            report.skipped.append(f"caseworker digests: {err} The remaining digests are "
                                  "sent on the next run.")
            log.warning("caseworker digest not sent: %s", err)
            break
        report.digests += 1
        report.items += len(items)
    return report
