"""An optional model for analysts: a linear mixed model of ΔP on the period conditions.

ΔP ~ parallel + combo + continuous + caseworker_changed + belief_start, with a random
intercept per participant (statsmodels MixedLM, REML). statsmodels is a core
dependency (the report's adjusted differences, :mod:`bip_bridge.metrics.adjusted`, need it);
the error below only guards a broken install.

The coefficients describe associations in the association's own data. Interventions
were not assigned at random: people who got a job-oriented intervention may differ
from those who did not. Read them as a check of BIP's direction, not as effects.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from bip_bridge.errors import BipBridgeError, DataInvalid
from bip_bridge.model import MeasurementModel

CAVEAT = (
    "These are associations in observational data, not the results of an experiment: "
    "interventions, caseworkers and beliefs were not assigned at random, so a coefficient "
    "shows how progression differed between periods, not what an intervention caused."
)
MIN_PERIODS = 20


class AnalysisUnavailable(BipBridgeError):
    """The optional statsmodels dependency is not installed."""

    exit_code = 69


@dataclass(frozen=True)
class MixedModelResult:
    """Coefficients (term, coef, ci_low, ci_high, p_value) and what the fit rested on."""

    coefficients: pd.DataFrame
    n_periods: int
    n_participants: int
    measure: str
    caveat: str = CAVEAT
    notes: tuple[str, ...] = field(default_factory=tuple)


def model_frame(periods: pd.DataFrame, model: MeasurementModel, measure: str = "d_p"
                ) -> pd.DataFrame:
    """The periods with every variable present, in the shape the formula needs."""
    columns = ["pseudonym", measure, "parallel", "combo", "continuous", "caseworker_changed",
               "belief_start"]
    data = periods[columns].dropna()
    return pd.DataFrame({
        "pseudonym": data["pseudonym"].astype(str).to_numpy(),
        "y": data[measure].to_numpy(dtype=float),
        "parallel": data["parallel"].to_numpy(dtype=float),
        "combo": data["combo"].astype(str).to_numpy(),
        "continuous": data["continuous"].to_numpy(dtype=float),
        "caseworker_changed": data["caseworker_changed"].to_numpy(dtype=float),
        "belief_start": data["belief_start"].astype(str).to_numpy(),
    })


def fit_mixed_model(periods: pd.DataFrame, model: MeasurementModel, *, measure: str = "d_p"
                    ) -> MixedModelResult:
    """Fit the mixed model on the metrics' ``periods`` frame (see the module docstring)."""
    try:
        import statsmodels.formula.api as smf
    except ImportError as exc:
        raise AnalysisUnavailable(
            "The mixed model needs statsmodels, which is not installed.",
            hint="pip install 'bip-bridge[analysis]'") from exc
    data = model_frame(periods, model, measure)
    if len(data) < MIN_PERIODS or data["pseudonym"].nunique() < 2:
        raise DataInvalid(
            f"Too few complete periods for the mixed model: {len(data)} with every variable "
            f"present (at least {MIN_PERIODS}, from 2 or more participants, are needed).",
            hint="Wait for more waves, or read cohort.csv instead.")
    base_combo = "none" if "none" in set(data["combo"]) else sorted(set(data["combo"]))[0]
    lowest = next(c.name for c in model.belief_categories if c.name in set(data["belief_start"]))
    formula = (
        f"y ~ parallel + C(combo, Treatment({base_combo!r})) + continuous + caseworker_changed"
        f" + C(belief_start, Treatment({lowest!r}))"
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fitted = smf.mixedlm(formula, data, groups=data["pseudonym"]).fit(reml=True)
    notes = tuple(sorted({str(w.message).splitlines()[0] for w in caught}))
    ci = fitted.conf_int(alpha=0.05)
    terms = [t for t in fitted.fe_params.index]
    coefficients = pd.DataFrame({
        "term": [_label(t) for t in terms],
        "coef": fitted.fe_params.to_numpy(dtype=float),
        "ci_low": ci.loc[terms, 0].to_numpy(dtype=float),
        "ci_high": ci.loc[terms, 1].to_numpy(dtype=float),
        "p_value": np.asarray(fitted.pvalues.loc[terms], dtype=float),
    })
    if coefficients[["ci_low", "ci_high"]].isna().any().any():
        notes = (*notes, "Some intervals could not be estimated (the fit is at a boundary, "
                 "e.g. no variation between participants); read those terms with care.")
    return MixedModelResult(coefficients=coefficients, n_periods=len(data),
                            n_participants=int(data["pseudonym"].nunique()), measure=measure,
                            notes=notes)


def _label(term: str) -> str:
    """``C(combo, Treatment('none'))[T.job_only]`` -> ``combo=job_only (vs none)``."""
    if term.startswith("C(") and "[T." in term:
        name = term[2:term.index(",")]
        base = term[term.index("Treatment(") + 11:term.index(")")-1]
        level = term[term.index("[T.") + 3:-1]
        return f"{name}={level} (vs {base})"
    return term


def describe(result: MixedModelResult) -> str:
    """The fit as plain text: a coefficient table and the caveat."""
    lines = [
        f"Linear mixed model of {result.measure} (random intercept per participant): "
        f"{result.n_periods} periods of {result.n_participants} participants.",
        f"{'term':42} {'coef':>8} {'95 % interval':>20}",
    ]
    for row in result.coefficients.itertuples():
        lines.append(f"{row.term:42} {row.coef:+8.3f} [{row.ci_low:+8.3f}, {row.ci_high:+8.3f}]")
    lines += [f"Note: {n}" for n in result.notes]
    lines.append(result.caveat)
    return "\n".join(lines)
