"""The small-cell rule (spec: cells, numerators, complements) and complementary suppression,
on tiny cohorts against explicit expected tables, plus the invariant that no blank value
can be recomputed from the published cells of its grouping and the ``all`` row."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from bip_bridge.metrics.cohort import cohort_table, outcomes_table
from bip_bridge.metrics.suppression import complementary, protect_cohort, protect_outcomes
from metrics_model import tiny_model
from metrics_rows import typed

COHORT_TYPES = {"measure": "str", "grouping": "str", "group": "str", "n": "Int64",
                "mean": "float64", "sd": "float64", "ci_low": "float64", "ci_high": "float64",
                "share_improved": "float64", "share_unchanged": "float64",
                "share_declined": "float64", "suppressed": "bool", "suppression_reason": "str"}
SHORT = ["group", "n", "mean", "share_improved", "share_unchanged", "share_declined",
         "suppressed", "suppression_reason"]
MODEL = tiny_model()


def periods(rows: list[tuple[str, float, object]]) -> pd.DataFrame:
    """Periods with a ΔP and a ``continuous`` flag; every other grouping unknown."""
    n = len(rows)
    return pd.DataFrame({
        "pseudonym": pd.array([r[0] for r in rows], dtype="str"),
        "period": np.arange(1, n + 1),
        "d_p": [float(r[1]) for r in rows],
        "d_c": [np.nan] * n,
        "parallel": pd.array([None] * n, dtype="Int64"),
        "combo": pd.array([None] * n, dtype="str"),
        "continuous": pd.array([r[2] for r in rows], dtype="boolean"),
        "caseworker_changed": pd.array([None] * n, dtype="boolean"),
        "belief_start": pd.array([None] * n, dtype="str"),
        "in_work_or_studies": pd.array([None] * n, dtype="boolean"),
    })


def continuous_rows(table: pd.DataFrame) -> pd.DataFrame:
    part = table[(table["measure"] == "d_p") & table["grouping"].isin(["all", "continuous"])]
    return part[SHORT].reset_index(drop=True)


def expected(rows: dict[str, list[object]]) -> pd.DataFrame:
    return typed(rows, {k: COHORT_TYPES[k] for k in SHORT})


def people(prefix: str, changes: list[float], flag: object) -> list[tuple[str, float, object]]:
    return [(f"{prefix}{i}", change, flag) for i, change in enumerate(changes)]


def test_cell_below_min_cell_is_blank_with_its_n():
    # 6 people without gaps, 2 with: min_cell 3 blanks the second cell whole
    data = periods(people("A", [1, 1, 1, -1, -1, -1], False) + people("B", [2, 2], True))
    got = continuous_rows(cohort_table(data, MODEL, min_cell=3, min_count=1))
    assert_frame_equal(got, expected({
        "group": ["all", "false", "true", "missing"][:3],
        "n": [8, 6, None],
        "mean": [0.5, 0.0, None],
        "share_improved": [5 / 8, 0.5, None],
        "share_unchanged": [0.0, 0.0, None],
        "share_declined": [3 / 8, 0.5, None],
        "suppressed": [False, False, True],
        "suppression_reason": ["", "", "cell"],
    }))


def test_cell_counts_participants_not_periods():
    # 2 people with 3 periods each: 6 periods, but fewer than 3 participants
    data = periods([("P", 1, True), ("P", 1, True), ("P", 1, True),
                    ("Q", 1, True), ("Q", 1, True), ("Q", 1, True)])
    got = continuous_rows(cohort_table(data, MODEL, min_cell=3, min_count=1))
    assert got["n"].isna().all() and got["suppression_reason"].tolist() == ["cell", "cell"]


def test_numerator_below_min_count_blanks_that_share():
    # 7 people: 1 improved, 6 unchanged -> "1 of 7 improved" and "6 of 7 unchanged" go
    data = periods(people("A", [1, 0, 0, 0, 0, 0, 0], True))
    got = continuous_rows(cohort_table(data, MODEL, min_cell=5, min_count=3))
    assert_frame_equal(got, expected({
        "group": ["all", "true"],
        "n": [7, 7],
        "mean": [1 / 7, 1 / 7],
        "share_improved": [None, None],
        "share_unchanged": [None, None],
        "share_declined": [0.0, 0.0],
        "suppressed": [True, True],
        "suppression_reason": ["count", "count"],
    }))


def test_complement_below_min_count_blanks_the_share():
    # 8 people: 6 improved (complement 2 < 3), 2 declined (numerator 2 < 3), 0 unchanged
    data = periods(people("A", [1, 1, 1, 1, 1, 1, -1, -1], False))
    got = continuous_rows(cohort_table(data, MODEL, min_cell=5, min_count=3))
    assert_frame_equal(got, expected({
        "group": ["all", "false"],
        "n": [8, 8],
        "mean": [0.5, 0.5],
        "share_improved": [None, None],
        "share_unchanged": [0.0, 0.0],
        "share_declined": [None, None],
        "suppressed": [True, True],
        "suppression_reason": ["count", "count"],
    }))


def test_zero_and_all_are_published():
    data = periods(people("A", [1, 1, 1, 1, 1], True))
    got = continuous_rows(cohort_table(data, MODEL, min_cell=5, min_count=3))
    assert got["share_improved"].tolist() == [1.0, 1.0]
    assert got["share_declined"].tolist() == [0.0, 0.0]
    assert not got["suppressed"].any()


def test_complementary_blanks_the_next_smallest_cell():
    # false 10 people, true 6, missing 2: `missing` alone blank would be 18 - 10 - 6
    data = periods(people("A", [1] * 5 + [-1] * 5, False) + people("B", [1, 1, 1, -1, -1, -1], True)
                   + people("C", [2, 2], None))
    primary = cohort_table(data, MODEL, min_cell=3, min_count=1)
    got = continuous_rows(protect_cohort(primary))
    assert_frame_equal(got, expected({
        "group": ["all", "false", "true", "missing"],
        "n": [18, 10, None, None],
        "mean": [4 / 18, 0.0, None, None],
        "share_improved": [10 / 18, 0.5, None, None],
        "share_unchanged": [0.0, 0.0, None, None],
        "share_declined": [8 / 18, 0.5, None, None],
        "suppressed": [False, False, True, True],
        "suppression_reason": ["", "", "complementary", "cell"],
    }))


def test_complementary_blanks_a_second_share_in_the_row_and_the_column():
    # false: 9 people, 1 unchanged (count); true: 6 people, nothing small
    data = periods(people("A", [1, 1, 1, 1, 0, -1, -1, -1, -1], False)
                   + people("B", [1, 1, 1, -1, -1, -1], True))
    primary = cohort_table(data, MODEL, min_cell=5, min_count=2)
    got = continuous_rows(protect_cohort(primary))
    # `unchanged` 1 of 9 is blank; 1 - improved - declined would give it back, so the
    # smaller of those goes too; and the `all` row's shares would give the column back,
    # so the other cells' shares in those columns go too.
    assert got.loc[1, "share_unchanged"] is np.nan or np.isnan(got.loc[1, "share_unchanged"])
    assert_no_blank_recomputable(protect_cohort(primary))
    assert got["n"].notna().all() and got["mean"].notna().all()


def test_outcomes_complementary_per_belief_column():
    m = MODEL
    rows = []
    for wave, count, trust in ((1, 6, "trust"), (2, 6, "trust"), (3, 2, "trust")):
        for i in range(count):
            rows.append((f"{trust}{wave}{i}", wave, trust, i % 2 == 0))
    data = pd.DataFrame({
        "pseudonym": pd.array([r[0] for r in rows], dtype="str"),
        "period": [r[1] for r in rows],
        "belief_start": pd.array([r[2] for r in rows], dtype="str"),
        "in_work_or_studies": pd.array([r[3] for r in rows], dtype="boolean"),
    })
    got = protect_outcomes(outcomes_table(data, m, min_cell=3, min_count=1))
    # wave 3 alone blank would be 14 - 6 - 6; of the two equal cells the first goes
    assert_frame_equal(got, typed({
        "wave": [1, 2, 3, None],
        "belief_start": ["trust"] * 4,
        "n": [None, 6, None, 14],
        "n_in_work_or_studies": [None, 3, None, 7],
        "share": [None, 0.5, None, 0.5],
        "suppressed": [True, False, True, False],
        "suppression_reason": ["complementary", "", "cell", ""],
    }, {"wave": "Int64", "belief_start": "str", "n": "Int64", "n_in_work_or_studies": "Int64",
        "share": "float64", "suppressed": "bool", "suppression_reason": "str"}))


def test_graph_rule_on_a_bare_table():
    # a 1-D table: three cells and their total; one blank cell gets a partner
    edges = [("sum", "free")] * 4
    got = complementary(edges, [True, False, False, False], [2, 9, 5, 16],
                        [True, True, True, False])
    assert got.tolist() == [True, False, True, False]


# --- the invariant ----------------------------------------------------------------------


def _determined(a: np.ndarray) -> list[int]:
    """Unknowns (columns of the equation matrix) that the equations fix exactly."""
    if a.size == 0:
        return []
    rank = np.linalg.matrix_rank(a)
    out = []
    for i in range(a.shape[1]):
        unit = np.zeros((1, a.shape[1]))
        unit[0, i] = 1.0
        if np.linalg.matrix_rank(np.vstack([a, unit])) == rank:
            out.append(i)
    return out


def _cohort_equations(rows: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Equations among the blank values of one grouping (last row: the `all` row)."""
    unknown: dict[tuple[int, str], int] = {}
    shares = ["share_improved", "share_unchanged", "share_declined"]

    def var(i: int, what: str) -> int | None:
        row = rows.iloc[i]
        blank = pd.isna(row["n"]) if what in ("n", "sum") else (
            pd.isna(row["n"]) or pd.isna(row[what]))
        if what == "sum":
            blank = blank or pd.isna(row["mean"])
        if not blank:
            return None
        return unknown.setdefault((i, what), len(unknown))

    equations: list[list[tuple[int | None, float]]] = []
    last = len(rows) - 1
    for what in ("n", "sum", *shares):
        equations.append([(var(i, what), 1.0) for i in range(last)] + [(var(last, what), -1.0)])
    for i in range(len(rows)):
        equations.append([(var(i, s), 1.0) for s in shares] + [(var(i, "n"), -1.0)])
    a = np.zeros((len(equations), len(unknown)))
    for r, terms in enumerate(equations):
        for j, coef in terms:
            if j is not None:
                a[r, j] += coef
    names = [f"{rows.iloc[i]['group']}.{w}" for (i, w) in unknown]
    return a, names


