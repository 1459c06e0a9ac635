"""Adjusted differences between the groups of each BIP grouping. Pure (DataFrames in and out).

The cohort tables compare raw group means: periods with parallel interventions differ from
the others in many ways (where the person started, how long they have been in the
programme), so a raw difference mixes those in. Next to each raw difference the report
shows the difference *adjusted* for the participant's baseline index and the wave:

    change ~ C(group, reference) + baseline index + C(period),
    random intercept per participant (linearmodels' RandomEffects: feasible GLS)

fitted per change measure (ΔP with the wave-0 participant index, ΔC with the wave-0
caseworker index) and per grouping, with a 95 % Wald interval. Only periods whose group is
*published* in the cohort table and known, and whose participant has a baseline index,
enter the fit; a group with fewer than ``min_cell`` participants there is left out and
reported as too small (so no estimate is ever given for a blanked cell).

Why feasible GLS and not statsmodels' MixedLM (REML): both fit the same random-intercept
model and give the same fixed effects up to the variance-component estimate (identical to
four decimals on the synthetic cohorts), but MixedLM walks the participants one by one in
Python for every likelihood evaluation: 12 s per fit at 5,000 participants, ~40 minutes for
the ten fits of a 100,000-person report. RandomEffects estimates the two variance components
by moments (Swamy–Arora), quasi-demeans each participant's periods and solves one least
squares problem: ~3 s per fit at 50,000 participants, no iterations, nothing to converge.
docs/metrics.md records the decision.

The adjustment removes differences in baseline level and wave; it cannot remove anything
else in which the groups differ (motivation, health, the caseworker's choice of who gets
what): the estimates describe the association's data, not what an intervention causes.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from bip_bridge.metrics.cohort import GROUPINGS, MISSING
from bip_bridge.model import MeasurementModel

MEASURE_BASELINE = {"d_p": "p_index", "d_c": "c_index"}
MIN_PERIODS = 20
ADJUSTED_COLUMNS = (
    "measure", "grouping", "group", "reference", "n_model", "estimate", "ci_low", "ci_high",
    "status",
)
#: status values: the estimate is there (ok) or why not
OK, REFERENCE, TOO_FEW, FAILED = ("ok", "reference", "too_few", "failed")


def reference_order(grouping: str, model: MeasurementModel) -> list[str]:
    """Groups in the order the reference is chosen: the BIP "without" level first."""
    if grouping == "parallel":
        return [str(n) for n in range(len(model.interventions) + 1)]
    if grouping == "combo":
        return ["none", "job_only", "other_only", "job_plus"]
    if grouping in ("continuous", "caseworker_changed"):
        return ["false", "true"]
    return [cat.name for cat in model.belief_categories]


def _labels(periods: pd.DataFrame, grouping: str) -> pd.Series:
    column = periods[grouping]
    if grouping in ("continuous", "caseworker_changed"):
        return column.map({True: "true", False: "false"}).astype(object)
    if grouping == "parallel":
        return column.astype("Int64").astype(str).where(column.notna(), None)
    return column.astype(object).where(column.notna(), None)


def model_data(periods: pd.DataFrame, indices: pd.DataFrame, measure: str, grouping: str
               ) -> pd.DataFrame:
    """Periods with the change, the group, the participant's wave-0 index and the period."""
    baseline_column = MEASURE_BASELINE[measure]
    base = indices[indices["wave"] == 0].set_index("pseudonym")[baseline_column]
    data = pd.DataFrame({
        "pseudonym": periods["pseudonym"].astype(str).to_numpy(),
        "y": periods[measure].to_numpy(dtype=float),
        "group": _labels(periods, grouping).to_numpy(dtype=object),
        "period": periods["period"].to_numpy(dtype="int64"),
    })
    data["baseline"] = data["pseudonym"].map(base).to_numpy(dtype=float, na_value=np.nan)
    keep = data["y"].notna() & data["group"].notna() & data["baseline"].notna()
    return data[keep.to_numpy()].reset_index(drop=True)


def _published_groups(cohort: pd.DataFrame, measure: str, grouping: str) -> set[str]:
    rows = cohort[(cohort["measure"] == measure) & (cohort["grouping"] == grouping)]
    shown = rows[pd.to_numeric(rows["n"], errors="coerce").notna()]
    return {str(g) for g in shown["group"] if str(g) != MISSING}


