"""The column-wise CSV writer gives the same text as formatting every cell in turn."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as hs

from bip_bridge.reports.csvout import EXCEL, PLAIN, Dialect, format_cell, neutralise, to_csv_text


def cell_by_cell(df: pd.DataFrame, dialect: Dialect) -> str:
    """The definition: every cell through format_cell, row after row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=dialect.delimiter, lineterminator=dialect.line_end,
                        quoting=csv.QUOTE_MINIMAL)
    writer.writerow([neutralise(str(c)) for c in df.columns])
    for row in df.itertuples(index=False, name=None):
        writer.writerow([format_cell(v, dialect.decimal) for v in row])
    return buffer.getvalue()


def test_every_kind_of_column_as_cell_by_cell() -> None:
    n = 6
    df = pd.DataFrame({
        "int": np.arange(n, dtype=np.int64) - 2,
        "small": np.array([1, 2, 1, 2, 0, 1], dtype=np.int8),
        "float": [0.5, -0.0, 0.0, float("nan"), 1 / 3, -1.25],
        "f32": np.array([0.1, 0.2, 0.1, np.nan, 7, -0.5], dtype=np.float32),
        "bool": [True, False, True, True, False, False],
        "Int64": pd.array([1, None, 3, 1, None, 2], dtype="Int64"),
        "Float64": pd.array([0.5, None, 0.25, 0.5, 2.0, None], dtype="Float64"),
        "boolean": pd.array([True, None, False, True, None, False], dtype="boolean"),
        "cat": pd.Categorical(["a", "=b", None, "a", "c", "=b"]),
        "cat_num": pd.Categorical([1.5, 2.0, None, 1.5, 3.0, 2.0]),
        "text": ["x", "=1+1", None, "-0.5", "a;b", 'q"q'],
        "text_nan": ["x", float("nan"), "y", "\tz", "", "x"],
        "mixed": [True, 1, 1.0, "1", None, dt.date(2025, 3, 1)],
        "dates": pd.to_datetime(["2025-01-01 00:00", None, "2025-01-02 10:00", "2025-01-01 00:00",
                                 "2025-02-01 00:00", None]),
        "aware": pd.to_datetime(["2025-01-01 10:00", None, "2025-01-01 10:00", "2025-03-01 00:00",
                                 "2025-03-01 00:00", "2025-03-01 00:00"]).tz_localize("UTC"),
        "tz_mix": [pd.Timestamp("2025-01-01 10:00", tz="UTC"),
                   pd.Timestamp("2025-01-01 11:00", tz="Europe/Stockholm"),
                   dt.date(2025, 1, 1), None, "", 2],
        "line\nbreak": ["a\nb", "c\r", "d", "e", "f", "g"],
    })
    for dialect in (PLAIN, EXCEL):
        assert to_csv_text(df, dialect) == cell_by_cell(df, dialect)


def test_no_rows_and_no_columns() -> None:
    for df in (pd.DataFrame({"a": pd.Series([], dtype=float), "b": []}),
               pd.DataFrame(index=range(3)), pd.DataFrame()):
        assert to_csv_text(df, PLAIN) == cell_by_cell(df, PLAIN)


_value = hs.one_of(
    hs.none(), hs.booleans(), hs.integers(-10**6, 10**6),
    hs.floats(allow_nan=True, allow_infinity=True), hs.text(max_size=6),
    hs.sampled_from(["=x", "-1", "+0,5", " @a", "1.0", ";", "\n"]))


@settings(max_examples=60, deadline=None)
@given(hs.lists(hs.lists(_value, min_size=3, max_size=3), min_size=1, max_size=12),
       hs.sampled_from([PLAIN, EXCEL]))
def test_any_object_frame_as_cell_by_cell(rows: list[list[Any]], dialect: Dialect) -> None:
    df = pd.DataFrame(rows, columns=["a", "b", "c"])
    assert to_csv_text(df, dialect) == cell_by_cell(df, dialect)


@settings(max_examples=60, deadline=None)
@given(hs.lists(hs.floats(allow_nan=True, allow_infinity=True, width=64), min_size=1,
                max_size=20),
       hs.sampled_from([PLAIN, EXCEL]))
def test_any_float_column_as_cell_by_cell(values: list[float], dialect: Dialect) -> None:
    df = pd.DataFrame({"x": values, "t": [str(v) for v in values]})
    df["cat"] = df["t"].astype("category")
    assert to_csv_text(df, dialect) == cell_by_cell(df, dialect)


def test_rows_of_blanks_and_a_single_column() -> None:
    frames = [pd.DataFrame({"a": [None, "x"], "b": [float("nan"), 1.0]}),
              pd.DataFrame({"a": [None, "x", ""]}),
              pd.DataFrame({"a": [float("nan"), 2.5]})]
    for df in frames:
        for dialect in (PLAIN, EXCEL):
            assert to_csv_text(df, dialect) == cell_by_cell(df, dialect)
