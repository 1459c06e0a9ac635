"""Cohort tables and the outcome table, with the small-cell rule.

For each grouping of the periods and each change measure: n, mean, standard deviation
(n − 1), the t-based 95 % interval and the shares improved / unchanged / declined.
The spec's small-cell rule (:mod:`bip_bridge.metrics.suppression`): a cell whose periods
come from fewer than ``min_cell`` distinct participants keeps its row (so readers see
the group exists) but its n and statistics are blank; a share whose count, or the rest
of n, is 1 or more but below ``min_count`` is blank. ``suppressed`` is true and
``suppression_reason`` says why (``cell``, ``count``) on every row with a blank by the
rule. Complementary suppression is applied where the tables are published.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from bip_bridge.metrics.progression import COMBOS
from bip_bridge.metrics.result import COHORT_COLUMNS, OUTCOMES_COLUMNS
from bip_bridge.metrics.suppression import CELL, COUNT, add_reason, small_count
from bip_bridge.model import MeasurementModel

GROUPINGS: tuple[str, ...] = (
    "parallel", "combo", "continuous", "caseworker_changed", "belief_start",
)
MEASURES: tuple[str, ...] = ("d_p", "d_c")
ALL = "all"
MISSING = "missing"
CONFIDENCE = 0.95


def group_labels(
    periods: pd.DataFrame, grouping: str, model: MeasurementModel
) -> tuple[np.ndarray, list[str]]:
    """The group of every period as a code into the label list (``missing`` last)."""
    column = periods[grouping]
    labels: pd.Series | None = column
    if grouping == "parallel":
        order = [str(n) for n in range(len(model.interventions) + 1)]
        # integers: label n of the order is the number n (None: coded from the numbers)
        labels = None if pd.api.types.is_integer_dtype(column.dtype) else column.astype("str")
    elif grouping in ("continuous", "caseworker_changed"):
        order = ["false", "true"]
        labels = (None if pd.api.types.is_bool_dtype(column.dtype)  # false, true: 0, 1
                  else column.map({True: "true", False: "false"}))
    elif grouping == "combo":
        order = list(COMBOS)
    else:
        order = [cat.name for cat in model.belief_categories]
    order = [*order, MISSING]
    if labels is None:  # coded from the numbers, without making a label per period
        numbers = column.to_numpy(dtype=float, na_value=np.nan)
        known = (numbers >= 0) & (numbers < len(order) - 1)
        return np.where(known, numbers, len(order) - 1).astype(np.int64), order
    codes = pd.Categorical(labels, categories=order).codes
    return np.where(codes < 0, len(order) - 1, codes).astype(np.int64), order


def _t_halfwidth(n: np.ndarray, sd: np.ndarray) -> np.ndarray:
    out = np.full(n.shape, np.nan)
    ok = n >= 2
    # the t quantile (scipy.stats.t.ppf computes it with this very function; importing
    # scipy.stats as well would cost about a second at every start)
    out[ok] = special.stdtrit(n[ok] - 1, 0.5 + CONFIDENCE / 2) * sd[ok] / np.sqrt(n[ok])
    return out


def persons(codes: np.ndarray, people: np.ndarray, k: int) -> np.ndarray:
    """Distinct participants per group code (``people``: integer codes of pseudonyms)."""
    if not len(codes):
        return np.zeros(k)
    span = int(people.max()) + 1
    seen = np.zeros(k * span, dtype=bool)  # (group, person) pairs present
    seen[codes.astype(np.int64) * span + people] = True
    return seen.reshape(k, span).sum(axis=1).astype(float)


def _summary(values: np.ndarray, codes: np.ndarray, order: list[str], people: np.ndarray
             ) -> pd.DataFrame:
    """Per group: n, persons, mean, sd (n − 1) and the improved/unchanged/declined counts.

    Two passes (mean, then squared deviations) with ``numpy.bincount`` keep the sd
    exact and the cost linear in the number of periods.
    """
    present = ~np.isnan(values)
    x, g = values[present], codes[present]
    k = len(order)
    n = np.bincount(g, minlength=k).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(g, weights=x, minlength=k) / n
        ss = np.bincount(g, weights=(x - mean[g]) ** 2, minlength=k)
        sd = np.where(n >= 2, np.sqrt(ss / (n - 1)), np.nan)
    table = pd.DataFrame({
        "group": order,
        "n": n,
        "persons": persons(g, people[present], k),
        "mean": mean,
        "sd": sd,
        "improved": np.bincount(g, weights=x > 0, minlength=k),
        "unchanged": np.bincount(g, weights=x == 0, minlength=k),
        "declined": np.bincount(g, weights=x < 0, minlength=k),
    })
    return table[n > 0]


def _finish(table: pd.DataFrame, min_cell: int, min_count: int) -> pd.DataFrame:
    n = table["n"].to_numpy(dtype=float)
    sd = table["sd"].to_numpy(dtype=float)
    half = _t_halfwidth(n, sd)
    mean = table["mean"].to_numpy(dtype=float)
    out = pd.DataFrame({
        "measure": table["measure"].astype("str"),
        "grouping": table["grouping"].astype("str"),
        "group": table["group"].astype("str"),
        "n": pd.array(n.astype("int64"), dtype="Int64"),
        "mean": mean,
        "sd": sd,
        "ci_low": mean - half,
        "ci_high": mean + half,
        "share_improved": table["improved"].to_numpy(dtype=float) / n,
        "share_unchanged": table["unchanged"].to_numpy(dtype=float) / n,
        "share_declined": table["declined"].to_numpy(dtype=float) / n,
        "suppressed": table["persons"].to_numpy(dtype=float) < min_cell,
    })
    reasons = add_reason([""] * len(out), out["suppressed"].to_numpy(), CELL)
    out = suppress(out, ["n", "mean", "sd", "ci_low", "ci_high", "share_improved",
                         "share_unchanged", "share_declined"])
    for share, count in (("share_improved", "improved"), ("share_unchanged", "unchanged"),
                         ("share_declined", "declined")):
        small = small_count(table[count].to_numpy(dtype=float), n, min_count)
        small &= ~out["suppressed"].to_numpy()
        out.loc[small, share] = np.nan
        reasons = add_reason(reasons, small, COUNT)
    out["suppression_reason"] = pd.array(reasons, dtype="str")
    out["suppressed"] = out["suppression_reason"] != ""
    return out


def suppress(table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Blank ``columns`` on every row whose ``suppressed`` is true."""
    table = table.copy()
    hidden = table["suppressed"].to_numpy(dtype=bool)
    for column in columns:
        table.loc[hidden, column] = pd.NA if table[column].dtype == "Int64" else np.nan
    return table


