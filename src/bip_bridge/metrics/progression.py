"""Scores, indices, change and period metrics: the spec's formulas, vectorised.

Both questionnaires' counted responses are joined on (pseudonym, wave) into one
frame sorted by pseudonym and wave. Every change value then compares a row with the
row above it, and only when that row is the same pseudonym's previous wave
(``wave - 1``): a missing wave leaves both neighbouring periods without a change
value, as the spec demands. Change from baseline compares a row with its
pseudonym's first row, when that row is wave 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from bip_bridge.model import CASEWORKER, PARTICIPANT, MeasurementModel

COMBO_NONE, COMBO_JOB_ONLY, COMBO_JOB_PLUS, COMBO_OTHER_ONLY = (
    "none", "job_only", "job_plus", "other_only",
)
COMBOS = (COMBO_NONE, COMBO_JOB_ONLY, COMBO_JOB_PLUS, COMBO_OTHER_ONLY)


@dataclass(frozen=True)
class Joined:
    """The two questionnaires side by side, one row per (pseudonym, wave)."""

    frame: pd.DataFrame  # every joined column but the indicator items (those are below)
    p_items: np.ndarray  # rows x P indicators (float, NaN = missing or no response)
    c_items: np.ndarray  # rows x C indicators incl. belief
    has_p: np.ndarray  # bool: a counted participant response exists
    has_c: np.ndarray
    previous: np.ndarray  # bool: the row above is this pseudonym's wave - 1
    baseline_row: np.ndarray  # int position of the pseudonym's wave-0 row, -1 if none
    pseudonym_codes: np.ndarray  # int code of each row's pseudonym (string order)
    pseudonyms: pd.Index  # the distinct pseudonyms, sorted


def int_or_na(values: np.ndarray, known: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """Whole numbers as a nullable Int64 array, <NA> where not ``known``."""
    out = pd.array(np.asarray(values, dtype="int64"), dtype="Int64")
    out[~known] = pd.NA
    return out


def c_codes(model: MeasurementModel) -> tuple[str, ...]:
    """The caseworker's indicator codes: the C index items, then the belief item."""
    return (*model.c_items, model.belief_code)


def join(p: pd.DataFrame, c: pd.DataFrame, model: MeasurementModel) -> Joined:
    keys = ["pseudonym", "wave"]
    p_cols = [model.p_column(code) for code in model.p_items]
    c_cols = [model.c_column(code) for code in c_codes(model)]
    extra = [model.intervention_column(code) for code in model.interventions]
    left = p[[*keys, "caseworker_id", "status", *p_cols]].rename(
        columns={"caseworker_id": "p_caseworker_id", "status": "p_status"})
    left["has_p"] = True
    right = c[[*keys, "caseworker_id", "status", *c_cols, *extra, model.gap_question]].rename(
        columns={"caseworker_id": "c_caseworker_id", "status": "c_status"})
    right["has_c"] = True
    frame = left.merge(right, on=keys, how="outer", sort=False)
    pseudo_codes, pseudonyms = pd.factorize(frame["pseudonym"].to_numpy(dtype=object), sort=True)
    order = np.lexsort((frame["wave"].to_numpy(dtype="int64"), pseudo_codes))
    frame = frame.take(order).reset_index(drop=True)
    pseudo_codes = pseudo_codes[order]
    has_p = frame["has_p"].eq(True).to_numpy()
    has_c = frame["has_c"].eq(True).to_numpy()
    wave = frame["wave"].to_numpy(dtype="int64")
    same = np.zeros(len(frame), dtype=bool)
    same[1:] = pseudo_codes[1:] == pseudo_codes[:-1]
    previous = same.copy()
    previous[1:] &= wave[1:] == wave[:-1] + 1
    starts = np.flatnonzero(~same)
    first = starts[np.cumsum(~same) - 1] if len(frame) else np.zeros(0, dtype=np.int64)
    baseline_row = np.where(wave[first] == 0, first, -1) if len(frame) else first

    p_items = frame[p_cols].to_numpy(dtype=float)
    c_items = frame[c_cols].to_numpy(dtype=float)
    # the items live on as the two arrays only (the frame's copies would double them)
    frame = frame.drop(columns=list(dict.fromkeys([*p_cols, *c_cols])))
    return Joined(
        frame=frame,
        p_items=p_items,
        c_items=c_items,
        has_p=has_p,
        has_c=has_c,
        previous=previous,
        baseline_row=baseline_row,
        pseudonym_codes=pseudo_codes,
        pseudonyms=pd.Index(pseudonyms, dtype="str"),
    )


def change(values: np.ndarray, joined: Joined) -> np.ndarray:
    """Value at wave k minus value at wave k-1 (NaN unless both waves exist)."""
    out = np.full(values.shape, np.nan)
    if len(values) > 1:
        np.subtract(values[1:], values[:-1], out=out[1:])
        out[~joined.previous] = np.nan
    return out


