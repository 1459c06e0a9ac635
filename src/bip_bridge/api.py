"""The project's own small interface to LimeSurvey RemoteControl 2.

Everything outside :mod:`bip_bridge.limesurvey` (the only module that imports citric)
talks to LimeSurvey through this protocol, so tests can hand in another implementation
(the emulator behind the real client, or a proxy that injects failures).

Conventions every implementation keeps (they follow the recordings in
``../shared/limesurvey/recordings``):

* "empty" answers are empty results, not errors: ``No surveys found`` -> ``[]``,
  ``No Data, could not get max id.`` -> ``[]``, ``No survey participants found.`` -> ``[]``,
  ``Error: No candidate tokens`` -> ``{}``, ``No Response found for Token`` -> ``[]``;
* any other status answer raises :class:`bip_bridge.errors.LimeSurveyRejected`;
* ids are ints on the way out (``add_response`` returns ``"1"``; we return ``1``);
* exported responses are dicts with code headings (``PSEUDO``, ``BIPD[JOBTRO]``, ...),
  ``id`` an int, answers strings or ``None``;
* a PHP array meant as a map is a dict with string keys, whichever JSON shape LimeSurvey
  sent (see :func:`php_array`): implementations and callers read every such array
  through that one helper, never with ``isinstance(..., dict)`` of their own.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

Row = dict[str, Any]

# The LimeSurvey release lines the whole bridge ran against live (docs/limesurvey.md):
# major.minor -> the release tried. `check` passes these quietly and warns on any other.
TESTED_VERSIONS: dict[str, str] = {"6.14": "6.14.0", "5.6": "5.6.8"}
TESTED_TEXT = "LimeSurvey 6.14 and the 5.6 LTS line (live runs on 6.14.0 and 5.6.8)"


def php_array(value: Any) -> dict[str, Any]:
    """A PHP array meant as a map, from either JSON shape, as a dict with string keys.

    PHP has one array type. ``json_encode`` writes an array whose keys are 0, 1, ...,
    n-1 in order as a JSON list and every other one as an object, and PHP stores the keys
    ``"0"``, ``"1"`` as integers. So LimeSurvey 6.14 sends the answer options of a
    question whose codes are 0, 1, 2 as ``[{...}, {...}, {...}]`` and those of codes
    A, B as ``{"A": {...}, "B": {...}}``, and an empty map as ``[]``. Here a list becomes
    ``{"0": ..., "1": ...}``, an object keeps its keys (as strings), and anything that is
    not an array (``None``, ``False``, a status text such as ``"No available answer
    options"``) becomes ``{}``. Not recursive: nested arrays are read where they are used.
    """
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    if isinstance(value, list | tuple):
        return {str(i): v for i, v in enumerate(value)}
    return {}


def php_list(value: Any) -> list[Any]:
    """A PHP array meant as a list, from either JSON shape (the values in order).

    The counterpart of :func:`php_array`: a PHP list with a gap in its keys (after
    ``unset`` or ``array_filter``) arrives as an object ``{"0": ..., "2": ...}``; its
    values are taken in key order (numeric keys by number). Non-arrays become ``[]``.
    """
    if isinstance(value, list | tuple):
        return list(value)
    if isinstance(value, Mapping):
        def order(key: Any) -> tuple[int, int, str]:
            text = str(key)
            digits = text.lstrip("-")
            return (0, int(text), "") if digits.isdigit() else (1, 0, text)

        return [value[k] for k in sorted(value, key=order)]
    return []


def attribute_descriptions(raw: Any) -> dict[str, str]:
    """``attribute_N`` -> its description, by N, from a survey's ``attributedescriptions``.

    LimeSurvey keeps the property as JSON text (``{"attribute_1": {"description":
    "PSEUDO", ...}}``; older versions a plain string per column); an empty or unreadable
    value means no attributes. The decoded array goes through :func:`php_array`.
    """
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw.strip() else {}
        except ValueError:
            return {}
    numbered: list[tuple[int, str, str]] = []
    for column, entry in php_array(raw).items():
        if column.startswith("attribute_") and column[10:].isdigit():
            fields = php_array(entry)
            text = fields.get("description", "") if fields else entry
            numbered.append((int(column[10:]), column, "" if text is None else str(text)))
    return {column: text for _, column, text in sorted(numbered)}


@runtime_checkable
class LimeSurveyAPI(Protocol):
    # --- session / server ---------------------------------------------------------
    def server_version(self) -> str | None:
        """LimeSurvey's version string, or None when the user may not read it."""

    def close(self) -> None:
        """Release the session key (safe to call twice)."""

    # --- surveys ------------------------------------------------------------------
    def list_surveys(self) -> list[Row]: ...

    def import_survey(
        self,
        content: bytes,
        *,
        file_type: str = "lss",
        name: str | None = None,
        survey_id: int | None = None,
    ) -> int: ...

    def delete_survey(self, sid: int) -> None: ...

    def get_survey_properties(self, sid: int, properties: Sequence[str] | None = None) -> Row: ...

    def set_survey_properties(self, sid: int, properties: Mapping[str, Any]) -> Row: ...

    def get_language_properties(
        self, sid: int, language: str, properties: Sequence[str] | None = None
    ) -> Row: ...

    def activate_tokens(self, sid: int, attributes: Sequence[int]) -> None: ...

    def activate_survey(self, sid: int) -> None: ...

    def list_groups(self, sid: int, language: str | None = None) -> list[Row]: ...

    def list_questions(self, sid: int, language: str | None = None) -> list[Row]: ...

    def get_question_properties(
        self, qid: int, properties: Sequence[str] | None = None, language: str | None = None
    ) -> Row: ...

    def get_fieldmap(self, sid: int) -> dict[str, Row]: ...

    def get_summary(self, sid: int) -> Row: ...

    # --- participants (tokens) ----------------------------------------------------
    def add_participants(
        self, sid: int, participants: Sequence[Mapping[str, Any]], *, create_tokens: bool = False
    ) -> list[Row]:
        """One call for the whole batch. Rows that failed carry an ``errors`` key."""

    def list_participants(
        self,
        sid: int,
        *,
        start: int = 0,
        limit: int = 1000,
        attributes: Sequence[str] = (),
        conditions: Mapping[str, Any] | None = None,
    ) -> list[Row]:
        """One page; ``start`` is a tid lower bound (tid >= start), ordered by tid."""

    def iter_participants(
        self,
        sid: int,
        *,
        attributes: Sequence[str] = (),
        conditions: Mapping[str, Any] | None = None,
        page_size: int = 1000,
    ) -> Iterator[Row]:
        """Every participant, paging by tid."""

    def get_participant_properties(
        self, sid: int, tid: int, properties: Sequence[str] | None = None
    ) -> Row: ...

    def set_participant_properties(
        self, sid: int, tid: int, properties: Mapping[str, Any]
    ) -> Row: ...

    def delete_participants(self, sid: int, tids: Sequence[int]) -> Row: ...

    def invite_participants(self, sid: int, tids: Sequence[int]) -> Row:
        """Send invitations; ``{}`` when nobody was left to invite."""

    def remind_participants(self, sid: int, tids: Sequence[int]) -> Row:
        """Send reminders; ``{}`` when nobody was left to remind."""

    # --- responses ----------------------------------------------------------------
    def export_responses(
        self,
        sid: int,
        *,
        from_id: int | None = None,
        to_id: int | None = None,
        completion: str = "all",
        fields: Sequence[str] | None = None,
    ) -> list[Row]:
        """JSON export with code headings; both bounds inclusive; ``[]`` when empty."""

    def export_responses_by_token(self, sid: int, tokens: Sequence[str]) -> list[Row]: ...

    def get_response_ids(self, sid: int, token: str) -> list[int]: ...

    def add_response(self, sid: int, response: Mapping[str, Any]) -> int:
        """Keys must be SGQA column names (see get_fieldmap); returns the new id."""

    def update_response(self, sid: int, response: Mapping[str, Any]) -> None: ...

    def delete_response(self, sid: int, response_id: int) -> None: ...
