"""`bip-bridge demo`: the whole bridge on one machine, against the bundled EMULATOR.

Starts the LimeSurvey emulator on a loopback port (never a real server), provisions the
shipped templates, enrols a synthetic cohort week by week over a simulated year, lets the
emulator's clock run so that waves, invitations and reminders fall due, answers the
questionnaires as the synthetic people would, syncs into a SQLite store every four weeks
(with push-back), computes the metrics and writes the reports into ``./bip-bridge-demo/``.

Everything here is fictional: the roster (valid-looking personnummer for fictional
people, ``@example.org`` addresses), the answers and the LimeSurvey server. Only the code
paths are real: the same client, store, waves, sync, metrics and reports as in production.
"""

from __future__ import annotations

import contextlib
import csv
import io
import logging
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from bip_bridge.api import LimeSurveyAPI
from bip_bridge.config import Settings, settings_from_mapping
from bip_bridge.errors import ConfigError
from bip_bridge.model import MeasurementModel
from bip_bridge.store import schema

log = logging.getLogger(__name__)

MARKER = ".bip-bridge-demo"
ROSTER_COLUMNS = (
    "external_id", "first_name", "email", "language", "enrolled_on", "caseworker_id",
    "caseworker_email",
)
#: Clearly not a secret: the demo's pseudonym key (a real installation sets its own).
DEMO_PSEUDONYM_KEY = "bip-bridge-demo-key--not-for-real-data"


@dataclass
class DemoResult:
    out_dir: Path
    report_dir: Path
    participants: int
    responses: dict[str, int]
    mails: dict[str, int]
    truth: dict[str, float]
    recovered: list[str]
    lines: list[str] = field(default_factory=list)


class MailFolder:
    """The demo's stand-in for an SMTP server: each caseworker digest becomes a file
    ``mail/NNNN-<address>.eml`` (fictional names; owner-only all the same)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(mode=0o700, exist_ok=True)
        self.count += 1
        name = f"{self.count:04d}-{str(message['To']).replace('/', '_')}.eml"
        fd = os.open(self.folder / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(message.as_bytes())


class SimulatedClock:
    """The emulator's clock: the demo moves it forward a week at a time."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def prepare_out_dir(out_dir: Path) -> None:
    """Create ``out_dir``; replace an earlier demo's folder, never anything else."""
    if out_dir.exists() and any(out_dir.iterdir()):
        if not (out_dir / MARKER).exists():
            raise ConfigError(
                f"{out_dir} exists and is not a bip-bridge demo folder; nothing was touched.",
                hint="Pass --out with an empty or new folder.",
            )
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / MARKER).write_text("Written by `bip-bridge demo`; safe to delete.\n")


def demo_settings(out_dir: Path, url: str, username: str, password: str) -> Settings:
    """Settings as an admin would write them, plus the demo's secrets in the environment."""
    config: dict[str, dict[str, Any]] = {
        "limesurvey": {"url": url, "username": username, "timeout": 30, "retries": 2},
        "store": {"url": "sqlite:///bip-bridge.sqlite"},
        "privacy": {"min_cell": 5},
        "reports": {"out_dir": "reports", "language": "sv"},
        # caseworkers get one digest per run (written to mail/, the demo has no SMTP server)
        "waves": {"interval_months": 3, "reminder_days": [7, 14]},
        "sync": {"page_size": 500, "pushback": True},
    }
    (out_dir / "bip-bridge.toml").write_text(_toml(config), encoding="utf-8")
    env = {
        "BIP_BRIDGE_LIMESURVEY_PASSWORD": password,
        "BIP_BRIDGE_PSEUDONYM_KEY": DEMO_PSEUDONYM_KEY,
    }
    path = out_dir / "bip-bridge.toml"
    return settings_from_mapping(config, base_dir=out_dir, env=env, path=path)


def _toml(config: dict[str, dict[str, Any]]) -> str:
    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, str):
            return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return str(v)

    lines = ["# Written by `bip-bridge demo` for its emulator run (secrets: environment)."]
    for section, keys in config.items():
        lines.append(f"\n[{section}]")
        lines.extend(f"{k} = {value(v)}" for k, v in keys.items())
    return "\n".join(lines) + "\n"