def from_baseline(values: np.ndarray, joined: Joined) -> np.ndarray:
    """Value at wave k minus the pseudonym's wave-0 value (NaN unless both exist)."""
    if len(values) == 0:
        return np.full(values.shape, np.nan)
    out = values[np.maximum(joined.baseline_row, 0)]
    np.subtract(values, out, out=out)  # in place: one full-size array, not two
    out[joined.baseline_row < 0] = np.nan
    return out


def previous_values(values: np.ndarray, joined: Joined) -> np.ndarray:
    """The value at wave k-1 (object array; None unless that wave exists)."""
    out = np.full(values.shape, None, dtype=object)
    prev = joined.previous
    out[1:][prev[1:]] = values[:-1][prev[1:]]
    return out


def index_of(items: np.ndarray, min_answers: int) -> tuple[np.ndarray, np.ndarray]:
    """(mean of the answered items if at least ``min_answers`` are answered, count)."""
    answered = (~np.isnan(items)).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nansum(items, axis=1) / answered
    return np.where(answered >= max(min_answers, 1), mean, np.nan), answered


def belief_categories(belief: np.ndarray, model: MeasurementModel) -> np.ndarray:
    out = np.full(belief.shape, None, dtype=object)
    for cat in model.belief_categories:
        out[(belief >= cat.low) & (belief <= cat.high)] = cat.name
    return out


_SCORE_ROWS_AT_A_TIME = 65_536  # joined rows turned into score rows at once


def scores_frame(joined: Joined, model: MeasurementModel) -> pd.DataFrame:
    """One row per counted response and indicator, in (pseudonym, wave, P/C, model) order.

    The largest frame of the metrics (rows × indicators), so it is built lean: the
    float columns are written straight into one block that pandas takes without a
    copy, a slice of joined rows at a time (the temporaries are the slice's, not the
    whole frame's), and the per-row columns are repeated by each row's count of kept
    entries rather than spread over every cell and masked. Score changes are
    :func:`change` and :func:`from_baseline`, computed per slice.
    """
    p_items, c_items = joined.p_items, joined.c_items
    n_p, n_c = p_items.shape[1], c_items.shape[1]
    n = len(joined.frame)
    # a row's kept entries (its P items if it has a P response, then its C items if it
    # has a C response) are contiguous in row-major order
    per_row = joined.has_p.astype(np.int64) * n_p + joined.has_c.astype(np.int64) * n_c
    ends = np.cumsum(per_row)
    n_rows = int(ends[-1]) if n else 0
    indicators = [*model.p_items, *c_codes(model)]
    categories = list(dict.fromkeys(indicators))
    code_type: type[np.signedinteger[Any]] = np.int8 if len(categories) < 128 else np.int32
    respondent_code = np.array([0] * n_p + [1] * n_c, dtype=np.int8)
    indicator_code = np.array([categories.index(code) for code in indicators], dtype=code_type)
    block = np.empty((3, n_rows))  # score, d_score, d_score_baseline
    respondent = np.empty(n_rows, dtype=np.int8)
    indicator = np.empty(n_rows, dtype=code_type)
    baseline_row = joined.baseline_row
    for lo in range(0, n, _SCORE_ROWS_AT_A_TIME):
        hi = min(lo + _SCORE_ROWS_AT_A_TIME, n)
        start, stop = (int(ends[lo - 1]) if lo else 0), int(ends[hi - 1])
        keep = np.empty((hi - lo, n_p + n_c), dtype=bool)
        keep[:, :n_p] = joined.has_p[lo:hi, None]
        keep[:, n_p:] = joined.has_c[lo:hi, None]
        mask = keep.ravel()
        items = np.hstack([p_items[lo:hi], c_items[lo:hi]])
        block[0, start:stop] = items.ravel()[mask]
        delta = np.full(items.shape, np.nan)  # change(): only after the previous wave
        rows = np.flatnonzero(joined.previous[lo:hi]) + lo
        delta[rows - lo] = items[rows - lo] - _item_rows(p_items, c_items, rows - 1)
        block[1, start:stop] = delta.ravel()[mask]
        base = baseline_row[lo:hi]  # from_baseline(): against the pseudonym's wave 0
        np.subtract(items, _item_rows(p_items, c_items, np.maximum(base, 0)), out=delta)
        delta[base < 0] = np.nan
        block[2, start:stop] = delta.ravel()[mask]
        respondent[start:stop] = np.tile(respondent_code, hi - lo)[mask]
        indicator[start:stop] = np.tile(indicator_code, hi - lo)[mask]
    out = pd.DataFrame(block.T, columns=["score", "d_score", "d_score_baseline"], copy=False)
    out.insert(0, "pseudonym", pd.Series(pd.Categorical.from_codes(
        np.repeat(joined.pseudonym_codes.astype(np.int32), per_row),
        categories=joined.pseudonyms)))
    # a wave number is small (one every three months: 40 in ten years), so two bytes
    # hold it: at 32 million rows that is 192 MB less than int64 at the metrics' peak
    waves = joined.frame["wave"].to_numpy(dtype=np.int64)
    fits = not len(waves) or (waves.min() >= 0 and waves.max() <= np.iinfo(np.int16).max)
    wave = np.repeat(waves.astype(np.int16) if fits else waves, per_row)
    out.insert(1, "wave", pd.Series(wave, copy=False))  # an ndarray would be copied
    out.insert(2, "respondent", pd.Series(pd.Categorical.from_codes(
        respondent, categories=pd.Index([PARTICIPANT, CASEWORKER], dtype="str"))))
    out.insert(3, "indicator", pd.Series(pd.Categorical.from_codes(
        indicator, categories=pd.Index(categories, dtype="str"))))
    return out


