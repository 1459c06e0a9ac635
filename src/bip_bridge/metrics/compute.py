"""``compute_metrics``: the whole measurement model from two response frames. Pure."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from bip_bridge.errors import DataInvalid, Problem
from bip_bridge.metrics.cohort import cohort_table, outcomes_table
from bip_bridge.metrics.prepare import Prepared, findings_frame, prepare
from bip_bridge.metrics.progression import (
    indices_frame,
    interventions_frame,
    join,
    periods_frame,
    scores_frame,
)
from bip_bridge.metrics.result import DATA_QUALITY_COLUMNS, MetricsResult
from bip_bridge.model import CASEWORKER, PARTICIPANT, MeasurementModel


def compute_metrics(
    participant_responses: pd.DataFrame,
    caseworker_responses: pd.DataFrame,
    model: MeasurementModel,
    *,
    min_cell: int = 5,
    min_count: int = 3,
    wave_interval_months: int = 3,
) -> MetricsResult:
    """Compute every metric of the measurement model (docs/metrics.md).

    The frames are LimeSurvey JSON/CSV exports with code headings, one row per
    response (optionally with a ``sid`` column when several surveys are
    concatenated). Every code is read from ``model``. ``min_cell`` (distinct
    participants per cell) and ``min_count`` (a count or its complement) are the
    small-cell minimums of the cohort and outcome tables; ``wave_interval_months`` only serves the
    ``late_wave`` data-quality finding. The row order of the inputs never matters.
    """
    problems = []
    if min_cell < 1:
        problems.append(Problem("min_cell", f"is {min_cell}", "a whole number >= 1"))
    if min_count < 1:
        problems.append(Problem("min_count", f"is {min_count}", "a whole number >= 1"))
    if wave_interval_months < 1:
        problems.append(Problem("wave_interval_months", f"is {wave_interval_months}",
                                "a whole number >= 1"))
    if problems:
        raise DataInvalid("Invalid metrics settings.", problems,
                          hint="Use a small-cell minimum and a wave interval of at least 1.")
    p = prepare(participant_responses, model, PARTICIPANT)
    c = prepare(caseworker_responses, model, CASEWORKER)
    joined = join(p.counted, c.counted, model)
    findings = data_quality(p, c, wave_interval_months)
    del p, c  # the counted frames live on in `joined`: let them go before the big frames
    indices = indices_frame(joined, model)
    periods = periods_frame(joined, indices, model)
    interventions = interventions_frame(joined, model)
    # the scores, the largest frame, need only the item arrays and each row's wave: the
    # joined frame's other columns can go first
    joined = dataclasses.replace(joined, frame=joined.frame[["wave"]])
    scores = scores_frame(joined, model)
    del joined
    return MetricsResult(
        scores=scores,
        indices=indices,
        periods=periods,
        cohort=cohort_table(periods, model, min_cell, min_count),
        outcomes=outcomes_table(periods, model, min_cell, min_count),
        data_quality=findings,
        period_interventions=interventions,
    )


def data_quality(p: Prepared, c: Prepared, wave_interval_months: int) -> pd.DataFrame:
    parts = [
        p.findings,
        c.findings,
        _caseworker_without_participant(p.counted, c.counted),
        _late(p.counted, PARTICIPANT, wave_interval_months),
        _late(c.counted, CASEWORKER, wave_interval_months),
    ]
    non_empty = [part for part in parts if len(part)]
    frame = pd.concat(non_empty, ignore_index=True) if non_empty else parts[0].iloc[0:0]
    frame = frame.sort_values(
        ["kind", "questionnaire", "pseudonym", "wave", "response_id", "sid", "detail"],
        na_position="last", kind="stable",
    )
    return frame[list(DATA_QUALITY_COLUMNS)].reset_index(drop=True)


def _rows_finding(rows: pd.DataFrame, questionnaire: str, kind: str, detail: object
                  ) -> pd.DataFrame:
    n = len(rows)
    return findings_frame(
        kind=[kind] * n, questionnaire=[questionnaire] * n,
        pseudonym=rows["pseudonym"].to_numpy(), wave=rows["wave"].to_numpy(),
        response_id=rows["response_id"].to_numpy(), sid=rows["sid"].to_numpy(),
        detail=detail.to_numpy() if isinstance(detail, pd.Series) else [detail] * n,
    )


def _caseworker_without_participant(p: pd.DataFrame, c: pd.DataFrame) -> pd.DataFrame:
    codes, _ = pd.factorize(np.concatenate([p["pseudonym"].to_numpy(dtype=object),
                                            c["pseudonym"].to_numpy(dtype=object)]))
    wave_span = int(max(p["wave"].max() if len(p) else 0, c["wave"].max() if len(c) else 0)) + 1
    p_codes, c_codes = codes[:len(p)], codes[len(p):]
    p_keys = p_codes * wave_span + p["wave"].to_numpy(dtype=np.int64)
    c_keys = c_codes * wave_span + c["wave"].to_numpy(dtype=np.int64)
    alone = ~np.isin(c_keys, p_keys)
    lonely = c[alone]
    known = np.isin(c_codes[alone], p_codes)
    detail = pd.Series(
        np.where(
            known,
            "the participant has no complete response at this wave",
            "no complete participant response has this pseudonym at any wave; "
            "check the pseudonym",
        ),
        index=lonely.index,
    )
    return _rows_finding(lonely, CASEWORKER, "caseworker_without_participant", detail)


def _add_months(days: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Days since 1970 plus whole calendar months, as :func:`bip_bridge.wave_calendar.due_date`.

    The day of the month is kept where the target month has it, else the month's last
    day (31 January + 3 months = 30 April), so "the day wave k+1 fell due" is the same
    day the wave calendar uses.
    """
    day = days.astype("datetime64[D]")
    month = day.astype("datetime64[M]")
    into = (day - month.astype("datetime64[D]")).astype(np.int64)
    target = month + months.astype("timedelta64[M]")
    start = target.astype("datetime64[D]")
    length = ((target + 1).astype("datetime64[D]") - start).astype(np.int64)
    return start.astype(np.int64) + np.minimum(into, length - 1)


