"""The HTML report and the progression cards: pure functions from frames to HTML text.

Jinja2 with autoescaping on, so every value from a survey, a template or a frame is
escaped. The report is one self-contained file: CSS inline, charts as ``data:`` PNG
(matplotlib), no external URL. The cards draw their small charts as inline SVG built
here from numbers only, which keeps a card light (hundreds are written per run) and sharp
when printed on A4.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import jinja2
import pandas as pd

from bip_bridge import __version__
from bip_bridge.cells import as_number as _num
from bip_bridge.cells import is_missing as _missing
from bip_bridge.model import MeasurementModel
from bip_bridge.reports import charts
from bip_bridge.reports.csvout import apply_small_cells
from bip_bridge.reports.frames import OUTCOME_STAT_COLUMNS, MetricsFrames, frame
from bip_bridge.reports.i18n import Translator
from bip_bridge.reports.summaries import index_by_wave, wave_table

_ENV: jinja2.Environment | None = None


def environment() -> jinja2.Environment:
    global _ENV
    if _ENV is None:
        _ENV = jinja2.Environment(
            loader=jinja2.PackageLoader("bip_bridge.reports", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
    return _ENV




def _truthy(value: Any) -> bool | None:
    if _missing(value):
        return None
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "y")
    return bool(value)


def wave_label(wave: int, t: Translator) -> str:
    return f"{wave} ({t('baseline')})" if wave == 0 else str(wave)


def group_label(grouping: str, value: Any, model: MeasurementModel, t: Translator) -> str:
    """The caseworker-readable name of a cohort group value."""
    if _missing(value):
        return "–"
    if str(value) in ("missing", "all"):
        return t(str(value))
    if grouping in ("continuous", "caseworker_changed"):
        flag = _truthy(value)
        return t("yes") if flag else t("no")
    if grouping == "combo" and t.has(f"combo_{value}"):
        return t(f"combo_{value}")
    if grouping == "belief_start":
        for cat in model.belief_categories:
            if cat.name == str(value):
                label = cat.labels.get(t.language, cat.name)
                return f"{label} ({cat.low}–{cat.high})"
    number = _num(value)
    if number is not None and number.is_integer():
        return str(int(number))
    return str(value)


# --- report -------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """Header labels and rows of already formatted cells (suppressed marked per row)."""

    headers: list[str]
    rows: list[list[str]]
    suppressed: list[bool]


def _column_label(column: str, t: Translator) -> str:
    if t.has(column):
        return t(column)
    measure = t.measure(column)
    return measure if measure != column else column


def _generic_table(df: pd.DataFrame, t: Translator) -> Table:
    suppressed = (
        [bool(_truthy(v)) for v in df["suppressed"]] if "suppressed" in df.columns
        else [False] * len(df)
    )
    rows = []
    for record in df.itertuples(index=False, name=None):
        cells = []
        for column, value in zip(df.columns, record, strict=True):
            if column == "suppressed":
                cells.append(t("suppressed") if _truthy(value) else "")
            elif isinstance(value, bool):
                cells.append(t("yes") if value else t("no"))
            elif str(column).startswith("share") and _num(value) is not None:
                cells.append(t.percent(value))
            elif _num(value) is not None and not isinstance(value, str):
                digits = 0 if float(value).is_integer() and column in ("n", "wave", "period",
                                                                        "count") else 2
                cells.append(t.number(value, digits))
            else:
                cells.append("" if _missing(value) else str(value))
        rows.append(cells)
    return Table([_column_label(str(c), t) for c in df.columns], rows, suppressed)


def _cohort_sections(
    cohort: pd.DataFrame, model: MeasurementModel, t: Translator, *, min_cell: int
) -> list[dict[str, Any]]:
    if cohort.empty or "grouping" not in cohort.columns:
        return []
    cohort = apply_small_cells(cohort, min_cell)
    sections = []
    for grouping in dict.fromkeys(cohort["grouping"].astype(str)):
        part = cohort[cohort["grouping"].astype(str) == grouping]
        rows, chart_rows = [], []
        for rec in part.to_dict("records"):
            label = group_label(grouping, rec.get("group"), model, t)
            suppressed = bool(rec.get("suppressed"))
            measure = str(rec.get("measure", ""))
            is_share = measure == "in_work_or_studies"
            mean = _num(rec.get("mean"))
            low, high = _num(rec.get("ci_low")), _num(rec.get("ci_high"))

            def fmt(x: float | None, share: bool = is_share) -> str:
                if x is None:
                    return ""
                return t.percent(x) if share else t.number(x, 2, signed=True)

            rows.append({
                "measure": t.measure(measure),
                "group": label,
                "suppressed": suppressed,
                "n": "" if suppressed or _num(rec.get("n")) is None else str(int(rec["n"])),
                "mean": "" if suppressed else fmt(mean),
                "ci": "" if suppressed or low is None or high is None
                else f"{fmt(low)} … {fmt(high)}",
                "improved": "" if suppressed else t.percent(_num(rec.get("share_improved"))),
                "unchanged": "" if suppressed else t.percent(_num(rec.get("share_unchanged"))),
                "declined": "" if suppressed else t.percent(_num(rec.get("share_declined"))),
            })
            if measure in ("d_p", "d_c"):
                chart_rows.append({"group_label": label, "measure": measure, "mean": mean,
                                   "ci_low": low, "ci_high": high, "suppressed": suppressed})
        sections.append({
            "key": grouping,
            "title": t.grouping(grouping),
            "finding": t.finding(grouping),
            "rows": rows,
            "chart": charts.group_chart(chart_rows, t) if chart_rows else None,
        })
    return sections


def _count_cell(n: int | None, min_cell: int) -> str:
    if n is None:
        return ""
    return f"< {min_cell}" if 0 < n < min_cell else str(n)


def _outcomes(
    outcomes: pd.DataFrame, model: MeasurementModel, t: Translator, min_cell: int
) -> pd.DataFrame:
    out = outcomes
    if "suppressed" in out.columns:
        out = apply_small_cells(out, min_cell, OUTCOME_STAT_COLUMNS)
    if "wave" in out.columns:
        out = out.assign(wave=[t("all_waves") if _missing(v) else str(int(v)) for v in out["wave"]])
    if "belief_start" in out.columns:
        out = out.assign(belief_start=[group_label("belief_start", v, model, t)
                                       for v in out["belief_start"]])
    return out


def report_context(
    result: MetricsFrames,
    model: MeasurementModel,
    *,
    language: str,
    min_cell: int,
    today: dt.date,
    invited: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Everything the report template shows, formatted (a plain dict: easy to test)."""
    t = Translator(language)
    scores, indices = frame(result, "scores"), frame(result, "indices")
    periods = frame(result, "periods")
    waves = wave_table(scores, indices, invited, min_cell=min_cell)
    wave_rows = []
    for rec in waves.to_dict("records"):
        wave_rows.append({
            "wave": wave_label(int(rec["wave"]), t),
            **{key: _count_cell(None if _missing(rec[key]) else int(rec[key]), min_cell)
               for key in ("invited_p", "answered_p", "invited_c", "answered_c")},
            "rate_p": t.percent(rec["rate_p"]) if _num(rec["rate_p"]) is not None else "",
            "rate_c": t.percent(rec["rate_c"]) if _num(rec["rate_c"]) is not None else "",
        })
    by_wave = index_by_wave(indices, min_cell=min_cell)
    index_rows = []
    for rec in by_wave.to_dict("records"):
        index_rows.append({
            "wave": wave_label(int(rec["wave"]), t),
            "measure": t(str(rec["measure"])),
            "suppressed": bool(rec["suppressed"]),
            "n": "" if rec["suppressed"] else str(int(rec["n"])),
            "mean": t.number(rec["mean"], 2),
            "ci": "" if _num(rec["ci_low"]) is None
            else f"{t.number(rec['ci_low'], 2)} … {t.number(rec['ci_high'], 2)}",
        })
    labels = {int(w): wave_label(int(w), t) for w in by_wave["wave"]} if not by_wave.empty else {}
    points = [
        {str(k): (None if _missing(v) else v) for k, v in rec.items()}
        for rec in by_wave.to_dict("records")
    ]
    quality = frame(result, "data_quality")
    kind_column = next((c for c in ("kind", "issue", "finding", "check") if c in quality.columns),
                       None)
    quality_counts: list[tuple[str, int]] = []
    if kind_column is not None and not quality.empty:
        counts = quality[kind_column].astype(str).value_counts()
        quality_counts = sorted(((_kind_label(str(k), t), int(v)) for k, v in counts.items()),
                                key=lambda kv: (-kv[1], kv[0]))
    n_participants = int(indices["pseudonym"].nunique()) if "pseudonym" in indices else 0
    n_periods = 0
    if not periods.empty:
        present = [c for c in ("d_p", "d_c") if c in periods.columns]
        n_periods = int(periods[present].notna().any(axis=1).sum()) if present else len(periods)
    return {
        "lang": language,
        "t": t,
        "today": today.isoformat(),
        "version": __version__,
        "template_version": model.template_version,
        "min_cell": min_cell,
        "n_participants": _count_cell(n_participants, min_cell) if n_participants else "0",
        "n_periods": _count_cell(n_periods, min_cell) if n_periods else "0",
        "wave_rows": wave_rows,
        "has_invited": invited is not None and not invited.empty,
        "index_rows": index_rows,
        "index_chart": charts.index_chart(points, t, labels) if points else None,
        "groups": _cohort_sections(frame(result, "cohort"), model, t, min_cell=min_cell),
        "outcomes": _generic_table(_outcomes(frame(result, "outcomes"), model, t, min_cell), t),
        "quality": _generic_table(quality, t),
        "quality_counts": quality_counts,
        "method": t("method_text", p_min=model.p_min_answers, p_count=len(model.p_items),
                    c_min=model.c_min_answers, c_count=len(model.c_items)),
    }


