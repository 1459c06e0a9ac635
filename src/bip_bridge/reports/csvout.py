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
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
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
        return _float_text(float(value), decimal)
    if isinstance(value, pd.Timestamp):
        if value == value.normalize() and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return neutralise(str(value))


def _float_text(value: float, decimal: str) -> str:
    """A float cell's text: blank for NaN and infinities (missing), else the number."""
    if math.isnan(value) or math.isinf(value):
        return ""
    return format_number(value, decimal)


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
    """The whole file as text (without the BOM: the encoding adds it).

    Column by column: each column's distinct values are formatted once
    (:func:`format_cell`, the one definition of a cell's text) and spread over its rows,
    a slice of rows at a time. When no cell needs quoting (no separator, quote or line
    break in any text, which is the case for the metrics' numbers, codes and
    pseudonyms) the lines are put together directly (:func:`_line_parts`); otherwise
    the csv module's writer writes them, as it always did. The text is the same byte for
    byte as writing every cell through the csv writer (the tests compare both ways on
    mixed frames). A large score file repeats few distinct values (waves, codes, scores
    on an 11-point scale), so this is a fraction of the time.
    """
    return "".join(csv_chunks(df, dialect))


def write_csv(df: pd.DataFrame, path: Path, dialect: Dialect = PLAIN) -> None:
    """Write :func:`to_csv_text` to ``path`` in the dialect's encoding, a slice of rows at
    a time (the whole text of a large file is never held at once)."""
    with open(path, "w", encoding=dialect.encoding, newline="") as fh:
        for chunk in csv_chunks(df, dialect):
            fh.write(chunk)


def csv_chunks(df: pd.DataFrame, dialect: Dialect = PLAIN) -> Iterator[str]:
    """The text of :func:`to_csv_text` in pieces: the heading line, then a slice of rows
    at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=dialect.delimiter, lineterminator=dialect.line_end,
                        quoting=csv.QUOTE_MINIMAL)
    writer.writerow([neutralise(str(c)) for c in df.columns])
    if df.shape[1] == 0:  # no columns: one empty record per row, as a row-by-row writer gives
        writer.writerows([] for _ in range(len(df)))
        yield buffer.getvalue()
        return
    yield _taken(buffer)
    special = _special_characters(dialect)
    columns = [column_texts(df.iloc[:, i], dialect.decimal) for i in range(df.shape[1])]
    # a lone empty field is written quoted: leave single columns to the csv writer
    plain = len(columns) > 1 and not any(special.intersection(t) for c in columns
                                         for t in c.distinct)
    if plain:
        parts = _line_parts(columns, dialect, len(df))
        del columns
    for lo in range(0, len(df), _ROWS_AT_A_TIME):
        hi = min(lo + _ROWS_AT_A_TIME, len(df))
        if plain:
            pieces = np.empty((hi - lo, len(parts)), dtype=object)
            for i, (codes, texts) in enumerate(parts):
                pieces[:, i] = texts[codes[lo:hi]]
            yield "".join(pieces.ravel().tolist())
        else:
            writer.writerows(zip(*(c.slice(lo, hi) for c in columns), strict=True))
            yield _taken(buffer)


def _taken(buffer: io.StringIO) -> str:
    """The buffer's text; the buffer is left empty."""
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


_ROWS_AT_A_TIME = 100_000  # rows turned into text at once (bounds the lists of cell texts)


