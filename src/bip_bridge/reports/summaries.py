"""Small pure summaries the HTML report shows beside the cohort tables: responses per
wave and the mean indices per wave. Both apply the small-cell rule themselves, because
they are published like the cohort tables.
"""

from __future__ import annotations

import math

import pandas as pd
from scipy import special

WAVE_COLUMNS = ["wave", "invited_p", "answered_p", "rate_p", "invited_c", "answered_c", "rate_c"]
INDEX_COLUMNS = ["wave", "measure", "n", "mean", "ci_low", "ci_high", "suppressed"]


def _answered(scores: pd.DataFrame, indices: pd.DataFrame, respondent: str) -> pd.Series:
    """Distinct pseudonyms with a counted response, per wave."""
    if {"respondent", "pseudonym", "wave"} <= set(scores.columns) and not scores.empty:
        rows = scores[scores["respondent"] == respondent]
        return rows.groupby("wave")["pseudonym"].nunique()
    column = "p_index" if respondent == "P" else "c_index"
    if column in indices.columns and not indices.empty:
        rows = indices[indices[column].notna()]
        return rows.groupby("wave")["pseudonym"].nunique()
    return pd.Series(dtype="int64")


def wave_table(
    scores: pd.DataFrame,
    indices: pd.DataFrame,
    invited: pd.DataFrame | None,
    *,
    min_cell: int,
) -> pd.DataFrame:
    """Per wave: invitations (tokens sent), responses and rates for P and C.

    ``invited`` has columns wave, kind ("participant"/"caseworker"), invited. Counts
    from 1 to ``min_cell - 1`` are kept here; the template shows them as "< min_cell" and
    leaves the rate blank.
    """
    answered = {"p": _answered(scores, indices, "P"), "c": _answered(scores, indices, "C")}
    invited_by: dict[str, pd.Series] = {"p": pd.Series(dtype="int64"),
                                        "c": pd.Series(dtype="int64")}
    if invited is not None and not invited.empty:
        for key, kind in (("p", "participant"), ("c", "caseworker")):
            rows = invited[invited["kind"] == kind]
            invited_by[key] = rows.set_index("wave")["invited"]
    waves = sorted({int(w) for s in (*answered.values(), *invited_by.values()) for w in s.index})
    records = []
    for wave in waves:
        record: dict[str, object] = {"wave": wave}
        for key in ("p", "c"):
            n_answered = int(answered[key].get(wave, 0) or 0)
            n_invited = int(str(invited_by[key].get(wave, 0) or 0)) if invited is not None else None
            rate = None
            if n_invited and n_invited >= min_cell and (n_answered == 0 or n_answered >= min_cell):
                rate = n_answered / n_invited
            record[f"invited_{key}"] = n_invited
            record[f"answered_{key}"] = n_answered
            record[f"rate_{key}"] = rate
        records.append(record)
    return pd.DataFrame(records, columns=WAVE_COLUMNS)


def mean_interval(values: pd.Series) -> tuple[int, float, float, float]:
    """n, mean and the 95 % t-interval (NaN ends when n < 2)."""
    clean = pd.to_numeric(values, errors="coerce").dropna()
    n = len(clean)
    if n == 0:
        return 0, math.nan, math.nan, math.nan
    mean = float(clean.mean())
    if n < 2:
        return n, mean, math.nan, math.nan
    # the t quantile: scipy.stats.t.ppf is this function (scipy.stats costs a second to import)
    half = float(special.stdtrit(n - 1, 0.975)) * float(clean.std(ddof=1)) / math.sqrt(n)
    return n, mean, mean - half, mean + half


def index_by_wave(indices: pd.DataFrame, *, min_cell: int) -> pd.DataFrame:
    """Mean P and C index per wave with 95 % intervals; small cells blank and flagged."""
    records = []
    if not indices.empty and "wave" in indices.columns:
        for wave, rows in indices.groupby("wave", sort=True):
            for measure in ("p_index", "c_index"):
                if measure not in rows.columns:
                    continue
                n, mean, low, high = mean_interval(rows[measure])
                if n == 0:
                    continue
                small = n < min_cell
                records.append({
                    "wave": int(str(wave)), "measure": measure,
                    "n": None if small else n,
                    "mean": None if small else mean,
                    "ci_low": None if small else low,
                    "ci_high": None if small else high,
                    "suppressed": small,
                })
    return pd.DataFrame(records, columns=INDEX_COLUMNS)