def _kind_label(kind: str, t: Translator) -> str:
    """A data-quality kind in the report's language, with its code for the CSV reader."""
    label = t(f"dq_{kind}")
    return kind if label == f"dq_{kind}" else f"{label} ({kind})"


def render_report_html(
    result: MetricsFrames,
    model: MeasurementModel,
    *,
    language: str,
    min_cell: int,
    today: dt.date | None = None,
    invited: pd.DataFrame | None = None,
) -> str:
    """The management and analyst report as one self-contained HTML document.

    ``invited`` (columns wave, kind, invited) adds invitation counts and response rates;
    ``today`` fixes the date printed in the report (tests pass a fixed one).
    """
    context = report_context(result, model, language=language, min_cell=min_cell,
                             today=today or dt.date.today(), invited=invited)
    return environment().get_template("report.html.j2").render(**context)


# --- progression card ---------------------------------------------------------------

SPARK_W, SPARK_H, SPARK_PAD = 120, 34, 4
CHART_W, CHART_H, CHART_PAD = 520, 170, 28


def _scale_y(score: float, height: int, pad: int, model: MeasurementModel) -> float:
    span = model.scale_max - model.scale_min or 1
    return round(pad + (model.scale_max - score) / span * (height - 2 * pad), 1)


def _scale_x(i: int, count: int, width: int, pad: int) -> float:
    if count <= 1:
        return round(width / 2, 1)
    return round(pad + i / (count - 1) * (width - 2 * pad), 1)


