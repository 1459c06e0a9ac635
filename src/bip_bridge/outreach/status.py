"""``bip-bridge status``: where things stand, from the store (and, with ``--live``, LimeSurvey).

:func:`compute_status` is pure: store frames and a date in, the four tables out, so it is
tested with before/after fixtures. :func:`read_status_frames` reads the store without
creating or migrating anything; :func:`live_overlay` lays LimeSurvey's own columns
(``sent``, ``completed``) over the tokens frame without writing them anywhere.

Definitions (docs/operations.md):

* a wave is **due** for a participant once its due date has come (on or before today)
  and the participant had not ended before it;
* **invited**: the wave's token was invited (by LimeSurvey, in a caseworker digest, or
  by a letter that ``bip-bridge letters`` wrote);
* **answered**: the token is completed, or the store holds a complete response for that
  pseudonym, wave and survey kind; **response rate** = answered / due;
* a caseworker assessment is **open** when the participant's current wave has come due,
  the caseworker token exists and is not answered; **overdue** when it is still open
  after the last reminder day (``[waves] reminder_days``, 14 by default);
* **next due**: the next wave's due date of each active participant, counted per date.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
import sqlalchemy as sa

from bip_bridge.cohort import CASEWORKER, KINDS, PARTICIPANT
from bip_bridge.errors import NotFound, StoreError
from bip_bridge.store import create_store_engine, safe_url, schema, sqlite_path
from bip_bridge.wave_calendar import current_wave, due_date

WAVE_COLUMNS = ["wave", "due", "invited_p", "invited_c", "answered_p", "answered_c",
                "rate_p", "rate_c"]
CASEWORKER_COLUMNS = ["caseworker_id", "participants", "open", "overdue"]
NEXT_COLUMNS = ["due_on", "participants"]
NEXT_DATES = 5


@dataclass(frozen=True)
class StatusFrames:
    """What status reads from the store (pseudonyms, dates, codes only)."""

    participants: pd.DataFrame  # pseudonym, enrolled_on, ended_on
    assignments: pd.DataFrame  # pseudonym, from_wave, caseworker_id
    tokens: pd.DataFrame  # pseudonym, wave, kind, caseworker_id, due_on, tid, token, sid,
    #                       invited, completed
    answered: pd.DataFrame  # pseudonym, wave, kind (complete responses)
    last_sync: Mapping[str, Any] | None  # started_at, finished_at, status, summary


@dataclass(frozen=True)
class Status:
    today: date
    waves: pd.DataFrame
    caseworkers: pd.DataFrame
    last_sync: Mapping[str, Any] | None
    next_due: pd.DataFrame
    live: bool = False

    def as_json(self) -> dict[str, Any]:
        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            out: list[dict[str, Any]] = []
            for row in _records(frame):
                out.append({k: (v.isoformat() if isinstance(v, date) else
                                None if isinstance(v, float) and pd.isna(v) else
                                round(v, 4) if isinstance(v, float) else
                                int(v) if hasattr(v, "item") and not isinstance(v, str) else v)
                            for k, v in row.items()})
            return out

        sync = None
        if self.last_sync is not None:
            sync = {k: (v.isoformat() if isinstance(v, datetime | date) else v)
                    for k, v in self.last_sync.items()}
        return {"today": self.today.isoformat(), "live": self.live,
                "waves": records(self.waves), "caseworkers": records(self.caseworkers),
                "last_sync": sync, "next_due": records(self.next_due)}


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value) or value is pd.NaT


def _histories(assignments: pd.DataFrame) -> dict[str, list[tuple[int, str]]]:
    """pseudonym -> [(from_wave, caseworker id)] sorted by wave, in one pass."""
    out: dict[str, list[tuple[int, str]]] = {}
    for r in _records(assignments):
        out.setdefault(str(r["pseudonym"]), []).append((int(r["from_wave"]),
                                                        str(r["caseworker_id"])))
    for history in out.values():
        history.sort()
    return out


def _caseworker_at(history: list[tuple[int, str]], wave: int) -> str | None:
    found = [cw for from_wave, cw in history if from_wave <= wave]
    return found[-1] if found else None


def compute_status(frames: StatusFrames, today: date, *, interval_months: int = 3,
                   reminder_days: Sequence[int] = (7, 14)) -> Status:
    """The four tables of ``status``. Pure (see module doc for the definitions)."""
    people: list[dict[str, Any]] = _records(frames.participants)
    answered_keys = {(str(r["pseudonym"]), int(r["wave"]), str(r["kind"]))
                     for r in _records(frames.answered)}
    token_by: dict[tuple[str, str, int], dict[str, Any]] = {
        (str(r["kind"]), str(r["pseudonym"]), int(r["wave"])): r
        for r in _records(frames.tokens)}

    def is_answered(kind: str, pseudonym: str, wave: int) -> bool:
        tok = token_by.get((kind, pseudonym, wave))
        return (pseudonym, wave, kind) in answered_keys or bool(tok is not None
                                                                 and tok["completed"])

    def is_invited(kind: str, pseudonym: str, wave: int) -> bool:
        tok = token_by.get((kind, pseudonym, wave))
        return bool(tok is not None and tok["invited"])

    histories = _histories(frames.assignments)
    per_wave: dict[int, dict[str, int]] = {}
    grace = timedelta(days=max(reminder_days, default=14))
    cw_rows: dict[str, dict[str, int]] = {}
    next_dates: dict[date, int] = {}
    for person in people:
        p = str(person["pseudonym"])
        enrolled: date = person["enrolled_on"]
        ended: date | None = None if _missing(person["ended_on"]) else person["ended_on"]
        last = current_wave(enrolled, today, interval_months)
        for k in range(last + 1):
            due = due_date(enrolled, k, interval_months)
            if ended is not None and due > ended:
                break
            counts = per_wave.setdefault(k, dict.fromkeys(
                ("due", "invited_p", "invited_c", "answered_p", "answered_c"), 0))
            counts["due"] += 1
            for kind, suffix in ((PARTICIPANT, "p"), (CASEWORKER, "c")):
                counts[f"invited_{suffix}"] += is_invited(kind, p, k)
                counts[f"answered_{suffix}"] += is_answered(kind, p, k)
        if ended is not None:
            continue
        cw_now = _caseworker_at(histories.get(p, []), max(last, 0))
        if cw_now is not None:
            row = cw_rows.setdefault(cw_now, {"participants": 0, "open": 0, "overdue": 0})
            row["participants"] += 1
        if last >= 0:
            tok = token_by.get((CASEWORKER, p, last))
            if tok is not None and not _missing(tok["tid"]) and not is_answered(CASEWORKER, p,
                                                                               last):
                cw = str(tok["caseworker_id"] or cw_now or "")
                row = cw_rows.setdefault(cw, {"participants": 0, "open": 0, "overdue": 0})
                row["open"] += 1
                if today > tok["due_on"] + grace:
                    row["overdue"] += 1
        upcoming = due_date(enrolled, last + 1, interval_months)
        next_dates[upcoming] = next_dates.get(upcoming, 0) + 1

    waves = pd.DataFrame(
        [{"wave": k, **c} for k, c in sorted(per_wave.items())],
        columns=WAVE_COLUMNS[:6]).astype({c: "int64" for c in WAVE_COLUMNS[:6]})
    denominator = waves["due"].where(waves["due"] > 0)
    waves["rate_p"] = (waves["answered_p"] / denominator).astype("float64")
    waves["rate_c"] = (waves["answered_c"] / denominator).astype("float64")
    caseworkers = pd.DataFrame(
        [{"caseworker_id": cw, **c} for cw, c in sorted(cw_rows.items())],
        columns=CASEWORKER_COLUMNS).astype({c: "int64" for c in CASEWORKER_COLUMNS[1:]})
    next_due = pd.DataFrame(sorted(next_dates.items())[:NEXT_DATES], columns=NEXT_COLUMNS)
    next_due["participants"] = next_due["participants"].astype("int64")
    return Status(today=today, waves=waves, caseworkers=caseworkers,
                  last_sync=frames.last_sync, next_due=next_due)


# --- reading ------------------------------------------------------------------------


def _as_date(value: Any) -> date | None:
    if value is None:
        return None
    return value.date() if isinstance(value, datetime) else value


def open_existing_store(url: str) -> sa.Engine:
    """An Engine on the store at ``url`` if it exists and was set up; creates nothing."""
    path = sqlite_path(url)
    missing = NotFound(
        f"There is no bip-bridge store at {safe_url(url)} yet, so there is nothing to show; "
        "nothing was created.",
        hint="Check [store] url, or set up first: `bip-bridge provision`, then "
             "`bip-bridge participants import ROSTER`.")
    if path is not None and not path.exists():
        raise missing
    engine = create_store_engine(url)
    try:
        with engine.connect() as conn:
            ok = sa.inspect(conn).has_table("participants")
    except sa.exc.SQLAlchemyError as exc:
        engine.dispose()
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise StoreError(f"Cannot read the store {safe_url(url)}: {detail}",
                         hint="Check [store] url, and that the database server runs (status "
                              "only reads; it creates nothing).") from None
    if not ok:
        engine.dispose()
        raise missing
    return engine


def read_status_frames(engine: sa.Engine) -> StatusFrames:
    """Everything status needs from the store, read in one transaction."""
    p, a, t, r, s, runs = (schema.participants, schema.caseworker_assignments, schema.tokens,
                           schema.responses, schema.surveys, schema.sync_runs)
    with engine.connect() as conn:
        lettered: set[tuple[int, str, int]] = set()
        if sa.inspect(conn).has_table("deliveries"):  # a store not yet migrated has none
            d = schema.deliveries
            lettered = {(int(x.sid), x.pseudonym, int(x.wave)) for x in conn.execute(
                sa.select(d.c.sid, d.c.pseudonym, d.c.wave).where(d.c.channel == "letter"))}
        people = pd.DataFrame(
            [(x.pseudonym, x.enrolled_on, x.ended_on) for x in conn.execute(
                sa.select(p.c.pseudonym, p.c.enrolled_on, p.c.ended_on))],
            columns=["pseudonym", "enrolled_on", "ended_on"])
        assignments = pd.DataFrame(
            [tuple(x) for x in conn.execute(
                sa.select(a.c.pseudonym, a.c.from_wave, a.c.caseworker_id))],
            columns=["pseudonym", "from_wave", "caseworker_id"])
        tokens = pd.DataFrame(
            [(x.pseudonym, int(x.wave), x.kind, x.caseworker_id, x.due_on,
              int(x.tid) if x.tid is not None else None, x.token, int(x.sid),
              x.invited_at is not None or (int(x.sid), x.pseudonym, int(x.wave)) in lettered,
              bool(x.completed))
             for x in conn.execute(sa.select(t))],
            columns=["pseudonym", "wave", "kind", "caseworker_id", "due_on", "tid", "token",
                     "sid", "invited", "completed"])
        answered = pd.DataFrame(
            [tuple(x) for x in conn.execute(
                sa.select(r.c.pseudonym, r.c.wave, s.c.kind).distinct()
                .join(s, s.c.sid == r.c.sid)
                .where(r.c.complete.is_(True), r.c.deleted_in_source.is_(False),
                       r.c.pseudonym.is_not(None), r.c.wave.is_not(None)))],
            columns=["pseudonym", "wave", "kind"])
        last = conn.execute(sa.select(runs).order_by(runs.c.id.desc()).limit(1)).first()
    last_sync = None
    if last is not None:
        summary: Mapping[str, Any] = last.summary if isinstance(last.summary, Mapping) else {}
        raw = summary.get("totals")
        totals: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
        last_sync = {"started_at": last.started_at, "finished_at": last.finished_at,
                     "status": last.status, "new": totals.get("new"),
                     "updated": totals.get("updated"), "error": summary.get("error")}
    return StatusFrames(participants=people, assignments=assignments, tokens=tokens,
                        answered=answered, last_sync=last_sync)


def live_overlay(frames: StatusFrames, api: Any, templates: Any,
                 page_size: int = 1000) -> StatusFrames:
    """The frames with LimeSurvey's own invited/completed columns laid over the store's
    (read only: nothing is written to the store or to LimeSurvey)."""
    from bip_bridge.tokens import attribute_names, load_ls_tokens

    tokens = frames.tokens.copy()
    for kind in KINDS:
        sids = sorted(set(tokens.loc[tokens["kind"] == kind, "sid"]))
        attrs = attribute_names(templates, kind)
        for sid in sids:
            found = {t.token: t for t in load_ls_tokens(api, int(sid), attrs,
                                                        page_size=page_size)}
            mask = (tokens["kind"] == kind) & (tokens["sid"] == sid)
            for index in tokens.index[mask]:
                ls = found.get(str(tokens.at[index, "token"]))
                if ls is None:
                    continue
                tokens.at[index, "completed"] = bool(tokens.at[index, "completed"]
                                                     or ls.completed)
                tokens.at[index, "invited"] = bool(tokens.at[index, "invited"]
                                                   or ls.sent not in ("", "N"))
    return StatusFrames(participants=frames.participants, assignments=frames.assignments,
                        tokens=tokens, answered=frames.answered, last_sync=frames.last_sync)


def status(settings: Any, *, today: date, live: bool = False,
           client_factory: Any = None) -> Status:
    """What ``bip-bridge status`` shows (see module doc)."""
    engine = open_existing_store(settings.store.url)
    try:
        frames = read_status_frames(engine)
    finally:
        engine.dispose()
    if live:
        from bip_bridge.templates import load_templates

        if client_factory is None:
            from bip_bridge.limesurvey import connect as client_factory
        templates = load_templates(settings.surveys.template_dir)
        with client_factory(settings) as api:
            frames = live_overlay(frames, api, templates, settings.sync.page_size)
    result = compute_status(frames, today, interval_months=settings.waves.interval_months,
                            reminder_days=settings.waves.reminder_days)
    return Status(today=result.today, waves=result.waves, caseworkers=result.caseworkers,
                  last_sync=result.last_sync, next_due=result.next_due, live=live)
