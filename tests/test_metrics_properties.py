"""Properties of compute_metrics on generated cohorts (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from bip_bridge.metrics import compute_metrics
from bip_bridge.synthetic import generate_frames
from metrics_model import default_model, tiny_model
from metrics_rows import plain

MODELS = {"default": default_model(), "tiny": tiny_model()}
SETTINGS = settings(max_examples=15, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _frames(seed: int, n: int, model_name: str):
    return generate_frames(n, 4, seed=seed, model=MODELS[model_name])


@SETTINGS
@given(seed=st.integers(0, 10_000), shuffle=st.integers(0, 10_000),
       model_name=st.sampled_from(sorted(MODELS)))
def test_row_order_does_not_change_any_output(seed, shuffle, model_name):
    p, c = _frames(seed, 12, model_name)
    model = MODELS[model_name]
    rng = np.random.default_rng(shuffle)
    before = compute_metrics(p, c, model, min_cell=2)
    after = compute_metrics(p.iloc[rng.permutation(len(p))], c.iloc[rng.permutation(len(c))],
                            model, min_cell=2)
    for name, table in before.frames().items():
        assert_frame_equal(after.frames()[name], table, obj=name)


@SETTINGS
@given(seed=st.integers(0, 10_000), model_name=st.sampled_from(sorted(MODELS)))
def test_change_from_baseline_is_zero_at_baseline(seed, model_name):
    result = compute_metrics(*_frames(seed, 10, model_name), MODELS[model_name])
    base = result.indices[result.indices["wave"] == 0]
    assert (base["p_change_baseline"][base["p_index"].notna()] == 0).all()
    assert base["p_change_baseline"][base["p_index"].isna()].isna().all()
    assert (base["c_change_baseline"][base["c_index"].notna()] == 0).all()
    scores = result.scores[result.scores["wave"] == 0]
    assert (scores["d_score_baseline"][scores["score"].notna()] == 0).all()


@SETTINGS
@given(seed=st.integers(0, 10_000), other=st.integers(0, 10_000))
@example(seed=0, other=2235)  # the unrelated person answered no caseworker questionnaire
def test_an_unrelated_participant_does_not_change_anyone_elses_rows(seed, other):
    model = MODELS["default"]
    p, c = _frames(seed, 6, "default")
    extra_p, extra_c = generate_frames(1, 4, seed=other, model=model)
    extra_p = extra_p.assign(PSEUDO="ZZ-unrelated", id=extra_p["id"] + 10_000)
    extra_c = extra_c.assign(PSEUDO="ZZ-unrelated", id=extra_c["id"] + 10_000)
    alone = compute_metrics(p, c, model)
    together = compute_metrics(pd.concat([p, extra_p], ignore_index=True),
                               pd.concat([c, extra_c], ignore_index=True), model)
    for name in ("scores", "indices", "periods", "data_quality"):
        mine = plain(together.frames()[name])
        mine = mine[mine["pseudonym"] != "ZZ-unrelated"].reset_index(drop=True)
        assert_frame_equal(mine, plain(alone.frames()[name]), obj=name)
