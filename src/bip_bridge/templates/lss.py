"""Compile a :class:`Questionnaire` into a LimeSurvey 6 survey structure file (``.lss``).

The output follows ``reference-survey.lss`` (DBVersion 630), which a LimeSurvey 6.14
server imported without errors or changes: the same tables in the same order, the same
field lists, one l10n row per language, CDATA values. Facts from that server shape it:

* ``<language>`` *and* ``<additional_languages>`` are in the ``<surveys>`` row, or the
  import silently keeps only English;
* every token attribute is declared in ``attributedescriptions`` before
  ``activate_tokens`` (no RPC call adds one later);
* the equation questions copy ``{TOKEN:ATTRIBUTE_n}`` with ``hidden`` = 1;
* ids in the file are renumbered on import; only the sid is kept, and only when free.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone

from bip_bridge.templates.structure import structure_fingerprint
from bip_bridge.templates.types import (
    EQUATION,
    GAP_WEEKS,
    INDICATORS,
    INTERVENTIONS,
    Question,
    Questionnaire,
)

DB_VERSION = "630"

# Field lists exactly as in the reference survey (tests compare them).
ANSWER_FIELDS = ("aid", "qid", "code", "sortorder", "assessment_value", "scale_id")
ANSWER_L10N_FIELDS = ("id", "aid", "answer", "language")
GROUP_FIELDS = ("gid", "sid", "group_order", "randomization_group", "grelevance")
GROUP_L10N_FIELDS = ("id", "gid", "group_name", "description", "language", "sid",
                     "group_order", "randomization_group", "grelevance")
QUESTION_FIELDS = ("qid", "parent_qid", "sid", "gid", "type", "title", "preg", "other",
                   "mandatory", "encrypted", "question_order", "scale_id", "same_default",
                   "relevance", "question_theme_name", "modulename", "same_script")
QUESTION_L10N_FIELDS = ("id", "qid", "question", "help", "script", "language")
QUESTION_ATTRIBUTE_FIELDS = ("qid", "attribute", "value", "language")
SURVEY_FIELDS = (
    "sid", "gsid", "admin", "expires", "startdate", "adminemail", "anonymized", "format",
    "savetimings", "template", "language", "additional_languages", "datestamp", "usecookie",
    "allowregister", "allowsave", "autonumber_start", "autoredirect", "allowprev",
    "printanswers", "ipaddr", "ipanonymize", "refurl", "datecreated",
    "showsurveypolicynotice", "publicstatistics", "publicgraphs", "listpublic", "htmlemail",
    "sendconfirmation", "tokenanswerspersistence", "assessments", "usecaptcha", "usetokens",
    "bounce_email", "attributedescriptions", "emailresponseto", "emailnotificationto",
    "tokenlength", "showxquestions", "showgroupinfo", "shownoanswer", "showqnumcode",
    "bouncetime", "bounceprocessing", "bounceaccounttype", "bounceaccounthost",
    "bounceaccountpass", "bounceaccountencryption", "bounceaccountuser", "showwelcome",
    "showprogress", "questionindex", "navigationdelay", "nokeyboard",
    "alloweditaftercompletion", "googleanalyticsstyle", "googleanalyticsapikey",
    "tokenencryptionoptions",
)
SURVEY_L10N_FIELDS = (
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
# LimeSurvey's date format ids (6: yyyy-mm-dd, 2: dd-mm-yyyy, 9: dd/mm/yyyy) and number
# formats (0: dot, 1: comma), as in the reference survey.
DATE_FORMAT = {"sv": "6", "da": "2", "en": "9"}
NUMBER_FORMAT = {"sv": "1", "da": "1", "en": "0"}

Row = Mapping[str, object]


def survey_sid_hint(q: Questionnaire) -> int:
    """The sid written into the file: stable per template, 6 digits. LimeSurvey keeps it
    when free and silently picks another otherwise; provision records whatever it got."""
    digest = structure_fingerprint(q) + q.kind
    return 100000 + int(digest[:12], 16) % 900000


def compile_lss(q: Questionnaire, *, sid: int | None = None,
                created: datetime | None = None) -> bytes:
    """The ``.lss`` (UTF-8 XML bytes) of one questionnaire."""
    return _Compiler(q, sid or survey_sid_hint(q), created).build()


class _Compiler:
    def __init__(self, q: Questionnaire, sid: int, created: datetime | None) -> None:
        self.q = q
        self.sid = sid
        self.created = (created or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M:%S")
        self.tables: dict[str, list[Row]] = {name: [] for name in (
            "answers", "answer_l10ns", "groups", "group_l10ns", "questions", "subquestions",
            "question_l10ns", "question_attributes")}
        self._ids = {"qid": 0, "aid": 0, "gid": 0, "answer_l10n": 0, "group_l10n": 0,
                     "question_l10n": 0}

    def next_id(self, kind: str) -> int:
        self._ids[kind] += 1
        return self._ids[kind]

    @property
    def attr_index(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.q.token_attributes, 1)}

    # --- structure ----------------------------------------------------------------
    def build(self) -> bytes:
        for order, group in enumerate(self.q.groups, 1):
            gid = self.next_id("gid")
            common = {"sid": self.sid, "group_order": order, "randomization_group": "",
                      "grelevance": group.relevance}
            self.tables["groups"].append({"gid": gid, **common})
            for lang in self.q.languages:
                self.tables["group_l10ns"].append({
                    "id": self.next_id("group_l10n"), "gid": gid,
                    "group_name": group.name[lang], "description": group.description.get(lang, ""),
                    "language": lang, **common,
                })
            for qorder, question in enumerate(group.questions, 1):
                self.add_question(question, gid, qorder)
        return self.render().encode("utf-8")

    def add_question(self, question: Question, gid: int, order: int) -> None:
        qid = self.next_id("qid")
        self.tables["questions"].append(self.question_row(
            qid=qid, parent=0, gid=gid, qtype=question.lime_type, code=question.code,
            mandatory=question.mandatory, order=order, relevance=question.relevance,
            theme=question.theme))
        for lang in self.q.languages:
            if question.type == EQUATION:
                # The question text is the equation too: LimeSurvey evaluates the text when
                # the equation attribute is empty (for instance when a server keeps that
                # attribute per language). Hidden, so the template's text goes to the help
                # field, which admins see in the editor.
                equation = self.equation(question)
                self.add_question_l10n(qid, equation, question.text[lang], lang)
            else:
                self.add_question_l10n(qid, question.text[lang], question.help.get(lang, ""),
                                       lang)
        for attribute, value in self.question_attributes(question):
            self.tables["question_attributes"].append(
                {"qid": qid, "attribute": attribute, "value": value, "language": ""})
        for sorder, item in enumerate(question.items, 1):
            sqid = self.next_id("qid")
            self.tables["subquestions"].append(self.question_row(
                qid=sqid, parent=qid, gid=gid, qtype="T", code=item.code, mandatory="",
                order=sorder, relevance="1", theme=""))
            for lang in self.q.languages:
                text = item.text[lang]
                if question.type == INDICATORS:
                    text += self.previous_answer(item.code, lang, question)
                self.add_question_l10n(sqid, text, "", lang)
        if question.scale is not None:
            for sortorder, answer in enumerate(question.scale.answers):
                aid = self.next_id("aid")
                self.tables["answers"].append({
                    "aid": aid, "qid": qid, "code": answer.code, "sortorder": sortorder,
                    "assessment_value": 0, "scale_id": 0})
                for lang in self.q.languages:
                    self.tables["answer_l10ns"].append({
                        "id": self.next_id("answer_l10n"), "aid": aid,
                        "answer": answer.labels[lang], "language": lang})

    def question_row(self, *, qid: int, parent: int, gid: int, qtype: str, code: str,
                     mandatory: str, order: int, relevance: str, theme: str) -> Row:
        return {"qid": qid, "parent_qid": parent, "sid": self.sid, "gid": gid, "type": qtype,
                "title": code, "preg": "", "other": "N", "mandatory": mandatory,
                "encrypted": "N", "question_order": order, "scale_id": 0, "same_default": 0,
                "relevance": relevance, "question_theme_name": theme, "modulename": "",
                "same_script": 0}

    def add_question_l10n(self, qid: int, text: str, help_: str, lang: str) -> None:
        self.tables["question_l10ns"].append({
            "id": self.next_id("question_l10n"), "qid": qid, "question": text, "help": help_,
            "script": "", "language": lang})

    def question_attributes(self, question: Question) -> list[tuple[str, str]]:
        if question.type == EQUATION:
            return [("equation", self.equation(question)), ("hidden", "1")]
        if question.type in (INDICATORS, INTERVENTIONS):
            return [("use_dropdown", "1" if self.q.use_dropdown else "0"),
                    ("random_order", "0")]
        if question.type == GAP_WEEKS:
            return [("min_num_value_n", str(question.minimum)),
                    ("max_num_value_n", str(question.maximum)),
                    ("num_value_int_only", "1")]
        return []

    def equation(self, question: Question) -> str:
        return f"{{TOKEN:ATTRIBUTE_{self.attr_index[str(question.attribute)]}}}"

    def previous_answer(self, code: str, lang: str, question: Question) -> str:
        """An Expression Manager snippet showing the prev_<CODE> attribute when it is set
        (from wave 1 on, written by push-back); nothing at wave 0."""
        template = self.q.previous_answer.get(lang)
        n = self.attr_index.get(f"prev_{code}")
        if not template or n is None:
            return ""
        prefix, suffix = template.split("{value}", 1)
        attr = f"TOKEN:ATTRIBUTE_{n}"
        value = attr
        scale = question.scale
        if scale is not None and scale.missing_code is not None:
            label = next(a.labels[lang] for a in scale.answers if a.code == scale.missing_code)
            value = f'if({attr} == "{scale.missing_code}", "{_em(label)}", {attr})'
        return f'{{if(is_empty({attr}), "", join("{_em(prefix)}", {value}, "{_em(suffix)}"))}}'

    # --- survey rows ----------------------------------------------------------------
    def survey_row(self) -> Row:
        q = self.q
        descriptions = {
            f"attribute_{i}": {"description": name, "mandatory": "N", "encrypted": "N",
                               "show_register": "N", "cpdbmap": ""}
            for i, name in enumerate(q.token_attributes, 1)
        }
        settings: dict[str, object] = {
            "sid": self.sid, "gsid": 1, "admin": q.admin, "expires": "", "startdate": "",
            "adminemail": q.admin_email, "anonymized": "N", "format": "G", "savetimings": "N",
            "template": "inherit", "language": q.base_language,
            "additional_languages": " ".join(q.languages[1:]), "datestamp": "Y",
            "usecookie": "N", "allowregister": "N", "allowsave": "N", "autonumber_start": 0,
            "autoredirect": "N", "allowprev": "Y", "printanswers": "N", "ipaddr": "N",
            "ipanonymize": "N", "refurl": "N", "datecreated": self.created,
            "showsurveypolicynotice": 0, "publicstatistics": "N", "publicgraphs": "N",
            "listpublic": "N", "htmlemail": "Y", "sendconfirmation": "N",
            "tokenanswerspersistence": "Y", "assessments": "N", "usecaptcha": "N",
            "usetokens": "N", "bounce_email": q.admin_email,
            "attributedescriptions": json.dumps(descriptions),
            "emailresponseto": "", "emailnotificationto": "", "tokenlength": 15,
            "showxquestions": "N", "showgroupinfo": "B", "shownoanswer": "N",
            "showqnumcode": "X", "bouncetime": "", "bounceprocessing": "N",
            "bounceaccounttype": "", "bounceaccounthost": "", "bounceaccountpass": "",
            "bounceaccountencryption": "", "bounceaccountuser": "", "showwelcome": "Y",
            "showprogress": "Y", "questionindex": 0, "navigationdelay": 0, "nokeyboard": "N",
            "alloweditaftercompletion": "N", "googleanalyticsstyle": 0,
            "googleanalyticsapikey": "",
            "tokenencryptionoptions": json.dumps(
                {"enabled": "N", "columns": {"firstname": "N", "lastname": "N", "email": "N"}}),
        }
        return settings

    def language_rows(self) -> list[Row]:
        q = self.q
        rows: list[Row] = []
        for lang in q.languages:
            captions = {f"attribute_{i}": q.attribute_captions.get(name, {}).get(lang, name)
                        for i, name in enumerate(q.token_attributes, 1)}
            rows.append({
                "surveyls_survey_id": self.sid, "surveyls_language": lang,
                "surveyls_title": q.title[lang], "surveyls_description": q.description[lang],
                "surveyls_welcometext": q.welcome[lang], "surveyls_endtext": q.end[lang],
                "surveyls_policy_notice": "", "surveyls_policy_error": "",
                "surveyls_policy_notice_label": "", "surveyls_url": "",
                "surveyls_urldescription": "",
                "surveyls_email_invite_subj": q.emails["invite"]["subject"][lang],
                "surveyls_email_invite": _mail_body(q.emails["invite"]["body"][lang]),
                "surveyls_email_remind_subj": q.emails["remind"]["subject"][lang],
                "surveyls_email_remind": _mail_body(q.emails["remind"]["body"][lang]),
                "surveyls_email_register_subj": "", "surveyls_email_register": "",
                "surveyls_email_confirm_subj": "", "surveyls_email_confirm": "",
                "surveyls_dateformat": DATE_FORMAT.get(lang, "1"),
                "surveyls_attributecaptions": json.dumps(captions, ensure_ascii=False),
                "surveyls_alias": "", "email_admin_notification_subj": "",
                "email_admin_notification": "", "email_admin_responses_subj": "",
                "email_admin_responses": "",
                "surveyls_numberformat": NUMBER_FORMAT.get(lang, "0"), "attachments": "",
            })
        return rows

    # --- XML ----------------------------------------------------------------------------
    def render(self) -> str:
        out = ['<?xml version="1.0" encoding="UTF-8"?>', "<document>",
               " <LimeSurveyDocType>Survey</LimeSurveyDocType>",
               f" <DBVersion>{DB_VERSION}</DBVersion>", " <languages>"]
        out += [f"  <language>{lang}</language>" for lang in self.q.languages]
        out.append(" </languages>")
        t = self.tables
        out += _table("answers", ANSWER_FIELDS, t["answers"])
        out += _table("answer_l10ns", ANSWER_L10N_FIELDS, t["answer_l10ns"])
        out += _table("groups", GROUP_FIELDS, t["groups"])
        out += _table("group_l10ns", GROUP_L10N_FIELDS, t["group_l10ns"])
        out += _table("questions", QUESTION_FIELDS, t["questions"])
        out += _table("subquestions", QUESTION_FIELDS, t["subquestions"])
        out += _table("question_l10ns", QUESTION_L10N_FIELDS, t["question_l10ns"])
        out += _table("question_attributes", QUESTION_ATTRIBUTE_FIELDS, t["question_attributes"])
        out += _table("surveys", SURVEY_FIELDS, [self.survey_row()])
        out += _table("surveys_languagesettings", SURVEY_L10N_FIELDS, self.language_rows())
        out.append("</document>")
        return "\n".join(out) + "\n"


def _mail_body(html: str) -> str:
    """An e-mail body with a line break after each ``<br />``: LimeSurvey's plain-text part
    strips the tags (PHPMailer's html2text), which otherwise runs the lines and the link
    together ("Klicka på länken för att börja:https://...", seen on 6.14.0 and 5.6.8)."""
    return re.sub(r"(<br\s*/?>)(?!\n)", "\\1\n", html)


def _em(text: str) -> str:
    """A text safe inside an Expression Manager double-quoted string."""
    return text.replace("\\", "").replace('"', "'").replace("{", "(").replace("}", ")")


def _cdata(value: object) -> str:
    text = str(value)
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _table(name: str, fields: Sequence[str], rows: Iterable[Row]) -> list[str]:
    out = [f" <{name}>", "  <fields>"]
    out += [f"   <fieldname>{f}</fieldname>" for f in fields]
    out += ["  </fields>", "  <rows>"]
    for row in rows:
        out.append("   <row>")
        for f in fields:
            value = row.get(f, "")
            if value is None or value == "":
                out.append(f"    <{f}/>")
            else:
                out.append(f"    <{f}>{_cdata(value)}</{f}>")
        out.append("   </row>")
    out += ["  </rows>", f" </{name}>"]
    return out
