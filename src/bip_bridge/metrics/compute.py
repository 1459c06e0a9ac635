"""``compute_metrics``: the whole measurement model from two response frames. Pure."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bip_bridge.errors import DataInvalid, Problem
from bip_bridge.metrics.cohort import cohort_table, outcomes_table
from bip_bridge.metrics.prepare import Prepared, findings_frame, prepare
from bip_bridge.metrics.progression import indices_frame, join, periods_frame, scores_frame
from bip_bridge.metrics.result import DATA_QUALITY_COLUMNS, MetricsResult
from bip_bridge.model import CASEWORKER, PARTICIPANT, MeasurementModel

_MONTH_SECONDS = 32 * 86400  # more than any month: (month, second-in-month) as one number


def compute_metrics(
    participant_responses: pd.DataFrame,
    caseworker_responses: pd.DataFrame,
    model: MeasurementModel,
    *,
    min_cell: int = 5,
    wave_interval_months: int = 3,
) -> MetricsResult:
    """Compute every metric of the measurement model (docs/metrics.md).

    The frames are LimeSurvey JSON/CSV exports with code headings, one row per
    response (optionally with a ``sid`` column when several surveys are
    concatenated). Every code is read from ``model``. ``min_cell`` is the small-cell
    minimum of the cohort and outcome tables; ``wave_interval_months`` only serves the
    ``late_wave`` data-quality finding. The row order of the inputs never matters.
    """
    problems = []
    if min_cell < 1:
        problems.append(Problem("min_cell", f"is {min_cell}", "a whole number >= 1"))
    if wave_interval_months < 1:
        problems.append(Problem("wave_interval_months", f"is {wave_interval_months}",
                                "a whole number >= 1"))
    if problems:
        raise DataInvalid("Invalid metrics settings.", problems,
                          hint="Use a small-cell minimum and a wave interval of at least 1.")
    p = prepare(participant_responses, model, PARTICIPANT)
    c = prepare(caseworker_responses, model, CASEWORKER)
    joined = join(p.counted, c.counted, model)
    indices = indices_frame(joined, model)
    periods = periods_frame(joined, indices, model)
    return MetricsResult(
        scores=scores_frame(joined, model),
        indices=indices,
        periods=periods,
        cohort=cohort_table(periods, model, min_cell),
        outcomes=outcomes_table(periods, model, min_cell),
        data_quality=data_quality(p, c, wave_interval_months),
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


def _month_clock(seconds: np.ndarray) -> np.ndarray:
    """A time as (months since 1970) · a month's seconds + seconds into the month."""
    when = seconds.astype("datetime64[s]")
    month = when.astype("datetime64[M]")
    into = (when - month.astype("datetime64[s]")).astype(np.int64)
    clock = month.astype(np.int64) * _MONTH_SECONDS + into
    return np.where(seconds < -(2**61), np.nan, clock.astype(float))


def _late(counted: pd.DataFrame, questionnaire: str, interval: int) -> pd.DataFrame:
    """Wave k submitted on or after the day wave k+1 fell due (counted from wave 0)."""
    clock = pd.Series(_month_clock(counted["submitted_s"].to_numpy(dtype=np.int64)),
                      index=counted.index)
    wave = counted["wave"].to_numpy(dtype="int64")
    baseline = clock[wave == 0].groupby(counted.loc[wave == 0, "pseudonym"]).first()
    base = counted["pseudonym"].map(baseline).to_numpy(dtype=float, na_value=np.nan)
    due_next = base + (wave + 1) * interval * _MONTH_SECONDS
    late = (wave >= 1) & (clock.to_numpy() >= due_next)
    rows = counted[late]
    detail = (
        "submitted " + rows["submitdate"].astype("str")
        + f", on or after wave k+1 fell due ({interval} months per wave from the wave-0 "
        "response); its answers may describe a later period"
    )
    return _rows_finding(rows, questionnaire, "late_wave", detail)
