"""The data dictionary: a type and an English description for every column of every CSV
of the analyst bundle.

Descriptions are looked up by (file, column), then by column alone, then by a pattern
(``d_*`` changes, ``*_from_baseline`` and so on). A column that matches nothing still
gets a row, with a description saying so, so the dictionary never omits a column; the
test suite checks that the columns the real metrics produce all have a written text.
"""

from __future__ import annotations

import re

import pandas as pd

from bip_bridge.model import MeasurementModel

FALLBACK = "Column produced by the metrics; see docs/metrics.md."

# column -> (type, description); used for any file unless FILE_COLUMNS overrides it
COLUMNS: dict[str, tuple[str, str]] = {
    "pseudonym": ("string", "The participant's pseudonym (never a name or an external id)."),
    "wave": ("integer", "Wave number: 0 = baseline at enrolment, k = k intervals later."),
    "period": ("integer", "Period k runs from wave k-1 to wave k (k >= 1)."),
    "respondent": ("string", "Who answered: P = participant, C = caseworker."),
    "indicator": ("string", "Indicator code from the survey template (e.g. JOBTRO)."),
    "score": ("number", "Item score 1-10; blank when missing, 'don't know' (99) or out of scale."),
    "d_score": ("number", "Change of the item score since the previous wave (consecutive "
                "waves only)."),
    "change": ("number", "Change since the previous wave (consecutive waves only)."),
    "d_score_baseline": ("number", "Change of the item score since baseline (wave 0), when both "
                         "exist."),
    "p_items_answered": ("integer", "Number of P indicator items answered (1-10) at this wave."),
    "c_items_answered": ("integer", "Number of C indicator items answered (1-10) at this wave, "
                         "belief item excluded."),
    "p_change_baseline": ("number", "Participant index change since baseline: P_k - P_0."),
    "c_change_baseline": ("number", "Caseworker index change since baseline: C_k - C_0."),
    "n_in_work_or_studies": ("integer", "Number in the cell in work or studies at the wave; blank "
                             "when suppressed."),
    "questionnaire": ("string", "Questionnaire concerned: participant or caseworker."),
    "baseline_change": ("number", "Change since baseline (wave 0), when both values exist."),
    "change_from_baseline": ("number", "Change since baseline (wave 0), when both values exist."),
    "direction": ("string", "Direction of the change: improved, unchanged or declined."),
    "p_index": ("number", "Participant index: mean of the answered P items (at least the "
                "template's minimum answered, default 6 of 9); blank otherwise."),
    "c_index": ("number", "Caseworker index: mean of the answered C items other than the belief "
                "item (at least the template's minimum, default 7 of 10); blank otherwise."),
    "p_answered": ("integer", "Number of P indicator items answered (1-10) at this wave."),
    "c_answered": ("integer", "Number of C indicator items answered (1-10) at this wave, belief "
                   "item excluded."),
    "belief": ("number", "The caseworker's belief in the job chance (belief item, 1-10)."),
    "belief_category": ("string", "Belief category: low, middle or high (thresholds from the "
                        "template)."),
    "status": ("string", "Status at this wave (WORK, STUDY, SEEK, SICK, OTHER): the caseworker's "
               "answer, or the participant's own where the caseworker's is missing."),
    "p_status": ("string", "The participant's own status answer at this wave."),
    "c_status": ("string", "The caseworker's status answer at this wave."),
    "caseworker_id": ("string", "The caseworker code stored with the response (a code, no name)."),
    "submitted_at": ("string", "LimeSurvey's submit date of the counted response."),
    "d_p": ("number", "Change of the participant index over the period: P_k - P_(k-1)."),
    "d_c": ("number", "Change of the caseworker index over the period: C_k - C_(k-1)."),
    "p_from_baseline": ("number", "Participant index change since baseline: P_k - P_0."),
    "c_from_baseline": ("number", "Caseworker index change since baseline: C_k - C_0."),
    "parallel": ("integer", "Number of intervention categories used in the period (0-4)."),
    "combo": ("string", "Intervention combination: none, job_only, job_plus or other_only."),
    "continuous": ("boolean", "True when the period had no whole week without any intervention "
                   "(gap weeks = 0)."),
    "gap_weeks": ("integer", "Whole weeks in the period with no intervention (0-13)."),
    "caseworker_changed": ("boolean", "True when the caseworker id at wave k differs from wave "
                           "k-1; blank when either is missing."),
    "belief_start": ("string", "Belief category at the start of the period (wave k-1)."),
    "in_work_or_studies": ("boolean", "True when the status at wave k is work or studies."),
    "measure": ("string", "What is summarised: d_p (participant index change), d_c (caseworker "
                "index change) or in_work_or_studies (share in work or studies)."),
    "grouping": ("string", "The period property the rows are grouped by (parallel, combo, "
                 "continuous, caseworker_changed, belief_start, ...)."),
    "group": ("string", "The value of the grouping for this row."),
    "n": ("integer", "Number of periods (or participants) in the cell; blank when the cell is "
          "suppressed (fewer distinct participants than min_cell, or complementary)."),
    "mean": ("number", "Mean of the measure; blank when suppressed."),
    "sd": ("number", "Standard deviation (n - 1 in the denominator); blank when suppressed."),
    "ci_low": ("number", "Lower end of the 95 % confidence interval: "
               "mean - t(0.975, n-1)*sd/sqrt(n)."),
    "ci_high": ("number", "Upper end of the 95 % confidence interval: "
                "mean + t(0.975, n-1)*sd/sqrt(n)."),
    "share_improved": ("number", "Share (0-1) of the cell whose change is > 0; blank when "
                       "suppressed."),
    "share_unchanged": ("number", "Share (0-1) of the cell whose change is 0; blank when "
                        "suppressed."),
    "share_declined": ("number", "Share (0-1) of the cell whose change is < 0; blank when "
                       "suppressed."),
    "share": ("number", "Share (0-1); blank when suppressed."),
    "suppressed": ("boolean", "True when a value of the row is blank by the small-cell rule; "
                   "suppression_reason says why."),
    "suppression_reason": ("string", "Why values of the row are blank, '+'-joined: 'cell' (fewer "
                           "distinct participants than [privacy] min_cell: n and every "
                           "statistic blank); 'count' (a share's count, or n minus it, is 1 to "
                           "min_count - 1: that share blank; 0 and n are published); "
                           "'complementary' (blanked so that no other blank value can be "
                           "recomputed from the published cells of the grouping and the 'all' "
                           "row, or of the wave rows and the all-waves row). Empty when nothing "
                           "is blank."),
    "kind": ("string", "Kind of finding."),
    "issue": ("string", "Kind of finding."),
    "finding": ("string", "Kind of finding."),
    "detail": ("string", "What was found, in words."),
    "column": ("string", "The export column concerned."),
    "value": ("string", "The offending value."),
    "response_id": ("integer", "LimeSurvey response id concerned."),
    "sid": ("integer", "LimeSurvey survey id concerned."),
    "count": ("integer", "Number of occurrences."),
    # the dictionary's own columns
    "file": ("string", "CSV file of the bundle the column belongs to."),
    "type": ("string", "Value type: string, integer, number (dot decimal, or comma in the Excel "
             "variant), boolean (true/false) or date (YYYY-MM-DD)."),
    "description": ("string", "What the column holds."),
}

