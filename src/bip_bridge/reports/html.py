"""The HTML report: a pure function from frames to HTML text (the progression cards are
in :mod:`bip_bridge.reports.card_view`, sharing :func:`environment`).

Jinja2 with autoescaping on, so every value from a survey, a template or a frame is
escaped. The report is one self-contained file: CSS inline, charts as ``data:`` PNG
(matplotlib), no external URL.
"""

from __future__ import annotations

import datetime as dt
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
