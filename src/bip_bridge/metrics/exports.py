"""Reading LimeSurvey's own response exports (JSON or CSV, code headings) from files.

The one I/O module of the metrics package: ``bip-bridge analyse`` uses it so analysts
who only hold export files get the same metrics as the bridge. Formats, as recorded
from LimeSurvey 6.14:

* JSON: ``{"responses": [{...}, ...]}``, one object per response, answers as strings,
  unanswered as null;
* CSV: UTF-8 with a byte-order mark, ``;`` separated, every value quoted, CRLF line
  ends, an empty last line; NULL is an empty unquoted field.

A file that is neither, or that was exported with question texts as headings or with
answer texts instead of codes, is refused with the fix named.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd

from bip_bridge.errors import DataInvalid, Problem
from bip_bridge.gcpause import gc_paused
from bip_bridge.metrics.prepare import answer_columns, required_columns
from bip_bridge.model import MeasurementModel

EXPORT_HINT = (
    "In LimeSurvey export the responses again (Responses > Export > Export responses): "
    "format CSV or JSON, under Headings choose 'Question code', under Responses choose "
    "'Answer codes' (RemoteControl: export_responses with heading='code', "
    "response='short')."
)
_CODE = re.compile(r"^\s*-?\d+(?:\.0+)?\s*$")


def read_export(path: Path, model: MeasurementModel, questionnaire: str) -> pd.DataFrame:
    """One export file as a frame of strings/None, checked against the template.

    The columns the metrics decode (pseudonym, wave, caseworker, status and the answers)
    come as categoricals of their strings when they hold only strings: the same values,
    each distinct string stored once, so checking and decoding them looks at a handful
    of codes instead of every cell.
    """
    with gc_paused():  # the parsed responses are acyclic: no collections while reading
        return _read_export(path, model, questionnaire)


def _read_export(path: Path, model: MeasurementModel, questionnaire: str) -> pd.DataFrame:
    source = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataInvalid(f"Cannot read {source}: {exc.strerror}.", source=source,
                          hint="Check the path and the file's permissions.") from exc
    decoded = required_columns(model, questionnaire)[2:]
    data = _plain_json(raw)
    if data is not None:  # the usual JSON export: parsed from the bytes as they are
        del raw
        records = _responses(data, source)
        laid_out = _records_table(records)
        if laid_out is None:
            frame = _as_categories(pd.DataFrame(records, dtype=object), decoded)
        del data, records  # the records' dicts go before the values are coded
        if laid_out is not None:
            frame = _coded_table(*laid_out, decoded)
            del laid_out
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DataInvalid(f"{source} is not UTF-8 text (byte {exc.start}).",
                              source=source, hint=EXPORT_HINT) from exc
        del raw
        if not text.strip():
            raise DataInvalid(f"{source} is empty.", source=source, hint=EXPORT_HINT)
        frame = _json(text, source) if text.lstrip().startswith("{") else _csv(text, source)
        del text
        frame = _as_categories(frame, decoded)
    _check(frame, source, model, questionnaire)
    return frame


def _plain_json(raw: bytes) -> Any:
    """The JSON value of a file that is a JSON object in UTF-8 (after an optional
    byte-order mark) as orjson reads it, or None: then the file is read as text and
    every problem named (:func:`_json`, :func:`_csv`). Skips decoding a large export
    to text first; the result is the one :func:`_json` gives."""
    body = raw[len(codecs.BOM_UTF8):] if raw.startswith(codecs.BOM_UTF8) else raw
    if not body.lstrip(b" \t\n\r").startswith(b"{"):
        return None
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return None


def _json(text: str, source: str) -> pd.DataFrame:
    try:
        data = orjson.loads(text)  # a few times faster than json on a large export
    except orjson.JSONDecodeError:  # json accepts a little more (NaN...) and says where
        data = None
    try:
        data = json.loads(text) if data is None else data
    except json.JSONDecodeError as exc:
        raise DataInvalid(
            f"{source} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.",
            source=source, hint=EXPORT_HINT) from exc
    return _records_frame(_responses(data, source))


def _responses(data: Any, source: str) -> list[dict[str, Any]]:
    """The response records of a parsed JSON export (refused when it is not one)."""
    responses = data.get("responses") if isinstance(data, dict) else None
    if not isinstance(responses, list) or not all(isinstance(r, dict) for r in responses):
        raise DataInvalid(
            f'{source} is JSON but not a LimeSurvey response export ({{"responses": [...]}}).',
            source=source, hint=EXPORT_HINT)
    return responses


def _records_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    """The records as a frame of objects, a column per key (what ``pd.DataFrame(records,
    dtype=object)`` gives)."""
    laid_out = _records_table(records)
    if laid_out is None:
        return pd.DataFrame(records, dtype=object)
    keys, table = laid_out
    return pd.DataFrame(table, columns=keys, dtype=object)


def _records_table(records: list[dict[str, Any]]) -> tuple[list[str], np.ndarray] | None:
    """(keys, values row by row) when every record has the same keys (as an export's
    do), else None.

    One array of objects, a row per record and a column per key in the first record's
    order: about twice as fast as pandas' general path, which gathers the keys of every
    record first.
    """
    keys = list(records[0]) if records else []
    if len(keys) < 2 or set(map(len, records)) != {len(keys)}:
        return None
    try:  # the same number of keys and all of the first record's keys: the same keys
        values = np.fromiter(chain.from_iterable(map(itemgetter(*keys), records)),
                             dtype=object, count=len(records) * len(keys))
    except KeyError:
        return None
    return keys, values.reshape(len(records), len(keys))


def _csv(text: str, source: str) -> pd.DataFrame:
    header = text.splitlines()[0] if text else ""
    if ";" not in header and "," not in header:  # an export has dozens of columns
        raise DataInvalid(
            f"{source} is neither a LimeSurvey JSON export (starting with '{{') nor a CSV "
            f"export (its first line has no ';' or ',' between headings).",
            source=source, hint=EXPORT_HINT)
    delimiter = ";" if ";" in header else ","
    try:
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False,
                            na_filter=False, quoting=csv.QUOTE_MINIMAL, skip_blank_lines=True)
    except (pd.errors.ParserError, ValueError) as exc:
        raise DataInvalid(f"{source} is not a readable CSV export: {exc}", source=source,
                          hint=EXPORT_HINT) from exc
    return frame.astype(object)


def _check(frame: pd.DataFrame, source: str, model: MeasurementModel, questionnaire: str
           ) -> None:
    expected = ["id", "submitdate", model.pseudonym_question, model.wave_question,
                *answer_columns(model, questionnaire)]
    missing = [c for c in expected if c not in frame.columns]
    if missing:
        shown = ", ".join(map(repr, list(frame.columns)[:4]))
        texts = len(missing) == len(expected) or any(
            " " in str(c) or len(str(c)) > 40 for c in frame.columns)
        what = ("its column headings are question texts, not question codes"
                if texts else f"it lacks {len(missing)} column(s) of template "
                f"{model.template_version!r}")
        raise DataInvalid(
            f"{source}: {what} (its first columns are {shown}).",
            [Problem(source, f"no column {c!r}") for c in missing[:12]],
            source=source,
            hint=EXPORT_HINT + " Check also that the file is the right survey's export and "
            "that --template-dir names the template the survey was made from.",
        )
    # every answered cell must be a code: numbers in the arrays, the model's status codes
    arrays = [c for c in answer_columns(model, questionnaire) if "[" in c]
    checks = [(c, lambda v: bool(_CODE.match(v))) for c in arrays]
    if model.status_question in frame.columns:
        codes = set(model.statuses)
        checks.append((model.status_question, lambda v: v.strip() in codes))
    bad_columns: list[str] = []
    examples: list[str] = []
    cells = 0
    for column, is_code in checks:
        distinct_texts = _distinct_texts(frame[column])
        if distinct_texts is not None and all(map(is_code, distinct_texts)):
            continue  # every cell is a code (or blank): the usual case, decided on a handful
        values = frame[column].dropna().astype(str)
        values = values[values.str.strip() != ""]
        if values.empty:
            continue
        distinct = pd.Series(values.unique(), dtype=object)
        wrong = distinct[~distinct.map(is_code).astype(bool)]
        if len(wrong):
            bad_columns.append(column)
            cells += int(values.isin(set(wrong)).sum())
            examples.extend(str(w) for w in wrong[:2] if str(w) not in examples)
    if bad_columns:
        shown = ", ".join(repr(e) for e in examples[:3])
        raise DataInvalid(
            f"{source} holds answer texts, not answer codes: {cells} cell(s) in "
            f"{', '.join(bad_columns[:6])}{' …' if len(bad_columns) > 6 else ''} "
            f"(e.g. {shown}). Counting them as missing would be wrong.",
            source=source, hint=EXPORT_HINT)


def _as_categories(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``frame`` with each of ``columns`` that holds only strings (and None) as a
    categorical of those strings; other columns as they are."""
    if frame.columns.has_duplicates or not any(c in frame.columns for c in columns):
        return frame
    return _coded_table(list(frame.columns),
                        np.ascontiguousarray(frame.to_numpy(dtype=object)), columns)


