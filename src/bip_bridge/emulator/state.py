"""In-memory state of the emulated LimeSurvey: surveys, structure, participants, responses.

Plain dataclasses; the behaviour lives in :mod:`bip_bridge.emulator.core`. Column names
and value types follow the LimeSurvey 6.14 tables as the RPC layer shows them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Survey columns whose values the server returns as ints (get_survey_properties).
SURVEY_INT_COLUMNS = frozenset(
    {"sid", "owner_id", "gsid", "autonumber_start", "showsurveypolicynotice", "tokenlength",
     "questionindex", "navigationdelay", "bouncetime"}
)
# Survey columns that come back as null when empty.
SURVEY_NULLABLE_COLUMNS = frozenset({"expires", "startdate", "bouncetime"})
LANGUAGE_INT_COLUMNS = frozenset(
    {"surveyls_survey_id", "surveyls_dateformat", "surveyls_numberformat"}
)
LANGUAGE_COLUMNS = (
    "surveyls_survey_id", "surveyls_language", "surveyls_title", "surveyls_description",
    "surveyls_welcometext", "surveyls_endtext", "surveyls_policy_notice",
    "surveyls_policy_error", "surveyls_policy_notice_label", "surveyls_url",
    "surveyls_urldescription", "surveyls_email_invite_subj", "surveyls_email_invite",
    "surveyls_email_remind_subj", "surveyls_email_remind", "surveyls_email_register_subj",
    "surveyls_email_register", "surveyls_email_confirm_subj", "surveyls_email_confirm",
    "surveyls_dateformat", "surveyls_attributecaptions", "surveyls_alias",
    "email_admin_notification_subj", "email_admin_notification", "email_admin_responses_subj",
    "email_admin_responses", "surveyls_numberformat", "attachments",
)
# Settings that cannot change once the survey is active (set_survey_properties drops them).
LOCKED_WHEN_ACTIVE = frozenset({"anonymized", "datestamp", "savetimings", "ipaddr", "refurl"})
NEVER_SETTABLE = frozenset({"sid", "active", "language", "additional_languages"})

# Participant (token) columns, in the order get_participant_properties returns them.
TOKEN_COLUMNS = (
    "usesleft", "completed", "emailstatus", "tid", "participant_id", "firstname", "lastname",
    "email", "token", "language", "blacklisted", "sent", "remindersent", "remindercount",
    "validfrom", "validuntil", "mpid",
)
TOKEN_DEFAULTS: dict[str, Any] = {
    "sent": "N", "remindersent": "N", "remindercount": 0, "completed": "N", "usesleft": 1,
    "emailstatus": "OK",
}
TOKEN_INT_COLUMNS = frozenset({"tid", "remindercount", "usesleft", "mpid"})

# Response-table meta columns, in table order.
META_COLUMNS = ("id", "submitdate", "lastpage", "startlanguage", "seed", "token", "startdate",
                "datestamp")
META_QUESTION_TEXT = {
    "id": "Response ID", "submitdate": "Date submitted", "lastpage": "Last page",
    "startlanguage": "Start language", "seed": "Seed", "token": "Access code",
    "startdate": "Date started", "datestamp": "Date last action",
}
# Question types that store one column per subquestion.
SUBQUESTION_TYPES = frozenset({"F", "M", "P", "A", "B", "C", "E", "H", "Q", "K"})
# Question types without a response column.
NO_COLUMN_TYPES = frozenset({"X"})


@dataclass
class Answer:
    code: str
    sortorder: int
    assessment_value: int
    scale_id: int
    text: dict[str, str] = field(default_factory=dict)  # language -> answer text


@dataclass
class Question:
    qid: int
    parent_qid: int
    sid: int
    gid: int
    type: str
    title: str
    preg: str
    other: str
    mandatory: str
    encrypted: str
    question_order: int
    scale_id: int
    same_default: int
    relevance: str
    question_theme_name: str | None
    modulename: str
    same_script: int
    l10n: dict[str, dict[str, str]] = field(default_factory=dict)  # lang -> question/help/script
    attributes: dict[str, str | None] = field(default_factory=dict)
    attributes_lang: dict[str, dict[str, str]] = field(default_factory=dict)  # name -> lang -> v
    answers: list[Answer] = field(default_factory=list)

    def row(self) -> dict[str, Any]:
        return {
            "qid": self.qid, "parent_qid": self.parent_qid, "sid": self.sid, "gid": self.gid,
            "type": self.type, "title": self.title, "preg": self.preg, "other": self.other,
            "mandatory": self.mandatory, "encrypted": self.encrypted,
            "question_order": self.question_order, "scale_id": self.scale_id,
            "same_default": self.same_default, "relevance": self.relevance,
            "question_theme_name": self.question_theme_name, "modulename": self.modulename,
            "same_script": self.same_script,
        }

    def text(self, language: str, key: str = "question") -> str:
        return self.l10n.get(language, {}).get(key, "")


@dataclass
class Group:
    gid: int
    sid: int
    group_order: int
    randomization_group: str
    grelevance: str
    l10n: dict[str, dict[str, str]] = field(default_factory=dict)  # lang -> group_name/description


@dataclass
class Column:
    """One response-table column that belongs to a question."""

    name: str  # SGQA column name
    code: str  # export heading: TITLE or TITLE[SQ]
    question: Question
    sub: Question | None


@dataclass
class Survey:
    sid: int
    properties: dict[str, Any]
    languages: list[str]  # base language first
    language_settings: dict[str, dict[str, Any]]
    groups: list[Group] = field(default_factory=list)
    questions: dict[int, Question] = field(default_factory=dict)
    token_attributes: list[str] | None = None  # None: no participants table
    tokens: dict[int, dict[str, Any]] = field(default_factory=dict)
    next_tid: int = 1
    responses: dict[int, dict[str, Any]] | None = None  # None: no response table
    next_response_id: int = 1

    @property
    def active(self) -> bool:
        return self.properties.get("active") == "Y"

    @property
    def base_language(self) -> str:
        return self.languages[0]

    def parents(self) -> list[Question]:
        """Top-level questions in survey order (group order, then question order)."""
        group_rank = {g.gid: (g.group_order, g.gid) for g in self.groups}
        return sorted(
            (q for q in self.questions.values() if q.parent_qid == 0),
            key=lambda q: (group_rank.get(q.gid, (0, 0)), q.question_order, q.qid),
        )

    def subquestions(self, parent: Question) -> list[Question]:
        return sorted(
            (q for q in self.questions.values() if q.parent_qid == parent.qid),
            key=lambda q: (q.scale_id, q.question_order, q.qid),
        )

    def columns(self) -> list[Column]:
        """Question columns of the response table, in table order."""
        out: list[Column] = []
        for q in self.parents():
            if q.type in NO_COLUMN_TYPES:
                continue
            base = f"{self.sid}X{q.gid}X{q.qid}"
            if q.type in SUBQUESTION_TYPES:
                for sq in self.subquestions(q):
                    out.append(Column(f"{base}{sq.title}", f"{q.title}[{sq.title}]", q, sq))
            else:
                out.append(Column(base, q.title, q, None))
        return out

    def meta_columns(self) -> list[str]:
        cols = ["id", "submitdate", "lastpage", "startlanguage", "seed"]
        if self.properties.get("anonymized") != "Y" and self.token_attributes is not None:
            cols.append("token")
        if self.properties.get("datestamp") == "Y":
            cols += ["startdate", "datestamp"]
        return cols

    def title(self, language: str | None = None) -> str:
        settings = self.language_settings.get(language or self.base_language) or {}
        return str(settings.get("surveyls_title") or "")
