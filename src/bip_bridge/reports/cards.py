"""Where the progression cards and the caseworkers' index pages live, and writing them.

Layout inside a report folder (``<out_dir>/<YYYY-MM-DD>/``)::

    cards/<caseworker id>/index.html            the caseworker's participants by first name
    cards/<caseworker id>/<pseudonym[:12]>.html one card per participant

:func:`card_path` and :func:`index_path` are the one place these paths are made; other
parts (the caseworker digest, the letters, ``participants card``) call them. The first
names come from LimeSurvey at render time (:mod:`bip_bridge.reports.names`) and exist
only in these files: the card folder is owner-only (0700) and each file 0600.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dateutil.relativedelta import relativedelta

from bip_bridge.files import private_folder, write_private
from bip_bridge.model import LANGUAGES, MeasurementModel
from bip_bridge.reports.card_view import (
    SHORT_PSEUDONYM,
    display_name,
    iter_participants,
    render_card,
)
from bip_bridge.reports.frames import MetricsFrames
from bip_bridge.reports.i18n import Translator

CARDS_DIR = "cards"
INDEX_NAME = "index.html"
UNASSIGNED = "_unassigned"
CARD_NAME_LENGTH = 12  # characters of the pseudonym in a card's file name
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def safe_name(text: str) -> str:
    """A file or folder name from a pseudonym or caseworker code (no path tricks)."""
    name = _UNSAFE.sub("_", text.strip()).lstrip(".")
    return name[:100] or "_"


def caseworker_folder(report_dir: Path, caseworker_id: str | None) -> Path:
    """``<report_dir>/cards/<caseworker id>`` (``_unassigned`` without a caseworker)."""
    return Path(report_dir) / CARDS_DIR / safe_name(caseworker_id or UNASSIGNED)


def card_file_name(pseudonym: str, *, full: bool = False) -> str:
    """``<first 12 characters of the pseudonym>.html`` (the whole pseudonym when two
    participants share those characters, which :func:`write_cards` detects)."""
    return f"{safe_name(pseudonym if full else pseudonym[:CARD_NAME_LENGTH])}.html"


def card_path(report_dir: Path, caseworker_id: str | None, pseudonym: str, *,
              full: bool = False) -> Path:
    """The card of ``pseudonym`` in the report folder ``report_dir``."""
    return caseworker_folder(report_dir, caseworker_id) / card_file_name(pseudonym, full=full)


def index_path(report_dir: Path, caseworker_id: str | None) -> Path:
    """The index page of one caseworker's cards."""
    return caseworker_folder(report_dir, caseworker_id) / INDEX_NAME


def find_card(report_dir: Path, pseudonym: str) -> Path | None:
    """The card of ``pseudonym`` in ``report_dir``, in whichever caseworker's folder."""
    cards = Path(report_dir) / CARDS_DIR
    if not cards.is_dir():
        return None
    for name in (card_file_name(pseudonym, full=True), card_file_name(pseudonym)):
        found = sorted(cards.glob(f"*/{name}"))
        if found:
            return found[0]
    return None


_DATED = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def latest_report_folder(out_dir: Path) -> Path | None:
    """The newest dated report folder (``YYYY-MM-DD``) in ``out_dir`` that has cards."""
    root = Path(out_dir)
    if not root.is_dir():
        return None
    dated = sorted((p for p in root.iterdir() if _DATED.match(p.name) and (p / CARDS_DIR).is_dir()),
                   key=lambda p: p.name)
    return dated[-1] if dated else None


def locate_card(out_dir: Path, pseudonym: str, *, report_dir: Path | None = None,
                who: str | None = None) -> Path:
    """The card of ``pseudonym`` in ``report_dir``, else in the newest report folder of
    ``out_dir``; :class:`~bip_bridge.errors.NotFound` when there is none. ``who`` is the
    id the user typed, repeated in the message."""
    from bip_bridge.errors import NotFound

    if report_dir is not None and not (Path(report_dir) / CARDS_DIR).is_dir():
        what = "does not exist" if not Path(report_dir).exists() else "holds no cards folder"
        raise NotFound(f"The report folder {report_dir} {what}.",
                       hint="Name a dated folder written by `bip-bridge report` (for example "
                       f"{Path(out_dir) / dt.date.today().isoformat()}), or leave out --report "
                       "to use the newest one.")
    folder = report_dir if report_dir is not None else latest_report_folder(out_dir)
    if folder is None:
        raise NotFound(f"No report folder with cards in {out_dir}.",
                       hint="Run `bip-bridge report` first (or name the folder with --report).")
    found = find_card(folder, pseudonym)
    if found is None:
        person = (f"participant {who} (pseudonym {pseudonym[:SHORT_PSEUDONYM]}…)" if who
                  else f"pseudonym {pseudonym[:SHORT_PSEUDONYM]}…")
        raise NotFound(f"{folder} has no card for {person}.",
                       hint="Check the id (`bip-bridge participants list` shows who is "
                       "enrolled). A card is written for everyone with at least one complete "
                       "response: run `bip-bridge sync` and `bip-bridge report` first.")
    return found


@dataclass(frozen=True)
class CardPeople:
    """What the store and LimeSurvey add to the metrics for the cards.

    ``first_names`` is read from LimeSurvey for this run only and never written anywhere
    but into the cards and index pages.
    """

    languages: Mapping[str, str] = field(default_factory=dict)  # pseudonym -> sv/da/en
    caseworkers: Mapping[str, str] = field(default_factory=dict)  # pseudonym -> latest id
    first_names: Mapping[str, str] = field(default_factory=dict, repr=False)
    enrolled_on: Mapping[str, dt.date] = field(default_factory=dict)
    ended_on: Mapping[str, dt.date] = field(default_factory=dict)
    interval_months: int = 3

    def __repr__(self) -> str:  # never print first names
        return f"CardPeople({len(self.languages)} participant(s))"


