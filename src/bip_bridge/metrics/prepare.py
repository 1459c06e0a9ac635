"""Which responses count: from LimeSurvey export rows to one decoded response per wave.

Pure functions. The rules are the spec's "Which responses count" and "Scores":
only complete responses; the pseudonym and wave stored in the response identify it;
of two complete responses for the same pseudonym and wave the later ``submitdate``
counts (ties: the higher response id); answers outside the scale count as missing.
Everything set aside becomes a data-quality finding instead of an exception.

Decoding works on the *distinct* values of a column (a handful of answer codes), so
it costs one ``pandas.factorize`` per column, whatever the number of responses.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bip_bridge.errors import DataInvalid, Problem
from bip_bridge.metrics.result import DATA_QUALITY_COLUMNS
from bip_bridge.model import CASEWORKER, PARTICIPANT, MeasurementModel

#: Answer codes of the intervention array (spec: 0 none, 1 part of the period, 2 whole).
INTERVENTION_ANSWERS: tuple[int, ...] = (0, 1, 2)

QUESTIONNAIRE_NAMES = {PARTICIPANT: "participant", CASEWORKER: "caseworker"}


@dataclass(frozen=True)
class Prepared:
    """The counted responses of one questionnaire and what was set aside."""

    counted: pd.DataFrame  # one row per (pseudonym, wave), sorted; see decoded_columns
    findings: pd.DataFrame  # DATA_QUALITY_COLUMNS


def answer_columns(model: MeasurementModel, questionnaire: str) -> list[str]:
    """The export columns this questionnaire must have, in the model's order."""
    if questionnaire == PARTICIPANT:
        return [model.p_column(code) for code in model.p_items]
    return [
        *(model.c_column(code) for code in model.c_items),
        model.belief_column,
        *(model.intervention_column(code) for code in model.interventions),
        model.gap_question,
    ]


def required_columns(model: MeasurementModel, questionnaire: str) -> list[str]:
    return [
        "id",
        "submitdate",
        model.pseudonym_question,
        model.wave_question,
        model.caseworker_question,
        model.status_question,
        *answer_columns(model, questionnaire),
    ]


Column = pd.Series | np.ndarray


def _normalised_uniques(values: Column) -> tuple[np.ndarray, np.ndarray]:
    """(codes, normalised distinct values + a trailing NaN) of a column.

    Values are stripped strings; None, NaN and blanks become NaN. Normalising the
    distinct values only keeps this cheap on long columns; code -1 (missing)
    indexes the trailing NaN. A categorical column brings its codes and categories
    along (categories no row has do no harm: only the rows' codes pick values).
    """
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()
        uniques = values.cat.categories.to_numpy(dtype=object)
    else:
        array = values.to_numpy(dtype=object) if isinstance(values, pd.Series) else values
        codes, uniques = pd.factorize(array)
    if all(type(value) is str for value in uniques):  # the usual case, without pandas
        norm = np.empty(len(uniques) + 1, dtype=object)
        norm[:-1] = [value.strip() or np.nan for value in uniques]
        norm[-1] = np.nan
        return codes, norm
    series = pd.Series(uniques, dtype=object).astype("str").str.strip()
    series = series.mask(series == "")
    return codes, np.append(series.to_numpy(dtype=object, na_value=np.nan), np.nan)


def sorted_codes(values: Column) -> tuple[np.ndarray, np.ndarray]:
    """(codes, sorted distinct normalised strings): code order is string order, -1 missing."""
    codes, uniques = _normalised_uniques(values)
    present = pd.notna(uniques)
    names = uniques[present]
    if len(names) and max(map(len, names)) <= 256:  # fixed-width strings sort in C
        distinct, inverse = np.unique(names.astype(str), return_inverse=True)
    else:
        inverse, distinct = pd.factorize(names, sort=True)
    final = np.full(len(uniques), -1, dtype=np.int64)
    final[present] = inverse
    return final[codes], np.asarray(distinct, dtype=object)


def text(values: Column) -> np.ndarray:
    """Values as stripped strings (object array); None, NaN and blanks become NaN."""
    codes, uniques = _normalised_uniques(values)
    return uniques[codes]


