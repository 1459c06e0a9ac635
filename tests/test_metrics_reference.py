"""Cross-check: production ``compute_metrics`` against the loop-based reference.

``tests/reference_metrics.py`` was written from the spec and docs/metrics.md alone. Both
implementations get the same input frames; every output frame is compared row by row and
column by column (floats within 1e-9), after sorting both the same way. Inputs: seeded
synthetic cohorts (realistic) and hypothesis-generated messy frames (duplicates, junk
answers, skipped waves, missing caseworker responses, all-99, 5 of 9 answered, bad GAPW,
incomplete responses).
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bip_bridge.metrics import compute_metrics
from bip_bridge.model import MeasurementModel
from bip_bridge.synthetic import generate_frames
from metrics_model import default_model, tiny_model
from metrics_rows import c_row, frame, p_row
from reference_metrics import Reference, reference_metrics

TOLERANCE = 1e-9
MODELS = {"default": default_model(), "tiny": tiny_model()}
KEYS = {
    "scores": ("pseudonym", "wave", "respondent", "indicator"),
    "indices": ("pseudonym", "wave"),
    "periods": ("pseudonym", "period"),
}
DQ_KEY = ("kind", "questionnaire", "pseudonym", "wave", "response_id", "sid")


def _plain(value: Any) -> Any:
    """A cell as a plain Python value; every kind of missing becomes None."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):  # numpy scalar
        return _plain(value.item())
    return value


