"""Read a LimeSurvey survey-structure file (``.lss``, LimeSurvey 6 / DBVersion 630).

Pure: bytes in, :class:`LssDocument` out, ids exactly as in the file (the emulator's
core renumbers them like a fresh server would). Only the sections the emulator needs
are read: languages, surveys, surveys_languagesettings, groups, group_l10ns, questions,
subquestions, question_l10ns, question_attributes, answers and answer_l10ns.

Error messages are the ones LimeSurvey 6.14 returned for the same kind of broken file
(see tests/fixtures/limesurvey/provision.jsonl).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

Row = dict[str, str]

NOT_VALID_XML = "Error: This is not a valid LimeSurvey survey structure XML file."
MISSING_SURVEY = (
    "Error: XML Parsing Error: Missing or malformed element of type &#039;survey&#039;"
)


class LssError(ValueError):
    """The file is not an importable survey structure; ``str(err)`` is the server's status."""


@dataclass
class LssDocument:
    languages: list[str]
    survey: Row
    language_settings: list[Row]
    groups: list[Row]
    group_l10ns: list[Row]
    questions: list[Row]
    subquestions: list[Row]
    question_l10ns: list[Row]
    question_attributes: list[Row]
    answers: list[Row]
    answer_l10ns: list[Row]
    extra_sections: list[str] = field(default_factory=list)


def _rows(root: ET.Element, section: str) -> list[Row]:
    node = root.find(section)
    if node is None:
        return []
    rows = node.find("rows")
    if rows is None:
        return []
    return [{child.tag: child.text or "" for child in row} for row in rows.findall("row")]


def parse_lss(data: bytes) -> LssDocument:
    """Parse ``data``; raise :class:`LssError` with the server's message when it is unusable."""
    try:
        root = ET.fromstring(data)  # noqa: S314 - trusted test/demo input, no entities expanded
    except ET.ParseError as exc:
        raise LssError(NOT_VALID_XML) from exc
    if root.tag != "document":
        raise LssError(NOT_VALID_XML)
    surveys = _rows(root, "surveys")
    if not surveys or not surveys[0].get("sid"):
        raise LssError(MISSING_SURVEY)
    languages = [el.text or "" for el in root.findall("languages/language")]
    survey = surveys[0]
    if not languages:
        languages = [survey.get("language", "en"), *survey.get("additional_languages", "").split()]
    known = {
        "LimeSurveyDocType", "DBVersion", "languages", "surveys", "surveys_languagesettings",
        "groups", "group_l10ns", "questions", "subquestions", "question_l10ns",
        "question_attributes", "answers", "answer_l10ns",
    }
    return LssDocument(
        languages=languages,
        survey=survey,
        language_settings=_rows(root, "surveys_languagesettings"),
        groups=_rows(root, "groups"),
        group_l10ns=_rows(root, "group_l10ns"),
        questions=_rows(root, "questions"),
        subquestions=_rows(root, "subquestions"),
        question_l10ns=_rows(root, "question_l10ns"),
        question_attributes=_rows(root, "question_attributes"),
        answers=_rows(root, "answers"),
        answer_l10ns=_rows(root, "answer_l10ns"),
        extra_sections=[child.tag for child in root if child.tag not in known],
    )
