"""The LimeSurvey EMULATOR's core — for tests and the demo only, never production.

:class:`EmulatorCore` holds the whole state of an emulated LimeSurvey 6.14 in memory and
has one method per RemoteControl 2 method, with LimeSurvey's own parameter names. Each
returns exactly what the real server puts in ``result`` (status dicts included), raises
:class:`PhpException` where the server answers ``"result":null,"error":"..."`` and
:class:`PhpError` where it answers with its HTTP 500 error page. The semantics, messages,
id types and column names follow the recordings in ``tests/fixtures/limesurvey/``.

No e-mail is ever sent: invitations and reminders go to :attr:`EmulatorCore.outbox`.
"""

from __future__ import annotations

import base64
import binascii
import html
import inspect
import json
import re
import secrets
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from random import Random
from typing import Any

from bip_bridge.emulator import exports
from bip_bridge.emulator.lss import LssDocument, LssError, parse_lss
from bip_bridge.emulator.state import (
    LANGUAGE_COLUMNS,
    LANGUAGE_INT_COLUMNS,
    LOCKED_WHEN_ACTIVE,
    META_COLUMNS,
    META_QUESTION_TEXT,
    NEVER_SETTABLE,
    SUBQUESTION_TYPES,
    SURVEY_INT_COLUMNS,
    SURVEY_NULLABLE_COLUMNS,
    TOKEN_COLUMNS,
    TOKEN_DEFAULTS,
    TOKEN_INT_COLUMNS,
    Answer,
    Group,
    Question,
    Survey,
)

Result = Any
Clock = Callable[[], datetime]

SESSION_KEY_ALPHABET = string.ascii_letters + string.digits + "_~"
TOKEN_ALPHABET = string.ascii_letters + string.digits
MAX_LOGIN_ATTEMPTS = 3
LOCKOUT_SECONDS = 600
LOCKED_OUT_MESSAGE = (
    "You have exceeded the number of maximum login attempts. "
    "Please wait 10 minutes before trying again."
)
SERVER_PATH = "{server_path}"

# Methods reachable over RPC (everything else on the core is not an RPC method).
RPC_METHODS = (
    "get_session_key", "release_session_key", "get_site_settings", "list_surveys",
    "import_survey", "delete_survey", "get_survey_properties", "set_survey_properties",
    "get_language_properties", "activate_tokens", "activate_survey", "list_groups",
    "list_questions", "get_question_properties", "get_fieldmap", "get_summary",
    "add_participants", "list_participants", "get_participant_properties",
    "set_participant_properties", "delete_participants", "invite_participants",
    "remind_participants", "add_response", "update_response", "delete_response",
    "get_response_ids", "export_responses", "export_responses_by_token",
)
SESSIONLESS = frozenset({"get_session_key", "release_session_key"})

# Default attributes LimeSurvey 6.14 reports for an array (F) question (recorded), and a
# small common set for the other types.
_F_ATTRIBUTES: dict[str, str | None] = {
    "answer_width": "", "array_filter": "", "array_filter_exclude": "",
    "array_filter_style": "0", "cssclass": "", "em_validation_q": "", "exclude_all_others": "",
    "hidden": "0", "hide_tip": "0", "max_answers": "", "min_answers": "", "page_break": "0",
    "public_statistics": "0", "random_group": "", "random_order": "0",
    "repeat_headings": None, "scale_export": "0", "statistics_graphtype": "0",
    "statistics_showgraph": "1", "use_dropdown": "0",
}
_COMMON_ATTRIBUTES: dict[str, str | None] = {
    "cssclass": "", "hidden": "0", "page_break": "0", "public_statistics": "0",
    "random_group": "", "statistics_graphtype": "0", "statistics_showgraph": "1",
}
_DEFAULT_ATTRIBUTES_LANG: dict[str, str | None] = {
    "em_validation_q_tip": "", "printable_help": None,
}
_DEFAULT_ADMIN_NOTIFICATION = (
    "Hello,<br />\n<br />\nA new response was submitted for your survey '{SURVEYNAME}'."
)


class PhpException(Exception):
    """A PHP Exception inside the method: HTTP 200, ``"result":null,"error":message``."""


class PhpError(Exception):
    """A PHP Error (not an Exception): HTTP 500 with LimeSurvey's HTML error page."""


def _status(message: str) -> dict[str, str]:
    return {"status": message}


def _int_or(value: Any, default: int | None = None) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


@dataclass(frozen=True)
class SentEmail:
    """One e-mail the emulated server "sent" (kept in memory, never delivered)."""

    survey_id: int
    tid: int
    kind: str  # "invite" or "remind"
    to: str
    language: str
    subject: str
    body: str


@dataclass
class _Session:
    username: str
    expires: datetime


