"""Synthetic cohorts: fictional participants whose progression follows BIP's findings.

For the demo, the end-to-end tests and the benchmarks; never for real reporting.
Everything is drawn from one seeded :class:`numpy.random.Generator`, so the same
arguments give the same cohort on every machine.

The simulation, per participant and period k (from wave k−1 to wave k), on the
1–10 indicator scale (see :data:`DEFAULT_TRUTH` for the effect sizes):

* a latent employability ``L`` starts around 4.2 and moves by
  ``drift + job + parallel_with_job · (other categories, only with JOB)
  + continuous + caseworker_changed + belief_high / belief_low + noise``;
  a period with no intervention at all is also a period with gaps, so doing nothing
  declines;
* every indicator answer is ``L`` plus an item bias and noise, rounded and clipped to
  the scale; a few answers are "don't know" (the missing code);
* the caseworker's belief (HLTRO) is ``L`` plus a lasting per-participant optimism,
  and sets the belief effect of the *next* period;
* status (in work or studies) becomes more likely with ``L`` and a high belief;
* waves are skipped now and then, participants drop out, caseworkers change.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
from stdnum import luhn

from bip_bridge.model import MeasurementModel

#: The effects the generator uses, in index points per period (1–10 scale).
DEFAULT_TRUTH: dict[str, float] = {
    "drift": -0.30,  # a period with nothing in it
    "job": 0.45,  # a job-oriented intervention, on its own
    "parallel_with_job": 0.20,  # each other category running alongside JOB
    "other_without_job": 0.0,  # upskilling/social/health without JOB
    "continuous": 0.25,  # no week without an intervention
    "caseworker_changed": -0.30,
    "belief_high": 0.30,  # belief at the start of the period in the top category
    "belief_low": -0.15,  # ... in the bottom category
    "noise_sd": 0.45,
}

_P_SKIP, _C_SKIP, _DROPOUT, _CHANGE = 0.08, 0.06, 0.04, 0.12
_DONT_KNOW = 0.04
_INTERVENTION_P = (0.55, 0.35, 0.30, 0.30)  # JOB first, then the others in model order
_FIRST_NAMES = {
    "sv": ("Alva", "Elsa", "Maja", "Saga", "Ebba", "Nils", "Oskar", "Viggo", "Hugo", "Arvid"),
    "da": ("Freja", "Ida", "Karla", "Asta", "Magnus", "Aksel", "Valdemar", "Storm"),
    "en": ("Ruby", "Isla", "Ivy", "Amara", "Theo", "Rowan", "Jasper", "Felix"),
}


@dataclass(frozen=True)
class SyntheticCohort:
    """A fictional cohort: the roster, each wave's answers, and the effects used."""

    roster: list[dict[str, str]]
    participant_answers: list[dict[str, Any]]
    caseworker_answers: list[dict[str, Any]]
    truth: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class _Simulated:
    """(participants × waves) arrays of one simulation; NaN / None where not answered."""

    p_items: np.ndarray  # n × W × P items (float codes incl. missing code)
    c_items: np.ndarray  # n × W × (C items + belief)
    interventions: np.ndarray  # n × W × categories (0/1/2; wave 0 unused)
    gap: np.ndarray  # n × W
    caseworker: np.ndarray  # n × W caseworker number
    p_status: np.ndarray  # n × W index into model.statuses
    c_status: np.ndarray
    p_answered: np.ndarray  # n × W bool
    c_answered: np.ndarray


def describe_truth(truth: dict[str, float]) -> str:
    """One plain sentence per generated effect, for the demo's note."""
    return "\n".join([
        "Generated effects per period, in index points on the 1–10 scale:",
        f"  doing nothing: {truth['drift']:+.2f}; job-oriented intervention: "
        f"{truth['job']:+.2f}; each other category alongside it: "
        f"{truth['parallel_with_job']:+.2f}; other categories without it: "
        f"{truth['other_without_job']:+.2f};",
        f"  no gaps: {truth['continuous']:+.2f}; caseworker changed: "
        f"{truth['caseworker_changed']:+.2f}; high / low belief at the start: "
        f"{truth['belief_high']:+.2f} / {truth['belief_low']:+.2f}; noise sd "
        f"{truth['noise_sd']:.2f}.",
    ])


def _statuses(model: MeasurementModel) -> tuple[np.ndarray, np.ndarray]:
    work = np.array([i for i, s in enumerate(model.statuses) if s in model.work_or_study_statuses])
    other = np.array([i for i, s in enumerate(model.statuses)
                      if s not in model.work_or_study_statuses])
    return work, other