FILE_COLUMNS: dict[tuple[str, str], tuple[str, str]] = {
    ("data_dictionary", "column"): ("string", "Column name, as in the CSV header."),
    ("outcomes", "n"): ("integer", "Number of participants in the cell; blank when suppressed."),
    ("outcomes", "wave"): ("integer", "Wave k at which the status is counted."),
    ("outcomes", "share"): ("number", "Share (0-1) of the cell in work or studies at the wave; "
                            "blank when suppressed."),
    ("outcomes", "belief_start"): ("string", "Belief category at the start of the period that ends "
                                   "at the wave (wave k-1)."),
}

_PATTERNS: tuple[tuple[str, str, str], ...] = (
    (r"^d_(.+)$", "number", "Change of {0} since the previous wave (consecutive waves only)."),
    (r"^(.+)_from_baseline$", "number", "Change of {0} since baseline (wave 0)."),
    (r"^share_(.+)$", "number", "Share (0-1) {0}; blank when suppressed."),
    (r"^n_(.+)$", "integer", "Number of {0}."),
)


def describe(
    file: str, column: str, model: MeasurementModel | None = None
) -> tuple[str, str] | None:
    """(type, description) of one column, or None when there is no written text for it."""
    if (file, column) in FILE_COLUMNS:
        return FILE_COLUMNS[(file, column)]
    if column in COLUMNS:
        return COLUMNS[column]
    if model is not None:
        codes = {ind.code: ind for ind in model.indicators}
        if column in codes:
            return ("number", f"Item score of indicator {column} "
                    f"({codes[column].labels.get('en', column)}).")
    for pattern, kind, text in _PATTERNS:
        match = re.match(pattern, column)
        if match:
            return (kind, text.format(match.group(1).replace("_", " ")))
    return None


def infer_type(series: pd.Series) -> str:
    """Dictionary type of a column without a written entry, from its dtype."""
    if pd.api.types.is_bool_dtype(series):
        return "boolean"
    if pd.api.types.is_integer_dtype(series):
        return "integer"
    if pd.api.types.is_float_dtype(series):
        return "number"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "date"
    return "string"


def dictionary_frame(
    frames: dict[str, pd.DataFrame], model: MeasurementModel | None = None
) -> pd.DataFrame:
    """One row per column of every file (the dictionary describes itself last)."""
    rows: list[dict[str, str]] = []
    for name, df in frames.items():
        for column in df.columns:
            known = describe(name, str(column), model)
            kind, text = known if known else (infer_type(df[column]), FALLBACK)
            rows.append({"file": f"{name}.csv", "column": str(column), "type": kind,
                         "description": text})
    for column in ("file", "column", "type", "description"):
        kind, text = describe("data_dictionary", column) or ("string", FALLBACK)
        rows.append({"file": "data_dictionary.csv", "column": column, "type": kind,
                     "description": text})
    return pd.DataFrame(rows, columns=["file", "column", "type", "description"])