class EmulatorCore:
    """All state and behaviour of the emulated server (not thread-safe: the server locks)."""

    def __init__(
        self,
        username: str = "admin",
        password: str = "",
        *,
        session_ttl: int = 7200,
        clock: Clock | None = None,
        seed: int | None = None,
        fill_equations_from_token: bool = False,
        base_url: str = "http://127.0.0.1",
    ) -> None:
        self.username = username
        self._password = password
        self.session_ttl = session_ttl
        self.clock: Clock = clock or (lambda: datetime.now(timezone.utc).replace(tzinfo=None))
        self.random = Random(seed)
        self.fill_equations_from_token = fill_equations_from_token
        self.base_url = base_url
        self.surveys: dict[int, Survey] = {}
        self.outbox: list[SentEmail] = []
        self.call_log: list[str] = []
        self.rpc_interface = "json"
        self._sessions: dict[str, _Session] = {}
        self._failed_logins: list[datetime] = []
        self._next_gid = 1
        self._next_qid = 1
        self._next_aid = 1
        self._next_l10n_id = 1

    # ------------------------------------------------------------------ test knobs
    def expire_all_sessions(self) -> None:
        """Forget every session key, as if they had all expired."""
        self._sessions.clear()

    def clear_failed_logins(self) -> None:
        """Reset the brute-force counter (like ``DELETE FROM lime_failed_login_attempts``)."""
        self._failed_logins.clear()

    def set_rpc_interface(self, mode: str) -> None:
        """``off``, ``xml`` or ``json`` — the server's RPCInterface setting."""
        if mode not in ("off", "xml", "json"):
            raise ValueError(f"RPC interface must be off, xml or json, not {mode!r}")
        self.rpc_interface = mode

    @property
    def session_count(self) -> int:
        return len(self._sessions)

    # ------------------------------------------------------------------ dispatch
    def call(self, method: Any, params: Any) -> Result:
        """Run one RPC method the way PHP's call_user_func_array would."""
        if not isinstance(method, str) or method not in RPC_METHODS:
            raise PhpError(
                "call_user_func_array(): Argument #1 ($callback) must be a valid callback, "
                f'class remotecontrol_handle does not have a method "{method}"'
            )
        func = getattr(self, method)
        parameters = list(inspect.signature(func).parameters.values())
        required = sum(1 for p in parameters if p.default is inspect.Parameter.empty)
        if params is None:
            params = []
        if isinstance(params, dict):
            names = {p.name for p in parameters}
            unknown = [k for k in params if k not in names]
            if unknown:
                raise PhpError(f"Unknown named parameter ${unknown[0]}")
            missing = [p.name for p in parameters[:required] if p.name not in params]
            if missing:
                raise PhpError(
                    f"remotecontrol_handle::{method}(): Argument #"
                    f"{[p.name for p in parameters].index(missing[0]) + 1} "
                    f"(${missing[0]}) not passed"
                )
            args: list[Any] = []
            kwargs = dict(params)
        else:
            if not isinstance(params, list):
                params = [params]
            if len(params) < required:
                raise PhpError(
                    f"Too few arguments to function remotecontrol_handle::{method}(), "
                    f"{len(params)} passed in {SERVER_PATH} on line 37 and "
                    f"{'at least' if required < len(parameters) else 'exactly'} "
                    f"{required} expected"
                )
            args = list(params[: len(parameters)])
            kwargs = {}
        self.call_log.append(method)
        self._purge_sessions()
        if method not in SESSIONLESS:
            key = args[0] if args else kwargs.get("sSessionKey")
            if not self._session_ok(key):
                return _status("Invalid session key")
        return func(*args, **kwargs)

    # ------------------------------------------------------------------ helpers
    def _now(self) -> datetime:
        return self.clock()

    def _now_text(self, *, seconds: bool = True) -> str:
        return self._now().strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")

    def _purge_sessions(self) -> None:
        now = self._now()
        for key in [k for k, s in self._sessions.items() if s.expires <= now]:
            del self._sessions[key]

    def _session_ok(self, key: Any) -> bool:
        return isinstance(key, str) and key in self._sessions

    def _survey(self, sid: Any) -> Survey | None:
        return self.surveys.get(_int_or(sid, -1) or -1)

    def _free_sid(self) -> int:
        while True:
            sid = self.random.randint(100000, 999999)
            if sid not in self.surveys:
                return sid

    # ------------------------------------------------------------------ session
    def get_session_key(self, username: Any, password: Any, plugin: Any = "Authdb") -> Result:
        now = self._now()
        window = now - timedelta(seconds=LOCKOUT_SECONDS)
        self._failed_logins = [t for t in self._failed_logins if t > window]
        if len(self._failed_logins) >= MAX_LOGIN_ATTEMPTS:
            return _status(LOCKED_OUT_MESSAGE)
        if str(username) != self.username or str(password) != self._password:
            self._failed_logins.append(now)
            return _status("Invalid user name or password")
        key = "".join(secrets.choice(SESSION_KEY_ALPHABET) for _ in range(32))
        self._sessions[key] = _Session(self.username, now + timedelta(seconds=self.session_ttl))
        return key

    def release_session_key(self, sSessionKey: Any) -> Result:
        if isinstance(sSessionKey, str):
            self._sessions.pop(sSessionKey, None)
        return "OK"

    def get_site_settings(self, sSessionKey: Any, sSetttingName: Any) -> Result:
        settings = {"RPCInterface": self.rpc_interface, "versionnumber": "6.14.0",
                    "dbversionnumber": 630, "defaultlang": "en", "sitename": "LimeSurvey"}
        if sSetttingName in settings:
            return settings[sSetttingName]
        return _status("Invalid setting")

    # ------------------------------------------------------------------ surveys
    def list_surveys(self, sSessionKey: Any, sUsername: Any = None) -> Result:
        if not self.surveys:
            return _status("No surveys found")
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
            return _status("Invalid extension")
        if kind != "lss":
            return _status(
                f"LimeSurvey emulator: only .lss imports are supported here (got {kind!r}); "
                "import the survey's .lss file instead"
            )
        try:
            data = base64.b64decode(str(sImportData), validate=False)
        except (binascii.Error, ValueError):
            return _status("Error: This is not a valid LimeSurvey survey structure XML file.")
        try:
            doc = parse_lss(data)
        except LssError as exc:
            return _status(str(exc))
        wanted = _int_or(DestSurveyID) or _int_or(doc.survey.get("sid"))
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
                props[key] = _int_or(value, 0)
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
                    value = _int_or(value, 0)
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
                gid=gid, sid=sid, group_order=_int_or(row.get("group_order"), 0) or 0,
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
                question_order=_int_or(row.get("question_order"), 0) or 0,
                scale_id=_int_or(row.get("scale_id"), 0) or 0,
                same_default=_int_or(row.get("same_default"), 0) or 0,
                relevance=row.get("relevance") or "1",
                question_theme_name=None if is_sub else (row.get("question_theme_name") or None),
                modulename=row.get("modulename", ""),
                same_script=_int_or(row.get("same_script"), 0) or 0,
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
                            sortorder=_int_or(row.get("sortorder"), 0) or 0,
                            assessment_value=_int_or(row.get("assessment_value"), 0) or 0,
                            scale_id=_int_or(row.get("scale_id"), 0) or 0)
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
            return _status("No permission")
        del self.surveys[survey.sid]
        return _status("OK")

    def get_survey_properties(
        self, sSessionKey: Any, iSurveyID: Any, aSurveySettings: Any = None
    ) -> Result:
        survey = self._survey(iSurveyID)
        if survey is None:
            return _status("Error: Invalid survey ID")
        if not aSurveySettings:
            return dict(survey.properties)
        return {k: survey.properties[k] for k in aSurveySettings if k in survey.properties}

    def set_survey_properties(
        self, sSessionKey: Any, iSurveyID: Any, aSurveyData: Any
    ) -> Result:
        survey = self._survey(iSurveyID)
        if survey is None:
            return _status("Error: Invalid survey ID")
        if not isinstance(aSurveyData, dict):
            return _status("No valid Data")
        data = {k: v for k, v in aSurveyData.items()
                if k in survey.properties and k not in NEVER_SETTABLE and k != "owner_id"}
        if survey.active:
            data = {k: v for k, v in data.items() if k not in LOCKED_WHEN_ACTIVE}
        if not data:
            return _status("No valid Data")
        for key, value in data.items():
            if key in SURVEY_INT_COLUMNS:
                value = _int_or(value, 0)
            survey.properties[key] = value
        return dict.fromkeys(data, True)

    def get_language_properties(
        self, sSessionKey: Any, iSurveyID: Any, aSurveyLocaleSettings: Any = None,
        sLang: Any = None,
    ) -> Result:
        survey = self._survey(iSurveyID)
        if survey is None:
            return _status("Error: Invalid survey ID")
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
            return _status("Error: Invalid survey ID")
        if survey.token_attributes is not None:
            raise PhpException(
                "CDbCommand failed to execute the SQL statement: SQLSTATE[42S01]: Base table or "
                f"view already exists: 1050 Table 'lime_tokens_{survey.sid}' already exists"
            )
        numbers = sorted({n for n in (_int_or(v) for v in aAttributeFields or []) if n})
        survey.token_attributes = [f"attribute_{n}" for n in numbers]
        survey.tokens = {}
        return _status("OK")

    def activate_survey(
        self, sSessionKey: Any, iSurveyID: Any, aSurveyOptions: Any = None
    ) -> Result:
        survey = self._survey(iSurveyID)
        if survey is None:
            return _status("Error: Invalid survey ID")
        if survey.active:
            return _status("Error: Survey already active")
        options = aSurveyOptions if isinstance(aSurveyOptions, dict) else {}
        for key in ("anonymized", "datestamp", "ipaddr", "ipanonymize", "refurl", "savetimings"):
            value = options.get(key, survey.properties.get(key, "N"))
            survey.properties[key] = value if value in ("Y", "N") else "N"
        survey.properties["active"] = "Y"
        survey.responses = {}
        survey.next_response_id = 1
        return {"status": "OK", "pluginFeedback": None, "isAllowRegister": False}

    # ------------------------------------------------------------------ structure
    def list_groups(
        self, sSessionKey: Any, iSurveyID: Any, sLanguage: Any = None
    ) -> Result:
        survey = self._survey(iSurveyID)
        if survey is None:
            return _status("Error: Invalid survey ID")
        lang = sLanguage or survey.base_language
        rows = [
            {"id": g.gid, "gid": g.gid, "sid": g.sid, "group_order": g.group_order,
             "randomization_group": g.randomization_group, "grelevance": g.grelevance,
             "group_name": g.l10n[lang]["group_name"],
             "description": g.l10n[lang]["description"], "language": lang}
            for g in sorted(survey.groups, key=lambda g: (g.group_order, g.gid))
            if lang in g.l10n
        ]
        return rows or _status("No groups found")

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
            return _status("Error: Invalid survey ID")
        lang = sLanguage or survey.base_language
        gid = _int_or(iGroupID)
        questions = [q for q in survey.questions.values()
                     if (gid is None or q.gid == gid) and lang in q.l10n]
        # Recorded: the whole survey comes ordered by question_order, one group by qid.
        questions.sort(key=lambda q: (q.qid,) if gid is not None else (q.question_order, q.qid))
        if not questions:
            return _status("No questions found")
        return [self._question_row(q, lang) for q in questions]

    def _find_question(self, qid: Any) -> tuple[Survey, Question] | None:
        wanted = _int_or(qid)
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
            return _status("Error: Invalid questionid")
        survey, q = found
        lang = sLanguage or survey.base_language
        if lang not in survey.languages:
            return _status("Error: Invalid language")
        subs = survey.subquestions(q)
        result: dict[str, Any] = dict(q.row())
        l10n = q.l10n.get(lang, {})
        result.update({"question": l10n.get("question", ""), "help": l10n.get("help", ""),
                       "script": l10n.get("script", "")})
        result["questionl10ns"] = {"id": _int_or(l10n.get("id"), 0), "qid": q.qid,
                                   "question": l10n.get("question", ""),
                                   "help": l10n.get("help", ""),
                                   "script": l10n.get("script", ""), "language": lang}
        answers = sorted(q.answers, key=lambda a: (a.scale_id, a.sortorder))
        if subs:
            result["available_answers"] = {sq.title: sq.text(lang) for sq in subs}
        elif answers:
            result["available_answers"] = {a.code: a.text.get(lang, "") for a in answers}
        else:
            result["available_answers"] = "No available answers"
        result["subquestions"] = (
            {str(sq.qid): {"title": sq.title, "question": sq.text(lang), "scale_id": sq.scale_id}
             for sq in subs} if subs else "No available answers"
        )
        defaults = _F_ATTRIBUTES if q.type == "F" else _COMMON_ATTRIBUTES
        attributes = {**defaults, **q.attributes}
        attributes_lang: dict[str, Any] = dict(_DEFAULT_ATTRIBUTES_LANG)
        for name, values in q.attributes_lang.items():
            attributes_lang[name] = values.get(lang, "")
            if name == "equation":  # also readable where non-i18n attributes are
                attributes[name] = values.get(lang, "")
        result["attributes"] = dict(sorted(attributes.items()))
        result["attributes_lang"] = attributes_lang
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
            return _status("Error: Invalid survey ID")
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

    def get_summary(
        self, sSessionKey: Any, iSurveyID: Any, sStatName: Any = "all"
    ) -> Result:
        survey = self._survey(iSurveyID)
        if survey is None:
            return _status("Invalid surveyid")
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
        return _status("No available data")

    # ------------------------------------------------------------------ participants
    def _token_table(self, sid: Any) -> Survey | dict[str, str]:
        survey = self._survey(sid)
        if survey is None:
            return _status("Error: Invalid survey ID")
        if survey.token_attributes is None:
            return _status("Error: No survey participants table")
        return survey

    def _columns_of(self, survey: Survey) -> list[str]:
        return [*TOKEN_COLUMNS, *(survey.token_attributes or [])]

    def _new_token(self, survey: Survey) -> str:
        length = _int_or(survey.properties.get("tokenlength"), 15) or 15
        existing = {t.get("token") for t in survey.tokens.values()}
        while True:
            token = "".join(self.random.choice(TOKEN_ALPHABET) for _ in range(length))
            if token not in existing:
                return token

    def add_participants(
        self, sSessionKey: Any, iSurveyID: Any, aParticipantData: Any, bCreateToken: Any = True
    ) -> Result:
        survey = self._token_table(iSurveyID)
        if not isinstance(survey, Survey):
            return survey
        columns = set(self._columns_of(survey)) - {"tid"}
        out: list[dict[str, Any]] = []
        for item in aParticipantData or []:
            given = {k: v for k, v in dict(item).items() if k in columns}
            if bCreateToken:
                given["token"] = self._new_token(survey)
            elif isinstance(given.get("token"), str):
                given["token"] = re.sub(r"[^0-9a-zA-Z_~-]", "", given["token"])
            token = given.get("token")
            if token and any(t.get("token") == token for t in survey.tokens.values()):
                out.append({**given, "errors": {
                    "token": [f'Access code "{token}" has already been taken.']}})
                continue
            tid = survey.next_tid
            survey.next_tid += 1
            row: dict[str, Any] = dict(TOKEN_DEFAULTS)
            row.update(given)
            if "language" not in row:
                row["language"] = ""
            for attr in survey.token_attributes or []:
                row.setdefault(attr, "")
            row.setdefault("token", None)
            row["tid"] = str(tid)
            for col in ("participant_id", "firstname", "lastname", "email", "blacklisted",
                        "validfrom", "validuntil", "mpid"):
                row.setdefault(col, None)
            stored = {col: row.get(col) for col in self._columns_of(survey)}
            stored["tid"] = tid
            for col in TOKEN_INT_COLUMNS:
                if stored.get(col) is not None:
                    stored[col] = _int_or(stored[col], 0)
            survey.tokens[tid] = stored
            out.append(row)
        return out

    def _matches(self, row: Mapping[str, Any], conditions: Mapping[str, Any]) -> bool:
        for column, spec in conditions.items():
            value = row.get(column)
            if isinstance(spec, list) and len(spec) == 2 and isinstance(spec[0], str):
                op, operand = spec[0].upper(), spec[1]
            else:
                op, operand = "=", spec
            text = "" if value is None else str(value)
            if op == "LIKE":
                pattern = str(operand)
                if "%" in pattern or "_" in pattern:
                    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c)
                                    for c in pattern)
                    ok = re.fullmatch(regex, text, re.IGNORECASE | re.DOTALL) is not None
                else:
                    ok = pattern.lower() in text.lower()
            elif op == "IN":
                ok = text in [str(v) for v in (operand if isinstance(operand, list) else [operand])]
            elif op in ("=", "<>"):
                ok = (text == str(operand)) == (op == "=")
            else:
                left: Any = value
                right: Any = operand
                try:
                    left, right = float(text), float(operand)
                except (TypeError, ValueError):
                    left, right = text, str(operand)
                ok = {"<": left < right, ">": left > right, "<=": left <= right,
                      ">=": left >= right}.get(op, False)
            if not ok:
                return False
        return True

    def list_participants(
        self, sSessionKey: Any, iSurveyID: Any, iStart: Any = 0, iLimit: Any = 10,
        bUnused: Any = False, aAttributes: Any = False, aConditions: Any = None,
    ) -> Result:
        survey = self._token_table(iSurveyID)
        if not isinstance(survey, Survey):
            return survey
        columns = self._columns_of(survey)
        conditions = aConditions if isinstance(aConditions, dict) else {}
        unknown = [c for c in conditions if c not in columns]
        if unknown:
            return _status(f"LimeSurvey emulator: unknown column in conditions: {unknown[0]}")
        start = _int_or(iStart, 0) or 0
        limit = _int_or(iLimit, 10) or 10
        rows = [t for tid, t in sorted(survey.tokens.items()) if tid >= start]
        if bUnused:
            rows = [t for t in rows if t.get("completed") == "N"]
        rows = [t for t in rows if self._matches(t, conditions)][:limit]
        if not rows:
            return _status("No survey participants found.")
        extra = [a for a in aAttributes if a in columns] if isinstance(aAttributes, list) else []
        return [
            {"tid": t["tid"], "token": t.get("token"),
             "participant_info": {"firstname": t.get("firstname"), "lastname": t.get("lastname"),
                                  "email": t.get("email")},
             **{a: t.get(a) for a in extra}}
            for t in rows
        ]

    def _find_token(self, survey: Survey, query: Any) -> dict[str, Any]:
        if isinstance(query, dict):
            found = [t for _, t in sorted(survey.tokens.items()) if self._matches(t, query)]
        else:
            tid = _int_or(query)
            found = [survey.tokens[tid]] if tid in survey.tokens else []
        if len(found) > 1:
            return _status("Error: More than 1 result was found based on your attributes.")
        if not found:
            return _status("Error: No results were found based on your attributes.")
        return found[0]

    def get_participant_properties(
        self, sSessionKey: Any, iSurveyID: Any, aTokenQueryProperties: Any,
        aTokenProperties: Any = None,
    ) -> Result:
        survey = self._token_table(iSurveyID)
        if not isinstance(survey, Survey):
            return survey
        token = self._find_token(survey, aTokenQueryProperties)
        if "status" in token and "tid" not in token:
            return token
        row = {c: token.get(c) for c in self._columns_of(survey)}
        if aTokenProperties:
            return {c: v for c, v in row.items() if c in aTokenProperties}
        return row

    def set_participant_properties(
        self, sSessionKey: Any, iSurveyID: Any, aTokenQueryProperties: Any, aTokenData: Any
    ) -> Result:
        survey = self._token_table(iSurveyID)
        if not isinstance(survey, Survey):
            return survey
        token = self._find_token(survey, aTokenQueryProperties)
        if "status" in token and "tid" not in token:
            return token
        columns = set(self._columns_of(survey)) - {"tid"}
        for key, value in dict(aTokenData or {}).items():
            if key in columns:
                token[key] = _int_or(value, 0) if key in TOKEN_INT_COLUMNS else value
        return {c: token.get(c) for c in self._columns_of(survey)}

    def delete_participants(
        self, sSessionKey: Any, iSurveyID: Any, aTokenIDs: Any
    ) -> Result:
        survey = self._token_table(iSurveyID)
        if not isinstance(survey, Survey):
            return survey
        result: dict[str, Any] = {}
        for raw in aTokenIDs or []:
            tid = _int_or(raw)
            if tid in survey.tokens:
                del survey.tokens[tid]
                result[str(tid)] = "Deleted"
            else:
                result[str(raw)] = "Invalid token ID"
        return result

    def _mail(self, survey: Survey, token: dict[str, Any], kind: str) -> SentEmail:
        lang = token.get("language") or ""
        if lang not in survey.languages:
            lang = survey.base_language
        settings = survey.language_settings.get(lang, {})
        key = "invite" if kind == "invite" else "remind"
        subject = str(settings.get(f"surveyls_email_{key}_subj") or "")
        body = str(settings.get(f"surveyls_email_{key}") or "")
        tok = str(token.get("token") or "")
        survey_url = f"{self.base_url}/index.php/{survey.sid}?token={tok}&lang={lang}"
        optout_url = (f"{self.base_url}/index.php/optout/tokens/{survey.sid}"
                      f"?token={tok}&langcode={lang}")
        optin_url = (f"{self.base_url}/index.php/optin/tokens/{survey.sid}"
                     f"?token={tok}&langcode={lang}")
        html_mail = survey.properties.get("htmlemail") == "Y"

        def link(url: str) -> str:
            return f'<a href="{html.escape(url)}">{url}</a>' if html_mail else url

        values = {
            "FIRSTNAME": str(token.get("firstname") or ""),
            "LASTNAME": str(token.get("lastname") or ""),
            "EMAIL": str(token.get("email") or ""), "TOKEN": tok,
            "SURVEYNAME": str(settings.get("surveyls_title") or ""),
            "SURVEYDESCRIPTION": str(settings.get("surveyls_description") or ""),
            "ADMINNAME": str(survey.properties.get("admin") or ""),
            "ADMINEMAIL": str(survey.properties.get("adminemail") or ""),
        }
        for attr in survey.token_attributes or []:
            values[attr.upper()] = str(token.get(attr) or "")
        links = {"SURVEYURL": link(survey_url), "OPTOUTURL": link(optout_url),
                 "OPTINURL": link(optin_url)}

        def fill(text: str, *, with_links: bool) -> str:
            def sub(m: re.Match[str]) -> str:
                name = m.group(1).upper()
                if name.startswith("TOKEN:"):
                    name = name[6:]
                if with_links and name in links:
                    return links[name]
                return values.get(name, m.group(0))

            return re.sub(r"\{([A-Za-z_:0-9]+)\}", sub, text)

        name = f"{values['FIRSTNAME']} {values['LASTNAME']}".strip()
        return SentEmail(
            survey_id=survey.sid, tid=int(token["tid"]), kind=kind,
            to=f"{name} <{values['EMAIL']}>" if name else values["EMAIL"], language=lang,
            subject=fill(subject, with_links=False), body=fill(body, with_links=True),
        )

    def _send(self, survey: Survey, tokens: list[dict[str, Any]], kind: str,
              eligible: int) -> Result:
        """Mail ``tokens``; ``eligible`` counts every token of the survey that could have
        been mailed (any tid): 6.14 reports ``eligible - sent`` as "N left to send" even
        when only some tids were asked for (measured: invite tid 1 of 3 -> "2 left")."""
        stamp = self._now_text(seconds=False)
        result: dict[str, Any] = {}
        for token in tokens:
            self.outbox.append(self._mail(survey, token, kind))
            if kind == "invite":
                token["sent"] = stamp
            else:
                token["remindersent"] = stamp
                token["remindercount"] = int(token.get("remindercount") or 0) + 1
            name = f"{token.get('firstname') or ''} {token.get('lastname') or ''}".strip()
            result[str(token["tid"])] = {"name": name, "email": token.get("email"),
                                         "status": "OK", "warning": None, "error": None}
        result["status"] = f"{eligible - len(tokens)} left to send"
        return result

    def _candidates(self, survey: Survey, ids: Any) -> list[dict[str, Any]]:
        wanted = {_int_or(t) for t in ids} if isinstance(ids, list) and ids else None
        return [
            t for tid, t in sorted(survey.tokens.items())
            if (wanted is None or tid in wanted) and t.get("email")
            and t.get("emailstatus") == "OK" and t.get("token")
            and (t.get("usesleft") or 0) > 0
        ]

    def invite_participants(
        self, sSessionKey: Any, iSurveyID: Any, aTokenIds: Any = None, bEmail: Any = True
    ) -> Result:
        survey = self._token_table(iSurveyID)
        if not isinstance(survey, Survey):
            return survey
        eligible = [t for t in self._candidates(survey, None) if t.get("sent") == "N"]
        tokens = [t for t in self._candidates(survey, aTokenIds) if t.get("sent") == "N"]
        if not tokens:
            return _status("Error: No candidate tokens")
        return self._send(survey, tokens, "invite", len(eligible))

    def remind_participants(
        self, sSessionKey: Any, iSurveyID: Any, iMinDaysBetween: Any = None,
        iMaxReminders: Any = None, aTokenIds: Any = False,
    ) -> Result:
        survey = self._token_table(iSurveyID)
        if not isinstance(survey, Survey):
            return survey
        now = self._now()
        min_days = _int_or(iMinDaysBetween)
        max_reminders = _int_or(iMaxReminders)

        def due(t: dict[str, Any]) -> bool:
            if t.get("sent") == "N" or t.get("completed") != "N":
                return False
            if max_reminders and int(t.get("remindercount") or 0) >= max_reminders:
                return False
            if min_days:
                last = t.get("remindersent") if t.get("remindersent") != "N" else t.get("sent")
                try:
                    when = datetime.strptime(str(last), "%Y-%m-%d %H:%M")
                except ValueError:
                    return True
                return now - when >= timedelta(days=min_days)
            return True

        eligible = [t for t in self._candidates(survey, None) if due(t)]
        tokens = [t for t in self._candidates(survey, aTokenIds) if due(t)]
        if not tokens:
            return _status("Error: No candidate tokens")
        return self._send(survey, tokens, "remind", len(eligible))

    # ------------------------------------------------------------------ responses
    def _response_table(self, sid: Any, *, missing: str, inactive: str) -> Survey | dict[str, str]:
        survey = self._survey(sid)
        if survey is None:
            return _status(missing)
        if survey.responses is None:
            return _status(inactive)
        return survey

    def _fill_equations(self, survey: Survey, row: dict[str, Any]) -> None:
        token = next((t for t in survey.tokens.values() if t.get("token") == row.get("token")),
                     None)
        if token is None:
            return
        for col in survey.columns():
            q = col.question
            if q.type != "*" or row.get(col.name) not in (None, ""):
                continue
            equation = q.attributes.get("equation") or next(
                iter(q.attributes_lang.get("equation", {}).values()), "")
            if not equation:
                continue

            def sub(m: re.Match[str]) -> str:
                value = token.get(m.group(1).lower())
                return "" if value is None else str(value)

            value = re.sub(r"\{TOKEN:([A-Za-z0-9_]+)\}", sub, str(equation))
            if "{" not in value:
                row[col.name] = value

    def add_response(
        self, sSessionKey: Any, iSurveyID: Any, aResponseData: Any
    ) -> Result:
        survey = self._response_table(iSurveyID, missing="Error: Invalid survey ID",
                                      inactive="No survey response table")
        if not isinstance(survey, Survey):
            return survey
        assert survey.responses is not None
        data = dict(aResponseData or {})
        allowed = set(survey.meta_columns()) - {"id"} | {c.name for c in survey.columns()}
        row: dict[str, Any] = {k: v for k, v in data.items() if k in allowed}
        now = self._now_text()
        if "submitdate" not in data:
            row["submitdate"] = now
        elif not data["submitdate"]:
            row["submitdate"] = None
        if survey.properties.get("datestamp") == "Y":
            row.setdefault("startdate", now)
            row.setdefault("datestamp", now)
        if not row.get("startlanguage"):
            row["startlanguage"] = survey.base_language
        if "lastpage" in row:
            row["lastpage"] = _int_or(row["lastpage"])
        if self.fill_equations_from_token and row.get("token"):
            self._fill_equations(survey, row)
        rid = survey.next_response_id
        survey.next_response_id += 1
        row["id"] = rid
        survey.responses[rid] = row
        return str(rid)

    def update_response(
        self, sSessionKey: Any, iSurveyID: Any, aResponseData: Any
    ) -> Result:
        survey = self._survey(iSurveyID)
        if survey is None:
            return _status("Invalid survey ID")
        if survey.responses is None:
            return _status("Survey is not active")
        data = dict(aResponseData or {})
        if "id" not in data and "token" not in data:
            return _status("Missing response identifier (id|token)")
        if "id" in data:
            rid = _int_or(data["id"])
            matches = [survey.responses[rid]] if rid in survey.responses else []
        else:
            matches = [r for r in survey.responses.values() if r.get("token") == data["token"]]
        if not matches:
            return _status("No matching Response")
        if len(matches) > 1:
            return _status("More then one matching response, updateing multiple responses "
                           "at once is not supported")
        allowed = set(survey.meta_columns()) | {c.name for c in survey.columns()}
        invalid = [k for k in data if k not in allowed]
        if invalid:
            return _status("Invalid Column names supplied: " + ", ".join(invalid))
        row = matches[0]
        for key, value in data.items():
            if key == "id":
                continue
            row[key] = _int_or(value) if key == "lastpage" else value
        return True

    def delete_response(
        self, sSessionKey: Any, iSurveyID: Any, iResponseID: Any
    ) -> Result:
        survey = self._response_table(iSurveyID, missing="Error: Invalid survey ID",
                                      inactive="No survey response table")
        if not isinstance(survey, Survey):
            return survey
        assert survey.responses is not None
        rid = _int_or(iResponseID)
        if rid not in survey.responses:
            return _status("Response Id not found")
        del survey.responses[rid]
        return {str(rid): "deleted"}

    def get_response_ids(
        self, sSessionKey: Any, iSurveyID: Any, sToken: Any
    ) -> Result:
        survey = self._response_table(iSurveyID, missing="Error: Invalid survey ID",
                                      inactive="No survey response table")
        if not isinstance(survey, Survey):
            return survey
        assert survey.responses is not None
        return [rid for rid, r in sorted(survey.responses.items()) if r.get("token") == sToken]

    def _export(
        self, survey: Survey, rows: list[dict[str, Any]], document_type: Any, heading: Any,
        response: Any, fields: Any,
    ) -> Result:
        try:
            headings, values = exports.export_frame(
                survey, rows, heading=str(heading or "code"), response=str(response or "short"),
                fields=fields if isinstance(fields, list) and fields else None,
            )
            text = exports.render(str(document_type), headings, values)
        except exports.UnsupportedExport as exc:
            return _status(str(exc))
        return base64.b64encode(text.encode("utf-8")).decode("ascii")

    @staticmethod
    def _completion(rows: list[dict[str, Any]], completion: Any) -> list[dict[str, Any]]:
        if completion == "complete":
            return [r for r in rows if r.get("submitdate")]
        if completion == "incomplete":
            return [r for r in rows if not r.get("submitdate")]
        return rows

    def export_responses(
        self, sSessionKey: Any, iSurveyID: Any, sDocumentType: Any, sLanguageCode: Any = None,
        sCompletionStatus: Any = "all", sHeadingType: Any = "code", sResponseType: Any = "short",
        iFromResponseID: Any = None, iToResponseID: Any = None, aFields: Any = None,
        aAdditionalOptions: Any = None,
    ) -> Result:
        survey = self._survey(iSurveyID)
        if survey is None:
            return _status("No permission")
        if survey.responses is None:
            return _status("No Data, survey table does not exist.")
        if sLanguageCode and sLanguageCode not in survey.languages:
            return _status("Language code not found for this survey.")
        if not survey.responses:
            return _status("No Data, could not get max id.")
        low = _int_or(iFromResponseID) or 1
        high = _int_or(iToResponseID)
        if high is None:
            high = max(survey.responses)
        rows = [r for rid, r in sorted(survey.responses.items()) if low <= rid <= high]
        rows = self._completion(rows, sCompletionStatus)
        return self._export(survey, rows, sDocumentType, sHeadingType, sResponseType, aFields)

    def export_responses_by_token(
        self, sSessionKey: Any, iSurveyID: Any, sDocumentType: Any, sToken: Any,
        sLanguageCode: Any = None, sCompletionStatus: Any = "all", sHeadingType: Any = "code",
        sResponseType: Any = "short", aFields: Any = None, aAdditionalOptions: Any = None,
    ) -> Result:
        survey = self._survey(iSurveyID)
        if survey is None:
            return _status("No permission")
        if survey.responses is None:
            return _status("No Data, survey table does not exist.")
        if sLanguageCode and sLanguageCode not in survey.languages:
            return _status("Language code not found for this survey.")
        tokens = [str(t) for t in sToken] if isinstance(sToken, list) else [str(sToken)]
        rows = [r for _, r in sorted(survey.responses.items()) if r.get("token") in tokens]
        rows = self._completion(rows, sCompletionStatus)
        if not rows and not isinstance(sToken, list):
            return _status("No Response found for Token")
        return self._export(survey, rows, sDocumentType, sHeadingType, sResponseType, aFields)


def decode_export(result: str) -> str:
    """The text of a base64 export result (helper for tests and the demo)."""
    return base64.b64decode(result).decode("utf-8")


def export_rows(result: str) -> list[dict[str, Any]]:
    """Rows of a base64 JSON export result."""
    rows: list[dict[str, Any]] = json.loads(decode_export(result))["responses"]
    return rows


__all__ = [
    "META_COLUMNS",
    "RPC_METHODS",
    "SUBQUESTION_TYPES",
    "EmulatorCore",
    "PhpError",
    "PhpException",
    "SentEmail",
    "decode_export",
    "export_rows",
]
