"""The data-bearing shape of a survey, and its fingerprint.

What sync relies on is not the wording but the shape: the languages, the question
codes and types, the subquestion codes, the answer codes and the token attributes.
:func:`expected_structure` derives that shape from a template; provision reads the same
shape back from LimeSurvey (:func:`bip_bridge.provision.live_structure`), so the two can
be compared difference by difference (:func:`structure_differences`) or, for surveys of
an older template version, by fingerprint (stored in ``surveys.structure_hash``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from bip_bridge.templates.types import Questionnaire


@dataclass(frozen=True)
class QuestionShape:
    type: str  # LimeSurvey question type (F, L, N, *)
    subquestions: tuple[str, ...] = ()  # sorted
    answers: tuple[str, ...] = ()  # sorted


@dataclass(frozen=True)
class SurveyStructure:
    languages: tuple[str, ...]  # base language first, then the others sorted
    questions: dict[str, QuestionShape] = field(default_factory=dict)
    attributes: tuple[str, ...] = ()  # descriptions of attribute_1, attribute_2, ...

    def canonical(self) -> dict[str, Any]:
        return {
            "languages": list(self.languages),
            "questions": {
                code: {"type": s.type, "subquestions": list(s.subquestions),
                       "answers": list(s.answers)}
                for code, s in sorted(self.questions.items())
            },
            "attributes": list(self.attributes),
        }

    @property
    def fingerprint(self) -> str:
        text = json.dumps(self.canonical(), sort_keys=True, ensure_ascii=True,
                          separators=(",", ":"))
        return hashlib.sha256(text.encode("ascii")).hexdigest()


def normalise_languages(base: str, others: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    return (base, *sorted(x for x in others if x and x != base))


def expected_structure(q: Questionnaire) -> SurveyStructure:
    """The shape LimeSurvey holds after importing ``compile_lss(q)``."""
    questions = {
        question.code: QuestionShape(
            type=question.lime_type,
            subquestions=tuple(sorted(i.code for i in question.items)),
            answers=tuple(sorted(question.scale.codes)) if question.scale else (),
        )
        for question in q.questions
    }
    return SurveyStructure(
        languages=normalise_languages(q.base_language, q.languages[1:]),
        questions=questions,
        attributes=q.token_attributes,
    )


def structure_fingerprint(q: Questionnaire | SurveyStructure) -> str:
    """SHA-256 of the canonical shape (what ``surveys.structure_hash`` stores)."""
    structure = q if isinstance(q, SurveyStructure) else expected_structure(q)
    return structure.fingerprint


def structure_differences(expected: SurveyStructure, live: SurveyStructure) -> list[str]:
    """Each way ``live`` differs from ``expected``, as a sentence naming the code."""
    out: list[str] = []
    if expected.languages != live.languages:
        out.append(f"languages are {' '.join(live.languages) or '(none)'}, expected "
                   f"{' '.join(expected.languages)} (base language first)")
    missing = [c for c in expected.questions if c not in live.questions]
    extra = [c for c in live.questions if c not in expected.questions]
    for code in missing:
        shape = expected.questions[code]
        twin = next((e for e in extra if live.questions[e] == shape), None)
        if twin is not None:
            extra.remove(twin)
            out.append(f"question {code} was recoded to {twin}")
        else:
            out.append(f"question {code} was removed")
    for code in extra:
        out.append(f"question {code} was added (it is not in the template)")
    for code, want in expected.questions.items():
        have = live.questions.get(code)
        if have is None:
            continue
        if have.type != want.type:
            out.append(f"question {code} changed type from {want.type} to {have.type}")
        for sq in want.subquestions:
            if sq not in have.subquestions:
                out.append(f"subquestion {code}[{sq}] is missing")
        for sq in have.subquestions:
            if sq not in want.subquestions:
                out.append(f"subquestion {code}[{sq}] was added (it is not in the template)")
        for a in want.answers:
            if a not in have.answers:
                out.append(f"answer code {a} of {code} is missing")
        for a in have.answers:
            if a not in want.answers:
                out.append(f"answer code {a} of {code} was added (it is not in the template)")
    for i, name in enumerate(expected.attributes, 1):
        if i > len(live.attributes):
            out.append(f"token attribute attribute_{i} ({name}) is missing")
        elif live.attributes[i - 1] != name:
            out.append(f"token attribute attribute_{i} is {live.attributes[i - 1]!r}, "
                       f"expected {name!r}")
    for i in range(len(expected.attributes) + 1, len(live.attributes) + 1):
        out.append(f"token attribute attribute_{i} ({live.attributes[i - 1]}) was added")
    return out
