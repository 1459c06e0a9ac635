"""The core of ``bip-bridge check``: can this configuration work against this LimeSurvey?

:func:`run_check` walks the chain an admin would debug by hand and stops at the first
broken link: the server answers, JSON-RPC is on, the login works, the version, the
read permissions bip-bridge relies on, and whether every configured or provisioned survey
exists and can be read. It only makes read-only calls (``export_responses`` with
``fields=["id"]`` and a one-id range, so no answers leave the server) and never creates a
store. The result is a :class:`CheckReport`, a plain list of named results; printing it is
the CLI's job.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import sqlalchemy as sa

from bip_bridge.api import TESTED_TEXT, TESTED_VERSIONS, LimeSurveyAPI
from bip_bridge.config import Settings
from bip_bridge.errors import (
    EX_NOINPUT,
    BipBridgeError,
    ConfigError,
    LimeSurveyAuthError,
    LimeSurveyError,
    LimeSurveyRejected,
    RemoteControlDisabled,
    StoreError,
)

Status = Literal["OK", "WARN", "FAIL"]
ClientFactory = Callable[[Settings], AbstractContextManager[LimeSurveyAPI]]


@dataclass(frozen=True)
class CheckResult:
    """One line of the report: ``name`` is what was checked, ``detail`` what was found."""

    name: str
    status: Status
    detail: str
    hint: str | None = None
    exit_code: int = 0

    @property
    def ok(self) -> bool:
        return self.status != "FAIL"


@dataclass(frozen=True)
class CheckReport:
    results: tuple[CheckResult, ...]

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    @property
    def exit_code(self) -> int:
        """The exit code of the first failure (docs/exit-codes.md), 0 when all passed."""
        return next((r.exit_code for r in self.results if not r.ok), 0)


@dataclass(frozen=True)
class ConfiguredSurvey:
    sid: int
    kind: str  # participant | caseworker
    source: str  # "configuration" | "store"


def _fail(name: str, err: BipBridgeError) -> CheckResult:
    return CheckResult(name, "FAIL", str(err), err.hint, err.exit_code)


def configured_surveys(settings: Settings) -> list[ConfiguredSurvey]:
    """Surveys named in [surveys] plus those recorded in the store (if it exists)."""
    found: dict[int, ConfiguredSurvey] = {}
    for sid, kind in ((settings.surveys.participant_sid, "participant"),
                      (settings.surveys.caseworker_sid, "caseworker")):
        if sid is not None:
            found[sid] = ConfiguredSurvey(sid, kind, "configuration")
    for sid, kind in provisioned_surveys(settings.store.url):
        found.setdefault(sid, ConfiguredSurvey(sid, kind, "store"))
    return list(found.values())


def provisioned_surveys(store_url: str) -> list[tuple[int, str]]:
    """``(sid, kind)`` rows of the store's ``surveys`` table; ``[]`` if there is no store.

    Reads only: a missing SQLite file is not created, a missing table is not made.
    """
    url = sa.engine.make_url(store_url)
    database = url.database or ""
    if url.get_backend_name() == "sqlite" and (
        database in ("", ":memory:") or not Path(database).exists()
    ):
        return []
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("surveys"):
                return []
            table = sa.table("surveys", sa.column("sid"), sa.column("kind"))
            rows = conn.execute(sa.select(table.c.sid, table.c.kind).order_by(table.c.sid))
            return [(int(sid), str(kind)) for sid, kind in rows]
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError(f"Cannot read the store at {url.render_as_string()}: "
                         f"{type(exc).__name__}",
                         hint="Check [store] url and that the database is running.") from None
    finally:
        engine.dispose()


def _connect_stage(err: LimeSurveyError) -> str:
    """Which link of the chain a failure of the first call belongs to."""
    if isinstance(err, LimeSurveyAuthError):
        return "login"
    if isinstance(err, RemoteControlDisabled):
        return "json-rpc"
    if isinstance(err, LimeSurveyRejected):
        return "login"
    return "connection"


_STAGES = ("connection", "json-rpc", "login")
_STAGE_OK = {
    "connection": "the server answers at {url}",
    "json-rpc": "the RemoteControl JSON-RPC interface is on",
    "login": "logged in as {user}",
}


def run_check(settings: Settings, client_factory: ClientFactory | None = None) -> CheckReport:
    """Check the LimeSurvey connection, the configured surveys and the SMTP server the
    caseworker digests go through; never raises for them."""
    report = _limesurvey_check(settings, client_factory)
    smtp = smtp_result(settings)
    return report if smtp is None else CheckReport((*report.results, smtp))


def smtp_result(settings: Settings) -> CheckResult | None:
    """The e-mail line: the server is reached, encrypts and takes the login (nothing is
    sent); a WARN when the digests are due to go out but there is no [smtp]."""
    smtp = settings.smtp
    digest = settings.waves.caseworker_email == "digest"
    if smtp is None or not smtp.host or not smtp.sender:
        if not digest:
            return None
        return CheckResult(
            "smtp", "WARN", "no [smtp] with host and sender: caseworkers are not told of their "
            "assessments (caseworker_email = \"digest\")",
            hint='Add [smtp] host and sender (docs/configuration.md), or set [waves] '
                 'caseworker_email = "limesurvey".')
    from bip_bridge.mailer import probe

    try:
        probe(smtp)
    except BipBridgeError as err:
        return _fail("smtp", err)
    how = ", STARTTLS" if smtp.starttls else ", without encryption (starttls = false)"
    login = ", login accepted" if smtp.username else ""
    return CheckResult("smtp", "OK", f"{smtp.host}:{smtp.port} answers{how}{login} "
                       "(nothing was sent)")


def _limesurvey_check(settings: Settings, client_factory: ClientFactory | None) -> CheckReport:
    if client_factory is None:
        from bip_bridge.limesurvey import connect

        client_factory = connect
    results: list[CheckResult] = []
    ls = settings.limesurvey

    try:
        surveys = configured_surveys(settings)
    except BipBridgeError as err:
        results.append(_fail("store", err))
        surveys = [ConfiguredSurvey(sid, kind, "configuration") for sid, kind in (
            (settings.surveys.participant_sid, "participant"),
            (settings.surveys.caseworker_sid, "caseworker")) if sid is not None]

    try:
        with client_factory(settings) as client:
            # The first call logs in: its failure tells which link is broken.
            try:
                version = client.server_version()
            except LimeSurveyError as err:
                stage = _connect_stage(err)
                for name in _STAGES[: _STAGES.index(stage)]:
                    results.append(CheckResult(name, "OK", _STAGE_OK[name].format(
                        url=ls.url, user=ls.username)))
                results.append(_fail(stage, err))
                return CheckReport(tuple(results))
            for name in _STAGES:
                results.append(CheckResult(name, "OK", _STAGE_OK[name].format(
                    url=ls.url, user=ls.username)))
            results.append(_version_result(version))
            results.extend(_survey_results(client, surveys))
    except BipBridgeError as err:  # configuration (no password) or a failure mid-way
        results.append(_fail("configuration" if isinstance(err, ConfigError) else "limesurvey",
                             err))
    return CheckReport(tuple(results))


def _version_result(version: str | None) -> CheckResult:
    """OK for a tested release line (major.minor), one WARN naming them for any other."""
    if version is None:
        return CheckResult(
            "version", "OK", "not readable by this user (only superadmins may read it); "
            f"bip-bridge is tested with {TESTED_TEXT}")
    line = re.match(r"\s*(\d+)\.(\d+)", version)
    if line and f"{int(line.group(1))}.{int(line.group(2))}" in TESTED_VERSIONS:
        return CheckResult("version", "OK", f"LimeSurvey {version} (a tested version)")
    return CheckResult(
        "version", "WARN", f"LimeSurvey {version} is not a tested version",
        hint=f"bip-bridge is tested with {TESTED_TEXT}. Other versions may answer some "
        "calls differently: try `bip-bridge provision` and a `sync` on a test server first, "
        "or use a tested version.")


def _survey_results(client: LimeSurveyAPI,
                    surveys: Sequence[ConfiguredSurvey]) -> list[CheckResult]:
    results: list[CheckResult] = []
    try:
        listed = {int(s["sid"]): s for s in client.list_surveys()}
    except LimeSurveyRejected as err:
        return [_fail("permission: list surveys", err)]
    results.append(CheckResult("permission: list surveys", "OK",
                               f"{len(listed)} survey(s) visible to this user"))
    if not surveys:
        results.append(CheckResult(
            "surveys", "OK", "none configured or provisioned yet",
            hint="Run `bip-bridge provision` to create the questionnaires."))
        return results
    for survey in surveys:
        label = f"survey {survey.sid}"
        origin = f"{survey.kind} survey (from the {survey.source})"
        if survey.sid not in listed:
            results.append(CheckResult(
                label, "FAIL", f"{origin} does not exist or is not visible to this user",
                hint="Check the survey id in [surveys] (or provision again), and that the "
                "LimeSurvey user has permissions on this survey.", exit_code=EX_NOINPUT))
            continue
        results.extend(_probe_survey(client, survey.sid, label, origin, listed[survey.sid]))
    return results


def _probe_survey(client: LimeSurveyAPI, sid: int, label: str, origin: str,
                  listed: dict[str, object]) -> list[CheckResult]:
    """Read-only probes for the permissions bip-bridge needs on one survey."""
    title = listed.get("surveyls_title", "")
    active = listed.get("active") == "Y"
    state = "active" if active else "inactive"
    results = [CheckResult(label, "OK", f"{origin} exists: {title!s} ({state})")]
    probes: list[tuple[str, Callable[[], object]]] = [
        ("survey settings", lambda: client.get_survey_properties(sid, ["active", "language"])),
        ("participants", lambda: client.list_participants(sid, start=0, limit=1)),
    ]
    if active:
        probes.append(("responses", lambda: client.export_responses(
            sid, from_id=1, to_id=1, fields=["id"])))
    for what, probe in probes:
        name = f"permission: {what} of {sid}"
        try:
            probe()
        except LimeSurveyRejected as err:
            results.append(_fail(name, err))
        else:
            results.append(CheckResult(name, "OK", "readable"))
    if not active:
        results.append(CheckResult(
            f"permission: responses of {sid}", "WARN", "not checked: the survey is not active",
            hint="Activate the survey (bip-bridge provision does) before the first wave."))
    return results
