"""Adjusted differences (mixed model, random intercept per participant): they recover the
direction of every effect the synthetic cohort plants, never estimate a blanked cell, and
never let a statsmodels warning escape (pytest turns warnings into errors)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from bip_bridge.metrics import compute_metrics
from bip_bridge.metrics.adjusted import adjusted_differences
from bip_bridge.reports.bundle import published_cohort
from bip_bridge.synthetic import DEFAULT_TRUTH, generate_frames
from bip_bridge.templates import load_templates


@pytest.fixture(scope="module")
def fitted() -> tuple[pd.DataFrame, Any]:
    model = load_templates().model
    participant, caseworker = generate_frames(300, 5, seed=11, model=model)
    result = compute_metrics(participant, caseworker, model)
    cohort = published_cohort(result.cohort, 5)
    return adjusted_differences(result.periods, result.indices, cohort, model, min_cell=5), model


def estimate(table: pd.DataFrame, measure: str, grouping: str, group: str) -> float:
    row = table[(table["measure"] == measure) & (table["grouping"] == grouping)
                & (table["group"] == group)]
    assert len(row) == 1 and row["status"].iloc[0] == "ok", row
    return float(row["estimate"].iloc[0])


@pytest.mark.parametrize("measure", ["d_p", "d_c"])
def test_recovers_the_direction_of_every_planted_effect(fitted, measure):
    table, _model = fitted
    assert DEFAULT_TRUTH["job"] > 0 and DEFAULT_TRUTH["drift"] < 0
    # job-oriented on its own beats nothing (job > 0, and doing nothing drifts down)
    assert estimate(table, measure, "combo", "job_only") > 0
    # each other category alongside the job-oriented one adds (parallel_with_job > 0)
    assert estimate(table, measure, "combo", "job_plus") > estimate(table, measure, "combo",
                                                                    "job_only")
    # more parallel categories, more progression
    assert 0 < estimate(table, measure, "parallel", "1") < estimate(table, measure,
                                                                     "parallel", "2")
    # no gaps (continuous > 0)
    assert estimate(table, measure, "continuous", "true") > 0
    # a change of caseworker (caseworker_changed < 0)
    assert estimate(table, measure, "caseworker_changed", "true") < 0
    # belief: high above low (belief_high > 0), middle above low (belief_low < 0)
    assert estimate(table, measure, "belief_start", "high") > 0
    assert estimate(table, measure, "belief_start", "middle") > 0
    assert estimate(table, measure, "belief_start", "high") > estimate(
        table, measure, "belief_start", "middle")


def test_every_row_has_an_estimate_or_a_reason(fitted):
    table, _ = fitted
    has = table["estimate"].notna()
    assert set(table.loc[has, "status"]) <= {"ok", "not_converged"}
    assert set(table.loc[~has, "status"]) <= {"reference", "too_few", "failed"}
    assert (table.loc[has, "ci_low"] < table.loc[has, "estimate"]).all()
    assert (table.loc[has, "estimate"] < table.loc[has, "ci_high"]).all()


def test_small_groups_say_so_instead_of_a_number():
    model = load_templates().model
    participant, caseworker = generate_frames(12, 3, seed=4, model=model)
    result = compute_metrics(participant, caseworker, model)
    cohort = published_cohort(result.cohort, 5)
    table = adjusted_differences(result.periods, result.indices, cohort, model, min_cell=5)
    blank = cohort[cohort["n"].isna()]
    for rec in blank.to_dict("records"):
        hit = table[(table["measure"] == rec["measure"]) & (table["grouping"] == rec["grouping"])
                    & (table["group"] == rec["group"])]
        assert hit.empty or hit["estimate"].isna().all()
    assert (table["status"] == "too_few").any()
    assert np.isnan(table.loc[table["status"] == "too_few", "estimate"]).all()
