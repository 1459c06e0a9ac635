"""``bip-bridge letters``: printable invitations with a QR code, and meeting sheets.

For people without e-mail (or who answer best in the meeting with their caseworker):

* one **letter** per participant and wave due (A4, HTML with print CSS, in the
  participant's language): the participant's first name (read from LimeSurvey now,
  never stored), the wave in words, the personal survey link and the same link as a QR
  code (segno, inline SVG). By default only for participants whose token has no e-mail
  address (LimeSurvey cannot mail them); ``everyone`` for all open tokens;
* per caseworker a **meeting sheet**: their participants whose current wave is open,
  with the participant's link (and a small QR code) and the caseworker's own
  assessment link, in [reports] language.

A letter is written once per token: the store records it (``deliveries``, channel
``letter``, with the file's path), and later runs say where the earlier letter is
instead of writing it again, unless ``again``. Meeting sheets are written every run.
Folders are owner-only (0700), files 0600: they hold names and personal links.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import segno
import sqlalchemy as sa
from markupsafe import Markup

from bip_bridge.api import LimeSurveyAPI
from bip_bridge.cohort import CASEWORKER, PARTICIPANT, WaveState, load_state
from bip_bridge.config import Settings
from bip_bridge.files import private_folder, write_private
from bip_bridge.outreach.links import survey_url
from bip_bridge.outreach.texts import LANGUAGES, format_date, text, wave_words
from bip_bridge.pseudonyms import display_name
from bip_bridge.store import schema
from bip_bridge.tokens import LsToken, active_surveys, attribute_names, load_ls_tokens
from bip_bridge.wave_calendar import current_wave

CHANNEL = "letter"
ITEM = "letter"


@dataclass(frozen=True)
class OpenWave:
    """A participant's current wave that is not answered yet (pseudonyms only)."""

    pseudonym: str
    wave: int
    due_on: date
    caseworker_id: str
    participant: tuple[int, int, str] | None  # (sid, tid, token) when still open
    caseworker: tuple[int, int, str] | None


LETTER_PREFIX_LENGTH = 8  # characters of the pseudonym in a letter's file name
LETTERS_DIR = "letters"  # [reports] out_dir/letters/YYYY-MM-DD by default


def letter_file_name(wave: int, pseudonym: str) -> str:
    """A letter's file name: the one place it is made (erasure looks for it too)."""
    return f"letter-w{wave}-{pseudonym[:LETTER_PREFIX_LENGTH]}.html"


def open_waves(state: WaveState, today: date, interval_months: int,
               done_tokens: frozenset[str] = frozenset()) -> list[OpenWave]:
    """Every active participant's current wave with an open token in either survey. Pure.

    ``done_tokens``: access codes LimeSurvey reports as completed (perhaps not yet in
    the store), so a letter is never printed for an answered questionnaire.
    """
    out = []
    for pseudonym in sorted(state.participants):
        person = state.participants[pseudonym]
        if person.ended_on is not None:
            continue
        k = current_wave(person.enrolled_on, today, interval_months)
        if k < 0:
            continue
        links: dict[str, tuple[int, int, str] | None] = {}
        due_on = None
        cw = person.caseworker_at(k) or ""
        for kind in (PARTICIPANT, CASEWORKER):
            tok = state.tokens.get((kind, pseudonym, k))
            if tok is None or tok.tid is None or tok.completed or tok.token in done_tokens \
                    or tok.due_on > today:
                links[kind] = None
                continue
            links[kind] = (tok.sid, tok.tid, tok.token)
            due_on = tok.due_on
            if kind == CASEWORKER and tok.caseworker_id:
                cw = tok.caseworker_id
        if due_on is None:
            continue
        out.append(OpenWave(pseudonym, k, due_on, cw, links[PARTICIPANT], links[CASEWORKER]))
    return out