def _line_parts(columns: list[ColumnTexts], dialect: Dialect, n_rows: int
                ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each row's line as a few parts: per run of adjacent columns, (codes, texts).

    A row's line is the concatenation of its parts' ``texts[codes[row]]``. Adjacent
    columns with few distinct texts between them are taken together: the texts of every
    combination of their values (with the separators in between) are made once, and a
    row's code into them is computed from the columns' codes. A run ends where the
    combinations would come near the number of rows. Every part but the first starts
    with the separator; the last ends with the line end.
    """
    limit = max(n_rows // 4, 256)
    parts = []
    codes, texts = columns[0].by_code()
    for column in columns[1:]:
        more_codes, more_texts = column.by_code()
        more_texts = dialect.delimiter + more_texts
        if len(texts) * len(more_texts) <= limit:
            codes *= len(more_texts)
            codes += more_codes
            texts = (texts[:, None] + more_texts[None, :]).ravel()
        else:
            parts.append((codes, texts))
            codes, texts = more_codes, more_texts
    parts.append((codes, texts + dialect.line_end))
    return parts


def _special_characters(dialect: Dialect) -> frozenset[str]:
    """Characters that make the csv writer quote a field (QUOTE_MINIMAL)."""
    return frozenset({dialect.delimiter, '"', "\r", "\n", *dialect.line_end})


@dataclass(frozen=True)
class ColumnTexts:
    """A column's cell texts: the distinct texts, and which one each row has.

    ``codes`` indexes ``texts`` (one entry per row); without codes ``texts`` holds one
    text per row.
    """

    texts: np.ndarray  # object array of str
    codes: np.ndarray | None

    @property
    def distinct(self) -> Collection[str]:
        return self.texts.tolist() if self.codes is not None else set(self.texts.tolist())

    def by_code(self) -> tuple[np.ndarray, np.ndarray]:
        """(codes, texts) with a code for every row, none negative (a new int64 array)."""
        if self.codes is None:
            return np.arange(len(self.texts), dtype=np.int64), self.texts
        # code -1 (missing) picks the last text: move that text first and shift by one
        codes = self.codes.astype(np.int64)
        codes += 1
        return codes, np.roll(self.texts, 1)

    def slice(self, lo: int, hi: int) -> list[str]:
        if self.codes is None:
            return self.texts[lo:hi].tolist()
        return self.texts[self.codes[lo:hi]].tolist()


# Types whose equal values always format the same (so one text serves them all); an
# object column keys its cache by (type, value), so True, 1 and 1.0 stay apart.
_CACHEABLE = frozenset({str, int, float, bool, type(None)})


def _formatted(uniques: Any, decimal: str) -> list[str]:
    """``[format_cell(v, decimal) for v in uniques]``, with the two common kinds of
    distinct values (floats, plain strings) formatted without going through every
    type test of :func:`format_cell`."""
    if isinstance(uniques, np.ndarray) and uniques.dtype == np.float64:
        return [_float_text(x, decimal) for x in uniques.tolist()]
    values = uniques.tolist() if hasattr(uniques, "tolist") else list(uniques)
    if all(type(v) is str for v in values):
        return [neutralise(v) for v in values]
    return [format_cell(v, decimal) for v in uniques]


def column_texts(column: pd.Series, decimal: str = ".") -> ColumnTexts:
    """The CSV text of every cell of ``column``, each distinct value formatted once.

    The same texts as ``[format_cell(v, decimal) for v in column]``. Typed columns
    (numbers, booleans, dates, categories) and text-only object columns are factorised:
    equal values there always have the same text, and missing values are blank (a
    categorical brings its codes: its categories are formatted, used or not). Other
    object columns (mixed types) use a cache keyed by type and value, and format values
    of other types (dates with their time zone, ...) cell by cell.
    """
    if column.dtype != object or pd.api.types.infer_dtype(column, skipna=True) == "string":
        if isinstance(column.dtype, pd.CategoricalDtype):  # coded already (-1 missing)
            codes, uniques = column.cat.codes.to_numpy(), column.cat.categories
        else:
            codes, uniques = pd.factorize(column, use_na_sentinel=True)
        texts = _formatted(uniques, decimal)
        texts.append("")  # code -1 (a missing value) picks the last one
        return ColumnTexts(np.asarray(texts, dtype=object), codes)
    cache: dict[tuple[type, Any], str] = {}
    out: list[str] = []
    append = out.append
    for value in column.tolist():
        kind = type(value)
        if kind in _CACHEABLE:
            key = (kind, value)
            text = cache.get(key)
            if text is None:
                text = cache[key] = format_cell(value, decimal)
            append(text)
        else:
            append(format_cell(value, decimal))
    return ColumnTexts(np.asarray(out, dtype=object), None)