def _simulate(n: int, waves: int, rng: np.random.Generator, model: MeasurementModel,
              truth: dict[str, float], n_caseworkers: int, attrition: bool = True
              ) -> _Simulated:
    n_p, n_c = len(model.p_items), len(model.c_items)
    n_ins = len(model.interventions)
    job_at = list(model.interventions).index(model.job_intervention)
    probs = np.array([_INTERVENTION_P[min(i, len(_INTERVENTION_P) - 1)] for i in range(n_ins)])
    probs[[job_at, 0]] = probs[[0, job_at]]

    level = np.clip(rng.normal(4.2, 1.3, n), 1.5, 9.0)
    optimism = rng.normal(0.0, 1.3, n)  # the caseworker's lasting view of the person
    p_bias = rng.normal(0.0, 0.6, n_p)
    c_bias = rng.normal(0.0, 0.6, n_c)
    lo_cat, hi_cat = model.belief_categories[0], model.belief_categories[-1]

    shape = (n, waves)
    interventions = np.zeros((n, waves, n_ins))
    gap = np.zeros(shape)
    caseworker = np.zeros(shape, dtype=np.int64)
    latent = np.zeros(shape)
    belief = np.zeros(shape)
    caseworker[:, 0] = rng.integers(0, n_caseworkers, n)
    latent[:, 0] = level
    belief_noise = rng.normal(0.0, 0.8, shape)
    scale = (model.scale_max - model.scale_min) / 9.0

    def to_scale(values: np.ndarray) -> np.ndarray:
        return np.clip(np.rint(model.scale_min + (values - 1.0) * scale),
                       model.scale_min, model.scale_max)

    belief[:, 0] = to_scale(latent[:, 0] + optimism + belief_noise[:, 0])
    for k in range(1, waves):  # a loop over waves only; each step is vectorised
        used = rng.random((n, n_ins)) < probs
        levels = np.where(used, rng.integers(1, 3, (n, n_ins)), 0)
        interventions[:, k] = levels
        any_used = used.any(axis=1)
        no_gap = any_used & (rng.random(n) < 0.55)
        gap[:, k] = np.where(no_gap, 0, np.where(any_used, rng.integers(1, 9, n), 13))
        changed = rng.random(n) < _CHANGE
        caseworker[:, k] = np.where(changed, (caseworker[:, k - 1] + rng.integers(
            1, max(n_caseworkers, 2), n)) % max(n_caseworkers, 1), caseworker[:, k - 1])
        has_job = used[:, job_at]
        others = used.sum(axis=1) - has_job
        b = belief[:, k - 1]
        delta = (
            np.where(any_used, 0.0, truth["drift"])
            + truth["job"] * has_job
            + truth["parallel_with_job"] * others * has_job
            + truth["other_without_job"] * (others > 0) * ~has_job
            + truth["continuous"] * (gap[:, k] == 0)
            + truth["caseworker_changed"] * changed
            + truth["belief_high"] * ((b >= hi_cat.low) & (b <= hi_cat.high))
            + truth["belief_low"] * ((b >= lo_cat.low) & (b <= lo_cat.high))
            + rng.normal(0.0, truth["noise_sd"], n)
        )
        latent[:, k] = np.clip(latent[:, k - 1] + delta, 1.0, 10.0)
        belief[:, k] = to_scale(latent[:, k] + optimism + belief_noise[:, k])

    p_items = to_scale(latent[:, :, None] + p_bias + rng.normal(0.0, 0.9, (*shape, n_p)))
    c_items = to_scale(latent[:, :, None] + c_bias + rng.normal(0.0, 0.9, (*shape, n_c)))
    p_items[rng.random(p_items.shape) < _DONT_KNOW] = model.missing_code
    c_items[rng.random(c_items.shape) < _DONT_KNOW * 0.75] = model.missing_code
    c_items = np.concatenate([c_items, belief[:, :, None]], axis=2)

    belief_high = (belief >= hi_cat.low) & (belief <= hi_cat.high)
    odds = -7.0 + 0.85 * latent + 0.9 * belief_high
    in_work = rng.random(shape) < 1.0 / (1.0 + np.exp(-odds))
    work, other = _statuses(model)
    c_status = np.where(in_work, work[rng.integers(0, len(work), shape)],
                        other[rng.integers(0, len(other), shape)])
    p_status = np.where(rng.random(shape) < 0.95, c_status,
                        rng.integers(0, len(model.statuses), shape))

    dropped = np.cumsum(rng.random(shape) < _DROPOUT, axis=1) > 0
    dropped[:, 0] = False
    if not attrition:
        dropped[:] = False
    skip_p, skip_c = (_P_SKIP, _C_SKIP) if attrition else (0.0, 0.0)
    p_answered = ~dropped & (rng.random(shape) >= skip_p)
    c_answered = ~dropped & (rng.random(shape) >= skip_c)
    p_answered[:, 0] |= True
    return _Simulated(p_items, c_items, interventions, gap, caseworker, p_status, c_status,
                      p_answered, c_answered)