def assert_no_blank_recomputable(table: pd.DataFrame) -> None:
    for measure in table["measure"].unique():
        part = table[table["measure"] == measure]
        total = part[part["grouping"] == "all"]
        for grouping in part["grouping"].unique():
            if grouping == "all":
                continue
            rows = pd.concat([part[part["grouping"] == grouping], total], ignore_index=True)
            a, names = _cohort_equations(rows)
            leaked = [names[i] for i in _determined(a)]
            assert not leaked, f"{measure}/{grouping}: {leaked} recomputable\n{rows}"


def assert_outcomes_safe(table: pd.DataFrame) -> None:
    for layer in ("n", "n_in_work_or_studies"):
        for belief in table["belief_start"].unique():
            rows = table[table["belief_start"] == belief]
            blank = rows[layer].isna().to_numpy()
            pooled = rows["wave"].isna().to_numpy()
            if blank[pooled].all():
                continue
            assert blank.sum() != 1, f"{layer}/{belief}: one blank in a column with its total"


changes = st.sampled_from([-1.0, 0.0, 0.0, 1.0, np.nan])
flags = st.sampled_from([True, False, None])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(people_=st.lists(st.lists(st.tuples(changes, flags, st.integers(0, 2),
                                           st.sampled_from(["doubt", "trust", None]),
                                           st.sampled_from([True, False, None])),
                                 min_size=1, max_size=3), min_size=1, max_size=14),
       min_cell=st.integers(1, 5), min_count=st.integers(1, 4))