def _decode(
    values: Column, classify: Callable[[str], tuple[float, bool]]
) -> tuple[np.ndarray, np.ndarray]:
    """Decode a column through its distinct values: (numbers, invalid mask).

    ``classify`` maps one distinct string to (number or NaN, is_invalid). Missing
    values decode to (NaN, False).
    """
    codes, uniques = _normalised_uniques(values)
    numbers = np.full(len(uniques), np.nan)
    invalid = np.zeros(len(uniques), dtype=bool)
    for j, raw in enumerate(uniques[:-1]):
        if isinstance(raw, str):
            numbers[j], invalid[j] = classify(raw)
    return numbers[codes], invalid[codes]


def _number(raw: str) -> float | None:
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if np.isfinite(value) else None


def scale_classifier(model: MeasurementModel) -> Callable[[str], tuple[float, bool]]:
    """1..10 -> the number; 99 -> missing; anything else -> missing and invalid."""

    def classify(raw: str) -> tuple[float, bool]:
        value = _number(raw)
        if value is None:
            return np.nan, True
        if value == model.missing_code:
            return np.nan, False
        if value.is_integer() and model.scale_min <= value <= model.scale_max:
            return value, False
        return np.nan, True

    return classify


def set_classifier(allowed: Sequence[int]) -> Callable[[str], tuple[float, bool]]:
    def classify(raw: str) -> tuple[float, bool]:
        value = _number(raw)
        if value is not None and value.is_integer() and int(value) in allowed:
            return value, False
        return np.nan, True

    return classify


def whole_number(raw: str) -> tuple[float, bool]:
    """A whole number >= 0 (a wave number, a count of weeks)."""
    value = _number(raw)
    if value is not None and value.is_integer() and value >= 0:
        return value, False
    return np.nan, True