def _codes(values: np.ndarray) -> np.ndarray:
    """Float answer codes -> the strings LimeSurvey exports (object array)."""
    table = np.array([str(i) for i in range(101)], dtype=object)
    return table[values.astype(np.int64)]


def _answer_columns(sim: _Simulated, model: MeasurementModel, rows: tuple[np.ndarray, ...],
                    questionnaire: str) -> dict[str, np.ndarray]:
    statuses = np.array(model.statuses, dtype=object)
    if questionnaire == "P":
        out = {model.p_column(code): _codes(sim.p_items[(*rows, i)])
               for i, code in enumerate(model.p_items)}
        out[model.status_question] = statuses[sim.p_status[rows]]
        return out
    codes = (*model.c_items, model.belief_code)
    out = {model.c_column(code): _codes(sim.c_items[(*rows, i)]) for i, code in enumerate(codes)}
    first = rows[1] == 0
    for i, code in enumerate(model.interventions):
        values = _codes(sim.interventions[(*rows, i)])
        values[first] = None  # hidden at wave 0 by the relevance equation
        out[model.intervention_column(code)] = values
    gap = _codes(sim.gap[rows])
    gap[first] = None
    out[model.gap_question] = gap
    out[model.status_question] = statuses[sim.c_status[rows]]
    return out


def _submit_texts(when: np.ndarray) -> np.ndarray:
    """LimeSurvey's ``YYYY-MM-DD HH:MM:SS`` texts (np.char.replace fails on an empty array:
    a questionnaire nobody answered)."""
    if not len(when):
        return np.empty(0, dtype=object)
    return np.char.replace(
        np.datetime_as_string(when, unit="s").astype(str), "T", " ").astype(object)


