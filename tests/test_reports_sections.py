"""Report sections as pure functions: response rates under the small-cell rule, and
non-response told apart from data errors."""

from __future__ import annotations

import pandas as pd

from bip_bridge.reports.html import _wave_rows, split_findings
from bip_bridge.reports.i18n import Translator


def test_response_rates_follow_the_numerator_rule() -> None:
    waves = pd.DataFrame({
        "wave": [0, 1, 2],
        "invited_p": [40, 20, 20], "answered_p": [30, 19, 3], "rate_p": [0.75, 0.95, None],
        "invited_c": [40, 20, 20], "answered_c": [40, 0, 20], "rate_c": [1.0, 0.0, 1.0],
    })
    rows = _wave_rows(waves, Translator("sv"), min_cell=5, min_count=3)
    assert [(r["answered_p"], r["rate_p"]) for r in rows] == [
        ("30", "75\u00a0%"),
        ("–", ""),        # 19 of 20: the one who did not answer is singled out
        ("< 5", ""),      # 3 of 20: below the minimum cell
    ]
    # 0 and n are published
    assert [(r["answered_c"], r["rate_c"]) for r in rows] == [
        ("40", "100\u00a0%"), ("0", "0\u00a0%"), ("20", "100\u00a0%")]


def test_caseworker_without_participant_is_non_response_unless_the_pseudonym_is_unknown():
    quality = pd.DataFrame({
        "kind": ["caseworker_without_participant", "caseworker_without_participant",
                 "duplicate_response", "incomplete_ignored"],
        "questionnaire": ["C", "C", "P", "P"],
        "pseudonym": ["S1", "S9", "S2", "S3"],
        "wave": [0, 1, 1, 0],
    })
    non_response, errors = split_findings(quality, known=None)
    assert sorted(non_response["kind"]) == ["caseworker_without_participant"] * 2 + [
        "incomplete_ignored"]
    assert errors["kind"].tolist() == ["duplicate_response"]
    non_response, errors = split_findings(quality, known={"S1", "S2", "S3"})
    assert non_response["pseudonym"].tolist() == ["S1", "S3"]
    assert sorted(errors["kind"]) == ["caseworker_unknown_pseudonym", "duplicate_response"]