def _item_rows(p_items: np.ndarray, c_items: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Both questionnaires' items of the given joined rows, side by side."""
    return np.hstack([p_items[rows], c_items[rows]])


def indices_frame(joined: Joined, model: MeasurementModel) -> pd.DataFrame:
    frame = joined.frame
    p_index, p_answered = index_of(joined.p_items, model.p_min_answers)
    n_c = len(model.c_items)
    c_index, c_answered = index_of(joined.c_items[:, :n_c], model.c_min_answers)
    belief = joined.c_items[:, n_c]
    status = frame["c_status"].fillna(frame["p_status"])
    caseworker = frame["c_caseworker_id"].fillna(frame["p_caseworker_id"])
    return pd.DataFrame({
        "pseudonym": frame["pseudonym"].astype("str"),
        "wave": frame["wave"].to_numpy(dtype="int64"),
        "p_index": p_index,
        "c_index": c_index,
        "belief": belief,
        "belief_category": pd.array(belief_categories(belief, model), dtype="str"),
        "status": status.astype("str"),
        "caseworker_id": caseworker.astype("str"),
        "p_items_answered": int_or_na(p_answered, joined.has_p),
        "c_items_answered": int_or_na(c_answered, joined.has_c),
        "p_change_baseline": from_baseline(p_index, joined),
        "c_change_baseline": from_baseline(c_index, joined),
    })


def periods_frame(joined: Joined, indices: pd.DataFrame, model: MeasurementModel
                  ) -> pd.DataFrame:
    """Period k (k >= 1) for every row at wave k: change and the period's conditions."""
    frame = joined.frame
    wave = frame["wave"].to_numpy(dtype="int64")
    d_p = change(indices["p_index"].to_numpy(dtype=float), joined)
    d_c = change(indices["c_index"].to_numpy(dtype=float), joined)

    ins = frame[[model.intervention_column(c) for c in model.interventions]].to_numpy(float)
    known = ~np.isnan(ins).any(axis=1) & joined.has_c
    used = ins >= 1
    parallel = used.sum(axis=1)
    job = used[:, list(model.interventions).index(model.job_intervention)]
    other = parallel - job.astype(int)
    combo = np.select(
        [parallel == 0, job & (other == 0), job & (other > 0)],
        [COMBO_NONE, COMBO_JOB_ONLY, COMBO_JOB_PLUS],
        COMBO_OTHER_ONLY,
    ).astype(object)
    combo[~known] = None

    gap = frame[model.gap_question].to_numpy(dtype=float)
    caseworker = indices["caseworker_id"].to_numpy(dtype=object)
    before = previous_values(caseworker, joined)
    both = pd.notna(caseworker) & pd.notna(before)
    changed = pd.array(np.where(both, caseworker != before, False), dtype="boolean")
    changed[~both] = pd.NA
    belief_start = previous_values(indices["belief_category"].to_numpy(dtype=object), joined)
    status = indices["status"]
    in_work = pd.array(status.isin(model.work_or_study_statuses).to_numpy(), dtype="boolean")
    in_work[status.isna().to_numpy()] = pd.NA
    continuous = pd.array(gap == 0, dtype="boolean")
    continuous[np.isnan(gap)] = pd.NA

    out = pd.DataFrame({
        "pseudonym": indices["pseudonym"],
        "period": wave,
        "d_p": d_p,
        "d_c": d_c,
        "parallel": int_or_na(parallel, known),
        "combo": pd.array(combo, dtype="str"),
        "continuous": continuous,
        "caseworker_changed": changed,
        "belief_start": pd.array(belief_start, dtype="str"),
        "in_work_or_studies": in_work,
    })
    return out[wave >= 1].reset_index(drop=True)


def interventions_frame(joined: Joined, model: MeasurementModel) -> pd.DataFrame:
    """Period k (k >= 1) with a counted caseworker response at wave k: each intervention
    category's answer (0/1/2, <NA> when not answered) and the gap weeks."""
    frame = joined.frame
    keep = (frame["wave"].to_numpy(dtype="int64") >= 1) & joined.has_c
    part = frame[keep]
    out = pd.DataFrame({
        "pseudonym": part["pseudonym"].astype("str").to_numpy(),
        "period": part["wave"].to_numpy(dtype="int64"),
    })
    for code in model.interventions:
        values = part[model.intervention_column(code)].to_numpy(dtype=float)
        known = ~np.isnan(values)
        out[code] = int_or_na(np.where(known, values, 0), known)
    gap = part[model.gap_question].to_numpy(dtype=float)
    out["gap_weeks"] = int_or_na(np.where(np.isnan(gap), 0, gap), ~np.isnan(gap))
    return out
