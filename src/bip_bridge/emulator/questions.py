"""The EMULATOR's structure methods: groups, questions, question properties, field map.

Tests and the demo only, never production.
"""

from __future__ import annotations

from typing import Any

from bip_bridge.emulator.base import (
    EmulatorBase,
    Result,
    int_or,
    status,
)
from bip_bridge.emulator.state import (
    META_QUESTION_TEXT,
    Question,
    Survey,
)

# Default attributes LimeSurvey 6.14 reports per question type (measured on the bridge's
# own questionnaires and the reference survey): non-language ones in ``attributes``, the
# language ones in ``attributes_lang``. Values the survey sets override them.
_ALL: dict[str, str | None] = {
    "cssclass": "", "hidden": "0", "page_break": "0", "public_statistics": "0",
    "statistics_graphtype": "0", "statistics_showgraph": "1",
}
_FILTERS: dict[str, str | None] = {
    "array_filter": "", "array_filter_exclude": "", "array_filter_style": "0",
    "em_validation_q": "", "hide_tip": "0", "random_group": "", "scale_export": "0",
}
_TIME_LIMIT: dict[str, str | None] = {
    "time_limit": "", "time_limit_action": "1", "time_limit_disable_next": "0",
    "time_limit_disable_prev": "0", "time_limit_message_delay": "",
    "time_limit_message_style": "", "time_limit_timer_style": "", "time_limit_warning": "",
    "time_limit_warning_2": "", "time_limit_warning_2_display_time": "",
    "time_limit_warning_2_style": "", "time_limit_warning_display_time": "",
    "time_limit_warning_style": "",
}
_ATTRIBUTES: dict[str, dict[str, str | None]] = {
    "F": {**_ALL, **_FILTERS, "answer_width": "", "exclude_all_others": "", "max_answers": "",
          "min_answers": "", "random_order": "0", "repeat_headings": None,
          "use_dropdown": "0"},
    "L": {**_ALL, **_FILTERS, **_TIME_LIMIT, "answer_order": "normal", "display_columns": None,
          "other_comment_mandatory": "0", "other_numbers_only": "0",
          "other_position": "default", "other_position_code": ""},
    "N": {**_ALL, "em_validation_q": "", "em_validation_sq": "", "hide_tip": "0",
          "input_size": None, "maximum_chars": None, "random_group": "",
          "text_input_width": None},
    "*": {**_ALL, "numbers_only": "0", "scale_export": "0"},
}
_OTHER_ATTRIBUTES: dict[str, str | None] = {**_ALL, "random_group": ""}
_ATTRIBUTES_LANG: dict[str, dict[str, str | None]] = {
    "F": {"em_validation_q_tip": "", "printable_help": None},
    "L": {"em_validation_q_tip": "", "other_replace_text": "", "printable_help": None,
          "time_limit_countdown_message": "", "time_limit_message": "",
          "time_limit_warning_2_message": "", "time_limit_warning_message": ""},
    "N": {"em_validation_q_tip": "", "em_validation_sq_tip": "", "placeholder": "",
          "prefix": "", "printable_help": None, "suffix": ""},
    "*": {"printable_help": None},
}
_OTHER_ATTRIBUTES_LANG: dict[str, str | None] = {"em_validation_q_tip": "",
                                                 "printable_help": None}


