"""The EMULATOR's participant (token) methods: add, list with conditions, read, update,
delete. Tests and the demo only, never production.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from typing import Any

from bip_bridge.emulator.base import (
    EmulatorBase,
    Result,
    int_or,
    status,
)
from bip_bridge.emulator.state import (
    TOKEN_COLUMNS,
    TOKEN_DEFAULTS,
    TOKEN_INT_COLUMNS,
    Survey,
)

TOKEN_ALPHABET = string.ascii_letters + string.digits


class ParticipantMethods(EmulatorBase):
    def _columns_of(self, survey: Survey) -> list[str]:
        return [*TOKEN_COLUMNS, *(survey.token_attributes or [])]

    def _new_token(self, survey: Survey) -> str:
        length = int_or(survey.properties.get("tokenlength"), 15) or 15
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
                    stored[col] = int_or(stored[col], 0)
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
            return status(f"LimeSurvey emulator: unknown column in conditions: {unknown[0]}")
        start = int_or(iStart, 0) or 0
        limit = int_or(iLimit, 10) or 10
        rows = [t for tid, t in sorted(survey.tokens.items()) if tid >= start]
        if bUnused:
            rows = [t for t in rows if t.get("completed") == "N"]
        rows = [t for t in rows if self._matches(t, conditions)][:limit]
        if not rows:
            return status("No survey participants found.")
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
            tid = int_or(query)
            found = [survey.tokens[tid]] if tid in survey.tokens else []
        if len(found) > 1:
            return status("Error: More than 1 result was found based on your attributes.")
        if not found:
            return status("Error: No results were found based on your attributes.")
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
                token[key] = int_or(value, 0) if key in TOKEN_INT_COLUMNS else value
        return {c: token.get(c) for c in self._columns_of(survey)}

    def delete_participants(
        self, sSessionKey: Any, iSurveyID: Any, aTokenIDs: Any
    ) -> Result:
        survey = self._token_table(iSurveyID)
        if not isinstance(survey, Survey):
            return survey
        result: dict[str, Any] = {}
        for raw in aTokenIDs or []:
            tid = int_or(raw)
            if tid in survey.tokens:
                del survey.tokens[tid]
                result[str(tid)] = "Deleted"
            else:
                result[str(raw)] = "Invalid token ID"
        return result
