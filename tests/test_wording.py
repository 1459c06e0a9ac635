"""Wording rules of everything participants, caseworkers and managers read.

* One Swedish word for the caseworker: "handledare" (docs/templates.md says why); the
  other candidate, "handläggare", must not appear in any text people read.
* Participant-facing texts stay easy to read: LIX <= 30 in Swedish and Danish, for each
  text a participant reads as a whole (the questionnaire, each e-mail, the progression
  card, the letter). LIX = words / sentences + 100 * long words (more than 6 letters) /
  words.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from pathlib import Path

import pytest

from bip_bridge.templates import load_templates
from bip_bridge.templates.types import EQUATION, Questionnaire

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "bip_bridge"
WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
SENTENCE_END = re.compile(r"[.!?:;]+(?:\s|$)")
OTHER_WORD = re.compile(r"handläggar", re.IGNORECASE)
MAX_LIX = 30


def facing_text_files() -> list[Path]:
    """Every source of text people read: the survey templates (questionnaires, e-mails,
    attribute captions), the report/card/letter/digest texts and their HTML templates."""
    files = [*sorted((ROOT / "survey_templates").glob("*.yaml")),
             SRC / "reports" / "i18n.py", SRC / "outreach" / "texts.py",
             *sorted(SRC.rglob("*.j2")), *sorted(SRC.rglob("*.css"))]
    return [f for f in files if f.exists()]


def _clean(text: str) -> str:
    text = re.sub(r"<br\s*/?>", ". ", text)  # a line break in an e-mail ends a sentence
    text = re.sub(r"<[^>]+>", " ", text)
    text = re.sub(r"\{(TOKEN:)?FIRSTNAME\}|\{name\}", "Anna", text)
    return re.sub(r"\{[^}]*\}", " ", text)  # links, numbers, dates


def lix(texts: Iterable[str]) -> float:
    """LIX of the texts read as one: each text field ends at least one sentence (a label
    or heading is a sentence of its own)."""
    sentences = words = long_words = 0
    for text in texts:
        for part in SENTENCE_END.split(_clean(text)):
            found = WORD.findall(part)
            if found:
                sentences += 1
                words += len(found)
                long_words += sum(len(w) > 6 for w in found)
    assert words, "no words"
    return words / sentences + 100 * long_words / words


def questionnaire_texts(q: Questionnaire, language: str) -> list[str]:
    """What a respondent reads in the questionnaire (the hidden equations excluded)."""
    out = [q.title[language], q.description[language], q.welcome[language], q.end[language]]
    for group in q.groups:
        out += [group.name[language], group.description[language]]
        for question in group.questions:
            if question.type == EQUATION:
                continue
            out.append(question.text[language])
            if question.help:
                out.append(question.help[language])
            out += [item.text[language] for item in question.items]
            if question.scale is not None:
                out += [a.labels[language] for a in question.scale.answers]
    return out


def participant_documents(language: str) -> dict[str, list[str]]:
    from bip_bridge.reports.i18n import CARD_TEXTS

    templates = load_templates()
    q = templates.participant
    docs = {"questionnaire": questionnaire_texts(q, language)}
    for kind, mail in q.emails.items():
        docs[f"e-mail {kind}"] = [mail["subject"][language], mail["body"][language]]
    docs["progression card"] = [
        *(v[language] for k, v in CARD_TEXTS.items() if k.startswith("card_")),
        *(i.labels[language] for i in templates.model.indicators),
    ]
    try:
        from bip_bridge.outreach.texts import TEXTS as OUTREACH
    except ImportError:  # pragma: no cover - the letters not installed
        OUTREACH = {}
    letter = [v[language] for k, v in OUTREACH.items() if k.startswith("letter_")]
    if letter:
        docs["letter"] = letter
    return docs


@pytest.mark.parametrize("path", facing_text_files(), ids=lambda p: p.name)
def test_one_swedish_word_for_the_caseworker(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    hits = [line.strip() for line in text.splitlines() if OTHER_WORD.search(line)]
    assert hits == [], (f"{path.name} uses 'handläggare'; the Swedish texts say 'handledare' "
                        f"(docs/templates.md): {hits}")


def test_the_chosen_word_is_used() -> None:
    templates = load_templates()
    assert templates.participant.attribute_captions["caseworker"]["sv"].startswith("Handledare")
    from bip_bridge.reports.i18n import Translator

    assert Translator("sv")("caseworker") == "Handledare"


def test_rendered_swedish_pages_use_one_word(tmp_path: Path) -> None:
    """The Swedish report, cards and index pages as written."""
    from bip_bridge.reports import write_report_folder
    from regen_golden import golden_inputs

    result, model = golden_inputs()
    folder = write_report_folder(result, tmp_path / "2025-03-01", model, language="sv",
                                 min_cell=5, today=dt.date(2025, 3, 1))
    pages = [folder / "report.html", *sorted((folder / "cards").rglob("*.html"))]
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert not OTHER_WORD.search(text), page.name
    assert any("handledare" in p.read_text(encoding="utf-8").lower() for p in pages[1:])


def test_lix_formula() -> None:
    # 9 words, 2 sentences, 2 long words (> 6 letters): 9/2 + 100*2/9
    assert lix(["Vi vill gärna veta. Klicka på länken nedanför härnäst."]) == pytest.approx(
        9 / 2 + 100 * 2 / 9)
    assert lix(["Hej {FIRSTNAME}!<br />Svara här:<br />{SURVEYURL}"]) == pytest.approx(2 + 0)


@pytest.mark.parametrize("language", ["sv", "da"])
def test_participant_texts_are_easy_to_read(language: str) -> None:
    scores = {name: round(lix(texts), 1)
              for name, texts in participant_documents(language).items()}
    too_hard = {name: score for name, score in scores.items() if score > MAX_LIX}
    assert too_hard == {}, f"LIX above {MAX_LIX} in {language}: {too_hard} (all: {scores})"
    assert {"questionnaire", "e-mail invite", "e-mail remind", "progression card"} <= set(scores)
