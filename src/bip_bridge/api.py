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
  ``id`` an int, answers strings or ``None``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

Row = dict[str, Any]


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
