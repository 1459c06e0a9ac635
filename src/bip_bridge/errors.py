"""The one exception tree of bip-bridge.

Every error the project raises on purpose is a :class:`BipBridgeError`. The type says
how to recover; the fields carry what a message needs. The CLI turns each into a
message (``str(err)`` plus ``err.hint``) and ``err.exit_code`` (see docs/exit-codes.md).

Messages never contain a password, a pseudonym key or a LimeSurvey session key:
code that builds one from a server answer must pass it through :func:`redact` first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# sysexits.h values, so cron wrappers and systemd can tell the kinds apart.
EX_DATAERR = 65
EX_NOINPUT = 66
EX_UNAVAILABLE = 69
EX_CANTCREAT = 73
EX_SOFTWARE = 70
EX_TEMPFAIL = 75
EX_PROTOCOL = 76
EX_NOPERM = 77
EX_CONFIG = 78

_SECRETS: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember a secret so that :func:`redact` removes it from any text."""
    if value and len(value) >= 4:
        _SECRETS.add(value)


def redact(text: str) -> str:
    """Remove every registered secret from ``text``."""
    for secret in sorted(_SECRETS, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, "***")
    # A LimeSurvey session key is 32 characters of [A-Za-z0-9_~]; one that slipped in
    # unregistered (e.g. echoed in a server page) is recognised by a sKey field name.
    return re.sub(r"(?i)(s?session_?key[\"'=:\s]+)[A-Za-z0-9_~]{32}", r"\1***", text)


class BipBridgeError(Exception):
    """Base of every error bip-bridge raises on purpose."""

    exit_code: int = EX_SOFTWARE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(redact(message))
        self.hint = redact(hint) if hint else None

    @property
    def message(self) -> str:
        return str(self)


# --- configuration -----------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One problem found while validating input: where, what, and what was expected."""

    where: str  # e.g. "[limesurvey] url", "roster.csv line 7", "participant.yaml indicators[3]"
    what: str
    expected: str = ""

    def __str__(self) -> str:
        tail = f" (expected: {self.expected})" if self.expected else ""
        return f"{self.where}: {self.what}{tail}"


class _ProblemsMixin:
    problems: tuple[Problem, ...]

    @staticmethod
    def _format(summary: str, problems: Sequence[Problem]) -> str:
        if not problems:
            return summary
        lines = "\n".join(f"  - {p}" for p in problems)
        return f"{summary}\n{lines}"


class ConfigError(_ProblemsMixin, BipBridgeError):
    """The configuration file or environment is wrong. Fix the file, then run again."""

    exit_code = EX_CONFIG

    def __init__(
        self,
        message: str,
        problems: Iterable[Problem] = (),
        *,
        path: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.problems = tuple(problems)
        self.path = path
        super().__init__(self._format(message, self.problems), hint=hint)


# --- LimeSurvey --------------------------------------------------------------------


class LimeSurveyError(BipBridgeError):
    """Something went wrong talking to LimeSurvey."""

    exit_code = EX_UNAVAILABLE

    def __init__(self, message: str, *, method: str | None = None, hint: str | None = None):
        self.method = method
        super().__init__(message, hint=hint)


class LimeSurveyAuthError(LimeSurveyError):
    """Wrong user name or password, or the login is locked out. Fix credentials, wait."""

    exit_code = EX_NOPERM

    def __init__(
        self,
        message: str,
        *,
        locked_out: bool = False,
        method: str | None = None,
        hint: str | None = None,
    ):
        self.locked_out = locked_out
        super().__init__(message, method=method, hint=hint)


class LimeSurveyUnavailable(LimeSurveyError):
    """The server could not be reached or kept failing. Try again later."""

    exit_code = EX_UNAVAILABLE

    def __init__(
        self,
        message: str,
        *,
        attempts: int = 1,
        method: str | None = None,
        hint: str | None = None,
    ):
        self.attempts = attempts
        super().__init__(message, method=method, hint=hint)


class RemoteControlDisabled(LimeSurveyUnavailable):
    """The RemoteControl (JSON-RPC) interface is off or set to XML-RPC. An admin must turn it on."""

    exit_code = EX_CONFIG

    def __init__(self, message: str, *, mode: str, hint: str | None = None):
        self.mode = mode  # "off", "xml" or "unknown"
        super().__init__(message, hint=hint)


class LimeSurveyRejected(LimeSurveyError):
    """LimeSurvey answered but refused the call (an application error status)."""

    exit_code = EX_PROTOCOL

    def __init__(
        self,
        message: str,
        *,
        method: str | None = None,
        status: str | None = None,
        hint: str | None = None,
    ):
        self.status = status
        super().__init__(message, method=method, hint=hint)


class SurveyDrift(LimeSurveyError):
    """The live survey no longer matches its template (edited in LimeSurvey)."""

    exit_code = EX_DATAERR

    def __init__(
        self, message: str, *, sid: int, differences: Sequence[str], hint: str | None = None
    ):
        self.sid = sid
        self.differences = tuple(differences)
        body = message + "".join(f"\n  - {d}" for d in self.differences)
        super().__init__(body, hint=hint)


# --- state and data ----------------------------------------------------------------


class StateLocked(BipBridgeError):
    """Another bip-bridge run holds the lock. Wait for it to finish."""

    exit_code = EX_TEMPFAIL

    def __init__(
        self, message: str, *, lock: str, holder: str | None = None, hint: str | None = None
    ):
        self.lock = lock
        self.holder = holder
        super().__init__(message, hint=hint)


class StoreError(BipBridgeError):
    """The local store cannot be opened or migrated."""

    exit_code = EX_UNAVAILABLE


class DataInvalid(_ProblemsMixin, BipBridgeError):
    """Input data (a roster, a template, an export file) is invalid. Nothing was written."""

    exit_code = EX_DATAERR

    def __init__(
        self,
        message: str,
        problems: Iterable[Problem] = (),
        *,
        source: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.problems = tuple(problems)
        self.source = source
        super().__init__(self._format(message, self.problems), hint=hint)


class TemplateError(DataInvalid):
    """A survey template is invalid. Fix the template file named in each problem."""


class MailError(BipBridgeError):
    """The SMTP server could not be reached or refused the message. Nothing was sent."""

    exit_code = EX_UNAVAILABLE

    def __init__(self, message: str, *, host: str, port: int, hint: str | None = None):
        self.host = host
        self.port = port
        super().__init__(message, hint=hint)


class NotFound(BipBridgeError):
    """A named thing (participant, survey, file) does not exist."""

    exit_code = EX_NOINPUT


class FileAccessError(BipBridgeError):
    """A file or folder bip-bridge must write (or read) cannot be: a missing folder, no
    permission, a read-only or full disk. The CLI turns any stray OSError into this."""

    exit_code = EX_CANTCREAT

    def __init__(self, message: str, *, path: str | None, reason: str,
                 hint: str | None = None) -> None:
        self.path = path
        self.reason = reason
        super().__init__(message, hint=hint)

    @classmethod
    def from_oserror(cls, err: OSError) -> FileAccessError:
        path = None if err.filename is None else str(err.filename)
        reason = err.strerror or type(err).__name__
        where = f" {path}" if path else ""
        return cls(f"Cannot use{where}: {reason}.", path=path, reason=reason,
                   hint="Check that the folder exists and that this user may read and write "
                   "there (and that the disk is not full), or name another path.")
