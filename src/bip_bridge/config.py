"""Configuration: one TOML file plus secrets from the environment, validated once.

``load_settings()`` reads ``bip-bridge.toml`` (path from ``--config``,
``BIP_BRIDGE_CONFIG`` or the current directory), checks every key, and either returns
a frozen :class:`Settings` or raises one :class:`ConfigError` that lists *every*
problem (section, key, what is wrong, what is expected).

Secrets never live in the TOML: the LimeSurvey password, the pseudonym key and the
SMTP password come from ``BIP_BRIDGE_*`` environment variables or from files named by
``BIP_BRIDGE_*_FILE``. A secret found in the TOML is refused with a message saying
where to put it. See docs/configuration.md.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from bip_bridge.errors import ConfigError, Problem, register_secret

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_CONFIG_NAME = "bip-bridge.toml"
ENV_PREFIX = "BIP_BRIDGE_"
ENV_CONFIG = ENV_PREFIX + "CONFIG"
# Names of the environment variables that hold secrets (never the secrets themselves).
LS_PASSWORD_VARIABLE = ENV_PREFIX + "LIMESURVEY_PASSWORD"
ENV_PSEUDONYM_KEY = ENV_PREFIX + "PSEUDONYM_KEY"
SMTP_PASSWORD_VARIABLE = ENV_PREFIX + "SMTP_PASSWORD"
SECRET_WORDS = ("password", "passwd", "secret", "pseudonym_key", "api_key", "token")
LANGUAGES = ("sv", "da", "en")
CASEWORKER_EMAIL_MODES = ("digest", "limesurvey")


@dataclass(frozen=True)
class LimeSurveySettings:
    url: str
    username: str
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0
    retries: int = 4
    verify_tls: bool = True
    ca_bundle: str | None = None


@dataclass(frozen=True)
class StoreSettings:
    url: str
    lock_wait_seconds: float = 5.0  # how long a second changing command waits for the lock


@dataclass(frozen=True)
class PrivacySettings:
    min_cell: int = 5
    min_count: int = 3
    pseudonym_key: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True)
class ReportSettings:
    out_dir: Path
    language: str = "sv"
    excel: bool | None = None  # None: by language (sv, da: Excel; en: plain)
    after_sync: bool = False


@dataclass(frozen=True)
class SurveySettings:
    template_dir: Path | None = None  # None: the templates shipped with bip-bridge
    participant_sid: int | None = None  # only for surveys imported by hand
    caseworker_sid: int | None = None
    # who LimeSurvey's invitations and reminders come from (the survey's administrator);
    # None: whatever the template or LimeSurvey's site default says
    sender_name: str | None = None
    sender_email: str | None = None


@dataclass(frozen=True)
class WaveSettings:
    interval_months: int = 3
    reminder_days: tuple[int, ...] = (7, 14)
    max_emails_per_call: int = 50  # LimeSurvey's maxemails, when it cannot be read
    # digest: one e-mail per caseworker per run, sent by bip-bridge over [smtp];
    # limesurvey: LimeSurvey's own invitation and reminder per caseworker token
    caseworker_email: str = "digest"


@dataclass(frozen=True)
class SyncSettings:
    page_size: int = 1000
    pushback: bool = True


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 587
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = True
    sender: str = ""
    recipients: tuple[str, ...] = ()


@dataclass(frozen=True)
class Settings:
    path: Path | None
    limesurvey: LimeSurveySettings
    store: StoreSettings
    privacy: PrivacySettings
    reports: ReportSettings
    surveys: SurveySettings = field(default_factory=SurveySettings)
    waves: WaveSettings = field(default_factory=WaveSettings)
    sync: SyncSettings = field(default_factory=SyncSettings)
    smtp: SmtpSettings | None = None

    def require_password(self) -> str:
        if not self.limesurvey.password:
            raise ConfigError(
                "No LimeSurvey password is set.",
                hint=f"Set {LS_PASSWORD_VARIABLE}, or {LS_PASSWORD_VARIABLE}_FILE with the path "
                "of a file that holds it (readable only by the user that runs bip-bridge).",
            )
        return self.limesurvey.password

    def require_pseudonym_key(self) -> bytes:
        if not self.privacy.pseudonym_key:
            raise ConfigError(
                "No pseudonym key is set.",
                hint=f"Set {ENV_PSEUDONYM_KEY}, or {ENV_PSEUDONYM_KEY}_FILE with the path of a "
                "file that holds it. Keep it outside the configuration file and back it up: "
                "without the same key, re-imported people get new pseudonyms.",
            )
        return self.privacy.pseudonym_key


# --- secrets -----------------------------------------------------------------------


def read_secret(name: str, env: Mapping[str, str], problems: list[Problem]) -> str | None:
    """``NAME`` or the content of the file at ``NAME_FILE`` (trailing newline removed)."""
    direct = env.get(name)
    file_name = env.get(f"{name}_FILE")
    if direct and file_name:
        problems.append(
            Problem(f"environment {name}", f"both {name} and {name}_FILE are set", "only one")
        )
        return None
    if file_name:
        try:
            value = Path(file_name).read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            problems.append(
                Problem(
                    f"environment {name}_FILE",
                    f"cannot read {file_name}: {exc.strerror}",
                    "a readable file holding the secret",
                )
            )
            return None
        if not value:
            problems.append(
                Problem(
                    f"environment {name}_FILE",
                    f"{file_name} is empty",
                    "the secret on its first line",
                )
            )
            return None
        register_secret(value)
        return value
    if direct:
        register_secret(direct)
        return direct
    return None


# --- validation helpers ------------------------------------------------------------


class _Reader:
    """Reads typed values from one TOML table, collecting problems instead of raising."""

    def __init__(
        self, data: Mapping[str, Any], section: str, problems: list[Problem], known: set[str]
    ):
        self.data = data
        self.section = section
        self.problems = problems
        for key in data:
            if key not in known:
                self.problems.append(
                    Problem(
                        f"[{section}] {key}",
                        "unknown key",
                        "one of " + ", ".join(sorted(known)) if known else "no keys",
                    )
                )

    def where(self, key: str) -> str:
        return f"[{self.section}] {key}"

    def get(self, key: str, kind: type | tuple[type, ...], default: Any, expected: str) -> Any:
        if key not in self.data:
            return default
        value = self.data[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if isinstance(value, bool) and bool not in kinds:
            self.problems.append(Problem(self.where(key), f"{value!r} is a boolean", expected))
            return default
        if not isinstance(value, kinds):
            self.problems.append(
                Problem(self.where(key), f"{value!r} has the wrong type", expected)
            )
            return default
        return value

    def int_range(self, key: str, default: int, low: int, high: int) -> int:
        value = self.get(key, int, default, f"a whole number from {low} to {high}")
        if not low <= value <= high:
            self.problems.append(
                Problem(
                    self.where(key),
                    f"{value} is out of range",
                    f"a whole number from {low} to {high}",
                )
            )
            return default
        return int(value)


def _check_no_secrets(data: Mapping[str, Any], problems: list[Problem], prefix: str = "") -> None:
    hints = {
        "limesurvey": LS_PASSWORD_VARIABLE,
        "privacy": ENV_PSEUDONYM_KEY,
        "smtp": SMTP_PASSWORD_VARIABLE,
    }
    for key, value in data.items():
        section = prefix or key
        if isinstance(value, Mapping):
            _check_no_secrets(value, problems, prefix=section)
            continue
        if any(word in key.lower() for word in SECRET_WORDS):
            env = hints.get(section, "an environment variable")
            problems.append(
                Problem(
                    f"[{section}] {key}",
                    "secrets are not allowed in the configuration file; remove this line",
                    f"the value in {env} or a file named by {env}_FILE",
                )
            )


# --- loading -----------------------------------------------------------------------


def find_config(explicit: str | os.PathLike[str] | None, env: Mapping[str, str]) -> Path:
    if explicit:
        return Path(explicit)
    if env.get(ENV_CONFIG):
        return Path(env[ENV_CONFIG])
    return Path.cwd() / DEFAULT_CONFIG_NAME


def load_settings(
    path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
) -> Settings:
    """Read, validate and return the settings, or raise one ConfigError listing every problem."""
    env = os.environ if env is None else env
    config_path = find_config(path, env)
    if not config_path.exists():
        raise ConfigError(
            f"Configuration file not found: {config_path}",
            path=str(config_path),
            hint="Run `bip-bridge init` to write a commented starter file, or pass --config "
            f"PATH (or set {ENV_CONFIG}).",
        )
    try:
        data = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{config_path} is not valid TOML: {exc}",
            path=str(config_path),
            hint="Fix the syntax at the line and column named above.",
        ) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{config_path} is not UTF-8 text",
            path=str(config_path),
            hint="Save the file as UTF-8.",
        ) from exc
    return settings_from_mapping(data, base_dir=config_path.parent, env=env, path=config_path)


def settings_from_mapping(
    data: Mapping[str, Any],
    *,
    base_dir: Path,
    env: Mapping[str, str],
    path: Path | None = None,
) -> Settings:
    problems: list[Problem] = []
    _check_no_secrets(data, problems)
    sections = {"limesurvey", "store", "privacy", "reports", "surveys", "waves", "sync", "smtp"}
    for name in data:
        if name not in sections:
            problems.append(Problem(f"[{name}]", "unknown section", ", ".join(sorted(sections))))
        elif not isinstance(data[name], Mapping):
            problems.append(Problem(f"[{name}]", "must be a table", f"a [{name}] section"))

    def table(name: str) -> Mapping[str, Any]:
        value = data.get(name, {})
        return value if isinstance(value, Mapping) else {}

    secret_keys = {k for k in SECRET_WORDS}
    # --- [limesurvey]
    ls_data = table("limesurvey")
    ls = _Reader(
        ls_data,
        "limesurvey",
        problems,
        {"url", "username", "timeout", "retries", "verify_tls", "ca_bundle"} | secret_keys,
    )
    url = ls.get(
        "url",
        str,
        "",
        "the RemoteControl URL, e.g. https://survey.example.org/index.php/admin/remotecontrol",
    )
    if "limesurvey" not in data or "url" not in ls_data:
        problems.append(
            Problem(
                "[limesurvey] url",
                "missing",
                "the RemoteControl URL, e.g. https://survey.example.org/index.php/admin/remotecontrol",
            )
        )
    elif url:
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            problems.append(
                Problem(
                    "[limesurvey] url",
                    f"{url!r} is not an http(s) URL",
                    "https://HOST/index.php/admin/remotecontrol",
                )
            )
        elif parsed.username or parsed.password:
            problems.append(
                Problem(
                    "[limesurvey] url",
                    "the URL contains credentials",
                    f"a URL without user:password@ (password in {LS_PASSWORD_VARIABLE})",
                )
            )
    username = ls.get("username", str, "", "the LimeSurvey user name")
    if "username" not in ls_data:
        problems.append(Problem("[limesurvey] username", "missing", "the LimeSurvey user name"))
    timeout = ls.get("timeout", (int, float), 30.0, "seconds, e.g. 30")
    if timeout <= 0 or timeout > 600:
        problems.append(
            Problem("[limesurvey] timeout", f"{timeout} is out of range", "0 < seconds <= 600")
        )
        timeout = 30.0
    retries = ls.int_range("retries", 4, 0, 10)
    verify_tls = ls.get("verify_tls", bool, True, "true or false")
    ca_bundle = ls.get("ca_bundle", str, None, "the path of a CA bundle file")
    if ca_bundle and not (base_dir / ca_bundle).exists():
        problems.append(
            Problem(
                "[limesurvey] ca_bundle",
                f"{ca_bundle} does not exist",
                "the path of a PEM CA bundle",
            )
        )
    password = read_secret(LS_PASSWORD_VARIABLE, env, problems)

    # --- [store]
    st = _Reader(table("store"), "store", problems, {"url", "lock_wait_seconds"})
    lock_wait = st.int_range("lock_wait_seconds", 5, 0, 600)
    default_store = f"sqlite:///{(base_dir / 'bip-bridge.sqlite').resolve()}"
    store_url = st.get("url", str, default_store, "an SQLAlchemy URL, e.g. sqlite:///bip.sqlite")
    if not store_url.split(":", 1)[0].startswith(("sqlite", "postgresql")):
        problems.append(
            Problem(
                "[store] url",
                f"unsupported database {store_url.split(':', 1)[0]!r}",
                "sqlite:///PATH or postgresql+psycopg://USER@HOST/DB",
            )
        )
    elif store_url.startswith("sqlite:///") and not store_url.startswith("sqlite:////"):
        rel = store_url[len("sqlite:///") :]
        if rel and rel != ":memory:":
            store_url = f"sqlite:///{(base_dir / rel).resolve()}"
    if "@" in store_url and ":" in store_url.split("@", 1)[0].split("//", 1)[-1]:
        problems.append(
            Problem(
                "[store] url",
                "the URL contains a password",
                "no password in the URL: use PGPASSWORD or ~/.pgpass",
            )
        )

    # --- [privacy]
    pv = _Reader(table("privacy"), "privacy", problems, {"min_cell", "min_count"} | secret_keys)
    min_cell = pv.int_range("min_cell", 5, 1, 1000)
    min_count = pv.int_range("min_count", 3, 1, 1000)
    key = read_secret(ENV_PSEUDONYM_KEY, env, problems)
    if key is not None and len(key.encode()) < 16:
        problems.append(
            Problem(
                f"environment {ENV_PSEUDONYM_KEY}",
                "the key is too short",
                "at least 16 characters (32 random bytes recommended)",
            )
        )

    # --- [reports]
    rp = _Reader(
        table("reports"), "reports", problems, {"out_dir", "language", "excel", "after_sync"}
    )
    out_dir = rp.get("out_dir", str, "reports", "a folder path")
    language = rp.get("language", str, "sv", "sv, da or en")
    if language not in LANGUAGES:
        problems.append(
            Problem("[reports] language", f"{language!r} is not supported", "sv, da or en")
        )
        language = "sv"
    excel = rp.get("excel", bool, None, "true or false")  # absent: follow the language
    after_sync = rp.get("after_sync", bool, False, "true or false")

    # --- [surveys]
    sv = _Reader(
        table("surveys"), "surveys", problems,
        {"template_dir", "participant_sid", "caseworker_sid", "sender_name", "sender_email"},
    )
    template_dir = sv.get("template_dir", str, None, "a folder with manifest.yaml")
    if template_dir and not (base_dir / template_dir).is_dir():
        problems.append(
            Problem(
                "[surveys] template_dir",
                f"{template_dir} is not a folder",
                "a folder holding manifest.yaml and the questionnaire files",
            )
        )
    p_sid = sv.get("participant_sid", int, None, "a LimeSurvey survey id")
    c_sid = sv.get("caseworker_sid", int, None, "a LimeSurvey survey id")
    sender_name = sv.get("sender_name", str, None, "the name invitations are signed with")
    sender_email = sv.get("sender_email", str, None, "the address invitations come from")
    if sender_email is not None:
        from bip_bridge.emails import EXPECTED, limesurvey_accepts

        if not limesurvey_accepts(sender_email.strip()):
            problems.append(Problem("[surveys] sender_email",
                                    "LimeSurvey would refuse this address", EXPECTED))

    # --- [waves]
    wv = _Reader(table("waves"), "waves", problems,
                 {"interval_months", "reminder_days", "caseworker_email", "max_emails_per_call"})
    interval = wv.int_range("interval_months", 3, 1, 24)
    max_emails = wv.int_range("max_emails_per_call", 50, 1, 100_000)
    reminders = wv.get("reminder_days", list, [7, 14], "a list of whole days, e.g. [7, 14]")
    if not all(isinstance(d, int) and not isinstance(d, bool) and 0 < d < 120 for d in reminders):
        problems.append(
            Problem(
                "[waves] reminder_days",
                f"{reminders!r} is not a list of days",
                "whole numbers from 1 to 119, e.g. [7, 14]",
            )
        )
        reminders = [7, 14]
    elif sorted(set(reminders)) != list(reminders):
        problems.append(
            Problem("[waves] reminder_days", "days must be increasing and distinct", "e.g. [7, 14]")
        )
        reminders = [7, 14]

    caseworker_email = wv.get("caseworker_email", str, "digest", '"digest" or "limesurvey"')
    if caseworker_email not in CASEWORKER_EMAIL_MODES:
        problems.append(
            Problem("[waves] caseworker_email", f"{caseworker_email!r} is not a choice",
                    '"digest" (one e-mail per caseworker, over [smtp]) or "limesurvey"')
        )
        caseworker_email = "digest"

    # --- [sync]
    sy = _Reader(table("sync"), "sync", problems, {"page_size", "pushback"})
    page_size = sy.int_range("page_size", 1000, 10, 100_000)
    pushback = sy.get("pushback", bool, True, "true or false")

    # --- [smtp]
    smtp: SmtpSettings | None = None
    if "smtp" in data:
        sm = _Reader(
            table("smtp"),
            "smtp",
            problems,
            {"host", "port", "username", "starttls", "sender", "recipients"} | secret_keys,
        )
        host = sm.get("host", str, "", "the SMTP server's host name")
        if not host:
            problems.append(Problem("[smtp] host", "missing", "the SMTP server's host name"))
        recipients = sm.get("recipients", list, [], "a list of e-mail addresses")
        if not all(isinstance(r, str) and "@" in r for r in recipients):
            problems.append(
                Problem(
                    "[smtp] recipients", "not a list of e-mail addresses", '["analyst@example.org"]'
                )
            )
            recipients = []
        smtp = SmtpSettings(
            host=host,
            port=sm.int_range("port", 587, 1, 65535),
            username=sm.get("username", str, None, "the SMTP user name"),
            password=read_secret(SMTP_PASSWORD_VARIABLE, env, problems),
            starttls=sm.get("starttls", bool, True, "true or false"),
            sender=sm.get("sender", str, "", "the From address"),
            recipients=tuple(recipients),
        )

    if problems:
        where = f" in {path}" if path else ""
        raise ConfigError(
            f"The configuration{where} has {len(problems)} problem(s):",
            problems,
            path=str(path) if path else None,
            hint="Fix each line above and run again; `bip-bridge init --help` "
            "shows a commented example.",
        )
    return Settings(
        path=path,
        limesurvey=LimeSurveySettings(
            url=url,
            username=username,
            password=password,
            timeout=float(timeout),
            retries=retries,
            verify_tls=verify_tls,
            ca_bundle=str(base_dir / ca_bundle) if ca_bundle else None,
        ),
        store=StoreSettings(url=store_url, lock_wait_seconds=lock_wait),
        privacy=PrivacySettings(min_cell=min_cell, min_count=min_count,
                                pseudonym_key=key.encode() if key else None),
        reports=ReportSettings(
            out_dir=(base_dir / out_dir), language=language, excel=excel, after_sync=after_sync
        ),
        surveys=SurveySettings(
            template_dir=(base_dir / template_dir) if template_dir else None,
            participant_sid=p_sid,
            caseworker_sid=c_sid,
            sender_name=sender_name.strip() if sender_name else None,
            sender_email=sender_email.strip() if sender_email else None,
        ),
        waves=WaveSettings(interval_months=interval, reminder_days=tuple(reminders),
                           caseworker_email=caseworker_email, max_emails_per_call=max_emails),
        sync=SyncSettings(page_size=page_size, pushback=pushback),
        smtp=smtp,
    )


STARTER = """\
# bip-bridge configuration. Secrets never go in this file:
#   LimeSurvey password: BIP_BRIDGE_LIMESURVEY_PASSWORD
#   pseudonym key:       BIP_BRIDGE_PSEUDONYM_KEY
#   SMTP password:       BIP_BRIDGE_SMTP_PASSWORD
# or, for each, a file holding it: BIP_BRIDGE_LIMESURVEY_PASSWORD_FILE=/path (and so on).
# See docs/configuration.md for every key.

