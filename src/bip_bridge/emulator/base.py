"""Shared state of the LimeSurvey EMULATOR (tests and the demo only, never production).

:class:`EmulatorBase` holds everything an emulated LimeSurvey 6.14 keeps (surveys with
their questions, tokens and responses, sessions, the outbox), the test knobs and the
helpers every method family uses. The RPC methods live in one module per family
(session, surveys, questions, participants, mail, responses) and
:class:`~bip_bridge.emulator.core.EmulatorCore` puts them together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from random import Random
from typing import Any

from bip_bridge.emulator.state import Survey

Result = Any
Clock = Callable[[], datetime]


class PhpException(Exception):
    """A PHP Exception inside the method: HTTP 200, ``"result":null,"error":message``."""


class PhpError(Exception):
    """A PHP Error (not an Exception): HTTP 500 with LimeSurvey's HTML error page."""


def status(message: str) -> dict[str, str]:
    return {"status": message}


def int_or(value: Any, default: int | None = None) -> int | None:
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
class Session:
    username: str
    expires: datetime



class EmulatorBase:
    """The state every method family reads and writes, the test knobs and shared helpers."""

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
        self.maxemails = 50  # LimeSurvey's global "maxemails": mails sent per invite/remind call
        self._sessions: dict[str, Session] = {}
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
        return self.surveys.get(int_or(sid, -1) or -1)

    def _free_sid(self) -> int:
        while True:
            sid = self.random.randint(100000, 999999)
            if sid not in self.surveys:
                return sid


    def _token_table(self, sid: Any) -> Survey | dict[str, str]:
        survey = self._survey(sid)
        if survey is None:
            return status("Error: Invalid survey ID")
        if survey.token_attributes is None:
            return status("Error: No survey participants table")
        return survey