def _segments(values: Sequence[float | None], width: int, height: int, pad: int,
              model: MeasurementModel) -> dict[str, list[Any]]:
    """Polylines (broken where a value is missing) and single dots of one series."""
    lines: list[str] = []
    dots: list[tuple[float, float]] = []
    current: list[tuple[float, float]] = []
    for i, value in enumerate(values):
        if value is None:
            if current:
                lines.append(" ".join(f"{x},{y}" for x, y in current))
                current = []
            continue
        point = (_scale_x(i, len(values), width, pad), _scale_y(value, height, pad, model))
        current.append(point)
        dots.append(point)
    if current:
        lines.append(" ".join(f"{x},{y}" for x, y in current))
    return {"lines": [line for line in lines if " " in line], "dots": dots}


def _series(rows: pd.DataFrame, respondent: str, code: str, waves: list[int]) -> list[float | None]:
    if rows.empty:
        return [None] * len(waves)
    part = rows[(rows["respondent"] == respondent) & (rows["indicator"] == code)]
    by_wave = {int(w): _num(s) for w, s in zip(part["wave"], part["score"], strict=True)}
    return [by_wave.get(w) for w in waves]


def card_context(
    pseudonym: str,
    scores: pd.DataFrame,
    indices: pd.DataFrame,
    model: MeasurementModel,
    *,
    language: str,
    today: dt.date,
    caseworker_id: str | None,
) -> dict[str, Any]:
    """What one card shows; ``scores``/``indices`` are already this participant's rows."""
    t = Translator(language)
    waves = sorted({int(w) for w in (*scores.get("wave", []), *indices.get("wave", []))})
    fmt = lambda v: "" if v is None else t.number(v, 0 if float(v).is_integer() else 1)  # noqa: E731
    rows = []
    for ind in model.indicators:
        p = _series(scores, "P", ind.code, waves) if "P" in ind.asked_of else [None] * len(waves)
        c = _series(scores, "C", ind.code, waves) if "C" in ind.asked_of else [None] * len(waves)
        rows.append({
            "label": ind.labels.get(language) or ind.code,
            "code": ind.code,
            "asked_p": "P" in ind.asked_of,
            "asked_c": "C" in ind.asked_of,
            "cells": [{"p": fmt(a), "c": fmt(b)} for a, b in zip(p, c, strict=True)],
            "spark_p": _segments(p, SPARK_W, SPARK_H, SPARK_PAD, model),
            "spark_c": _segments(c, SPARK_W, SPARK_H, SPARK_PAD, model),
        })
    by_wave = indices.set_index("wave") if not indices.empty else pd.DataFrame()

    def index_values(column: str) -> list[float | None]:
        if by_wave.empty or column not in by_wave.columns:
            return [None] * len(waves)
        return [_num(by_wave[column].get(w)) for w in waves]

    p_index, c_index = index_values("p_index"), index_values("c_index")
    categories = []
    for w in waves:
        value = by_wave["belief_category"].get(w) if "belief_category" in by_wave else None
        label = ""
        for cat in model.belief_categories:
            if not _missing(value) and cat.name == str(value):
                label = cat.labels.get(language, cat.name)
        categories.append(label)
    grid = [{"y": _scale_y(v, CHART_H, CHART_PAD, model), "label": str(v)}
            for v in range(model.scale_min, model.scale_max + 1, 3)]
    ticks = [{"x": _scale_x(i, len(waves), CHART_W, CHART_PAD), "label": str(w)}
             for i, w in enumerate(waves)]
    return {
        "lang": language,
        "t": t,
        "pseudonym": pseudonym,
        "caseworker": caseworker_id or t("unassigned"),
        "today": today.isoformat(),
        "waves": waves,
        "rows": rows,
        "index_rows": [
            {"wave": wave_label(w, t), "p": t.number(p, 1), "c": t.number(c, 1), "belief": b}
            for w, p, c, b in zip(waves, p_index, c_index, categories, strict=True)
        ],
        "chart": {
            "w": CHART_W, "h": CHART_H, "pad": CHART_PAD, "grid": grid, "ticks": ticks,
            "p": _segments(p_index, CHART_W, CHART_H, CHART_PAD, model),
            "c": _segments(c_index, CHART_W, CHART_H, CHART_PAD, model),
        },
        "spark": {"w": SPARK_W, "h": SPARK_H},
        "p_short": t("participant_short"),
        "c_short": t("caseworker_short"),
    }