[limesurvey]
# The RemoteControl 2 URL (Global settings > Interfaces: RPC interface enabled = JSON-RPC).
url = "https://survey.example.org/index.php/admin/remotecontrol"
username = "bip-bridge"
# timeout = 30        # seconds per call
# retries = 4         # on connection errors, timeouts and HTTP 5xx
# verify_tls = true   # never turn off in production
# ca_bundle = "ca.pem"

[store]
# An SQLAlchemy URL. Default: a SQLite file beside this configuration file.
# url = "postgresql+psycopg://bip@db.example.org/bip"
url = "sqlite:///bip-bridge.sqlite"
# How long a command that changes LimeSurvey or the store waits for another one to
# finish before it gives up with exit code 75 (seconds).
# lock_wait_seconds = 5

[privacy]
# Cohort cells with fewer people than this are published blank and flagged.
min_cell = 5
# A count (or n minus it) of 1 up to min_count - 1 is published blank and flagged
# ("1 of 7 in work" singles out a person).
min_count = 3

[reports]
out_dir = "reports"
language = "sv"        # sv, da or en
# excel = true         # CSV files: default follows the language (sv, da: semicolon,
#                      # decimal comma and BOM for Excel; en: comma and dot); true or
#                      # false forces one for every language
# after_sync = false   # true: `sync` writes the reports after each run