def test_no_blank_value_is_recomputable(people_, min_cell, min_count):
    rows = [(f"X{p}", k + 1, *cells) for p, history in enumerate(people_)
            for k, cells in enumerate(history)]
    data = pd.DataFrame({
        "pseudonym": pd.array([r[0] for r in rows], dtype="str"),
        "period": [r[1] for r in rows],
        "d_p": [r[2] for r in rows],
        "d_c": [r[2] if r[1] % 2 else np.nan for r in rows],
        "parallel": pd.array([r[4] for r in rows], dtype="Int64"),
        "combo": pd.array([None] * len(rows), dtype="str"),
        "continuous": pd.array([r[3] for r in rows], dtype="boolean"),
        "caseworker_changed": pd.array([r[6] for r in rows], dtype="boolean"),
        "belief_start": pd.array([r[5] for r in rows], dtype="str"),
        "in_work_or_studies": pd.array([r[6] for r in rows], dtype="boolean"),
    })
    primary = cohort_table(data, MODEL, min_cell, min_count)
    published = protect_cohort(primary)
    assert_no_blank_recomputable(published)
    # complementary suppression only adds blanks; published values are unchanged
    for column in ("n", "mean", "share_improved", "share_unchanged", "share_declined"):
        was_blank = primary[column].isna().to_numpy()
        assert published[column].isna().to_numpy()[was_blank].all()
        kept = ~published[column].isna().to_numpy()
        assert np.allclose(pd.to_numeric(published[column][kept]).to_numpy(dtype=float),
                           pd.to_numeric(primary[column][kept]).to_numpy(dtype=float))
    outcomes = protect_outcomes(outcomes_table(data, MODEL, min_cell, min_count))
    assert_outcomes_safe(outcomes)
