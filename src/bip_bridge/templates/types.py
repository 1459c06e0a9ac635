"""The loaded, validated templates as frozen dataclasses.

These are what the compiler, provision and the measurement model read. They are built
only by :mod:`bip_bridge.templates.loader`, after every check passed, so code that
receives them may trust them (codes valid, every language present, attributes known).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bip_bridge.model import MeasurementModel

Texts = dict[str, str]  # language -> text

PARTICIPANT = "participant"
CASEWORKER = "caseworker"
KINDS: tuple[str, ...] = (PARTICIPANT, CASEWORKER)
KIND_LETTER = {PARTICIPANT: "P", CASEWORKER: "C"}

# Question types of the template language -> LimeSurvey question type and theme.
EQUATION = "equation"
INDICATORS = "indicators"
INTERVENTIONS = "interventions"
GAP_WEEKS = "gap_weeks"
STATUS = "status"
QUESTION_TYPES: dict[str, tuple[str, str]] = {
    EQUATION: ("*", "equation"),
    INDICATORS: ("F", "arrays/array"),
    INTERVENTIONS: ("F", "arrays/array"),
    GAP_WEEKS: ("N", "numerical"),
    STATUS: ("L", "listradio"),
}

# Token attributes every questionnaire declares, in this order (attribute_1, _2, ...);
# then prev_<CODE> for each indicator item of the questionnaire.
BASE_ATTRIBUTES: tuple[str, ...] = ("pseudonym", "wave", "caseworker")
PUSHBACK_ATTRIBUTES: tuple[str, ...] = ("p_index", "p_change", "c_index", "c_change")
PREVIOUS_PREFIX = "prev_"


@dataclass(frozen=True)
class AnswerOption:
    code: str
    labels: Texts


@dataclass(frozen=True)
class Scale:
    name: str
    answers: tuple[AnswerOption, ...]
    missing_code: str | None = None

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(a.code for a in self.answers)


@dataclass(frozen=True)
class Item:
    """A subquestion (a row of an array)."""

    code: str
    text: Texts


@dataclass(frozen=True)
class Question:
    code: str
    type: str  # one of QUESTION_TYPES
    text: Texts
    help: Texts = field(default_factory=dict)
    relevance: str = "1"
    mandatory: str = "N"  # LimeSurvey: Y, N or S (soft)
    attribute: str | None = None  # equation questions: the token attribute copied
    scale: Scale | None = None
    items: tuple[Item, ...] = ()
    minimum: int | None = None
    maximum: int | None = None

    @property
    def lime_type(self) -> str:
        return QUESTION_TYPES[self.type][0]

    @property
    def theme(self) -> str:
        return QUESTION_TYPES[self.type][1]


@dataclass(frozen=True)
class Group:
    name: Texts
    description: Texts
    questions: tuple[Question, ...]
    relevance: str = "1"


@dataclass(frozen=True)
class Questionnaire:
    """One survey: the participant's or the caseworker's questionnaire."""

    kind: str  # "participant" | "caseworker"
    source: str  # file name, for messages
    template_version: str
    base_language: str
    languages: tuple[str, ...]  # base first
    title: Texts
    description: Texts
    welcome: Texts
    end: Texts
    groups: tuple[Group, ...]
    emails: dict[str, dict[str, Texts]]  # "invite"/"remind" -> "subject"/"body" -> texts
    token_attributes: tuple[str, ...]
    attribute_captions: dict[str, Texts]
    use_dropdown: bool = False
    previous_answer: Texts = field(default_factory=dict)
    admin: str = ""
    admin_email: str = ""

    @property
    def attribute_map(self) -> dict[str, str]:
        """Attribute name -> LimeSurvey column (``pseudonym`` -> ``attribute_1``)."""
        return {name: f"attribute_{i}" for i, name in enumerate(self.token_attributes, 1)}

    @property
    def questions(self) -> tuple[Question, ...]:
        return tuple(q for g in self.groups for q in g.questions)

    def question(self, code: str) -> Question:
        for q in self.questions:
            if q.code == code:
                return q
        raise KeyError(code)

    def questions_of_type(self, qtype: str) -> tuple[Question, ...]:
        return tuple(q for q in self.questions if q.type == qtype)

    @property
    def indicator_question(self) -> Question:
        return self.questions_of_type(INDICATORS)[0]


@dataclass(frozen=True)
class TemplateSet:
    """Both questionnaires of one template version and the model built from them."""

    version: str
    directory: str
    model: MeasurementModel
    participant: Questionnaire
    caseworker: Questionnaire
    scales: dict[str, Scale] = field(default_factory=dict)

    @property
    def questionnaires(self) -> tuple[Questionnaire, Questionnaire]:
        return (self.participant, self.caseworker)

    def questionnaire(self, kind: str) -> Questionnaire:
        if kind == PARTICIPANT:
            return self.participant
        if kind == CASEWORKER:
            return self.caseworker
        raise KeyError(kind)