def _wave_text(wave: int, people: CardPeople, t: Translator) -> str:
    """A wave counted as the digest and the letters count it, short: "första mätningen",
    "mätning 2 (3 mån)"."""
    from bip_bridge.outreach.texts import text

    if wave <= 0:
        return text("wave_first", t.language)
    return t("cards_wave_short", number=wave + 1, months=wave * people.interval_months)


def index_row(pseudonym: str, waves: list[int], people: CardPeople, t: Translator, *,
              today: dt.date, href: str) -> dict[str, Any]:
    """One line of a caseworker's index page (pure)."""
    last = max(waves) if waves else None
    overdue = False
    due_text = ""
    if pseudonym in people.ended_on:
        next_text = t("cards_ended")
    elif pseudonym in people.enrolled_on:
        from bip_bridge.outreach.texts import format_date

        wave = 0 if last is None else last + 1
        due = people.enrolled_on[pseudonym] + relativedelta(months=wave * people.interval_months)
        overdue = due < today
        next_text = _wave_text(wave, people, t)
        due_text = format_date(due, t.language)
        if overdue:
            due_text = t("cards_overdue", date=due_text)
    else:
        next_text = "–"
    started = people.enrolled_on.get(pseudonym)
    return {
        "name": display_name(pseudonym, people.first_names.get(pseudonym)),
        "started": started.isoformat() if started is not None else "",
        "extra": "",  # set by tell_apart when another row has the same name
        "last": t("cards_none") if last is None else _wave_text(last, people, t),
        "next": next_text,
        "due": due_text,
        "overdue": overdue,
        "href": href,
    }


def tell_apart(rows: list[dict[str, Any]], t: Translator) -> list[dict[str, Any]]:
    """Rows of one index page whose first names are the same get an ``extra``: their
    start date (or, when that is the same too, the card's file name), shown under the
    name, so a caseworker with two participants called Hugo opens the right card. Pure."""
    def key(row: dict[str, Any]) -> str:
        return str(row["name"]).casefold()

    names = Counter(key(row) for row in rows)
    starts = Counter((key(row), row.get("started", "")) for row in rows)
    out = []
    for row in rows:
        if names[key(row)] > 1:
            started = row.get("started", "")
            if started and starts[(key(row), started)] == 1:
                from bip_bridge.outreach.texts import format_date

                extra = t("cards_started",
                          date=format_date(dt.date.fromisoformat(started), t.language))
            else:
                extra = Path(str(row["href"])).stem
            row = {**row, "extra": extra}  # shown after the name, on its own line
        out.append(row)
    return out


def write_cards(
    result: MetricsFrames,
    report_dir: Path,
    model: MeasurementModel,
    *,
    language: str,
    today: dt.date,
    people: CardPeople,
    fallback_caseworkers: Mapping[str, str] | None = None,
) -> dict[str, Path]:
    """Write every card and one index page per caseworker into ``report_dir/cards``.

    Cards are in the participant's language (``language`` when unknown), index pages in
    ``language``. Returns pseudonym -> card path.
    """
    fallback = fallback_caseworkers or {}
    private_folder(Path(report_dir) / CARDS_DIR)
    participants = list(iter_participants(result))
    prefixes: dict[str, int] = {}
    for pseudonym, _ in participants:
        key = pseudonym[:CARD_NAME_LENGTH]
        prefixes[key] = prefixes.get(key, 0) + 1
    written: dict[str, Path] = {}
    by_caseworker: dict[str | None, list[tuple[str, list[int]]]] = {}
    for pseudonym, rows in participants:
        card_language = people.languages.get(pseudonym, language)
        if card_language not in LANGUAGES:
            card_language = language
        caseworker = people.caseworkers.get(pseudonym) or fallback.get(pseudonym)
        path = card_path(report_dir, caseworker, pseudonym,
                         full=prefixes[pseudonym[:CARD_NAME_LENGTH]] > 1)
        private_folder(path.parent)
        html = render_card(
            pseudonym, rows["scores"], rows["indices"], model, language=card_language,
            today=today, caseworker_id=caseworker,
            first_name=people.first_names.get(pseudonym),
            periods=rows["periods"], interventions=rows["period_interventions"],
            interval_months=people.interval_months)
        write_private(path, html)
        written[pseudonym] = path
        waves = sorted({int(w) for w in rows["indices"].get("wave", [])})
        by_caseworker.setdefault(caseworker, []).append((pseudonym, waves))
    t = Translator(language)
    from bip_bridge.reports.html import environment

    template = environment().get_template("cards_index.html.j2")
    for caseworker, members in by_caseworker.items():
        rows_out = [index_row(p, waves, people, t, today=today, href=written[p].name)
                    for p, waves in members]
        rows_out.sort(key=lambda r: (r["name"].casefold(), r["started"], r["href"]))
        rows_out = tell_apart(rows_out, t)
        html = template.render(lang=language, t=t, caseworker=caseworker or t("unassigned"),
                               today=today.isoformat(), rows=rows_out)
        # index pages in the report language; card language per participant
        write_private(index_path(report_dir, caseworker), html)
    return written
