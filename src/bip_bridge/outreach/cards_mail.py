"""The progression cards by e-mail: each caseworker their own cards, once per report.

``bip-bridge report --email-cards`` writes the report folder, then sends every caseworker
one e-mail with their ``index.html`` and their participants' cards attached (the folder
``cards/<caseworker id>/`` made by :mod:`bip_bridge.reports.cards`), to the address on
their newest caseworker token in LimeSurvey, in the language of their tokens (as the
digest). A card of a report date is sent once: each card is a ``deliveries`` row
(channel ``cards``, item = the report folder's date) written around the send exactly as
the digest's (:mod:`bip_bridge.outreach.delivery`), so a re-run, or a crash after a send
and a re-run, mails no card twice; a new report date sends the new cards.
"""

from __future__ import annotations

import logging
import mimetypes
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bip_bridge.api import LimeSurveyAPI
from bip_bridge.cohort import CASEWORKER
from bip_bridge.config import Settings
from bip_bridge.errors import ConfigError, MailError, Problem
from bip_bridge.outreach.delivery import Sender, delivered_keys, send_once, settle_interrupted
from bip_bridge.outreach.digest import build_digest_message, smtp_sender
from bip_bridge.outreach.texts import LANGUAGES, format_date, text
from bip_bridge.reports.cards import CARD_NAME_LENGTH, CARDS_DIR, INDEX_NAME, safe_name
from bip_bridge.store import schema
from bip_bridge.tokens import LsToken, active_surveys, attribute_names, load_ls_tokens

log = logging.getLogger(__name__)

CHANNEL = "cards"
MAX_BYTES = 20 * 1024 * 1024


@dataclass
class CardsMailReport:
    emails: int = 0
    cards: int = 0
    already: int = 0  # cards of this report sent before
    uncertain: int = 0
    skipped: list[str] = field(default_factory=list)
    failed: MailError | None = None  # the SMTP server took nothing; the rest wait

    def summary(self) -> str:
        out = (f"Progression cards e-mailed: {self.emails} e-mail(s) with {self.cards} "
               f"card(s)")
        if self.already:
            out += f"; {self.already} card(s) of this report were sent before (not again)"
        if self.uncertain:
            out += (f"; {self.uncertain} card(s) from a run cut off while sending were not "
                    "sent again")
        if self.failed is not None:
            out += ("; the SMTP server failed, so the other cards wait for the next "
                    "`report --email-cards`")
        return out + "."


def cards_by_caseworker(report_dir: Path, pseudonyms: Sequence[str]
                        ) -> dict[str, list[tuple[str, Path]]]:
    """Folder name -> [(pseudonym, card path)] for every card in the report folder whose
    file name belongs to a pseudonym of the store. Pure apart from listing the folder."""
    by_name: dict[str, str] = {}
    for p in pseudonyms:
        by_name.setdefault(safe_name(p[:CARD_NAME_LENGTH]), p)
        by_name[safe_name(p)] = p
    out: dict[str, list[tuple[str, Path]]] = {}
    root = Path(report_dir) / CARDS_DIR
    if not root.is_dir():
        return out
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        for card in sorted(folder.glob("*.html")):
            if card.name == INDEX_NAME:
                continue
            pseudonym = by_name.get(card.stem)
            if pseudonym is not None:
                out.setdefault(folder.name, []).append((pseudonym, card))
    return out


def _contacts(tokens: Sequence[LsToken]) -> dict[str, tuple[str, str]]:
    """Caseworker folder name -> (address of their newest token, their usual language)."""
    newest: dict[str, LsToken] = {}
    languages: dict[str, Counter[str]] = {}
    for tok in tokens:
        if not tok.caseworker_id:
            continue
        name = safe_name(tok.caseworker_id)
        if tok.email.strip() and (name not in newest or tok.tid > newest[name].tid):
            newest[name] = tok
        if tok.language in LANGUAGES:
            languages.setdefault(name, Counter())[tok.language] += 1
    return {name: (tok.email.strip(),
                   languages[name].most_common(1)[0][0] if name in languages else "")
            for name, tok in newest.items()}