@dataclass
class LettersReport:
    folder: Path
    letters: list[Path] = field(default_factory=list)
    sheets: list[Path] = field(default_factory=list)
    earlier: list[str] = field(default_factory=list)  # where letters written before are
    with_email: int = 0  # open tokens left out because LimeSurvey can mail them

    def lines(self) -> list[str]:
        out = [f"Letters written to {self.folder}: {len(self.letters)} letter(s), "
               f"{len(self.sheets)} meeting sheet(s)."]
        if self.earlier:
            shown = ", ".join(self.earlier[:3]) + (" ..." if len(self.earlier) > 3 else "")
            out.append(f"{len(self.earlier)} letter(s) were written before and not again "
                       f"(--again writes them again): {shown}")
        if self.with_email:
            out.append(f"{self.with_email} participant(s) with an e-mail address got no "
                       "letter (LimeSurvey mails them; --all writes letters for everyone).")
        return out


# --- rendering ----------------------------------------------------------------------


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("bip_bridge.outreach", "templates"),
        autoescape=True, trim_blocks=True, lstrip_blocks=True,
        undefined=jinja2.StrictUndefined)


def qr_svg(link: str, *, scale: int = 4) -> Markup:
    """The link as a QR code, an inline SVG element (error correction M)."""
    code = segno.make(link, error="m", micro=False)
    # segno draws the modules as paths: the link is not in the SVG as text
    return Markup(code.svg_inline(scale=scale, border=4, omitsize=True))  # noqa: S704


def _css() -> Markup:
    """The stylesheet shipped with bip-bridge (a package file, no user input)."""
    path = Path(__file__).parent / "templates" / "letters.css"
    return Markup(path.read_text(encoding="utf-8"))  # noqa: S704 - our own file


def render_letter(*, name: str, language: str, wave: int, due_on: date, link: str,
                  interval_months: int) -> str:
    lang = language if language in LANGUAGES else "en"
    return _environment().get_template("letter.html.j2").render(
        lang=lang, css=_css(), t=lambda key, **kw: text(key, lang, **kw), name=name,
        wave=wave_words(wave, lang, interval_months),
        since=format_date(due_on, lang), link=link, qr=qr_svg(link, scale=6))


def render_sheet(*, caseworker_id: str, language: str, today: date,
                 rows: Sequence[Mapping[str, Any]]) -> str:
    lang = language if language in LANGUAGES else "en"
    return _environment().get_template("meeting.html.j2").render(
        lang=lang, css=_css(), t=lambda key, **kw: text(key, lang, **kw),
        caseworker_id=caseworker_id, date=format_date(today, lang), rows=rows)


# --- effects ------------------------------------------------------------------------


_private_dir = private_folder  # owner-only files: bip_bridge.files
_write_private = write_private


def _safe_part(value: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "-_" else "_" for c in value)
    return cleaned or "_"