def roster_csv(rows: list[dict[str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=ROSTER_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def caseworker_schedule(cohort: Any) -> dict[tuple[str, int], str]:
    """(external id, wave) -> the caseworker who answers that wave in the synthetic data."""
    schedule: dict[tuple[str, int], str] = {}
    for row in [*cohort.participant_answers, *cohort.caseworker_answers]:
        schedule[(row["external_id"], int(row["wave"]))] = row["caseworker_id"]
    return schedule


def roster_on(day: date, cohort: Any, schedule: dict[tuple[str, int], str],
              interval_months: int) -> list[dict[str, str]]:
    """The roster an association would hold on ``day``: everyone enrolled by then, with
    the caseworker who will be responsible at their next wave (a change is recorded from
    the next wave on)."""
    rows = []
    for person in cohort.roster:
        enrolled = date.fromisoformat(person["enrolled_on"])
        if enrolled > day:
            continue
        next_wave = 0
        while enrolled + relativedelta(months=next_wave * interval_months) <= day:
            next_wave += 1
        cw = person["caseworker_id"]
        for wave in range(next_wave, -1, -1):
            if (person["external_id"], wave) in schedule:
                cw = schedule[(person["external_id"], wave)]
                break
        rows.append({**person, "caseworker_id": cw,
                     "caseworker_email": f"{cw.lower()}@example.org"})
    return rows


def answer_columns(api: LimeSurveyAPI, sid: int) -> dict[str, str]:
    """Export heading (``BIPD[JOBTRO]``) -> response-table column (SGQA) of one survey."""
    mapping: dict[str, str] = {}
    for column, entry in api.get_fieldmap(sid).items():
        title = str(entry.get("title") or "")
        if not title:
            continue
        aid = str(entry.get("aid") or "")
        mapping[f"{title}[{aid}]" if aid else title] = column
    return mapping


class Respondents:
    """Answers invited tokens as the synthetic cohort says, a few days after the invitation."""

    def __init__(self, api: LimeSurveyAPI, engine: sa.Engine, sids: dict[str, int],
                 cohort: Any, pseudonyms: dict[str, str], seed: int) -> None:
        self.api = api
        self.engine = engine
        self.sids = sids
        self.columns = {kind: answer_columns(api, sid) for kind, sid in sids.items()}
        self.answers: dict[tuple[str, str, int], dict[str, Any]] = {}
        for kind, rows in (("participant", cohort.participant_answers),
                           ("caseworker", cohort.caseworker_answers)):
            for row in rows:
                key = (kind, pseudonyms[row["external_id"]], int(row["wave"]))
                self.answers[key] = row
        self.done: set[tuple[int, str, int]] = set()
        self.rng = np.random.default_rng(seed)
        self.counts = {"participant": 0, "caseworker": 0}

    def answer_invited(self, now: datetime) -> None:
        t = schema.tokens
        with self.engine.connect() as conn:
            invited = conn.execute(
                sa.select(t.c.sid, t.c.pseudonym, t.c.wave, t.c.kind, t.c.token, t.c.tid)
                .where(t.c.invited_at.is_not(None))
            ).all()
        for sid, pseudonym, wave, kind, token, tid in invited:
            if (sid, pseudonym, wave) in self.done or kind not in self.sids:
                continue
            self.done.add((sid, pseudonym, wave))
            answer = self.answers.get((kind, pseudonym, wave))
            if answer is None:  # a skipped wave or a drop-out: reminders will follow
                continue
            submitted = now + timedelta(hours=int(self.rng.integers(1, 100)))
            row = {"token": token, "submitdate": f"{submitted:%Y-%m-%d %H:%M:%S}",
                   "startdate": f"{submitted - timedelta(minutes=9):%Y-%m-%d %H:%M:%S}",
                   "startlanguage": None}
            for heading, value in answer.items():
                column = self.columns[kind].get(heading)
                if column is not None and value is not None:
                    row[column] = str(value)
            row = {k: v for k, v in row.items() if v is not None}
            self.api.add_response(sid, row)
            if tid is not None:
                self.api.set_participant_properties(
                    sid, int(tid), {"completed": f"{submitted:%Y-%m-%d %H:%M}"})
            self.counts[kind] += 1


def _weeks(start: date, end: date) -> Iterator[date]:
    day = start
    while day <= end:
        yield day
        day += timedelta(days=7)


def recovered_effects(metrics: Any, model: MeasurementModel, *, min_cell: int = 5
                      ) -> list[str]:
    """Per group of each grouping: the raw mean ΔP with its 95 % interval and, next to it,
    the difference from the grouping's reference group adjusted for the baseline index and
    the wave (mixed model; what the report shows), from the published cohort table."""
    from bip_bridge.metrics.adjusted import adjusted_differences
    from bip_bridge.reports.bundle import published_cohort

    cohort = published_cohort(metrics.cohort, min_cell)
    adjusted = adjusted_differences(metrics.periods, metrics.indices, cohort, model,
                                    min_cell=min_cell)
    lines = [f"{'':>20}   {'':<12} {'raw mean ΔP [95 % CI]':>28}  "
             f"{'adjusted difference [95 % CI]'}"]
    rows = cohort[cohort["measure"].astype(str) == "d_p"]
    for row in rows.to_dict("records"):
        label = f"{row['grouping']!s:>20} = {row['group']!s:<12}"
        if pd.isna(row["n"]) or pd.isna(row["mean"]):
            lines.append(f"{label} suppressed (fewer than the minimum)")
            continue
        raw = (f"{row['mean']:+.2f} [{row['ci_low']:+.2f}, {row['ci_high']:+.2f}] "
               f"n={int(row['n'])}")
        hit = adjusted[(adjusted["measure"] == "d_p")
                       & (adjusted["grouping"] == row["grouping"])
                       & (adjusted["group"] == row["group"])]
        text = ""
        if len(hit):
            a = hit.iloc[0]
            if a["status"] == "ok":
                text = (f"{a['estimate']:+.2f} [{a['ci_low']:+.2f}, {a['ci_high']:+.2f}] "
                        f"vs {a['reference']}")
            elif a["status"] == "reference":
                text = "reference group"
            elif a["status"] == "too_few":
                text = "too few for the model"
            else:
                text = "model could not be estimated"
        lines.append(f"{label} {raw:>28}  {text}")
    return lines


def run_demo(
    out_dir: Path,
    *,
    participants: int = 240,
    months: int = 12,
    seed: int = 2026,
    today: date | None = None,
    step: Callable[[str, int, int], None] | None = None,
) -> DemoResult:
    """Run the whole bridge on the emulator; return what happened and where to look."""
    from bip_bridge.emulator import EmulatorServer
    from bip_bridge.jobs import run_once
    from bip_bridge.limesurvey import connect
    from bip_bridge.participants import import_roster
    from bip_bridge.provision import provision
    from bip_bridge.pseudonyms import pseudonymise
    from bip_bridge.reports import write_reports
    from bip_bridge.reports.names import read_first_names
    from bip_bridge.roster import parse_roster
    from bip_bridge.store import open_store
    from bip_bridge.synthetic import generate_cohort
    from bip_bridge.templates import load_templates

    notify = step or (lambda _label, _done, _total: None)
    today = today or date.today()
    start = today - relativedelta(months=months)
    out_dir = out_dir.resolve()
    prepare_out_dir(out_dir)

    templates = load_templates(None)
    model = templates.model
    cohort = generate_cohort(participants, seed=seed, start=start, months=months, model=model)
    (out_dir / "roster.csv").write_bytes(roster_csv(cohort.roster))
    schedule = caseworker_schedule(cohort)

    clock = SimulatedClock(datetime.combine(start, datetime.min.time()).replace(hour=8))
    password = secrets.token_urlsafe(18)
    result_lines: list[str] = []
    with EmulatorServer(username="demo-admin", password=password, clock=clock,
                        fill_equations_from_token=True, seed=seed) as server:
        settings = demo_settings(out_dir, server.url, "demo-admin", password)
        key = settings.require_pseudonym_key()
        pseudonyms = {p["external_id"]: pseudonymise(p["external_id"], key) for p in cohort.roster}
        engine = open_store(settings.store.url)
        try:
            with connect(settings) as api:
                report = provision(api, engine, templates)
                result_lines.extend(report.lines())
                sids = {row.kind: int(row.sid) for row in _surveys(engine)}
                respondents = Respondents(api, engine, sids, cohort, pseudonyms, seed)

                @contextlib.contextmanager
                def same_client(_settings: Settings) -> Iterator[LimeSurveyAPI]:
                    yield api

                digests = MailFolder(out_dir / "mail")

                days = list(_weeks(start, today))
                last_roster: bytes = b""
                syncs = 0
                for number, day in enumerate(days, start=1):
                    clock.now = datetime.combine(day, datetime.min.time()).replace(hour=8)
                    data = roster_csv(
                        roster_on(day, cohort, schedule, settings.waves.interval_months))
                    if data != last_roster and data.count(b"\n") > 1:
                        rows = parse_roster(data, today=day, source="roster.csv")
                        import_roster(api, engine, settings, templates, rows, today=day)
                        last_roster = data
                    if number % 4 == 0 or day == days[-1]:
                        run_once(settings, client_factory=same_client, today=day,  # waves+sync+push
                                 digest_send=digests.send)
                        syncs += 1
                    else:
                        from bip_bridge.outreach.digest import send_digests
                        from bip_bridge.waves import run_waves

                        run_waves(api, engine, settings, templates, today=day)
                        send_digests(api, engine, settings, templates, today=day,
                                     send=digests.send)
                    respondents.answer_invited(clock.now)
                    notify("simulating the year week by week", number, len(days))
                clock.now = datetime.combine(today, datetime.min.time()).replace(hour=20)
                final = run_once(settings, client_factory=same_client, today=today,
                                 digest_send=digests.send)
                result_lines.extend(final.lines())
                first_names = read_first_names(api, engine, templates)  # for the cards only
            notify("writing reports", 1, 1)
            report_dir = write_reports(engine, settings, templates, today=today,
                                       out_dir=out_dir / "reports", first_names=first_names)
            from bip_bridge.reports.build import compute_from_store

            metrics = compute_from_store(engine, model, min_cell=settings.privacy.min_cell,
                                         min_count=settings.privacy.min_count)
            mails = {"invitations": sum(1 for m in server.outbox if m.kind == "invite"),
                     "reminders": sum(1 for m in server.outbox if m.kind == "remind"),
                     "digests": digests.count}
        finally:
            engine.dispose()
    return DemoResult(
        out_dir=out_dir, report_dir=report_dir, participants=participants,
        responses=dict(respondents.counts), mails=mails, truth=dict(cohort.truth),
        recovered=recovered_effects(metrics, model, min_cell=settings.privacy.min_cell),
        lines=result_lines,
    )


def _surveys(engine: sa.Engine) -> list[Any]:
    s = schema.surveys
    with engine.connect() as conn:
        return list(conn.execute(sa.select(s.c.sid, s.c.kind).where(s.c.active.is_(True))).all())
