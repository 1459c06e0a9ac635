"""Which responses count, and the data-quality table that lists the rest."""

from __future__ import annotations

import pandas as pd

from bip_bridge.metrics import compute_metrics
from metrics_model import default_model
from metrics_rows import c_row, frame, p_row

M = default_model()
FULL = dict.fromkeys(M.p_items, "5")


def _p(rid, pseudo, wave, value="5", **kw):
    return p_row(M, rid, pseudo, wave, dict.fromkeys(M.p_items, value), **kw)


def test_findings_and_which_response_counts():
    participant = frame([
        _p(1, "A", "0", "3", submit="2025-01-10 10:00:00"),
        _p(2, "A", "0", "4", submit="2025-01-11 09:00:00"),  # later: counts
        _p(3, "B", "0", "6", submit="2025-01-10 10:00:00"),
        _p(4, "B", "0", "7", submit="2025-01-10 10:00:00"),  # same time, higher id: counts
        _p(5, "A", "1", "5", submit=None),  # incomplete
        _p(6, None, "1", submit="2025-04-10 10:00:00"),
        _p(7, "A", "1.5", submit="2025-04-10 10:00:00"),
        _p(8, "A", None, submit="2025-04-10 10:00:00"),
        _p(9, "A", "1", "abc", submit="2025-08-01 10:00:00"),  # after wave 2 fell due
    ])
    caseworker = frame([
        c_row(M, 1, "A", "0", dict.fromkeys(M.c_items, "5")),
        c_row(M, 2, "Q", "0", dict.fromkeys(M.c_items, "5")),
    ])
    result = compute_metrics(participant, caseworker, M)
    dq = result.data_quality
    assert dq[["kind", "questionnaire", "pseudonym", "wave", "response_id"]].astype(object).where(
        dq.notna(), None).values.tolist() == [
        ["caseworker_without_participant", "C", "Q", 0, 2],
        ["duplicate_response", "P", "A", 0, 1],
        ["duplicate_response", "P", "B", 0, 3],
        ["incomplete_ignored", "P", "A", 1, 5],
        ["invalid_wave", "P", "A", None, 7],
        ["late_wave", "P", "A", 1, 9],
        ["missing_pseudonym", "P", None, 1, 6],
        ["missing_wave", "P", "A", None, 8],
        *[["out_of_range", "P", "A", 1, 9]] * 9,
    ]
    assert "response 2" in dq["detail"][1] and "response 4" in dq["detail"][2]
    assert "at any wave" in dq["detail"][0]
    at_baseline = result.indices.query("wave == 0").set_index("pseudonym")["p_index"]
    assert (at_baseline["A"], at_baseline["B"]) == (4.0, 7.0)


def test_surveys_of_several_template_versions_link_by_pseudonym_and_wave():
    first = frame([_p(1, "A", "0", "4")]).assign(sid=111111)
    second = frame([_p(1, "A", "1", "6")]).assign(sid=222222)  # ids restart per survey
    result = compute_metrics(pd.concat([first, second], ignore_index=True), frame([]), M)
    assert result.periods["d_p"].tolist() == [2.0]
    assert result.data_quality.empty
