"""The EMULATOR's survey methods: list, import (.lss), delete, properties, activation,
summary. Tests and the demo only, never production.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from bip_bridge.emulator.base import (
    EmulatorBase,
    PhpException,
    Result,
    int_or,
    status,
)
from bip_bridge.emulator.lss import LssDocument, LssError, parse_lss
from bip_bridge.emulator.state import (
    LANGUAGE_COLUMNS,
    LANGUAGE_INT_COLUMNS,
    LOCKED_WHEN_ACTIVE,
    NEVER_SETTABLE,
    SURVEY_INT_COLUMNS,
    SURVEY_NULLABLE_COLUMNS,
    Answer,
    Group,
    Question,
    Survey,
)

_DEFAULT_ADMIN_NOTIFICATION = (
    "Hello,<br />\n<br />\nA new response was submitted for your survey '{SURVEYNAME}'."
)



def attribute_columns(descriptions: Any) -> list[str]:
    """The ``attribute_N`` columns a survey's ``attributedescriptions`` JSON declares."""
    try:
        declared = json.loads(descriptions) if isinstance(descriptions, str) else descriptions
    except ValueError:
        return []
    if not isinstance(declared, dict):
        return []
    return [str(k) for k in declared if re.fullmatch(r"attribute_[1-9][0-9]*", str(k))]