def _design(data: pd.DataFrame, reference: str) -> tuple[pd.Series, pd.DataFrame]:
    """The change and the fixed-effect columns, indexed by (participant, period)."""
    index = pd.MultiIndex.from_arrays(
        [pd.factorize(data["pseudonym"])[0], data["period"].to_numpy()],
        names=["participant", "period"])
    groups = pd.get_dummies(pd.Categorical(data["group"]), dtype=float)
    exog = groups.drop(columns=[reference]).rename(columns=lambda g: f"group[{g}]")
    exog["baseline"] = data["baseline"].to_numpy(dtype=float)
    periods = sorted(data["period"].unique())
    for period in periods[1:]:
        exog[f"period[{period}]"] = (data["period"] == period).to_numpy(dtype=float)
    exog["const"] = 1.0
    exog.index = index
    return pd.Series(data["y"].to_numpy(dtype=float), index=index, name="change"), exog


def _fit(data: pd.DataFrame, reference: str) -> tuple[pd.DataFrame, bool]:
    """Fixed effects of the groups vs ``reference`` (estimate, ci_low, ci_high by group)
    and whether the fit failed to give finite estimates and intervals."""
    from linearmodels.panel import RandomEffects

    dependent, exog = _design(data, reference)
    with warnings.catch_warnings():
        # linearmodels warns about e.g. a variance component estimated at the boundary
        # (no per-participant variation left): the estimates stay valid, judged below
        warnings.simplefilter("ignore")
        fitted = RandomEffects(dependent, exog).fit()
        ci = fitted.conf_int(level=0.95)
    rows = []
    for term in fitted.params.index:
        if term.startswith("group["):
            rows.append({"group": term[len("group["):-1],
                         "estimate": float(fitted.params[term]),
                         "ci_low": float(ci.loc[term, "lower"]),
                         "ci_high": float(ci.loc[term, "upper"])})
    table = pd.DataFrame(rows, columns=["group", "estimate", "ci_low", "ci_high"])
    failed = not np.isfinite(table[["estimate", "ci_low", "ci_high"]].to_numpy()).all()
    return table, failed


def adjusted_differences(
    periods: pd.DataFrame,
    indices: pd.DataFrame,
    cohort: pd.DataFrame,
    model: MeasurementModel,
    *,
    min_cell: int,
) -> pd.DataFrame:
    """One row per measure, grouping and published group: the adjusted difference from
    the grouping's reference group with its 95 % interval, or why there is none.

    ``cohort`` is the *published* cohort table (after complementary suppression): its
    blank cells get no estimate.
    """
    records: list[dict[str, object]] = []
    if periods.empty or indices.empty or cohort.empty:
        return pd.DataFrame(records, columns=list(ADJUSTED_COLUMNS))
    for measure in MEASURE_BASELINE:
        for grouping in GROUPINGS:
            shown = _published_groups(cohort, measure, grouping)
            data = model_data(periods, indices, measure, grouping)
            data = data[data["group"].isin(shown)]
            people = data.groupby("group")["pseudonym"].nunique()
            usable = [g for g in reference_order(grouping, model)
                      if g in shown and people.get(g, 0) >= min_cell]
            data = data[data["group"].isin(usable)]
            order = [g for g in reference_order(grouping, model) if g in shown]
            enough = (len(usable) >= 2 and len(data) >= MIN_PERIODS
                      and data["pseudonym"].nunique() >= 2)
            fitted = pd.DataFrame(columns=["group", "estimate", "ci_low", "ci_high"])
            failed, error = False, False
            if enough:
                try:
                    fitted, failed = _fit(data, usable[0])
                except (ValueError, np.linalg.LinAlgError):
                    error = True
            by_group = fitted.set_index("group") if not fitted.empty else fitted
            for group in order:
                record: dict[str, object] = {
                    "measure": measure, "grouping": grouping, "group": group,
                    "reference": usable[0] if enough else None,
                    "n_model": int((data["group"] == group).sum()) if group in usable else None,
                    "estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                }
                if not enough or group not in usable:
                    record["status"] = TOO_FEW
                elif error:
                    record["status"] = FAILED
                elif group == usable[0]:
                    record["status"] = REFERENCE
                elif group in by_group.index:
                    row = by_group.loc[group]
                    record.update(estimate=float(str(row["estimate"])),
                                  ci_low=float(str(row["ci_low"])),
                                  ci_high=float(str(row["ci_high"])),
                                  status=FAILED if failed else OK)
                else:
                    record["status"] = FAILED
                records.append(record)
    out = pd.DataFrame(records, columns=list(ADJUSTED_COLUMNS))
    return out.astype({"n_model": "Int64", "estimate": "float64", "ci_low": "float64",
                       "ci_high": "float64"})
