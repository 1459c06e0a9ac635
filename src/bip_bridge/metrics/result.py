"""The output of :func:`bip_bridge.metrics.compute_metrics`: a frozen bundle of frames.

The column lists below are a contract: the reports write each frame to CSV as is, and
``docs/metrics.md`` explains every column. Keep names and order stable.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

SCORES_COLUMNS = (
    "pseudonym", "wave", "respondent", "indicator", "score", "d_score", "d_score_baseline",
)
INDICES_COLUMNS = (
    "pseudonym", "wave", "p_index", "c_index", "belief", "belief_category", "status",
    "caseworker_id", "p_items_answered", "c_items_answered",
    "p_change_baseline", "c_change_baseline",
)
PERIODS_COLUMNS = (
    "pseudonym", "period", "d_p", "d_c", "parallel", "combo", "continuous",
    "caseworker_changed", "belief_start", "in_work_or_studies",
)
COHORT_COLUMNS = (
    "measure", "grouping", "group", "n", "mean", "sd", "ci_low", "ci_high",
    "share_improved", "share_unchanged", "share_declined", "suppressed", "suppression_reason",
)
OUTCOMES_COLUMNS = (
    "wave", "belief_start", "n", "n_in_work_or_studies", "share", "suppressed",
    "suppression_reason",
)
# Per participant and period k >= 1: each intervention category's answer (0 none, 1 part
# of the period, 2 the whole period; one column per category code of the model) and the
# gap weeks, from the counted caseworker response at wave k. The progression cards draw
# their period strip from it; it is not part of the analyst bundle.
PERIOD_INTERVENTIONS_KEYS = ("pseudonym", "period")
GAP_WEEKS_COLUMN = "gap_weeks"

DATA_QUALITY_COLUMNS = (
    "kind", "questionnaire", "pseudonym", "wave", "response_id", "sid", "detail",
)


@dataclass(frozen=True)
class MetricsResult:
    """Every metric of the spec, as DataFrames sorted deterministically.

    ``scores`` (one row per counted response and indicator), ``indices`` (one row per
    pseudonym and wave), ``periods`` (one row per pseudonym and period k >= 1),
    ``cohort`` and ``outcomes`` (aggregates with the small-cell rule applied) and
    ``data_quality`` (what was ignored or looks wrong, and why). ``period_interventions``
    (pseudonym, period, one column per intervention category, ``gap_weeks``) serves the
    progression cards and is not one of :meth:`frames`.
    """

    scores: pd.DataFrame
    indices: pd.DataFrame
    periods: pd.DataFrame
    cohort: pd.DataFrame
    outcomes: pd.DataFrame
    data_quality: pd.DataFrame
    period_interventions: pd.DataFrame = field(default_factory=pd.DataFrame)

    def frames(self) -> dict[str, pd.DataFrame]:
        """The frames by name (``scores`` … ``data_quality``), in a stable order."""
        return {
            "scores": self.scores,
            "indices": self.indices,
            "periods": self.periods,
            "cohort": self.cohort,
            "outcomes": self.outcomes,
            "data_quality": self.data_quality,
        }