class SurveyMethods(EmulatorBase):
    def list_surveys(self, sSessionKey: Any, sUsername: Any = None) -> Result:
        if not self.surveys:
            return status("No surveys found")
        return [
            {"sid": s.sid, "gsid": s.properties.get("gsid", 1), "surveyls_title": s.title(),
             "startdate": s.properties.get("startdate"), "expires": s.properties.get("expires"),
             "active": s.properties.get("active", "N")}
            for s in sorted(self.surveys.values(), key=lambda s: s.sid)
        ]

    def import_survey(
        self, sSessionKey: Any, sImportData: Any, sImportDataType: Any,
        sNewSurveyName: Any = None, DestSurveyID: Any = None,
    ) -> Result:
        kind = str(sImportDataType or "").lower()
        if kind not in ("lsa", "csv", "txt", "lss"):
            return status("Invalid extension")
        if kind != "lss":
            return status(
                f"LimeSurvey emulator: only .lss imports are supported here (got {kind!r}); "
                "import the survey's .lss file instead"
            )
        try:
            data = base64.b64decode(str(sImportData), validate=False)
        except (binascii.Error, ValueError):
            return status("Error: This is not a valid LimeSurvey survey structure XML file.")
        try:
            doc = parse_lss(data)
        except LssError as exc:
            return status(str(exc))
        wanted = int_or(DestSurveyID) or int_or(doc.survey.get("sid"))
        sid = wanted if wanted and wanted not in self.surveys else self._free_sid()
        return self._import_document(doc, sid, sNewSurveyName)

    def _import_document(self, doc: LssDocument, sid: int, new_name: Any) -> int:
        props: dict[str, Any] = {}
        value: Any
        for key, value in doc.survey.items():
            if key == "sid":
                continue
            if key in SURVEY_NULLABLE_COLUMNS and value == "":
                props[key] = None
            elif key in SURVEY_INT_COLUMNS:
                props[key] = int_or(value, 0)
            else:
                props[key] = value
        ordered: dict[str, Any] = {"sid": sid, "owner_id": 1, "gsid": props.pop("gsid", 1) or 1,
                                   "admin": props.pop("admin", ""), "active": "N"}
        ordered.update(props)
        ordered["active"] = "N"
        ordered.setdefault("datecreated", self._now_text())
        base = str(ordered.get("language") or doc.languages[0])
        languages = [base, *[lang for lang in doc.languages if lang != base]]
        ordered["additional_languages"] = " ".join(languages[1:])
        settings: dict[str, dict[str, Any]] = {}
        for row in doc.language_settings:
            lang = row.get("surveyls_language", "")
            ls: dict[str, Any] = {}
            for col in LANGUAGE_COLUMNS:
                value = row.get(col, "")
                if col in LANGUAGE_INT_COLUMNS:
                    value = int_or(value, 0)
                ls[col] = value
            ls["surveyls_survey_id"] = sid
            for col in ("email_admin_notification", "email_admin_responses"):
                if not ls[col]:
                    ls[col] = _DEFAULT_ADMIN_NOTIFICATION
                if not ls[col + "_subj"]:
                    ls[col + "_subj"] = "Response submission for survey {SURVEYNAME}"
            if new_name:
                ls["surveyls_title"] = str(new_name)
            settings[lang] = ls
        survey = Survey(sid=sid, properties=ordered, languages=languages,
                        language_settings=settings)
        self.surveys[sid] = survey  # like the server: the survey row exists from here on
        # Groups (the server saves each group with its translations; a duplicate fails).
        gid_map: dict[str, int] = {}
        for row in doc.groups:
            gid = self._next_gid
            self._next_gid += 1
            gid_map[row.get("gid", "")] = gid
            survey.groups.append(Group(
                gid=gid, sid=sid, group_order=int_or(row.get("group_order"), 0) or 0,
                randomization_group=row.get("randomization_group", ""),
                grelevance=row.get("grelevance", "1") or "1",
            ))
        groups = {g.gid: g for g in survey.groups}
        for row in doc.group_l10ns:
            group = groups.get(gid_map.get(row.get("gid", ""), -1))
            if group is None:
                continue
            lang = row.get("language", "")
            gid = group.gid
            if lang in group.l10n:
                raise PhpException(
                    "Error while saving group: Array\n(\n    [gid] => Array\n        (\n"
                    f"            [0] => Group ID (gid): \u201c{gid}\u201d already set with "
                    f"language \u201d{lang}\u201d.\n        )\n\n)\n"
                )
            group.l10n[lang] = {"group_name": row.get("group_name", ""),
                                "description": row.get("description", "")}
        # Questions: parents first, then subquestions, numbered like a fresh server.
        qid_map: dict[str, int] = {}
        for row in [*doc.questions, *doc.subquestions]:
            qid = self._next_qid
            self._next_qid += 1
            qid_map[row.get("qid", "")] = qid
        for row in [*doc.questions, *doc.subquestions]:
            qid = qid_map[row.get("qid", "")]
            parent = qid_map.get(row.get("parent_qid", "0"), 0)
            is_sub = parent != 0
            survey.questions[qid] = Question(
                qid=qid, parent_qid=parent, sid=sid,
                gid=gid_map.get(row.get("gid", ""), 0), type=row.get("type", ""),
                title=row.get("title", ""), preg=row.get("preg", ""),
                other=row.get("other") or "N", mandatory=row.get("mandatory") or "N",
                encrypted=row.get("encrypted") or "N",
                question_order=int_or(row.get("question_order"), 0) or 0,
                scale_id=int_or(row.get("scale_id"), 0) or 0,
                same_default=int_or(row.get("same_default"), 0) or 0,
                relevance=row.get("relevance") or "1",
                question_theme_name=None if is_sub else (row.get("question_theme_name") or None),
                modulename=row.get("modulename", ""),
                same_script=int_or(row.get("same_script"), 0) or 0,
            )
        for row in doc.question_l10ns:
            q = survey.questions.get(qid_map.get(row.get("qid", ""), -1))
            if q is not None:
                q.l10n[row.get("language", "")] = {
                    "question": row.get("question", ""), "help": row.get("help", ""),
                    "script": row.get("script", ""), "id": str(self._next_l10n_id),
                }
                self._next_l10n_id += 1
        for row in doc.question_attributes:
            q = survey.questions.get(qid_map.get(row.get("qid", ""), -1))
            if q is None:
                continue
            name, attr_lang = row.get("attribute", ""), row.get("language")
            value = row.get("value", "")
            if attr_lang:
                q.attributes_lang.setdefault(name, {})[attr_lang] = value
            else:
                q.attributes[name] = value
        aid_map: dict[str, Answer] = {}
        for row in doc.answers:
            q = survey.questions.get(qid_map.get(row.get("qid", ""), -1))
            if q is None:
                continue
            answer = Answer(code=row.get("code", ""),
                            sortorder=int_or(row.get("sortorder"), 0) or 0,
                            assessment_value=int_or(row.get("assessment_value"), 0) or 0,
                            scale_id=int_or(row.get("scale_id"), 0) or 0)
            self._next_aid += 1
            q.answers.append(answer)
            aid_map[row.get("aid", "")] = answer
        for row in doc.answer_l10ns:
            found = aid_map.get(row.get("aid", ""))
            if found is not None:
                found.text[row.get("language", "")] = row.get("answer", "")
        return sid

    def delete_survey(self, sSessionKey: Any, iSurveyID: Any) -> Result:
        survey = self._survey(iSurveyID)
        if survey is None:  # 6.14 (measured): the permission check fails first
            return status("No permission")
        del self.surveys[survey.sid]
        return status("OK")

    def get_survey_properties(
        self, sSessionKey: Any, iSurveyID: Any, aSurveySettings: Any = None
    ) -> Result:
        survey = self._survey(iSurveyID)
        if survey is None:
            return status("Error: Invalid survey ID")
        if not aSurveySettings:
            return dict(survey.properties)
        return {k: survey.properties[k] for k in aSurveySettings if k in survey.properties}

    def set_survey_properties(
        self, sSessionKey: Any, iSurveyID: Any, aSurveyData: Any
    ) -> Result:
        survey = self._survey(iSurveyID)
        if survey is None:
            return status("Error: Invalid survey ID")
        if not isinstance(aSurveyData, dict):
            return status("No valid Data")
        data = {k: v for k, v in aSurveyData.items()
                if k in survey.properties and k not in NEVER_SETTABLE and k != "owner_id"}
        if survey.active:
            data = {k: v for k, v in data.items() if k not in LOCKED_WHEN_ACTIVE}
        if not data:
            return status("No valid Data")
        for key, value in data.items():
            if key in SURVEY_INT_COLUMNS:
                value = int_or(value, 0)
            survey.properties[key] = value
        return dict.fromkeys(data, True)

    def get_language_properties(
        self, sSessionKey: Any, iSurveyID: Any, aSurveyLocaleSettings: Any = None,
        sLang: Any = None,
    ) -> Result:
        survey = self._survey(iSurveyID)
        if survey is None:
            return status("Error: Invalid survey ID")
        lang = sLang or survey.base_language
        row = survey.language_settings.get(lang) or dict.fromkeys(LANGUAGE_COLUMNS)
        if not aSurveyLocaleSettings:
            return dict(row)
        return {k: row[k] for k in aSurveyLocaleSettings if k in row}

    def activate_tokens(
        self, sSessionKey: Any, iSurveyID: Any, aAttributeFields: Any = None
    ) -> Result:
        survey = self._survey(iSurveyID)
        if survey is None:
            return status("Error: Invalid survey ID")
        if survey.token_attributes is not None:
            raise PhpException(
                "CDbCommand failed to execute the SQL statement: SQLSTATE[42S01]: Base table or "
                f"view already exists: 1050 Table 'lime_tokens_{survey.sid}' already exists"
            )
        # Like Token::createTable: the given attribute_N (in the order given), then every
        # attribute the survey declares in attributedescriptions (measured on 6.14).
        given = [f"attribute_{n}" for n in (int_or(v) for v in aAttributeFields or []) if n]
        declared = attribute_columns(survey.properties.get("attributedescriptions"))
        survey.token_attributes = list(dict.fromkeys([*given, *declared]))
        survey.tokens = {}
        return status("OK")

    def activate_survey(
        self, sSessionKey: Any, iSurveyID: Any, aSurveyOptions: Any = None
    ) -> Result:
        survey = self._survey(iSurveyID)
        if survey is None:
            return status("Error: Invalid survey ID")
        if survey.active:
            return status("Error: Survey already active")
        options = aSurveyOptions if isinstance(aSurveyOptions, dict) else {}
        for key in ("anonymized", "datestamp", "ipaddr", "ipanonymize", "refurl", "savetimings"):
            value = options.get(key, survey.properties.get(key, "N"))
            survey.properties[key] = value if value in ("Y", "N") else "N"
        survey.properties["active"] = "Y"
        survey.responses = {}
        survey.next_response_id = 1
        return {"status": "OK", "pluginFeedback": None, "isAllowRegister": False}


    def get_summary(
        self, sSessionKey: Any, iSurveyID: Any, sStatName: Any = "all"
    ) -> Result:
        survey = self._survey(iSurveyID)
        if survey is None:
            return status("Invalid surveyid")
        stats: dict[str, int] = {}
        if survey.token_attributes is not None:
            tokens = list(survey.tokens.values())
            stats.update({
                "token_count": len(tokens),
                "token_invalid": sum(1 for t in tokens if t.get("emailstatus") == "InvalidEmail"),
                "token_sent": sum(1 for t in tokens if t.get("sent") not in ("N", None, "")),
                "token_opted_out": sum(1 for t in tokens if t.get("emailstatus") == "OptOut"),
                "token_completed": sum(1 for t in tokens
                                       if t.get("completed") not in ("N", None, "")),
                "token_screenout": sum(1 for t in tokens if t.get("emailstatus") == "screenout"),
            })
        if survey.responses is not None:
            complete = sum(1 for r in survey.responses.values() if r.get("submitdate"))
            stats.update({"completed_responses": complete,
                          "incomplete_responses": len(survey.responses) - complete,
                          "full_responses": len(survey.responses)})
        if sStatName in (None, "", "all"):
            return stats
        if sStatName in stats:
            return stats[sStatName]
        return status("No available data")