def _coded_table(keys: list[str], table: np.ndarray, columns: list[str]) -> pd.DataFrame:
    """A frame of the table's columns (named by ``keys``; objects, one row per record),
    with each of ``columns`` that holds only strings (and None) as a categorical.

    The columns are factorised together, row by row: the values of a record lie next to
    each other in memory, so this is about twice as fast as one column after another.
    A column holding anything but strings (numbers, booleans, lists...) stays as it is:
    a hash table takes 1, 1.0 and True for one value, so it is checked cell by cell.
    """
    index = {key: j for j, key in enumerate(keys)}
    present = [index[c] for c in dict.fromkeys(columns) if c in index]
    converted: dict[int, pd.Categorical] = {}
    if present:
        try:
            codes, uniques = pd.factorize(np.take(table, present, axis=1).ravel())
        except TypeError:  # unhashable cells (lists...): the columns stay as they are
            codes, uniques = np.zeros(0, dtype=np.intp), None
    if present and uniques is not None:
        by_row = codes.reshape(len(table), len(present))
        strings = np.fromiter((isinstance(v, str) for v in uniques), dtype=bool,
                              count=len(uniques))
        for i, j in enumerate(present):
            column_codes = by_row[:, i]
            has = column_codes >= 0
            used = np.bincount(column_codes[has], minlength=len(uniques)) > 0
            if not strings[used].all():
                continue
            position = np.cumsum(used) - 1
            converted[j] = pd.Categorical.from_codes(
                np.where(has, position[column_codes], -1),
                categories=pd.Index(uniques[used], dtype=object))
    return pd.DataFrame({key: converted[j] if j in converted
                         else pd.Series(table[:, j], dtype=object, copy=False)
                         for j, key in enumerate(keys)})


def _distinct_texts(column: pd.Series) -> list[str] | None:
    """The distinct non-blank texts of a column of strings (made a categorical by
    :func:`_as_categories`), or None for any other column (checked cell by cell).

    Looking at the distinct values only keeps the check cheap on a large export, where
    a column repeats a handful of answer codes.
    """
    if not isinstance(column.dtype, pd.CategoricalDtype):
        return None
    uniques = column.cat.categories.to_numpy(dtype=object)
    if not all(isinstance(value, str) for value in uniques):
        return None
    return [value for value in uniques if value.strip()]
