"""One cell of a metrics frame, read the same way by every consumer.

The metrics frames carry missing values in several spellings (``None``, ``pd.NA``,
``pd.NaT``, ``NaN``); the report, the cards and the push-back must agree on what is
missing and what is a number, so they read cells through these two functions.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd


def is_missing(value: Any) -> bool:
    """True for None, pd.NA, pd.NaT and a float NaN."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return bool(isinstance(value, float) and math.isnan(value))
    except TypeError:
        return False


def as_number(value: Any) -> float | None:
    """The cell as a float; None when it is missing, NaN or not a number at all."""
    if is_missing(value):
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x
