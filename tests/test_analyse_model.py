"""The optional mixed model: coefficients, intervals, caveat, and clear refusals."""

from __future__ import annotations

import sys

import pytest

from bip_bridge.analysis_model import AnalysisUnavailable, describe, fit_mixed_model
from bip_bridge.errors import DataInvalid
from bip_bridge.metrics import compute_metrics
from bip_bridge.synthetic import generate_frames
from metrics_model import default_model


def test_mixed_model_recovers_the_direction():
    model = default_model()
    result = compute_metrics(*generate_frames(600, 4, seed=4, model=model), model)
    fit = fit_mixed_model(result.periods, model)
    coef = fit.coefficients.set_index("term")
    assert list(fit.coefficients.columns) == ["term", "coef", "ci_low", "ci_high", "p_value"]
    assert coef.loc["combo=job_plus (vs none)", "coef"] > coef.loc["combo=job_only (vs none)",
                                                                  "coef"] > 0
    assert coef.loc["continuous", "ci_low"] > 0
    assert coef.loc["caseworker_changed", "ci_high"] < 0
    assert coef.loc["belief_start=high (vs low)", "coef"] > 0
    known = coef.dropna()
    assert (known["ci_low"] <= known["coef"]).all() and (known["coef"] <= known["ci_high"]).all()
    assert "not the results of an experiment" in describe(fit)


def test_too_few_periods_are_refused():
    model = default_model()
    result = compute_metrics(*generate_frames(3, 2, seed=1, model=model), model)
    with pytest.raises(DataInvalid, match="Too few complete periods"):
        fit_mixed_model(result.periods, model)


def test_missing_statsmodels_gives_a_clear_message(monkeypatch):
    model = default_model()
    result = compute_metrics(*generate_frames(50, 3, seed=1, model=model), model)
    monkeypatch.setitem(sys.modules, "statsmodels.formula.api", None)
    with pytest.raises(AnalysisUnavailable) as err:
        fit_mixed_model(result.periods, model)
    assert "bip-bridge[analysis]" in (err.value.hint or "")
