"""The EMULATOR's response methods: add, update, delete, ids, and the exports.

Tests and the demo only, never production. The export text itself is built by
:mod:`bip_bridge.emulator.exports`.
"""

from __future__ import annotations

import base64
import re
from typing import Any

from bip_bridge.emulator import exports
from bip_bridge.emulator.base import (
    EmulatorBase,
    Result,
    int_or,
    status,
)
from bip_bridge.emulator.state import (
    Survey,
)


class ResponseMethods(EmulatorBase):
    def _response_table(self, sid: Any, *, missing: str, inactive: str) -> Survey | dict[str, str]:
        survey = self._survey(sid)
        if survey is None:
            return status(missing)
        if survey.responses is None:
            return status(inactive)
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
            row["lastpage"] = int_or(row["lastpage"])
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
            return status("Invalid survey ID")
        if survey.responses is None:
            return status("Survey is not active")
        if survey.properties.get("alloweditaftercompletion") != "Y":
            # Every response, incomplete ones included (recorded on 6.14.0 and 5.6.8).
            return status("Survey does not allow edit after completion")
        data = dict(aResponseData or {})
        if "id" not in data and "token" not in data:
            return status("Missing response identifier (id|token)")
        if "id" in data:
            rid = int_or(data["id"])
            matches = [survey.responses[rid]] if rid in survey.responses else []
        else:
            matches = [r for r in survey.responses.values() if r.get("token") == data["token"]]
        if not matches:
            return status("No matching Response")
        if len(matches) > 1:
            return status("More then one matching response, updateing multiple responses "
                           "at once is not supported")
        allowed = set(survey.meta_columns()) | {c.name for c in survey.columns()}
        invalid = [k for k in data if k not in allowed]
        if invalid:
            return status("Invalid Column names supplied: " + ", ".join(invalid))
        row = matches[0]
        for key, value in data.items():
            if key == "id":
                continue
            row[key] = int_or(value) if key == "lastpage" else value
        return True

    def delete_response(
        self, sSessionKey: Any, iSurveyID: Any, iResponseID: Any
    ) -> Result:
        survey = self._response_table(iSurveyID, missing="Error: Invalid survey ID",
                                      inactive="No survey response table")
        if not isinstance(survey, Survey):
            return survey
        assert survey.responses is not None
        rid = int_or(iResponseID)
        if rid not in survey.responses:
            return status("Response Id not found")
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
            return status(str(exc))
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
            return status("No permission")
        if survey.responses is None:
            return status("No Data, survey table does not exist.")
        if sLanguageCode and sLanguageCode not in survey.languages:
            return status("Language code not found for this survey.")
        if not survey.responses:
            return status("No Data, could not get max id.")
        low = int_or(iFromResponseID) or 1
        high = int_or(iToResponseID)
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
            return status("No permission")
        if survey.responses is None:
            return status("No Data, survey table does not exist.")
        if sLanguageCode and sLanguageCode not in survey.languages:
            return status("Language code not found for this survey.")
        tokens = [str(t) for t in sToken] if isinstance(sToken, list) else [str(sToken)]
        rows = [r for _, r in sorted(survey.responses.items()) if r.get("token") in tokens]
        rows = self._completion(rows, sCompletionStatus)
        if not rows and not isinstance(sToken, list):
            return status("No Response found for Token")
        return self._export(survey, rows, sDocumentType, sHeadingType, sResponseType, aFields)
