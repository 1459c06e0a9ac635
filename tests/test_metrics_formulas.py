"""Every formula of the measurement model on tiny inputs, result vs explicit expected."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from bip_bridge.errors import DataInvalid
from bip_bridge.metrics import compute_metrics
from metrics_model import default_model, tiny_model
from metrics_rows import c_row, frame, p_row, plain, typed

SCORE_TYPES = {"pseudonym": "str", "wave": "int16", "respondent": "str", "indicator": "str",
               "score": "float64", "d_score": "float64", "d_score_baseline": "float64"}
INDEX_TYPES = {"pseudonym": "str", "wave": "int64", "p_index": "float64", "c_index": "float64",
               "belief": "float64", "belief_category": "str", "status": "str",
               "caseworker_id": "str", "p_items_answered": "Int64", "c_items_answered": "Int64",
               "p_change_baseline": "float64", "c_change_baseline": "float64"}
PERIOD_TYPES = {"pseudonym": "str", "period": "int64", "d_p": "float64", "d_c": "float64",
                "parallel": "Int64", "combo": "str", "continuous": "boolean",
                "caseworker_changed": "boolean", "belief_start": "str",
                "in_work_or_studies": "boolean"}
COHORT_TYPES = {"measure": "str", "grouping": "str", "group": "str", "n": "Int64",
                "mean": "float64", "sd": "float64", "ci_low": "float64", "ci_high": "float64",
                "share_improved": "float64", "share_unchanged": "float64",
                "share_declined": "float64", "suppressed": "bool", "suppression_reason": "str"}
T_975_DF1, T_975_DF2 = 12.706204736174698, 4.302652729911275


@pytest.fixture
def tiny_result():
    """One person on the tiny model: waves 0, 1 and 3 (wave 2 missing), a caseworker change."""
    m = tiny_model()
    participant = frame([
        p_row(m, 1, "X", "0", {"AAA": "1", "BBB": "2", "CCC": "3"}, status="NONE"),
        p_row(m, 2, "X", "1", {"AAA": "2", "BBB": "9", "CCC": "4"}, status="NONE", cw="CW2"),
        p_row(m, 3, "X", "3", {"AAA": "4", "BBB": "4", "CCC": "4"}, status="SCHOOL", cw="CW2"),
    ])
    caseworker = frame([
        c_row(m, 1, "X", "0", {"AAA": "1", "BBB": "1", "TRUST": "1"}, status="NONE"),
        c_row(m, 2, "X", "1", {"AAA": "2", "BBB": "3", "TRUST": "3"}, cw="CW2", status="JOB",
              interventions={"WORKX": "1", "OTHER": "2"}, gap="0"),
        c_row(m, 3, "X", "3", {"AAA": "4", "BBB": "7", "TRUST": "4"}, cw="CW2",
              interventions={"WORKX": "0", "OTHER": "0"}, gap="13"),
    ])
    return compute_metrics(participant, caseworker, m)


def test_scores_change_and_baseline_skip_the_missing_wave(tiny_result):
    expected = typed({
        "pseudonym": ["X"] * 18,
        "wave": [0] * 6 + [1] * 6 + [3] * 6,
        "respondent": ["P", "P", "P", "C", "C", "C"] * 3,
        "indicator": ["AAA", "BBB", "CCC", "AAA", "BBB", "TRUST"] * 3,
        "score": [1, 2, 3, 1, 1, 1, 2, None, 4, 2, 3, 3, 4, 4, 4, 4, None, 4],
        "d_score": [None] * 6 + [1, None, 1, 1, 2, 2] + [None] * 6,
        "d_score_baseline": [0] * 6 + [1, None, 1, 1, 2, 2] + [3, 2, 1, 3, None, 3],
    }, SCORE_TYPES)
    assert_frame_equal(plain(tiny_result.scores), expected)


def test_a_wave_beyond_two_bytes_keeps_its_number_in_the_scores() -> None:
    """scores keeps waves in int16; one that does not fit there falls back to int64."""
    m = tiny_model()
    participant = frame([
        p_row(m, 1, "X", "0", {"AAA": "1", "BBB": "2", "CCC": "3"}, status="NONE"),
        p_row(m, 2, "X", "40000", {"AAA": "2", "BBB": "2", "CCC": "3"}, status="NONE"),
    ])
    result = compute_metrics(participant, frame([]), m)
    assert result.scores["wave"].dtype == np.int64
    assert sorted(set(result.scores["wave"])) == [0, 40000]


def test_indices_belief_status_and_caseworker(tiny_result):
    expected = typed({
        "pseudonym": ["X", "X", "X"],
        "wave": [0, 1, 3],
        "p_index": [2.0, 3.0, 4.0],  # wave 1: 2 of 3 answered (9 = don't know) is enough
        "c_index": [1.0, 2.5, 4.0],  # wave 3: BBB = 7 is out of range, AAA alone is enough
        "belief": [1.0, 3.0, 4.0],
        "belief_category": ["doubt", "trust", "trust"],
        "status": ["NONE", "JOB", "SCHOOL"],  # caseworker's, else the participant's
        "caseworker_id": ["CW1", "CW2", "CW2"],
        "p_items_answered": [3, 2, 3],
        "c_items_answered": [2, 2, 1],
        "p_change_baseline": [0.0, 1.0, 2.0],
        "c_change_baseline": [0.0, 1.5, 3.0],
    }, INDEX_TYPES)
    assert_frame_equal(tiny_result.indices, expected)


def test_periods(tiny_result):
    expected = typed({
        "pseudonym": ["X", "X"],
        "period": [1, 3],
        "d_p": [1.0, None],  # period 3 follows the missing wave 2: no change value
        "d_c": [1.5, None],
        "parallel": [2, 0],
        "combo": ["job_plus", "none"],
        "continuous": [True, False],
        "caseworker_changed": [True, None],
        "belief_start": ["doubt", None],
        "in_work_or_studies": [True, True],
    }, PERIOD_TYPES)
    assert_frame_equal(tiny_result.periods, expected)


def test_out_of_range_is_reported(tiny_result):
    dq = tiny_result.data_quality
    assert dq[["kind", "questionnaire", "pseudonym", "wave", "response_id"]].to_dict(
        "records") == [{"kind": "out_of_range", "questionnaire": "C", "pseudonym": "X",
                        "wave": 3, "response_id": 3}]
    assert dq["detail"].iloc[0].startswith("OBS[BBB] = '7' is not an answer code (0–4 or 9)")


def _default_p(answers: list[str | None]) -> dict[str, str | None]:
    return dict(zip(default_model().p_items, answers, strict=True))


def test_participant_index_needs_six_of_nine_and_all_99_is_missing():
    m = default_model()
    participant = frame([
        p_row(m, 1, "A", "0", _default_p(["4", "6", "5", "7", "8", None, "99", None, "99"])),
        p_row(m, 2, "B", "0", _default_p(["4", "6", "5", "7", "8", "6", "99", None, "99"])),
        p_row(m, 3, "C", "0", _default_p(["99"] * 9)),
    ])
    result = compute_metrics(participant, frame([]), m)
    expected = typed({
        "pseudonym": ["A", "B", "C"],
        "wave": [0, 0, 0],
        "p_index": [None, 6.0, None],  # 5 of 9 answered: missing; 6 of 9: mean of six
        "c_index": [None, None, None],
        "belief": [None, None, None],
        "belief_category": [None, None, None],
        "status": [None, None, None],
        "caseworker_id": ["CW1", "CW1", "CW1"],
        "p_items_answered": [5, 6, 0],
        "c_items_answered": [None, None, None],
        "p_change_baseline": [None, 0.0, None],
        "c_change_baseline": [None, None, None],
    }, INDEX_TYPES)
    assert_frame_equal(result.indices, expected)
    all_99 = plain(result.scores).query("pseudonym == 'C'")
    assert all_99["score"].isna().all() and len(all_99) == 9
    assert result.data_quality.empty  # 99 and empty answers are missing, not errors


def test_caseworker_index_needs_seven_of_ten_and_excludes_belief():
    m = default_model()
    c_items = list(m.c_items)
    seven = {code: "5" for code in c_items[:7]} | {"HLTRO": "10"}
    six = {code: "5" for code in c_items[:6]} | {"HLTRO": "10"}
    caseworker = frame([c_row(m, 1, "A", "0", seven), c_row(m, 2, "B", "0", six)])
    result = compute_metrics(frame([]), caseworker, m)
    assert result.indices["c_index"].tolist()[0] == 5.0
    assert np.isnan(result.indices["c_index"].tolist()[1])
    assert result.indices["belief_category"].tolist() == ["high", "high"]


def _cohort_case():
    """Three people, one period each: two job_only (+1, +2), one other_only (−1)."""
    m = tiny_model()
    rows_p, rows_c = [], []
    for i, (pseudo, p0, p1, ins, gap) in enumerate([
        ("A", "2", "3", {"WORKX": "1", "OTHER": "0"}, "0"),
        ("B", "2", "4", {"WORKX": "2", "OTHER": "0"}, "0"),
        ("C", "3", "2", {"WORKX": "0", "OTHER": "1"}, "2"),
    ]):
        rows_p += [p_row(m, 2 * i + 1, pseudo, "0", {"AAA": p0, "BBB": p0}, status="NONE"),
                   p_row(m, 2 * i + 2, pseudo, "1", {"AAA": p1, "BBB": p1}, status="JOB")]
        rows_c += [c_row(m, 2 * i + 1, pseudo, "0", {"AAA": "2", "TRUST": "3"}),
                   c_row(m, 2 * i + 2, pseudo, "1", {"AAA": "2", "TRUST": "3"},
                         interventions=ins, gap=gap)]
    return compute_metrics(frame(rows_p), frame(rows_c), m, min_cell=2, min_count=1)


def test_cohort_statistics_and_single_member_cell_suppressed():
    result = _cohort_case()
    got = result.cohort.query("measure == 'd_p' and grouping in ['all', 'combo']")
    sd_all = np.sqrt(7 / 3)  # values 1, 2, -1: mean 2/3, sum of squares 42/9, n - 1 = 2
    half_all = T_975_DF2 * sd_all / np.sqrt(3)
    sd_job = np.sqrt(0.5)
    half_job = T_975_DF1 * sd_job / np.sqrt(2)
    expected = typed({
        "measure": ["d_p"] * 3,
        "grouping": ["all", "combo", "combo"],
        "group": ["all", "job_only", "other_only"],
        "n": [3, 2, None],
        "mean": [2 / 3, 1.5, None],
        "sd": [sd_all, sd_job, None],
        "ci_low": [2 / 3 - half_all, 1.5 - half_job, None],
        "ci_high": [2 / 3 + half_all, 1.5 + half_job, None],
        "share_improved": [2 / 3, 1.0, None],
        "share_unchanged": [0.0, 0.0, None],
        "share_declined": [1 / 3, 0.0, None],
        "suppressed": [False, False, True],
        "suppression_reason": ["", "", "cell"],
    }, COHORT_TYPES)
    assert_frame_equal(got.reset_index(drop=True), expected)


def test_cohort_groupings_cover_every_measure_and_label():
    got = _cohort_case().cohort
    assert got[["measure", "grouping", "group"]].apply(tuple, axis=1).tolist() == [
        ("d_p", "all", "all"), ("d_p", "parallel", "1"), ("d_p", "combo", "job_only"),
        ("d_p", "combo", "other_only"), ("d_p", "continuous", "false"),
        ("d_p", "continuous", "true"), ("d_p", "caseworker_changed", "false"),
        ("d_p", "belief_start", "trust"),
        ("d_c", "all", "all"), ("d_c", "parallel", "1"), ("d_c", "combo", "job_only"),
        ("d_c", "combo", "other_only"), ("d_c", "continuous", "false"),
        ("d_c", "continuous", "true"), ("d_c", "caseworker_changed", "false"),
        ("d_c", "belief_start", "trust"),
    ]
    unchanged = got.query("measure == 'd_c' and grouping == 'all'")
    assert unchanged["share_unchanged"].tolist() == [1.0]
    assert unchanged["sd"].tolist() == [0.0]


def test_outcomes_share_in_work_by_belief_start():
    result = _cohort_case()
    expected = typed({
        "wave": [1, None],
        "belief_start": ["trust", "trust"],
        "n": [3, 3],
        "n_in_work_or_studies": [3, 3],
        "share": [1.0, 1.0],
        "suppressed": [False, False],
        "suppression_reason": ["", ""],
    }, {"wave": "Int64", "belief_start": "str", "n": "Int64", "n_in_work_or_studies": "Int64",
        "share": "float64", "suppressed": "bool", "suppression_reason": "str"})
    assert_frame_equal(result.outcomes, expected)
    suppressed = compute_metrics(*_cohort_frames(), tiny_model(), min_cell=4).outcomes
    assert suppressed["suppressed"].all() and suppressed["n"].isna().all()
    assert suppressed["share"].isna().all()


def _cohort_frames():
    m = tiny_model()
    p = [p_row(m, 1, "A", "0", {"AAA": "1", "BBB": "1"}),
         p_row(m, 2, "A", "1", {"AAA": "2", "BBB": "2"}, status="JOB")]
    c = [c_row(m, 1, "A", "0", {"AAA": "1", "TRUST": "4"})]
    return frame(p), frame(c)


def test_missing_columns_are_named():
    m = default_model()
    participant = frame([p_row(m, 1, "A", "0", {})]).drop(columns=["BIPD[JOBTRO]", "WAVE"])
    with pytest.raises(DataInvalid) as err:
        compute_metrics(participant, frame([]), m)
    assert "'BIPD[JOBTRO]'" in str(err.value) and "'WAVE'" in str(err.value)
    assert "heading=code" in (err.value.hint or "")


def test_bad_min_cell_is_refused():
    with pytest.raises(DataInvalid, match="min_cell"):
        compute_metrics(frame([]), frame([]), default_model(), min_cell=0)


def test_empty_inputs_give_empty_frames_with_columns():
    result = compute_metrics(pd.DataFrame(), pd.DataFrame(), default_model())
    for name, table in result.frames().items():
        assert table.empty, name
    assert list(result.cohort.columns)[:4] == ["measure", "grouping", "group", "n"]


def test_late_wave_compares_calendar_days_and_clamps_to_the_month_end():
    """Wave 2 falls due 6 months after the wave-0 day; a wave-1 answer on that day is late."""
    m = tiny_model()
    rows = []
    for i, (pseudo, base, answered) in enumerate([
        ("A", "2024-01-31 23:59:59", "2024-07-31 08:00:00"),  # due 31 July: late
        ("B", "2023-11-30 10:00:00", "2024-05-29 23:59:59"),  # due 30 May: in time
        ("C", "2023-08-31 10:00:00", "2024-02-29 00:00:00"),  # 31 Aug + 6 = 29 Feb: late
    ]):
        rows += [p_row(m, 2 * i + 1, pseudo, "0", {}, submit=base),
                 p_row(m, 2 * i + 2, pseudo, "1", {}, submit=answered)]
    dq = compute_metrics(frame(rows), frame([]), m).data_quality
    result = dq[["kind", "pseudonym", "wave", "response_id"]].to_dict("records")
    expected = [{"kind": "late_wave", "pseudonym": "A", "wave": 1, "response_id": 2},
                {"kind": "late_wave", "pseudonym": "C", "wave": 1, "response_id": 6}]
    assert result == expected