def cohort_table(periods: pd.DataFrame, model: MeasurementModel, min_cell: int,
                 min_count: int = 3) -> pd.DataFrame:
    """Every measure × grouping × group with periods whose change is present.

    Rows follow the measure order (d_p, d_c), then ``all`` and the grouping order of
    :data:`GROUPINGS`, then the natural order of the groups (``missing`` last).
    """
    parts = []
    groupings = [
        (ALL, (np.zeros(len(periods), dtype=np.int64), [ALL])),
        *((g, group_labels(periods, g, model)) for g in GROUPINGS),
    ]
    people = pd.factorize(periods["pseudonym"])[0].astype(np.int64)
    for measure in MEASURES:
        values = periods[measure].to_numpy(dtype=float)
        for grouping, (codes, order) in groupings:
            table = _summary(values, codes, order, people)
            table.insert(0, "grouping", grouping)
            table.insert(0, "measure", measure)
            parts.append(table)
    table = pd.concat(parts, ignore_index=True)
    if table.empty:
        return empty_cohort()
    return _finish(table, min_cell, min_count)[list(COHORT_COLUMNS)]


def empty_cohort() -> pd.DataFrame:
    table = pd.DataFrame({c: [] for c in COHORT_COLUMNS})
    return table.astype({
        "measure": "str", "grouping": "str", "group": "str", "n": "Int64",
        **{c: "float64" for c in COHORT_COLUMNS[4:-2]}, "suppressed": "bool",
        "suppression_reason": "str",
    })


def outcomes_table(periods: pd.DataFrame, model: MeasurementModel, min_cell: int,
                   min_count: int = 3) -> pd.DataFrame:
    """Share in work or studies at wave k by belief at the start of period k.

    One row per wave k and belief category, then rows with ``wave`` blank that pool
    every period. Periods with an unknown status are left out; an unknown belief at
    the start forms the group ``missing``.
    """
    known = periods["in_work_or_studies"].notna().to_numpy()
    codes, order = group_labels(periods, "belief_start", model)
    data = pd.DataFrame({
        "wave": periods["period"].to_numpy(dtype="int64")[known],
        "belief": codes[known],
        "in_work": periods["in_work_or_studies"].to_numpy(dtype=bool, na_value=False)[known],
        "person": pd.factorize(periods["pseudonym"])[0][known],
    })
    aggregate = {"count": ("in_work", "count"), "sum": ("in_work", "sum"),
                 "persons": ("person", "nunique")}
    by_wave = data.groupby(["wave", "belief"]).agg(**aggregate).reset_index()
    pooled = data.groupby("belief").agg(**aggregate).reset_index()
    pooled.insert(0, "wave", -1)
    table = pd.concat([by_wave, pooled], ignore_index=True)
    table["_pooled"] = table["wave"] < 0
    table = table.sort_values(["_pooled", "wave", "belief"], kind="stable")
    table["belief_start"] = np.array(order, dtype=object)[table["belief"].to_numpy(dtype=int)]
    n = table["count"].to_numpy(dtype="int64")
    wave = pd.array(table["wave"].to_numpy(dtype="int64"), dtype="Int64")
    wave[table["_pooled"].to_numpy(dtype=bool)] = pd.NA
    out = pd.DataFrame({
        "wave": wave,
        "belief_start": pd.array(table["belief_start"].to_numpy(dtype=object), dtype="str"),
        "n": pd.array(n, dtype="Int64"),
        "n_in_work_or_studies": pd.array(table["sum"].to_numpy(dtype="int64"), dtype="Int64"),
        "share": table["sum"].to_numpy(dtype=float) / np.where(n > 0, n, np.nan),
        "suppressed": table["persons"].to_numpy(dtype="int64") < min_cell,
    })
    reasons = add_reason([""] * len(out), out["suppressed"].to_numpy(), CELL)
    out = suppress(out, ["n", "n_in_work_or_studies", "share"])
    small = small_count(table["sum"].to_numpy(dtype=float), n, min_count)
    small &= ~out["suppressed"].to_numpy()
    out.loc[small, "n_in_work_or_studies"] = pd.NA
    out.loc[small, "share"] = np.nan
    out["suppression_reason"] = pd.array(add_reason(reasons, small, COUNT), dtype="str")
    out["suppressed"] = out["suppression_reason"] != ""
    return out[list(OUTCOMES_COLUMNS)].reset_index(drop=True)
