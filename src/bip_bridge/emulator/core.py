"""The LimeSurvey EMULATOR's core — for tests and the demo only, never production.

:class:`EmulatorCore` holds the whole state of an emulated LimeSurvey 6.14 in memory and
has one method per RemoteControl 2 method, with LimeSurvey's own parameter names. Each
returns exactly what the real server puts in ``result`` (status dicts included; the
server writes it as PHP's json_encode would, :mod:`~bip_bridge.emulator.phpjson`), raises
:class:`PhpException` where the server answers ``"result":null,"error":"..."`` and
:class:`PhpError` where it answers with its HTTP 500 error page. The semantics, messages,
id types and column names follow the recordings in ``tests/fixtures/limesurvey/`` and the
facts measured on a real 6.14 (tests/test_emulator_measured.py).

The methods live in one module per family, as a reader looks for them:

* :mod:`~bip_bridge.emulator.base`: the shared state, test knobs and helpers;
* :mod:`~bip_bridge.emulator.session`: login, logout, site settings;
* :mod:`~bip_bridge.emulator.surveys`: list, import, delete, properties, activation, summary;
* :mod:`~bip_bridge.emulator.questions`: groups, questions, question properties, field map;
* :mod:`~bip_bridge.emulator.participants`: tokens;
* :mod:`~bip_bridge.emulator.mail`: invitations and reminders (into ``outbox``, never sent);
* :mod:`~bip_bridge.emulator.responses`: responses and exports.

This module only puts them together and dispatches a call the way PHP does.
"""

from __future__ import annotations

import inspect
from typing import Any

from bip_bridge.emulator.base import (
    Clock,
    PhpError,
    PhpException,
    Result,
    SentEmail,
    status,
)
from bip_bridge.emulator.exports import decode_export, export_rows
from bip_bridge.emulator.mail import MailMethods
from bip_bridge.emulator.participants import ParticipantMethods
from bip_bridge.emulator.questions import QuestionMethods
from bip_bridge.emulator.responses import ResponseMethods
from bip_bridge.emulator.session import SessionMethods
from bip_bridge.emulator.state import META_COLUMNS, SUBQUESTION_TYPES
from bip_bridge.emulator.surveys import SurveyMethods

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


class EmulatorCore(SessionMethods, SurveyMethods, QuestionMethods, ParticipantMethods,
                   MailMethods, ResponseMethods):
    """All state and behaviour of the emulated server (not thread-safe: the server locks)."""

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
                return status("Invalid session key")
        return func(*args, **kwargs)


__all__ = [
    "META_COLUMNS",
    "RPC_METHODS",
    "SUBQUESTION_TYPES",
    "Clock",
    "EmulatorCore",
    "PhpError",
    "PhpException",
    "SentEmail",
    "decode_export",
    "export_rows",
]
