"""The LimeSurvey RemoteControl 2 client: the only module in bip-bridge that imports citric.

:class:`LimeSurveyClient` implements :class:`bip_bridge.api.LimeSurveyAPI` on top of
citric's low-level :class:`CitricSession` (JSON-RPC envelope, request ids, empty-body
detection) and adds what a long unattended run against a real server needs
(docs/limesurvey.md):

* a timeout on every HTTP request and TLS verification on by default;
* retries with exponential backoff (tenacity) on connection errors, timeouts and HTTP
  5xx/429 answers, bounded in count and time; calls that change data are retried only
  when the request cannot have reached LimeSurvey, so a retry never adds a response twice;
* a lazy login, one transparent re-login when LimeSurvey answers ``Invalid session key``,
  and never an automatic second login attempt after a refused one (LimeSurvey locks the
  IP out after ``maxLoginAttempt`` failures);
* every error shape recorded from LimeSurvey 6.14 mapped onto :mod:`bip_bridge.errors`,
  and the "empty" answers (``No surveys found``, ...) turned into empty results;
* the password and every session key registered as secrets, so that logs and error
  messages never show them.

We use ``Session.call`` (the raw envelope) rather than citric's higher-level ``Client``:
LimeSurvey's status answers are not uniform (``invite_participants`` reports success as
``{"status": "0 left to send", ...}``) and the recordings, not citric's conventions, decide
what an error is.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
import requests
from citric.exceptions import (
    InvalidJSONResponseError,
    LimeSurveyApiError,
    LimeSurveyStatusError,
    ResponseMismatchError,
    RPCInterfaceNotEnabledError,
)
from citric.session import Session as CitricSession
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)
from urllib3.exceptions import MaxRetryError, NameResolutionError, NewConnectionError

from bip_bridge.api import TESTED_TEXT, Row, php_array, php_list
from bip_bridge.errors import (
    LimeSurveyAuthError,
    LimeSurveyRejected,
    LimeSurveyUnavailable,
    RemoteControlDisabled,
    redact,
    register_secret,
)

if TYPE_CHECKING:
    from bip_bridge.config import Settings

log = logging.getLogger(__name__)

__all__ = ["LimeSurveyClient", "connect", "html_error_message"]

RPC_FIX = (
    "In LimeSurvey, an administrator must open Configuration > Global settings > Interfaces "
    "and set 'RPC interface enabled' to JSON-RPC (and 'Publish API on /admin/remotecontrol' "
    "is not needed). The change takes effect at once."
)
URL_FIX = (
    "Check [limesurvey] url: it must be the RemoteControl URL, "
    "https://HOST/index.php/admin/remotecontrol (or .../admin/remotecontrol without "
    "index.php when LimeSurvey uses path URLs)."
)

# get_question_properties' map-valued properties (PHP arrays read through php_array).
QUESTION_MAPS = frozenset({"answeroptions", "subquestions", "available_answers", "attributes",
                           "attributes_lang", "questionl10ns"})

# Status answers that mean "nothing there", per method (api.py conventions).
_EMPTY_LIST_STATUSES = {
    "No surveys found",
    "No Data, could not get max id.",
    "No survey participants found.",
    "No Response found for Token",
    "No questions found",
    "No groups found",
}
_EMPTY_DICT_STATUSES = {"Error: No candidate tokens"}
_INVALID_SESSION = "invalid session key"
_LEFT_TO_SEND = re.compile(r"^\d+ left to send$")
_LOCKED_OUT = re.compile(r"exceeded the number of maximum login attempts", re.IGNORECASE)
_MINUTES = re.compile(r"(\d+)\s*min", re.IGNORECASE)

# Methods that can be sent twice without changing the outcome. Only these are retried after
# an error that may have happened *after* LimeSurvey received the request (read timeout,
# dropped connection, 502/504): retrying add_response there could store a response twice.
# The login is one of them: it changes no data (a refused password is an answer, never
# retried; only transport faults are).
IDEMPOTENT_METHODS = frozenset({
    "get_session_key",
    "list_surveys", "get_survey_properties", "set_survey_properties",
    "get_language_properties", "list_groups", "list_questions", "get_question_properties",
    "get_fieldmap", "get_summary", "list_participants", "get_participant_properties",
    "set_participant_properties", "export_responses", "export_responses_by_token",
    "get_response_ids", "update_response", "get_site_settings", "release_session_key",
})
# HTTP answers that say "try again later" (gateway or overload), for any method when the
# server never processed the request (503 Service Unavailable, 429 Too Many Requests).
_NOT_PROCESSED_STATUSES = frozenset({429, 503})


def plain_http_to_another_host(url: str) -> bool:
    """True for an ``http://`` URL whose host is not this machine (loopback)."""
    import ipaddress
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme.lower() != "http":
        return False
    host = (parts.hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


def _speaks_plain_http(exc: BaseException) -> bool:
    """An SSL error that means the other end answered in plain HTTP (an https:// URL on
    an http port): OpenSSL's "wrong version number" / "record layer failure" /
    "packet length too long"."""
    text = str(exc).lower()
    return any(s in text for s in ("wrong version number", "record layer failure",
                                   "packet length too long", "http request"))


def html_error_message(body: str) -> str | None:
    """The message of LimeSurvey's HTML error page (a PHP ``Error``), or None.

    LimeSurvey renders uncaught PHP errors (unknown method, too few arguments) as an HTML
    page whose ``<h2 class="error-title">`` holds e.g. ``500: Internal Server Error -
    call_user_func_array(): ... does not have a method "no_such_method"``.
    """
    match = re.search(r'<h2 class="error-title">(.*?)</h2>', body, re.DOTALL)
    if not match:
        return None
    text = re.sub(r"<[^>]+>", " ", match.group(1))
    return " ".join(html.unescape(text).split()) or None


@dataclass
class _Transient(Exception):
    """A transport failure worth another attempt (internal to the retry loop)."""

    message: str
    hint: str | None = None

    def __str__(self) -> str:
        return self.message


class _TimeoutSession(requests.Session):
    """A requests session that applies our timeout to every request citric sends."""

    def __init__(self, timeout: tuple[float, float], verify: bool | str) -> None:
        super().__init__()
        self._timeout = timeout
        self.verify = verify
        self.last_response: requests.Response | None = None
        self.hooks["response"].append(self._remember)

    def _remember(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self.last_response = response

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", self._timeout)
        self.last_response = None
        return super().request(method, url, *args, **kwargs)


def _request_not_sent(exc: requests.RequestException) -> bool:
    """True when the request certainly never reached the server (safe to resend anything)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, requests.exceptions.SSLError):
        return False
    if isinstance(exc, requests.exceptions.ConnectionError):
        reason = exc.args[0] if exc.args else None
        if isinstance(reason, MaxRetryError):
            reason = reason.reason
        return isinstance(reason, NewConnectionError | NameResolutionError)
    return False


def _root_cause(exc: requests.RequestException) -> object:
    reason = exc.args[0] if exc.args else None
    return reason.reason if isinstance(reason, MaxRetryError) else reason


def describe_transport_error(exc: requests.RequestException) -> str:
    """A short reason an admin can act on, for example ``connection refused
    (ConnectionError)``, instead of urllib3's nested pool and connection reprs."""
    kind = type(exc).__name__
    reason = _root_cause(exc)
    if isinstance(reason, NameResolutionError):
        what = "the host name could not be resolved"
    elif isinstance(reason, NewConnectionError):
        text = str(reason).lower()
        what = ("connection refused (nothing listens on that port)" if "refused" in text
                else "could not connect")
    elif isinstance(exc, requests.exceptions.ConnectTimeout):
        what = "no answer while connecting (timed out)"
    elif isinstance(exc, requests.exceptions.ReadTimeout):
        what = "no answer within [limesurvey] timeout"
    elif isinstance(exc, requests.exceptions.ConnectionError):
        what = "the connection broke off"
    else:
        return f"{kind}: {redact(str(exc))}"
    return f"{what} ({kind})"


class LimeSurveyClient:
    """A LimeSurvey RemoteControl 2 session over JSON-RPC (see the module docstring).

    Args:
        url: the RemoteControl URL, ``https://HOST/index.php/admin/remotecontrol``.
        username, password: a LimeSurvey user; the password is registered as a secret.
        timeout: seconds to wait for the server's answer (connecting waits at most
            ``min(timeout, 10)``).
        retries: further attempts after a transient failure (0 = none). A call gives up
            after at most ``retries + 1`` attempts; the waits between attempts grow
            0.5, 1, 2, 4, 8, 8 ... s (``backoff`` scales them).
        verify: True (default) checks TLS certificates against the system CAs; a path uses
            that CA bundle; False turns checking off (never in production).
        sleep, backoff: injectable for tests (no real waiting).

    Not thread-safe: give each thread its own client.
    """

    def __init__(
        self,
        url: str,
        username: str,
        password: str,
        *,
        timeout: float = 30.0,
        retries: int = 4,
        verify: bool | str = True,
        sleep: Callable[[float], None] = time.sleep,
        backoff: float = 0.5,
    ) -> None:
        if retries < 0:
            raise ValueError("retries must be >= 0")
        register_secret(password)
        self.url = url
        self.username = username
        self.__password = password
        self.timeout = float(timeout)
        self.retries = int(retries)
        self.verify = verify
        self._sleep = sleep
        self._backoff = backoff
        self._http = _TimeoutSession((min(self.timeout, 10.0), self.timeout), verify)
        self._session: CitricSession | None = None
        self._login_error: LimeSurveyAuthError | None = None
        self._closed = False
        self.logins = 0  # how many session keys this client obtained (tests, diagnostics)
        if verify is False:
            log.warning("TLS certificate verification is OFF for %s; use only for testing.", url)
        if plain_http_to_another_host(url):
            log.warning("LimeSurvey is reached over plain http at %s: the password and the "
                        "participants' data cross the network unencrypted. Use https:// "
                        "(docs/limesurvey.md).", url)

    def __repr__(self) -> str:  # never show the password or the session key
        state = "connected" if self._session is not None else "not connected"
        return f"<LimeSurveyClient {self.username}@{self.url} ({state})>"

    # --- session --------------------------------------------------------------------

    def _login(self) -> CitricSession:
        """Get a session key: retried only when the request never reached the server."""
        if self._login_error is not None:
            # A refused login is never retried automatically: each attempt counts towards
            # LimeSurvey's lock-out (maxLoginAttempt, default 3 per IP in 10 minutes).
            raise self._login_error
        if self._closed:
            raise LimeSurveyUnavailable("This LimeSurvey client was closed.",
                                        method="get_session_key")

        def attempt() -> CitricSession:
            return CitricSession(self.url, self.username, self.__password,
                                  requests_session=self._http)

        try:
            session = self._with_retries("get_session_key", attempt)
        except LimeSurveyRejected as err:
            if err.status is None:  # a PHP exception, not a refused password
                raise
            auth = self._auth_error(err.status)
            self._login_error = auth
            raise auth from None
        key = session.key
        register_secret(key)
        self.logins += 1
        log.debug("Logged in to LimeSurvey as %s (session %d).", self.username, self.logins)
        return session

    def _auth_error(self, status: str) -> LimeSurveyAuthError:
        if _LOCKED_OUT.search(status) or "wait" in status.lower():
            minutes = _MINUTES.search(status)
            wait = f"{minutes.group(1)} minutes" if minutes else "the lock-out time"
            return LimeSurveyAuthError(
                f"LimeSurvey refuses logins from this address after too many failed "
                f"attempts: {status}",
                locked_out=True, method="get_session_key",
                hint=f"Wait {wait} before trying again, and fix the password first "
                "(BIP_BRIDGE_LIMESURVEY_PASSWORD): every failed attempt extends the "
                "lock-out. An administrator can clear it (table failed_login_attempts) or "
                "allowlist this host (Global settings > Security).",
            )
        return LimeSurveyAuthError(
            f"LimeSurvey refused the login for user {self.username!r}: {status}",
            method="get_session_key",
            hint="Check [limesurvey] username and the password in "
            "BIP_BRIDGE_LIMESURVEY_PASSWORD (or _FILE). bip-bridge does not retry: LimeSurvey "
            "locks the address out after a few failed logins (by default 3, for 10 minutes).",
        )

    def close(self) -> None:
        """Release the session key (safe to call twice, never raises)."""
        session, self._session = self._session, None
        if session is not None:
            try:
                session.call("release_session_key")
            except Exception as exc:  # releasing is best effort; keys expire anyway
                log.debug("Could not release the LimeSurvey session key: %s",
                          redact(type(exc).__name__))
        self._closed = True
        self._http.close()

    def __enter__(self) -> LimeSurveyClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- one RPC --------------------------------------------------------------------

    def _with_retries(self, method: str, attempt: Callable[[], Any]) -> Any:
        """Run ``attempt`` (one HTTP round trip) with retries on transient failures."""

        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            log.warning("LimeSurvey %s failed (%s); attempt %d of %d, retrying in %.1f s.",
                        method, exc, state.attempt_number, self.retries + 1,
                        state.next_action.sleep if state.next_action else 0.0)

        retrying = Retrying(
            stop=stop_after_attempt(self.retries + 1),
            wait=wait_exponential(multiplier=self._backoff, max=16 * self._backoff),
            retry=retry_if_exception_type(_Transient),
            sleep=self._sleep,
            before_sleep=before_sleep,
            reraise=True,
        )
        attempts = 0

        def one() -> Any:
            nonlocal attempts
            attempts += 1
            return self._translate(method, attempt)

        try:
            return retrying(one)
        except _Transient as exc:
            raise LimeSurveyUnavailable(
                f"LimeSurvey at {self.url} did not answer {method} after {attempts} "
                f"attempt(s): {exc}.",
                attempts=attempts, method=method,
                hint=exc.hint or "Check that the server is up, that [limesurvey] url is right "
                "and reachable from here, then run again; nothing was half-written by this "
                "call.",
            ) from None

    def _translate(self, method: str, attempt: Callable[[], Any]) -> Any:
        """One round trip; turn transport and envelope failures into our exceptions."""
        retry_any = method in IDEMPOTENT_METHODS
        try:
            return attempt()
        except requests.exceptions.SSLError as exc:
            if _speaks_plain_http(exc):
                raise LimeSurveyUnavailable(
                    f"TLS error talking to LimeSurvey ({method}): the server at "
                    f"{self.url} answers in plain HTTP, not HTTPS.", method=method,
                    hint="The port serves http, not https: write http:// in [limesurvey] url "
                    "for this port, or use the server's HTTPS port (usually 443). A "
                    "certificate setting (ca_bundle) will not help.") from None
            raise LimeSurveyUnavailable(
                f"TLS error talking to LimeSurvey ({method}): {exc}", method=method,
                hint="The server's certificate could not be verified. If it is signed by "
                "your own CA, set [limesurvey] ca_bundle to that CA's PEM file.",
            ) from None
        except requests.exceptions.HTTPError as exc:
            raise self._http_error(method, exc.response, retry_any) from None
        except requests.RequestException as exc:
            kind = type(exc).__name__
            if retry_any or _request_not_sent(exc):
                raise _Transient(describe_transport_error(exc)) from None
            raise LimeSurveyUnavailable(
                f"The connection failed during {method} ({kind}); it was not retried "
                "because LimeSurvey may already have carried it out.",
                method=method,
                hint="Check in LimeSurvey whether the change was made, then run again "
                "(bip-bridge's own steps are safe to re-run).",
            ) from None
        except RPCInterfaceNotEnabledError:
            raise self._empty_body(method) from None
        except InvalidJSONResponseError:
            raise self._not_json(method) from None
        except ResponseMismatchError:
            raise self._mismatch(method) from None
        except LimeSurveyStatusError as exc:  # citric's own check (login only)
            raise LimeSurveyRejected(str(exc), method=method, status=redact(str(exc))) from None
        except LimeSurveyApiError as exc:
            raise LimeSurveyRejected(f"LimeSurvey failed {method}: {exc}", method=method,
                                     status=None) from None

    def _http_error(self, method: str, response: requests.Response | None,
                    retry_any: bool) -> Exception:
        status = response.status_code if response is not None else 0
        body = response.text if response is not None else ""
        message = html_error_message(body) if status == 500 else None
        if message is not None:
            # A PHP Error (unknown method, wrong argument count): a programming or version
            # mismatch, not a passing fault. Never retried.
            return LimeSurveyRejected(
                f"LimeSurvey failed {method} with a PHP error: {message}",
                method=method, status=redact(message),
                hint="This LimeSurvey version does not support the call as bip-bridge makes "
                f"it. bip-bridge is tested with {TESTED_TEXT}; please report the message "
                "above.",
            )
        if status >= 500 or status in _NOT_PROCESSED_STATUSES:
            text = f"HTTP {status} {response.reason if response is not None else ''}".strip()
            if retry_any or status in _NOT_PROCESSED_STATUSES:
                return _Transient(text)
            return LimeSurveyUnavailable(
                f"LimeSurvey answered {text} to {method}; not retried because the server "
                "may already have carried it out.", method=method,
                hint="Check in LimeSurvey whether the change was made, then run again.")
        return LimeSurveyUnavailable(
            f"LimeSurvey answered HTTP {status} to {method}.", method=method,
            hint=URL_FIX if status in (404, 405) else
            "Check [limesurvey] url and any proxy in front of LimeSurvey.")

    def _empty_body(self, method: str) -> RemoteControlDisabled:
        return RemoteControlDisabled(
            f"LimeSurvey's RemoteControl interface is switched off (empty answer to {method}).",
            mode="off", hint=RPC_FIX)

    def _not_json(self, method: str) -> Exception:
        response = self._http.last_response
        body = response.text if response is not None else ""
        if "<methodResponse>" in body or "faultCode" in body:
            return RemoteControlDisabled(
                "LimeSurvey's RemoteControl interface is set to XML-RPC; bip-bridge needs "
                "JSON-RPC.", mode="xml", hint=RPC_FIX)
        kind = response.headers.get("Content-Type", "?") if response is not None else "?"
        return LimeSurveyUnavailable(
            f"LimeSurvey's answer to {method} is not valid JSON (Content-Type {kind}, "
            f"{len(body)} bytes).", method=method, hint=URL_FIX)

    def _mismatch(self, method: str) -> Exception:
        response = self._http.last_response
        try:
            data = response.json() if response is not None else None
        except ValueError:
            data = None
        if isinstance(data, dict) and isinstance(data.get("error"), str):
            error = redact(str(data["error"]))
            return LimeSurveyRejected(f"LimeSurvey could not read the {method} request: {error}",
                                      method=method, status=error)
        return LimeSurveyUnavailable(
            f"LimeSurvey's answer to {method} belongs to another request (JSON-RPC id "
            "mismatch).", method=method,
            hint="A proxy or cache between bip-bridge and LimeSurvey mixes answers up; "
            "exclude the RemoteControl URL from caching.")

    def _call(self, method: str, *params: Any) -> Any:
        """Call ``method`` (session key first) and return its result, errors mapped.

        Trailing ``None`` parameters are dropped so LimeSurvey applies its defaults.
        On ``Invalid session key`` we log in again and repeat the call exactly once.
        """
        args = list(params)
        while args and args[-1] is None:
            args.pop()
        for relogin in (False, True):
            if self._session is None:
                self._session = self._login()
            session = self._session
            started = time.monotonic()

            def attempt(session: CitricSession = session) -> Any:
                return session.call(method, *args)

            envelope = self._with_retries(method, attempt)
            log.debug("LimeSurvey %s answered in %.3f s.", method, time.monotonic() - started)
            if not isinstance(envelope, dict):
                raise LimeSurveyUnavailable(f"LimeSurvey's answer to {method} is not a "
                                            "JSON-RPC object.", method=method, hint=URL_FIX)
            result, error = envelope.get("result"), envelope.get("error")
            if error is not None:
                raise LimeSurveyRejected(f"LimeSurvey failed {method}: {error}",
                                         method=method, status=redact(str(error)))
            status = _status_of(result)
            if status is not None and status.lower() == _INVALID_SESSION:
                self._session = None  # expired, deleted or released on the server
                if not relogin:
                    log.info("LimeSurvey session key no longer valid; logging in again.")
                    continue
                raise LimeSurveyAuthError(
                    f"LimeSurvey rejected a fresh session key for {method}.", method=method,
                    hint="LimeSurvey loses its sessions at once: check the server's clock and "
                    "its session storage (table sessions).")
            return result
        raise AssertionError("unreachable")  # pragma: no cover

    def _checked(self, method: str, *params: Any, empty: Any = None) -> Any:
        """``_call`` plus the status convention: empty answers -> ``empty``, others raise."""
        result = self._call(method, *params)
        status = _status_of(result)
        if status is None or status == "OK" or _LEFT_TO_SEND.match(status):
            return result
        if empty is not None and status in (
            _EMPTY_DICT_STATUSES if isinstance(empty, dict) else _EMPTY_LIST_STATUSES
        ):
            return type(empty)()
        raise LimeSurveyRejected(f"LimeSurvey refused {method}: {status}", method=method,
                                 status=redact(status), hint=_status_hint(status))

    # --- server -----------------------------------------------------------------------

    def server_version(self) -> str | None:
        """``versionnumber`` via get_site_settings; needs the superadmin permission."""
        try:
            value = self._checked("get_site_settings", "versionnumber")
        except LimeSurveyRejected as err:
            log.info("LimeSurvey's version is not readable for this user (%s).", err.status)
            return None
        return str(value) if value not in (None, "", False) else None

    def max_emails_per_call(self) -> int | None:
        """LimeSurvey's ``maxemails`` (mails one invite/remind call sends), or None when
        this user may not read it (get_site_settings needs superadmin)."""
        try:
            value = self._checked("get_site_settings", "maxemails")
        except LimeSurveyRejected as err:
            log.info("LimeSurvey's maxemails is not readable for this user (%s).", err.status)
            return None
        try:
            number = int(value)
        except (TypeError, ValueError):
            return None
        return number if number > 0 else None

    # --- surveys ------------------------------------------------------------------------

    def list_surveys(self) -> list[Row]:
        return _rows(self._checked("list_surveys", empty=[]))

    def import_survey(self, content: bytes, *, file_type: str = "lss", name: str | None = None,
                      survey_id: int | None = None) -> int:
        encoded = base64.b64encode(content).decode("ascii")
        return _as_int(self._checked("import_survey", encoded, file_type, name, survey_id),
                       "import_survey")

    def delete_survey(self, sid: int) -> None:
        try:
            self._checked("delete_survey", sid)
        except LimeSurveyRejected as err:
            if err.status != "No permission":
                raise
            # LimeSurvey 6.14 checks the permission first: a survey that does not exist
            # answers "No permission" too (measured).
            raise LimeSurveyRejected(
                str(err), method="delete_survey", status=err.status,
                hint=f"Either survey {sid} does not exist on this server, or the LimeSurvey "
                "user may not delete it (survey permission 'Delete').") from None

    def get_survey_properties(self, sid: int, properties: Sequence[str] | None = None) -> Row:
        return php_array(self._checked("get_survey_properties", sid, _list(properties)))

    def set_survey_properties(self, sid: int, properties: Mapping[str, Any]) -> Row:
        return php_array(self._checked("set_survey_properties", sid, dict(properties)))

    def get_language_properties(self, sid: int, language: str,
                                properties: Sequence[str] | None = None) -> Row:
        return php_array(self._checked("get_language_properties", sid, _list(properties),
                                       language))

    def activate_tokens(self, sid: int, attributes: Sequence[int]) -> None:
        self._checked("activate_tokens", sid, list(attributes))

    def activate_survey(self, sid: int) -> None:
        self._checked("activate_survey", sid)

    def list_groups(self, sid: int, language: str | None = None) -> list[Row]:
        return _rows(self._checked("list_groups", sid, language, empty=[]))

    def list_questions(self, sid: int, language: str | None = None) -> list[Row]:
        return _rows(self._checked("list_questions", sid, None, language, empty=[]))

    def get_question_properties(self, qid: int, properties: Sequence[str] | None = None,
                                language: str | None = None) -> Row:
        """The map-valued properties (``QUESTION_MAPS``) are dicts keyed by str in either
        JSON shape (answer codes 0, 1, 2 arrive as a list), ``{}`` where LimeSurvey answers
        a text such as ``No available answer options``."""
        result = php_array(self._checked("get_question_properties", qid, _list(properties),
                                         language))
        for name in QUESTION_MAPS & result.keys():
            result[name] = php_array(result[name])
        return result

    def get_fieldmap(self, sid: int) -> dict[str, Row]:
        return {name: php_array(entry)
                for name, entry in php_array(self._checked("get_fieldmap", sid)).items()}

    def get_summary(self, sid: int) -> Row:
        return php_array(self._checked("get_summary", sid))  # [] without a tokens table

    # --- participants -------------------------------------------------------------------

    def add_participants(self, sid: int, participants: Sequence[Mapping[str, Any]], *,
                         create_tokens: bool = False) -> list[Row]:
        rows = self._checked("add_participants", sid, [dict(p) for p in participants],
                             create_tokens)
        return _rows(rows)

    def list_participants(self, sid: int, *, start: int = 0, limit: int = 1000,
                          attributes: Sequence[str] = (),
                          conditions: Mapping[str, Any] | None = None) -> list[Row]:
        rows = self._checked("list_participants", sid, start, limit, False,
                             list(attributes) if attributes else False,
                             dict(conditions) if conditions else None, empty=[])
        return _rows(rows)

    def iter_participants(self, sid: int, *, attributes: Sequence[str] = (),
                          conditions: Mapping[str, Any] | None = None,
                          page_size: int = 1000) -> Iterator[Row]:
        """Every participant, in tid order. ``start`` is a tid lower bound, not an offset."""
        start = 0
        while True:
            page = self.list_participants(sid, start=start, limit=page_size,
                                          attributes=attributes, conditions=conditions)
            yield from page
            if len(page) < page_size:
                return
            start = max(int(row["tid"]) for row in page) + 1

    def get_participant_properties(self, sid: int, tid: int,
                                   properties: Sequence[str] | None = None) -> Row:
        return _int_tid(php_array(self._checked("get_participant_properties", sid, tid,
                                                _list(properties))))

    def set_participant_properties(self, sid: int, tid: int,
                                   properties: Mapping[str, Any]) -> Row:
        return _int_tid(php_array(self._checked("set_participant_properties", sid, tid,
                                                dict(properties))))

    def delete_participants(self, sid: int, tids: Sequence[int]) -> Row:
        if not tids:
            return {}
        return php_array(self._checked("delete_participants", sid, [int(t) for t in tids]))

    def invite_participants(self, sid: int, tids: Sequence[int]) -> Row:
        """Invite exactly ``tids``; an empty list sends nothing (never "everybody")."""
        if not tids:
            return {}
        return php_array(self._checked("invite_participants", sid, [int(t) for t in tids],
                                       empty={}))

    def remind_participants(self, sid: int, tids: Sequence[int]) -> Row:
        """Remind exactly ``tids``; an empty list sends nothing (never "everybody")."""
        if not tids:
            return {}
        return php_array(self._checked("remind_participants", sid, None, None,
                                       [int(t) for t in tids], empty={}))

    # --- responses ----------------------------------------------------------------------

    def export_responses(self, sid: int, *, from_id: int | None = None,
                         to_id: int | None = None, completion: str = "all",
                         fields: Sequence[str] | None = None) -> list[Row]:
        result = self._checked("export_responses", sid, "json", None, completion, "code",
                               "short", from_id, to_id, _list(fields), empty=[])
        return _decode_export(result, "export_responses")

    def export_responses_by_token(self, sid: int, tokens: Sequence[str]) -> list[Row]:
        if not tokens:
            return []
        result = self._checked("export_responses_by_token", sid, "json", list(tokens),
                               empty=[])
        return _decode_export(result, "export_responses_by_token")

    def get_response_ids(self, sid: int, token: str) -> list[int]:
        result = self._checked("get_response_ids", sid, token, empty=[])
        return [int(i) for i in php_list(result)]

    def add_response(self, sid: int, response: Mapping[str, Any]) -> int:
        return _as_int(self._checked("add_response", sid, dict(response)), "add_response")

    def update_response(self, sid: int, response: Mapping[str, Any]) -> None:
        self._checked("update_response", sid, dict(response))

    def delete_response(self, sid: int, response_id: int) -> None:
        self._checked("delete_response", sid, int(response_id))


# --- helpers ----------------------------------------------------------------------------


def _status_of(result: Any) -> str | None:
    """The ``status`` of an error-shaped answer: a dict that is (nearly) only a status."""
    if isinstance(result, dict) and isinstance(result.get("status"), str):
        extra = set(result) - {"status", "error", "error_code", "pluginFeedback",
                                "isAllowRegister"}
        if not extra:
            return str(result["status"])
    return None


def _status_hint(status: str) -> str | None:
    lowered = status.lower()
    if "permission" in lowered:
        return ("The LimeSurvey user lacks a permission for this survey; see "
                "docs/limesurvey.md (Permissions).")
    if "invalid survey id" in lowered or "invalid surveyid" in lowered:
        return "The survey does not exist on this server: check the survey id."
    if "not active" in lowered or "table does not exist" in lowered or "no survey response" in \
            lowered:
        return "The survey is not active: activate it (bip-bridge provision does) first."
    return None


def _list(values: Sequence[str] | None) -> list[str] | None:
    return list(values) if values else None


def _as_int(value: Any, method: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise LimeSurveyRejected(f"LimeSurvey's answer to {method} is not an id: "
                                 f"{str(value)[:80]!r}", method=method) from None


def _int_tid(row: Any) -> Row:
    row = php_array(row)
    if isinstance(row.get("tid"), str) and row["tid"].isdigit():
        row["tid"] = int(row["tid"])
    return row


def _rows(result: Any) -> list[Row]:
    """A list of rows (each a PHP map), in either JSON shape; ``tid`` as an int and
    ``participant_info`` (list_participants) a map."""
    rows = [_int_tid(row) for row in php_list(result)]
    for row in rows:
        if "participant_info" in row:
            row["participant_info"] = php_array(row["participant_info"])
    return rows


def _decode_export(result: Any, method: str) -> list[Row]:
    """Base64 JSON document ``{"responses": [...]}`` -> the list of response dicts."""
    if isinstance(result, list):
        return result  # an "empty" status already mapped to []
    try:
        document = _parse_document(result)
    except (TypeError, ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise LimeSurveyUnavailable(f"LimeSurvey's {method} answer is not base64 JSON "
                                    f"({type(exc).__name__}).", method=method) from None
    responses = document.get("responses") if isinstance(document, dict) else None
    if not isinstance(responses, list | dict):
        raise LimeSurveyUnavailable(f"LimeSurvey's {method} answer has no 'responses' list.",
                                    method=method)
    rows: list[Row] = []
    for item in php_list(responses):
        # LimeSurvey < 6 wrapped each response as {"<id>": {...}}; 6.x gives the row itself.
        if isinstance(item, dict) and len(item) == 1:
            (only,) = item.values()
            if isinstance(only, dict):
                item = only
        # a JSON object is already a dict with string keys: no copy per response
        rows.append(item if type(item) is dict else php_array(item))
    return rows


def _parse_document(encoded: Any) -> Any:
    """The base64 JSON document of an export, parsed (a full sync's per-page work).

    binascii's strict mode validates the alphabet and padding in C (``b64decode``'s
    ``validate=True`` runs a regular expression over the whole page first), and orjson
    parses the bytes several times faster than json. json, slower but a little more
    lenient (NaN, integers beyond 64 bits, lone surrogates), gets the rare document
    orjson refuses, so what is accepted and what is refused is as before.
    """
    if not isinstance(encoded, (str, bytes)):
        raise TypeError(f"expected a base64 string, got {type(encoded).__name__}")
    data = binascii.a2b_base64(encoded, strict_mode=True)
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data.decode("utf-8"))


@contextmanager
def connect(settings: Settings) -> Iterator[LimeSurveyClient]:
    """A client for ``settings.limesurvey``; the session key is released on exit, always."""
    ls = settings.limesurvey
    verify: bool | str = ls.ca_bundle if (ls.ca_bundle and ls.verify_tls) else ls.verify_tls
    client = LimeSurveyClient(ls.url, ls.username, settings.require_password(),
                              timeout=ls.timeout, retries=ls.retries, verify=verify)
    try:
        yield client
    finally:
        client.close()
