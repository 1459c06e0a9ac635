"""What the reports read from the metrics: a structural type, so this package does not
depend on how :mod:`bip_bridge.metrics` builds its result, only on the frames it holds.

The file names of the analyst bundle are fixed here (they are a published contract).
"""

from __future__ import annotations

from typing import Protocol

import pandas as pd

# file stem -> attribute of the metrics result, in the order the bundle is written
BUNDLE_FRAMES: tuple[str, ...] = (
    "scores",
    "indices",
    "periods",
    "cohort",
    "outcomes",
    "data_quality",
)
DICTIONARY_NAME = "data_dictionary"
BUNDLE_FILES: tuple[str, ...] = tuple(f"{name}.csv" for name in (*BUNDLE_FRAMES, DICTIONARY_NAME))

# Statistic columns of cohort.csv that the small-cell rule blanks (n included).
COHORT_STAT_COLUMNS: tuple[str, ...] = (
    "n",
    "mean",
    "sd",
    "ci_low",
    "ci_high",
    "share_improved",
    "share_unchanged",
    "share_declined",
)

OUTCOME_STAT_COLUMNS: tuple[str, ...] = ("n", "n_in_work_or_studies", "share")


class MetricsFrames(Protocol):
    """The frames of ``bip_bridge.metrics.MetricsResult`` the reports use."""

    @property
    def scores(self) -> pd.DataFrame: ...

    @property
    def indices(self) -> pd.DataFrame: ...

    @property
    def periods(self) -> pd.DataFrame: ...

    @property
    def cohort(self) -> pd.DataFrame: ...

    @property
    def outcomes(self) -> pd.DataFrame: ...

    @property
    def data_quality(self) -> pd.DataFrame: ...


def frame(result: MetricsFrames, name: str) -> pd.DataFrame:
    """One named frame of the result (an empty frame when the result lacks it)."""
    value = getattr(result, name, None)
    return value if isinstance(value, pd.DataFrame) else pd.DataFrame()