def render_card_html(
    result: MetricsFrames,
    pseudonym: str,
    model: MeasurementModel,
    *,
    language: str,
    today: dt.date | None = None,
    caseworker_id: str | None = None,
) -> str:
    """One participant's progression card (printable on A4), by pseudonym only."""
    scores, indices = frame(result, "scores"), frame(result, "indices")
    mine_s = scores[scores["pseudonym"] == pseudonym] if "pseudonym" in scores else scores
    mine_i = indices[indices["pseudonym"] == pseudonym] if "pseudonym" in indices else indices
    return render_card(pseudonym, mine_s, mine_i, model, language=language,
                       today=today or dt.date.today(), caseworker_id=caseworker_id)


def render_card(
    pseudonym: str,
    scores: pd.DataFrame,
    indices: pd.DataFrame,
    model: MeasurementModel,
    *,
    language: str,
    today: dt.date,
    caseworker_id: str | None,
) -> str:
    context = card_context(pseudonym, scores, indices, model, language=language, today=today,
                           caseworker_id=caseworker_id)
    return environment().get_template("card.html.j2").render(**context)


def iter_participants(result: MetricsFrames) -> Iterable[tuple[str, pd.DataFrame, pd.DataFrame]]:
    """(pseudonym, scores rows, indices rows) for every participant, grouped once."""
    scores, indices = frame(result, "scores"), frame(result, "indices")
    names = sorted({*scores.get("pseudonym", []), *indices.get("pseudonym", [])})
    empty_s, empty_i = scores.iloc[0:0], indices.iloc[0:0]
    by_s = dict(tuple(scores.groupby("pseudonym"))) if "pseudonym" in scores else {}
    by_i = dict(tuple(indices.groupby("pseudonym"))) if "pseudonym" in indices else {}
    for name in names:
        yield str(name), by_s.get(name, empty_s), by_i.get(name, empty_i)