def _message(sender: str, to: str, language: str, report_date: date,
             files: Sequence[Path]) -> EmailMessage:
    count = sum(1 for f in files if f.name != INDEX_NAME)
    message = build_digest_message(
        sender, to, text("cards_subject", language, date=format_date(report_date, language)),
        text("cards_body", language, date=format_date(report_date, language), count=count))
    for path in files:
        kind, _ = mimetypes.guess_type(path.name)
        maintype, subtype = (kind or "text/html").split("/", 1)
        message.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype,
                               filename=path.name)
    return message


def require_cards_smtp(settings: Settings) -> None:
    """Raise a ConfigError unless ``[smtp]`` has a host and a sender. ``report
    --email-cards`` calls it before writing the report, so a missing section costs
    nothing."""
    smtp = settings.smtp
    if smtp is None or not smtp.host or not smtp.sender:
        raise ConfigError(
            "Sending the cards needs an [smtp] section with host and sender; no card was "
            "sent.",
            [Problem("[smtp]", "missing or without host/sender",
                     'host = "smtp.example.org", sender = "bip@example.org"')],
            hint="Add [smtp] (docs/configuration.md), or leave out --email-cards.")


def send_cards(api: LimeSurveyAPI, engine: sa.Engine, settings: Settings, templates: Any,
               report_dir: Path, *, send: Sender | None = None,
               today: date | None = None) -> CardsMailReport:
    """E-mail each caseworker the cards of ``report_dir`` not sent before."""
    report = CardsMailReport()
    smtp = settings.smtp
    if send is None:
        require_cards_smtp(settings)
        send = smtp_sender(settings)
    sender_address = smtp.sender if smtp is not None else "bip-bridge@localhost"
    now = datetime.combine(today or date.today(), datetime.now(UTC).time(), UTC)
    report.uncertain = settle_interrupted(engine, CHANNEL, now)
    item = Path(report_dir).name[:16]
    try:
        report_date = date.fromisoformat(Path(report_dir).name)
    except ValueError:
        report_date = now.date()
    sid = active_surveys(engine, settings)[CASEWORKER]
    with engine.connect() as conn:
        pseudonyms = list(conn.execute(sa.select(schema.participants.c.pseudonym)).scalars())
        done = delivered_keys(conn, CHANNEL)
    cards = cards_by_caseworker(report_dir, pseudonyms)
    contacts = _contacts(load_ls_tokens(api, sid, attribute_names(templates, CASEWORKER),
                                        page_size=settings.sync.page_size))
    for folder, members in cards.items():
        todo = [(p, path) for p, path in members if (sid, p, 0, item) not in done]
        report.already += len(members) - len(todo)
        if not todo:
            continue
        address, language = contacts.get(folder, ("", ""))
        if not address:
            report.skipped.append(f"caseworker {folder}: no e-mail address on their tokens in "
                                  f"LimeSurvey; {len(todo)} card(s) not sent")
            continue
        files = [Path(report_dir) / CARDS_DIR / folder / INDEX_NAME, *(p for _, p in todo)]
        files = [f for f in files if f.exists()]
        if sum(f.stat().st_size for f in files) > MAX_BYTES:
            report.skipped.append(f"caseworker {folder}: {len(todo)} card(s) are more than an "
                                  "e-mail can carry (20 MiB); share the folder another way")
            continue
        message = _message(sender_address, address,
                           language or settings.reports.language, report_date, files)
        try:
            send_once(engine, CHANNEL, [(sid, p, 0, item) for p, _ in todo], message, send,
                      caseworker_id=folder, now=now)
        except MailError as err:
            report.failed = err  # the caller tells it and exits 69; re-running sends these
            break
        report.emails += 1
        report.cards += len(todo)
    return report


__all__ = ["CardsMailReport", "cards_by_caseworker", "send_cards"]

