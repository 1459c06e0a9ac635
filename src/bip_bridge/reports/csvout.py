"""CSV text for the analyst bundle: cell formatting, formula neutralising, two dialects.

Pure functions: a DataFrame in, the file's text out. Writing files is the caller's job
(:mod:`bip_bridge.reports.bundle`), so every rule here is testable on strings.

* Default dialect: UTF-8, comma, dot decimal, ``\\n`` line ends (what pandas, R and
  Python read without options).
* Excel dialect (``excel=True``): what Swedish Excel opens correctly by double-click:
  a UTF-8 byte-order mark, semicolon separator, decimal comma and ``\\r\\n``.
* A text cell that a spreadsheet would run as a formula (first character, after any
  leading whitespace, one of ``= + - @``, or a leading tab or carriage return) gets a
  leading apostrophe (OWASP "CSV injection"). Real numbers are written as numbers, so a
  change of -0.5 stays -0.5; a text cell that is exactly a plain number is left alone.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from bip_bridge.reports.frames import COHORT_STAT_COLUMNS

DECIMALS = 6
_FORMULA_START = frozenset("=+-@")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d+)?|[.,]\d+)$")


@dataclass(frozen=True)
class Dialect:
    delimiter: str
    decimal: str
    line_end: str
    bom: bool

    @property
    def encoding(self) -> str:
        return "utf-8-sig" if self.bom else "utf-8"


PLAIN = Dialect(delimiter=",", decimal=".", line_end="\n", bom=False)
EXCEL = Dialect(delimiter=";", decimal=",", line_end="\r\n", bom=True)


def dialect_for(excel: bool) -> Dialect:
    return EXCEL if excel else PLAIN


def neutralise(text: str) -> str:
    """Prefix an apostrophe to a text a spreadsheet would evaluate as a formula."""
    if not text:
        return text
    if text[0] in "\t\r":
        return "'" + text
    stripped = text.lstrip(" \n\t\r\f\v\u00a0")
    if stripped and stripped[0] in _FORMULA_START and not _PLAIN_NUMBER.match(stripped.strip()):
        return "'" + text
    return text


def format_number(value: float, decimal: str = ".") -> str:
    """A float rounded to 6 decimals, trailing zeros dropped (7.0 -> "7", -0.0 -> "0")."""
    text = f"{round(value, DECIMALS):.{DECIMALS}f}".rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return text.replace(".", decimal)


def format_cell(value: Any, decimal: str = ".") -> str:
    """The CSV text of one cell: blank for missing, true/false, numbers, ISO dates."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if math.isnan(value) or math.isinf(value):
            return ""
        return format_number(float(value), decimal)
    if isinstance(value, pd.Timestamp):
        if value == value.normalize() and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return neutralise(str(value))


def apply_small_cells(
    cohort: pd.DataFrame,
    min_cell: int | None = None,
    columns: tuple[str, ...] = COHORT_STAT_COLUMNS,
) -> pd.DataFrame:
    """Blank the statistics (n included) of every suppressed cell of an aggregate frame.

    A cell counts as suppressed when its ``suppressed`` flag is true, or, when
    ``min_cell`` is given, when its n is below it (a second line of defence: the metrics
    already apply the rule). The result always has a boolean ``suppressed`` column.
    """
    out = cohort.copy()
    if out.empty and "suppressed" not in out.columns:
        return out
    flag = (
        out["suppressed"].fillna(False).astype(bool)
        if "suppressed" in out.columns
        else pd.Series(False, index=out.index)
    )
    if min_cell is not None and "n" in out.columns:
        n = pd.to_numeric(out["n"], errors="coerce")
        flag = flag | (n.notna() & (n < min_cell))
    for column in columns:
        if column in out.columns:
            out[column] = out[column].astype(object).where(~flag, None)
    out["suppressed"] = flag.astype(bool)
    return out


def to_csv_text(df: pd.DataFrame, dialect: Dialect = PLAIN) -> str:
    """The whole file as text (without the BOM: the encoding adds it)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=dialect.delimiter, lineterminator=dialect.line_end,
                        quoting=csv.QUOTE_MINIMAL)
    writer.writerow([neutralise(str(c)) for c in df.columns])
    for row in df.itertuples(index=False, name=None):
        writer.writerow([format_cell(v, dialect.decimal) for v in row])
    return buffer.getvalue()