def write_letters(api: LimeSurveyAPI, engine: sa.Engine, settings: Settings, templates: Any, *,
                  today: date, out_dir: Path | None = None, everyone: bool = False,
                  again: bool = False) -> LettersReport:
    """Write the letters due and a meeting sheet per caseworker (see module doc)."""
    sids = active_surveys(engine, settings)
    with engine.connect() as conn:
        state = load_state(conn)
        earlier = _earlier_letters(conn)
    ls: dict[str, dict[str, LsToken]] = {}
    for kind in (PARTICIPANT, CASEWORKER):
        attrs = attribute_names(templates, kind)
        ls[kind] = {t.token: t for t in load_ls_tokens(api, sids[kind], attrs,
                                                       page_size=settings.sync.page_size)}
    completed = frozenset(tok for kind in ls for tok, t in ls[kind].items() if t.completed)
    interval = settings.waves.interval_months
    rpc = settings.limesurvey.url
    folder = Path(out_dir) if out_dir is not None else (
        Path(settings.reports.out_dir) / LETTERS_DIR / today.isoformat())
    report = LettersReport(folder=folder.resolve())
    _private_dir(folder.parent if out_dir is None else folder)
    _private_dir(folder)
    sheets: dict[str, list[dict[str, Any]]] = {}
    sheet_lang: dict[str, str] = {}
    recorded: list[tuple[Any, Path]] = []
    for item in open_waves(state, today, interval, completed):
        person = state.participants[item.pseudonym]
        p_ls = ls[PARTICIPANT].get(item.participant[2]) if item.participant else None
        c_ls = ls[CASEWORKER].get(item.caseworker[2]) if item.caseworker else None
        firstname = (p_ls.firstname if p_ls else "") or (c_ls.firstname if c_ls else "")
        name = display_name(item.pseudonym, firstname)
        p_lang = (p_ls.language if p_ls and p_ls.language in LANGUAGES else person.language)
        c_lang = (c_ls.language if c_ls and c_ls.language in LANGUAGES
                  else settings.reports.language)
        sheet_lang.setdefault(item.caseworker_id, c_lang)
        p_link = (survey_url(rpc, item.participant[0], item.participant[2], p_lang)
                  if item.participant else None)
        c_link = (survey_url(rpc, item.caseworker[0], item.caseworker[2], c_lang)
                  if item.caseworker else None)
        sheets.setdefault(item.caseworker_id, []).append({
            "name": name, "wave": wave_words(item.wave, c_lang, interval),
            "since": format_date(item.due_on, c_lang), "link": p_link,
            "qr": qr_svg(p_link, scale=2) if p_link else None, "own": c_link})
        if item.participant is None or p_link is None:
            continue
        if not everyone and p_ls is not None and p_ls.email.strip():
            report.with_email += 1
            continue
        key = (item.participant[0], item.pseudonym, item.wave)
        if key in earlier and not again:
            report.earlier.append(earlier[key] or "(the path was not recorded)")
            continue
        cw_dir = _private_dir(folder / _safe_part(item.caseworker_id or "no-caseworker"))
        path = cw_dir / letter_file_name(item.wave, item.pseudonym)
        _write_private(path, render_letter(name=name, language=p_lang, wave=item.wave,
                                           due_on=item.due_on, link=p_link,
                                           interval_months=interval))
        report.letters.append(path)
        recorded.append(((*key, item.caseworker_id), path))
    for cw, rows in sorted(sheets.items()):
        cw_dir = _private_dir(folder / _safe_part(cw or "no-caseworker"))
        path = cw_dir / "meeting-sheet.html"
        _write_private(path, render_sheet(caseworker_id=cw, language=sheet_lang[cw],
                                          today=today, rows=rows))
        report.sheets.append(path)
    _record(engine, recorded, today)
    return report


def _earlier_letters(conn: sa.Connection) -> dict[tuple[int, str, int], str | None]:
    d = schema.deliveries
    rows = conn.execute(sa.select(d.c.sid, d.c.pseudonym, d.c.wave, d.c.location)
                        .where(d.c.channel == CHANNEL))
    return {(int(r.sid), r.pseudonym, int(r.wave)): r.location for r in rows}


def _record(engine: sa.Engine, recorded: Sequence[tuple[Any, Path]], today: date) -> None:
    """One transaction: each letter written (a re-run after a crash before this point
    writes the same files again, over the same paths)."""
    if not recorded:
        return
    now = datetime.combine(today, datetime.now(UTC).time(), UTC)
    batch = str(uuid.uuid4())
    d = schema.deliveries
    with engine.begin() as conn:
        for (sid, pseudonym, wave, cw), path in recorded:
            conn.execute(sa.delete(d).where(d.c.channel == CHANNEL, d.c.sid == sid,
                                            d.c.pseudonym == pseudonym, d.c.wave == wave,
                                            d.c.item == ITEM))
            conn.execute(sa.insert(d).values(
                channel=CHANNEL, sid=sid, pseudonym=pseudonym, wave=wave, item=ITEM,
                caseworker_id=cw, batch=batch, status="sent", recorded_at=now, sent_at=now,
                location=str(path.resolve())))


__all__ = ["LettersReport", "OpenWave", "open_waves", "qr_svg",
           "render_letter", "render_sheet", "write_letters"]