class QuestionMethods(EmulatorBase):
    def list_groups(
        self, sSessionKey: Any, iSurveyID: Any, sLanguage: Any = None
    ) -> Result:
        survey = self._survey(iSurveyID)
        if survey is None:
            return status("Error: Invalid survey ID")
        lang = sLanguage or survey.base_language
        rows = [
            {"id": g.gid, "gid": g.gid, "sid": g.sid, "group_order": g.group_order,
             "randomization_group": g.randomization_group, "grelevance": g.grelevance,
             "group_name": g.l10n[lang]["group_name"],
             "description": g.l10n[lang]["description"], "language": lang}
            for g in sorted(survey.groups, key=lambda g: (g.group_order, g.gid))
            if lang in g.l10n
        ]
        return rows or status("No groups found")

    def _question_row(self, q: Question, lang: str) -> dict[str, Any]:
        base = q.row()
        return {
            "id": q.qid, "question": q.text(lang), "help": q.text(lang, "help"), "language": lang,
            **{k: base[k] for k in ("qid", "parent_qid", "sid", "type", "title", "preg", "other",
                                    "mandatory", "encrypted", "question_order", "scale_id",
                                    "same_default", "question_theme_name", "modulename")},
            "gid": q.gid, "relevance": q.relevance, "same_script": q.same_script,
        }

    def list_questions(
        self, sSessionKey: Any, iSurveyID: Any, iGroupID: Any = None, sLanguage: Any = None
    ) -> Result:
        survey = self._survey(iSurveyID)
        if survey is None:
            return status("Error: Invalid survey ID")
        lang = sLanguage or survey.base_language
        gid = int_or(iGroupID)
        questions = [q for q in survey.questions.values()
                     if (gid is None or q.gid == gid) and lang in q.l10n]
        # Recorded: the whole survey comes ordered by question_order, one group by qid.
        questions.sort(key=lambda q: (q.qid,) if gid is not None else (q.question_order, q.qid))
        if not questions:
            return status("No questions found")
        return [self._question_row(q, lang) for q in questions]

    def _find_question(self, qid: Any) -> tuple[Survey, Question] | None:
        wanted = int_or(qid)
        for survey in self.surveys.values():
            if wanted in survey.questions:
                return survey, survey.questions[wanted]
        return None

    def get_question_properties(
        self, sSessionKey: Any, iQuestionID: Any, aQuestionSettings: Any = None,
        sLanguage: Any = None,
    ) -> Result:
        found = self._find_question(iQuestionID)
        if found is None:
            return status("Error: Invalid questionid")
        survey, q = found
        lang = sLanguage or survey.base_language
        if lang not in survey.languages:
            return status("Error: Invalid language")
        subs = survey.subquestions(q)
        result: dict[str, Any] = dict(q.row())
        l10n = q.l10n.get(lang, {})
        result.update({"question": l10n.get("question", ""), "help": l10n.get("help", ""),
                       "script": l10n.get("script", "")})
        result["questionl10ns"] = {"id": int_or(l10n.get("id"), 0), "qid": q.qid,
                                   "question": l10n.get("question", ""),
                                   "help": l10n.get("help", ""),
                                   "script": l10n.get("script", ""), "language": lang}
        answers = sorted(q.answers, key=lambda a: (a.scale_id, a.sortorder))
        # Both from the subquestions only, ordered by title (6.14's query; measured: a list
        # question's answer options are not "available answers").
        by_title = sorted(subs, key=lambda sq: sq.title)
        result["available_answers"] = (
            {sq.title: sq.text(lang) for sq in by_title} if subs else "No available answers")
        result["subquestions"] = (
            {str(sq.qid): {"title": sq.title, "question": sq.text(lang), "scale_id": sq.scale_id}
             for sq in by_title} if subs else "No available answers"
        )
        attributes = {**_ATTRIBUTES.get(q.type, _OTHER_ATTRIBUTES), **q.attributes}
        attributes_lang: dict[str, Any] = dict(_ATTRIBUTES_LANG.get(q.type,
                                                                    _OTHER_ATTRIBUTES_LANG))
        for name, values in q.attributes_lang.items():
            attributes_lang[name] = values.get(lang, "")
            if name == "equation":  # also readable where non-i18n attributes are
                attributes[name] = values.get(lang, "")
        result["attributes"] = dict(sorted(attributes.items()))
        result["attributes_lang"] = dict(sorted(attributes_lang.items()))
        result["answeroptions"] = (
            {a.code: {"answer": a.text.get(lang, ""), "assessment_value": a.assessment_value,
                      "scale_id": a.scale_id, "order": a.sortorder} for a in answers}
            if answers else "No available answer options"
        )
        result["defaultvalue"] = None
        if aQuestionSettings:
            return {k: result[k] for k in aQuestionSettings if k in result}
        return result

    def get_fieldmap(
        self, sSessionKey: Any, iSurveyID: Any, sLanguage: Any = None
    ) -> Result:
        survey = self._survey(iSurveyID)
        if survey is None:
            return status("Error: Invalid survey ID")
        lang = sLanguage or survey.base_language
        fieldmap: dict[str, Any] = {}
        for name in survey.meta_columns():
            fieldmap[name] = {"fieldname": name, "sid": survey.sid, "type": name, "gid": "",
                              "qid": "", "aid": "", "title": "",
                              "question": META_QUESTION_TEXT[name], "group_name": ""}
        groups = {g.gid: g for g in survey.groups}
        seq = {q.qid: i for i, q in enumerate(survey.parents())}
        group_seq = {g.gid: i for i, g in enumerate(sorted(survey.groups,
                                                             key=lambda g: g.group_order))}
        columns = survey.columns()
        for i, col in enumerate(columns):
            q = col.question
            group = groups.get(q.gid)
            entry: dict[str, Any] = {
                "fieldname": col.name, "type": q.type, "sid": survey.sid, "gid": q.gid,
                "qid": q.qid, "aid": col.sub.title if col.sub else "",
            }
            if col.sub is not None:
                entry["sqid"] = col.sub.qid
            entry["title"] = q.title
            entry["question"] = q.text(lang)
            if col.sub is not None:
                entry["subquestion"] = col.sub.text(lang)
            entry.update({
                "group_name": group.l10n.get(lang, {}).get("group_name", "") if group else "",
                "mandatory": q.mandatory, "encrypted": q.encrypted, "hasconditions": "N",
                "usedinconditions": "N", "questionSeq": seq.get(q.qid, 0),
                "groupSeq": group_seq.get(q.gid, 0),
            })
            last_of_question = i + 1 == len(columns) or columns[i + 1].question is not q
            if col.sub is not None:
                entry.update({"preg": q.preg, "SQrelevance": col.sub.relevance})
                if last_of_question:
                    entry.update({"relevance": q.relevance,
                                  "grelevance": group.grelevance if group else "1",
                                  "other": q.other, "help": q.text(lang, "help")})
            else:
                entry.update({"relevance": q.relevance,
                              "grelevance": group.grelevance if group else "1",
                              "preg": q.preg, "other": q.other, "help": q.text(lang, "help")})
            fieldmap[col.name] = entry
        return fieldmap