def _rows(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Input rows exactly as given (None stays None)."""
    return [{str(k): v for k, v in row.items()} for row in table.to_dict("records")]


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): _plain(v) for k, v in row.items()}
            for row in table.astype(object).to_dict("records")]


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b or (isinstance(a, bool) and isinstance(b, bool) and a == b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(a - b) <= TOLERANCE
    return bool(a == b)


def _compare_rows(name: str, got: list[dict[str, Any]], want: list[dict[str, Any]]) -> None:
    assert len(got) == len(want), f"{name}: {len(got)} rows, reference has {len(want)}"
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        assert set(w) <= set(g), f"{name}: columns {sorted(set(w) - set(g))} missing"
        for column, expected in w.items():
            assert _same(g[column], expected), (
                f"{name} row {i} column {column!r}: production {g[column]!r}, "
                f"reference {expected!r}\nproduction row: {g}\nreference row: {w}")


def assert_same_metrics(participant: pd.DataFrame, caseworker: pd.DataFrame,
                        model: MeasurementModel, *, min_cell: int = 5, min_count: int = 3,
                        wave_interval_months: int = 3) -> Reference:
    result = compute_metrics(participant, caseworker, model, min_cell=min_cell,
                             min_count=min_count,
                             wave_interval_months=wave_interval_months)
    reference = reference_metrics(_rows(participant), _rows(caseworker), model,
                                  min_cell=min_cell, min_count=min_count,
                                  wave_interval_months=wave_interval_months)
    for name, key in KEYS.items():
        got = sorted(_records(getattr(result, name)), key=lambda r: _sort_key(r, key))
        want = sorted(getattr(reference, name), key=lambda r: _sort_key(r, key))
        _compare_rows(name, got, want)
    # the cohort and outcome tables have a documented row order: compare as they are
    _compare_rows("cohort", _records(result.cohort), reference.cohort)
    _compare_rows("outcomes", _records(result.outcomes), reference.outcomes)
    got_dq = Counter(tuple(r[k] for k in DQ_KEY) for r in _records(result.data_quality))
    want_dq = Counter(tuple(r[k] for k in DQ_KEY) for r in reference.data_quality)
    assert got_dq == want_dq, (f"data_quality: production only {got_dq - want_dq}, "
                               f"reference only {want_dq - got_dq}")
    return reference


def _sort_key(row: dict[str, Any], key: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(str(row[k]) for k in key)


# --- realistic cohorts ------------------------------------------------------------------


@pytest.mark.parametrize(("seed", "n", "waves", "model_name", "min_cell"), [
    (1, 40, 4, "default", 5),
    (2, 150, 6, "default", 5),
    (3, 80, 5, "tiny", 3),
    (4, 60, 6, "default", 10),
    (5, 120, 4, "tiny", 5),
])
def test_synthetic_cohorts_agree(seed: int, n: int, waves: int, model_name: str,
                                 min_cell: int) -> None:
    model = MODELS[model_name]
    participant, caseworker = generate_frames(n, waves, seed=seed, model=model)
    reference = assert_same_metrics(participant, caseworker, model, min_cell=min_cell)
    assert len(reference.periods) > n  # the cohort really has periods to compare
    assert any(not row["suppressed"] for row in reference.cohort)


# --- messy generated input ----------------------------------------------------------------

PSEUDONYMS = ("A", "B", "C") * 4 + (None, "", " ", "A ")
SCALE_JUNK = (None, "", "99", "0", "11", "-1", "5.5", "x", "7.0", "100", 7, 3.0, " 5")
INS_JUNK = (None, "", "3", "-1", "99", "x", "1.0")
GAP_JUNK = (None, "", "0", "0", "1", "13", "14", "-1", "2.5", "x")
STATUS_JUNK = (None, "", " ", "work", "UNKNOWN")
WAVES = ("0", "1", "2", "3", "4") * 4 + ("2.0", 3, "", None, "-1", "x", "1.5")
SUBMITS = ("2024-01-10 10:00:00", "2024-04-12 09:00:00", "2024-07-20 12:00:00",
           "2024-10-11 08:30:00", "2025-01-15 15:00:00", "2025-06-01 10:00:00",
           "2024-01-31 23:59:59", "2024-04-30 00:00:01", "2024-07-31 08:00:00",
           "2024-01-10 10:00:00", "2024-04-12 09:00:00", "not a date", None, "")
CASEWORKERS = ("CW1", "CW1", "CW2", None, "", " CW2", " ")


@st.composite
def _answer(draw: st.DrawFn, model: MeasurementModel) -> Any:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from(SCALE_JUNK))
    return str(draw(st.integers(model.scale_min, model.scale_max)))


@st.composite
def _response(draw: st.DrawFn, model: MeasurementModel, questionnaire: str,
              rid: int) -> dict[str, Any]:
    pseudo = draw(st.sampled_from(PSEUDONYMS))
    wave = draw(st.sampled_from(WAVES))
    submit = draw(st.sampled_from(SUBMITS))
    cw = draw(st.sampled_from(CASEWORKERS))
    status = draw(st.sampled_from(model.statuses) | st.sampled_from(STATUS_JUNK)
                  | st.sampled_from(model.statuses).map(lambda s: f"{s} "))
    codes = model.p_items if questionnaire == "P" else (*model.c_items, model.belief_code)
    pattern = draw(st.sampled_from(("answers",) * 4 + ("all_missing", "few")))
    if pattern == "all_missing":
        missing = str(model.missing_code)
        answers: dict[str, Any] = {code: missing for code in codes}
    else:
        answers = {code: draw(_answer(model)) for code in codes}
        if pattern == "few":  # just below (or at) the index threshold
            need = model.p_min_answers if questionnaire == "P" else model.c_min_answers
            keep = draw(st.integers(max(need - 1, 0), need))
            answers = {code: (a if i < keep else None) for i, (code, a) in
                       enumerate(answers.items())}
    if questionnaire == "P":
        return p_row(model, rid, pseudo, wave, answers, submit=submit, cw=cw, status=status)
    interventions = {code: draw(st.sampled_from(("0", "1", "2")) | st.sampled_from(INS_JUNK))
                     for code in model.interventions}
    gap = draw(st.sampled_from(GAP_JUNK))
    return c_row(model, rid, pseudo, wave, answers, interventions=interventions, gap=gap,
                 submit=submit, cw=cw, status=status)


@st.composite
def _frames(draw: st.DrawFn, model: MeasurementModel) -> tuple[pd.DataFrame, pd.DataFrame]:
    out = []
    for questionnaire in ("P", "C"):
        size = draw(st.integers(0, 18))
        ids = draw(st.lists(st.integers(1, 40), min_size=size, max_size=size, unique=True))
        rows = [draw(_response(model, questionnaire, rid)) for rid in ids]
        if draw(st.booleans()):  # CSV exports give every cell as text
            rows = [{**row, "id": str(row["id"])} for row in rows]
        if draw(st.booleans()):  # two template versions concatenated: ids repeat per survey
            for row in rows:  # (sid, id) stays unique, ids repeat across the two surveys
                row["sid"] = draw(st.sampled_from((111111, 222222)))
                if row["sid"] == 222222:
                    row["id"] = 41 - int(row["id"])
        out.append(frame(rows))
    return out[0], out[1]


MESSY = settings(max_examples=30, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@MESSY
@given(data=st.data(), model_name=st.sampled_from(sorted(MODELS)),
       min_cell=st.integers(1, 3), min_count=st.integers(1, 3),
       interval=st.sampled_from((3, 3, 1, 6)))
def test_messy_inputs_agree(data: st.DataObject, model_name: str, min_cell: int,
                            min_count: int, interval: int) -> None:
    model = MODELS[model_name]
    participant, caseworker = data.draw(_frames(model))
    assert_same_metrics(participant, caseworker, model, min_cell=min_cell,
                        min_count=min_count, wave_interval_months=interval)