def rows_of(column: pd.Series, rows: np.ndarray) -> Column:
    """The values of ``column`` at ``rows`` (positions): a categorical's codes are taken
    (it stays one), any other column's values as an object array."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        taken = pd.Categorical.from_codes(column.cat.codes.to_numpy()[rows],
                                          dtype=column.dtype)
        return pd.Series(taken, copy=False)
    return column.to_numpy(dtype=object)[rows]


def empty_findings() -> pd.DataFrame:
    return findings_frame(
        kind=[], questionnaire=[], pseudonym=[], wave=[], response_id=[], sid=[], detail=[]
    )


@functools.cache
def _no_findings() -> pd.DataFrame:
    """One empty findings frame for every check that found nothing (only concatenated,
    never changed)."""
    return empty_findings()


def findings_frame(**columns: object) -> pd.DataFrame:
    frame = pd.DataFrame({name: columns[name] for name in DATA_QUALITY_COLUMNS})
    return frame.astype(
        {
            "kind": "str",
            "questionnaire": "str",
            "pseudonym": "str",
            "wave": "Int64",
            "response_id": "Int64",
            "sid": "Int64",
            "detail": "str",
        }
    )


@dataclass(frozen=True)
class _Ident:
    """What identifies each input row: pseudonym, wave, response id, sid."""

    pseudonym: np.ndarray  # object, NaN when missing
    wave: np.ndarray  # float, NaN when missing or invalid
    response_id: np.ndarray  # int64
    sid: np.ndarray  # float, NaN when absent

    def findings(self, at: np.ndarray, questionnaire: str, kind: str,
                 detail: np.ndarray | str) -> pd.DataFrame:
        n = len(at)
        if n == 0:
            return _no_findings()
        return findings_frame(
            kind=[kind] * n,
            questionnaire=[questionnaire] * n,
            pseudonym=self.pseudonym[at],
            wave=pd.array(self.wave[at], dtype="Float64"),
            response_id=self.response_id[at],
            sid=pd.array(self.sid[at], dtype="Float64"),
            detail=detail if isinstance(detail, np.ndarray) else [detail] * n,
        )


def _concat(values: str | np.ndarray, *more: str | np.ndarray) -> np.ndarray:
    """Element-wise string concatenation of strings and object arrays."""
    out = np.asarray(values, dtype=object)
    for value in more:
        out = out + np.asarray(value, dtype=object)
    return np.asarray(out, dtype=object)


def prepare(
    frame: pd.DataFrame, model: MeasurementModel, questionnaire: str
) -> Prepared:
    """Select, deduplicate and decode the responses of one questionnaire.

    The ``counted`` frame has the columns pseudonym, wave (int), response_id, sid,
    submitdate, caseworker_id, status, then one float column per answer column of
    :func:`answer_columns` (named by the export column), sorted by pseudonym and wave.
    Raises :class:`DataInvalid` only for frames that are not a LimeSurvey code-heading
    export of this template (missing columns, non-numeric response ids).
    """
    name = QUESTIONNAIRE_NAMES[questionnaire]
    required = required_columns(model, questionnaire)
    if len(frame) == 0:
        frame = frame.reindex(columns=[*frame.columns, *(c for c in required if c not in frame)])
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise DataInvalid(
            f"The {name} responses lack {len(missing)} column(s) that template "
            f"{model.template_version!r} needs.",
            [Problem(f"{name} responses", f"no column {c!r}") for c in missing],
            source=f"{name} responses",
            hint="Export the responses with question codes as headings (heading=code) "
            "and use the template (--template-dir) that the survey was made from.",
        )

    ids = pd.to_numeric(frame["id"], errors="coerce").to_numpy(dtype=float)
    bad_ids = np.isnan(ids) | (ids != np.round(ids))
    if bad_ids.any():
        raise DataInvalid(
            f"The {name} responses have {int(bad_ids.sum())} row(s) without a whole-number "
            "response id.",
            source=f"{name} responses",
            hint="Use LimeSurvey's own export, which numbers every response in `id`.",
        )
    sid = (
        pd.to_numeric(frame["sid"], errors="coerce").to_numpy(dtype=float)
        if "sid" in frame.columns
        else np.full(len(frame), np.nan)
    )
    pcode, pvalues = sorted_codes(frame[model.pseudonym_question])
    complete, scode = _submitted(frame["submitdate"].to_numpy(dtype=object))
    waves, bad_wave = _decode(frame[model.wave_question], whole_number)
    ident = _Ident(
        pseudonym=np.append(pvalues, np.nan).astype(object)[pcode],
        wave=waves,
        response_id=ids.astype(np.int64),
        sid=sid,
    )
    findings: list[pd.DataFrame] = []

    findings.append(ident.findings(
        np.flatnonzero(~complete), questionnaire, "incomplete_ignored",
        "not submitted (no submitdate); only complete responses count"))
    no_pseudo = complete & (pcode < 0)
    findings.append(ident.findings(
        np.flatnonzero(no_pseudo), questionnaire, "missing_pseudonym",
        f"{model.pseudonym_question} is empty; the response cannot be linked to a participant"))
    ok = complete & ~no_pseudo
    no_wave = ok & np.isnan(waves) & ~bad_wave
    findings.append(ident.findings(
        np.flatnonzero(no_wave), questionnaire, "missing_wave",
        f"{model.wave_question} is empty; the response cannot be placed in a wave"))
    invalid_wave = np.flatnonzero(ok & bad_wave)
    findings.append(ident.findings(
        invalid_wave, questionnaire, "invalid_wave",
        _concat(f"{model.wave_question} = '",
                text(rows_of(frame[model.wave_question], invalid_wave)),
                "' is not a whole number >= 0")))
    ok &= ~no_wave & ~bad_wave

    # duplicates: the later submitdate wins, ties the higher id (then the higher sid)
    pos = np.flatnonzero(ok)
    wave_int = np.where(np.isnan(waves), -1, waves).astype(np.int64)
    sid_key = np.where(np.isnan(sid), -1, sid)
    pos = pos[np.lexsort(_duplicate_order(pcode[pos], wave_int[pos], -scode[pos],
                                          -ident.response_id[pos], -sid_key[pos]))]
    first = np.ones(len(pos), dtype=bool)
    first[1:] = (pcode[pos][1:] != pcode[pos][:-1]) | (wave_int[pos][1:] != wave_int[pos][:-1])
    winner_of = pos[np.flatnonzero(first)[np.cumsum(first) - 1]] if len(pos) else pos
    losers = pos[~first]
    findings.append(ident.findings(
        losers, questionnaire, "duplicate_response",
        _concat("another complete response for this pseudonym and wave counts instead "
                "(response ", ident.response_id[winner_of[~first]].astype(str).astype(object),
                "; the later submitdate wins, ties the higher id)")))
    kept = pos[first]

    counted = pd.DataFrame({
        "pseudonym": ident.pseudonym[kept],
        "wave": wave_int[kept],
        "response_id": ident.response_id[kept],
        "sid": pd.array(sid[kept], dtype="Float64").astype("Int64"),
        "submitdate": frame["submitdate"].to_numpy(dtype=object)[kept],
        "submitted_s": scode[kept],
        "caseworker_id": text(rows_of(frame[model.caseworker_question], kept)),
    })
    raw_status = text(rows_of(frame[model.status_question], kept))
    bad_status = pd.notna(raw_status) & ~pd.Series(raw_status, dtype=object).isin(
        model.statuses).to_numpy()
    counted["status"] = np.where(bad_status, np.nan, raw_status).astype(object)
    findings.append(_invalid(ident, kept, questionnaire, model.status_question, raw_status,
                             bad_status, "one of " + ", ".join(model.statuses)))
    scale = scale_classifier(model)
    scale_text = f"{model.scale_min}–{model.scale_max} or {model.missing_code}"
    interventions = {model.intervention_column(c) for c in model.interventions}
    decoded: dict[str, np.ndarray] = {}
    for column in answer_columns(model, questionnaire):
        if column in interventions:
            classify, expected = set_classifier(INTERVENTION_ANSWERS), "one of " + ", ".join(
                map(str, INTERVENTION_ANSWERS))
        elif column == model.gap_question:
            classify, expected = whole_number, "a whole number of weeks >= 0"
        else:
            classify, expected = scale, scale_text
        raw = rows_of(frame[column], kept)
        decoded[column], invalid = _decode(raw, classify)
        if invalid.any():
            findings.append(_invalid(ident, kept, questionnaire, column, text(raw), invalid,
                                     expected))
    counted = pd.concat([counted, pd.DataFrame(decoded)], axis=1)
    found = [part for part in findings if len(part)] or [empty_findings()]
    return Prepared(counted=counted, findings=pd.concat(found, ignore_index=True))


def _duplicate_order(pcode: np.ndarray, wave: np.ndarray, *ties: np.ndarray
                     ) -> tuple[np.ndarray, ...]:
    """The keys for ``numpy.lexsort`` (last key first) that order rows by pseudonym code,
    wave, then ``ties`` in turn: pseudonym and wave as one key where their codes fit in
    one integer, and a tie key that is the same on every row left out (either changes
    nothing in the order; each key left out is one sorting pass less)."""
    keys = [tie for tie in ties if len(tie) and (tie != tie[0]).any()]
    span = int(wave.max()) + 1 if len(wave) else 1
    if len(pcode) and int(pcode.min()) >= 0 and int(wave.min()) >= 0 \
            and (int(pcode.max()) + 1) * span < 2**62:
        return (*reversed(keys), pcode.astype(np.int64) * span + wave)
    return (*reversed(keys), wave, pcode)


def _submitted(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(complete?, submission time in seconds) per row; unreadable dates sort first.

    LimeSurvey writes ``YYYY-MM-DD HH:MM:SS``; only the rows that do not parse as that
    are looked at one by one (an empty value is incomplete, anything else complete).
    """
    when = pd.to_datetime(pd.Series(raw, dtype=object), format="%Y-%m-%d %H:%M:%S",
                          errors="coerce").to_numpy(dtype="datetime64[s]")
    unread = np.isnat(when)
    complete = ~unread
    rows = np.flatnonzero(unread)
    complete[rows] = pd.notna(text(raw[rows]))
    return complete, np.where(unread, -(2**62), when.astype(np.int64))


def _invalid(ident: _Ident, kept: np.ndarray, questionnaire: str, column: str,
             raw: np.ndarray, mask: np.ndarray, expected: str) -> pd.DataFrame:
    return ident.findings(
        kept[mask], questionnaire, "out_of_range",
        _concat(f"{column} = '", raw[mask],
                f"' is not an answer code ({expected}); counted as missing"),
    )