[surveys]
# template_dir = "my_templates"   # your own templates; default: the ones shipped with bip-bridge
# Who participants' invitations and reminders come from (set both before `provision`;
# without them LimeSurvey uses its site default, often the placeholder your-email@example.net):
# sender_name = "Samordningsförbundet Exempel"
# sender_email = "bip@samordning.example.se"

[waves]
interval_months = 3
reminder_days = [7, 14]
# caseworker_email = "digest"   # one e-mail per caseworker per run over [smtp];
#                               # "limesurvey": LimeSurvey's own e-mail per assessment
# max_emails_per_call = 50      # LimeSurvey's "maxemails" (Global settings > Email), used
#                               # when bip-bridge may not read it (needs superadmin)

[sync]
page_size = 1000
# pushback = true     # write the latest indices into the LimeSurvey token attributes

# [smtp]              # the caseworker digests and (optional) the analyst bundle
# host = "smtp.example.org"
# port = 587
# username = "bip-bridge"
# sender = "bip-bridge@example.org"
# recipients = ["analyst@example.org"]
"""


def write_starter(path: Path, *, force: bool = False) -> Path:
    if path.exists() and not force:
        raise ConfigError(
            f"{path} already exists; nothing was written.",
            hint="Pass --force to overwrite it, or choose another path.",
        )
    path.write_text(STARTER, encoding="utf-8")
    return path