def generate_frames(
    n_participants: int,
    waves: int,
    *,
    seed: int,
    model: MeasurementModel,
    truth: dict[str, float] | None = None,
    extras: bool = True,
    attrition: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Participant and caseworker response frames in the metrics input shape.

    Pseudonyms stand in for people; waves 0..``waves``−1 are answered three months
    apart from enrolments spread over a year. With ``extras`` (the default) about 1 %
    of responses get an earlier duplicate and 1 % of tokens an incomplete response,
    as mail scanners leave them, so the data-quality paths are exercised too.
    ``attrition=False`` answers every wave (no skips, no drop-out): the benchmark's
    full ``n_participants × waves`` responses per survey.
    """
    rng = np.random.default_rng(seed)
    truth = {**DEFAULT_TRUTH, **(truth or {})}
    sim = _simulate(n_participants, waves, rng, model, truth,
                    n_caseworkers=max(3, n_participants // 25), attrition=attrition)
    pseudonyms = np.array([f"S{v:015x}" for v in rng.integers(0, 2**60, n_participants)],
                          dtype=object)
    enrolled = np.datetime64("2024-01-01T09:00:00") + rng.integers(
        0, 365 * 86400, n_participants).astype("timedelta64[s]")
    frames = []
    for questionnaire, answered in (("P", sim.p_answered), ("C", sim.c_answered)):
        rows = np.nonzero(answered)
        when = (enrolled[rows[0]] + (rows[1] * 91 * 86400).astype("timedelta64[s]")
                + rng.integers(0, 21 * 86400, len(rows[0])).astype("timedelta64[s]"))
        columns: dict[str, Any] = {
            "submitdate": _submit_texts(when),
            "token": None,
            model.pseudonym_question: pseudonyms[rows[0]],
            model.wave_question: _codes(rows[1].astype(float)),
            model.caseworker_question: np.array(
                [f"CW{i:02d}" for i in range(sim.caseworker.max() + 1)], dtype=object
            )[sim.caseworker[rows]],
        }
        columns.update(_answer_columns(sim, model, rows, questionnaire))
        frame = pd.DataFrame(columns)
        if extras and len(frame):
            frame = _with_extras(frame, rng)
        frame.insert(0, "id", np.arange(1, len(frame) + 1))
        frames.append(frame)
    return frames[0], frames[1]


def _with_extras(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    picks = rng.random(len(frame))
    earlier = frame[picks < 0.01].copy()
    earlier["submitdate"] = (pd.to_datetime(earlier["submitdate"]) - pd.Timedelta(hours=1)
                             ).dt.strftime("%Y-%m-%d %H:%M:%S").astype(object)
    opened = frame[(picks >= 0.01) & (picks < 0.02)].copy()
    answer_cols = [c for c in frame.columns if "[" in c]
    opened[answer_cols] = None
    opened["submitdate"] = None
    return pd.concat([frame, earlier, opened], ignore_index=True)


# --- the cohort with a roster (demo) ----------------------------------------------------


def add_months(day: date, months: int) -> date:
    """``day`` plus whole calendar months (the 31st becomes the month's last day)."""
    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def personnummer(born: date, serial: int) -> str:
    """A personnummer ``YYYYMMDD-NNNC`` with a correct check digit (for fictional people)."""
    body = f"{born:%y%m%d}{serial:03d}"
    return f"{born:%Y%m%d}-{serial:03d}{luhn.calc_check_digit(body)}"


def generate_cohort(
    n_participants: int,
    *,
    seed: int,
    start: date,
    months: int,
    model: MeasurementModel,
    interval_months: int = 3,
    truth: dict[str, float] | None = None,
) -> SyntheticCohort:
    """A fictional cohort enrolled over the first half of ``months`` from ``start``.

    The roster has the roster CSV's columns; the answer lists hold one dict per wave
    that falls due before ``start + months`` and was answered (skips and drop-outs
    leave gaps), keyed by ``external_id``, ``wave``, ``caseworker_id`` and the
    code-heading answer columns.
    """
    if n_participants < 1 or months < 1:
        raise ValueError("n_participants and months must be at least 1")
    rng = np.random.default_rng(seed)
    truth = {**DEFAULT_TRUTH, **(truth or {})}
    waves = months // interval_months + 1
    n_cw = max(3, n_participants // 12)
    sim = _simulate(n_participants, waves, rng, model, truth, n_caseworkers=n_cw)
    end = add_months(start, months)
    spread = max((add_months(start, max(months // 2, 1)) - start).days, 1)
    offsets = np.sort(rng.integers(0, spread, n_participants))
    languages = rng.choice(np.array(["sv", "da", "en"]), n_participants, p=[0.7, 0.15, 0.15])
    births = rng.integers(0, (date(2003, 12, 31) - date(1965, 1, 1)).days, n_participants)
    serials = rng.choice(np.arange(100, 1000), n_participants, replace=False) \
        if n_participants <= 900 else rng.integers(100, 1000, n_participants)
    cw_ids = [f"CW{i + 1:02d}" for i in range(n_cw)]

    roster: list[dict[str, str]] = []
    due = np.zeros((n_participants, waves), dtype=bool)
    for i in range(n_participants):
        enrolled = start + timedelta(days=int(offsets[i]))
        lang = str(languages[i])
        names = _FIRST_NAMES[lang]
        cw = cw_ids[sim.caseworker[i, 0]]
        roster.append({
            "external_id": personnummer(date(1965, 1, 1) + timedelta(days=int(births[i])),
                                        int(serials[i])),
            "first_name": names[int(rng.integers(0, len(names)))],
            "email": f"deltagare{i + 1:04d}@example.org",
            "language": lang,
            "enrolled_on": enrolled.isoformat(),
            "caseworker_id": cw,
            "caseworker_email": f"{cw.lower()}@example.org",
        })
        for k in range(waves):
            due[i, k] = add_months(enrolled, k * interval_months) < end

    answers: dict[str, list[dict[str, Any]]] = {}
    for questionnaire, answered in (("P", sim.p_answered), ("C", sim.c_answered)):
        rows = np.nonzero(answered & due)
        columns = _answer_columns(sim, model, rows, questionnaire)
        records = []
        for j, (i, k) in enumerate(zip(*rows, strict=True)):
            record: dict[str, Any] = {
                "external_id": roster[i]["external_id"],
                "wave": int(k),
                "caseworker_id": cw_ids[sim.caseworker[i, k]],
            }
            record.update({c: v[j] for c, v in columns.items() if v[j] is not None})
            records.append(record)
        answers[questionnaire] = records
    return SyntheticCohort(roster=roster, participant_answers=answers["P"],
                           caseworker_answers=answers["C"], truth=truth)