def _late(counted: pd.DataFrame, questionnaire: str, interval: int) -> pd.DataFrame:
    """Wave k submitted on or after the day wave k+1 fell due (counted from wave 0).

    Compared by calendar day, not time of day: a wave-1 answer given on the day wave 2
    fell due is late, whatever the hour of the wave-0 answer.
    """
    seconds = counted["submitted_s"].to_numpy(dtype=np.int64)
    readable = seconds > -(2**61)
    day = np.where(readable, seconds // 86400, 0)
    wave = counted["wave"].to_numpy(dtype="int64")
    # each pseudonym's baseline: the day of its first readable wave-0 response
    person, people = pd.factorize(counted["pseudonym"].to_numpy(dtype=object))
    base_rows = np.flatnonzero((wave == 0) & readable & (person >= 0))
    with_base, first = np.unique(person[base_rows], return_index=True)
    baseline = np.full(len(people) + 1, np.nan)  # the last one: no pseudonym (code -1)
    baseline[with_base] = day[base_rows[first]]
    base = baseline[person]
    known = (wave >= 1) & readable & ~np.isnan(base)
    due_next = np.zeros(len(counted), dtype=np.int64)
    due_next[known] = _add_months(base[known].astype(np.int64),
                                  (wave[known] + 1) * interval)
    late = known & (day >= due_next)
    rows = counted[late]
    detail = (
        "submitted " + rows["submitdate"].astype("str")
        + f", on or after wave k+1 fell due ({interval} months per wave from the wave-0 "
        "response); its answers may describe a later period"
    )
    return _rows_finding(rows, questionnaire, "late_wave", detail)
