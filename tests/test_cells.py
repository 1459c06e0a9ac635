"""The one reading of a metrics cell that the report, the cards and the push-back share."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from bip_bridge.cells import as_number, is_missing


@pytest.mark.parametrize(("value", "expected"), [
    (None, None), (pd.NA, None), (pd.NaT, None), (float("nan"), None), (np.float64("nan"), None),
    ("", None), ("x", None), (7, 7.0), (np.int64(3), 3.0), (-0.25, -0.25), ("6.5", 6.5),
    (True, 1.0),
])
def test_as_number(value: Any, expected: float | None) -> None:
    assert as_number(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (None, True), (pd.NA, True), (pd.NaT, True), (float("nan"), True), (0, False), ("", False),
])
def test_is_missing(value: Any, expected: bool) -> None:
    assert is_missing(value) is expected
