"""One participant's progression card: a pure function from the metrics rows to HTML.

The card is the page a caseworker talks through with the participant, printed on one A4
page in the participant's language: the indicators as a profile (the participant's and
the caseworker's answer at the start and now), both indices over time with a legend, a
strip of the periods between the measurements (interventions, weeks without any, a new
caseworker) and the caseworker's belief. The charts are inline SVG built here from
numbers (light, sharp in print). The name shown is the participant's first name when the
caller passes it (read from LimeSurvey at render time, never stored), else the first
characters of the pseudonym.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from bip_bridge import __version__
from bip_bridge.cells import as_number as _num
from bip_bridge.cells import is_missing as _missing
from bip_bridge.model import MeasurementModel
from bip_bridge.pseudonyms import SHORT_PSEUDONYM, display_name
from bip_bridge.reports.frames import MetricsFrames, frame
from bip_bridge.reports.i18n import Translator

# profile rows (one small SVG per indicator)
PROFILE_W, PROFILE_H, PROFILE_PAD = 250, 24, 9
# the indices over time
CHART_W, CHART_H, CHART_PAD_L, CHART_PAD_R, CHART_PAD_Y = 660, 150, 34, 24, 10
COMPACT_PERIODS = 6  # above this many periods the strip shows symbols, not words
SYMBOLS = {"full": "●", "part": "◐", "none": "·", "unknown": "?"}


def _scale_x(score: float, model: MeasurementModel, width: int, pad: int) -> float:
    span = (model.scale_max - model.scale_min) or 1
    return round(pad + (score - model.scale_min) / span * (width - 2 * pad), 1)


def _x_or_none(score: float | None, model: MeasurementModel) -> float | None:
    return None if score is None else _scale_x(score, model, PROFILE_W, PROFILE_PAD)


def _score_table(scores: pd.DataFrame, respondent: str) -> dict[int, dict[str, float]]:
    """wave -> indicator -> score of one respondent (answered items only)."""
    out: dict[int, dict[str, float]] = {}
    if scores.empty:
        return out
    part = scores[scores["respondent"] == respondent]
    for wave, code, score in zip(part["wave"], part["indicator"], part["score"], strict=True):
        value = _num(score)
        if value is not None:
            out.setdefault(int(wave), {})[str(code)] = value
    return out


def _fmt(value: float | None, t: Translator) -> str:
    if value is None:
        return "–"
    return t.number(value, 0 if float(value).is_integer() else 1)


def _profile(scores: pd.DataFrame, model: MeasurementModel, t: Translator) -> dict[str, Any]:
    """Per indicator: the participant's and the caseworker's answer at start and now."""
    tables = {r: _score_table(scores, r) for r in ("P", "C")}
    ends: dict[str, tuple[int | None, int | None]] = {}
    for respondent, table in tables.items():
        waves = sorted(table)
        ends[respondent] = (waves[0], waves[-1]) if waves else (None, None)
    ticks = [{"x": _scale_x(v, model, PROFILE_W, PROFILE_PAD), "label": str(v)}
             for v in range(model.scale_min, model.scale_max + 1)]
    rows = []
    for ind in model.indicators:
        row: dict[str, Any] = {"label": ind.labels.get(t.language) or ind.code, "code": ind.code}
        for respondent, key in (("P", "p"), ("C", "c")):
            first, last = ends[respondent]
            asked = respondent in ind.asked_of
            table = tables[respondent]
            start = table.get(first, {}).get(ind.code) if asked and first is not None else None
            now = table.get(last, {}).get(ind.code) \
                if asked and last is not None and last != first else None
            row[key] = {
                "asked": asked,
                "start": _fmt(start, t) if asked else "",
                "now": _fmt(now, t) if asked and last != first else "",
                "x_start": _x_or_none(start, model),
                "x_now": _x_or_none(now, model),
            }
        rows.append(row)
    return {
        "rows": rows, "ticks": ticks, "w": PROFILE_W, "h": PROFILE_H,
        "p_start_wave": ends["P"][0], "p_now_wave": ends["P"][1],
        "c_start_wave": ends["C"][0], "c_now_wave": ends["C"][1],
        "same_wave": ends["P"][0] == ends["P"][1] and ends["C"][0] == ends["C"][1],
    }


def _segments(xs: Sequence[float], values: Sequence[float | None], y: Any
              ) -> dict[str, list[Any]]:
    """Polylines (broken where a value is missing) and the dots of one series."""
    lines: list[str] = []
    dots: list[tuple[float, float]] = []
    current: list[tuple[float, float]] = []
    for x, value in zip(xs, values, strict=True):
        if value is None:
            if len(current) > 1:
                lines.append(" ".join(f"{a},{b}" for a, b in current))
            current = []
            continue
        point = (x, y(value))
        current.append(point)
        dots.append(point)
    if len(current) > 1:
        lines.append(" ".join(f"{a},{b}" for a, b in current))
    return {"lines": lines, "dots": dots}


def wave_tick(wave: int, interval_months: int, t: Translator) -> str:
    """A measurement as the card names it: "Start", "3 mån", "6 mån", …"""
    return t("start_short") if wave == 0 else t("card_months", m=wave * interval_months)


def _chart(waves: list[int], p_index: list[float | None], c_index: list[float | None],
           model: MeasurementModel, t: Translator, interval_months: int) -> dict[str, Any]:
    span = (model.scale_max - model.scale_min) or 1
    top, bottom = CHART_PAD_Y, CHART_H - CHART_PAD_Y - 16

    def y(value: float) -> float:
        return round(top + (model.scale_max - value) / span * (bottom - top), 1)

    left, right = CHART_PAD_L, CHART_W - CHART_PAD_R
    if len(waves) <= 1:
        xs = [round((left + right) / 2, 1)] * len(waves)
    else:
        xs = [round(left + i / (len(waves) - 1) * (right - left), 1) for i in range(len(waves))]
    grid = [{"y": y(v), "label": str(v)} for v in range(model.scale_min, model.scale_max + 1)
            if v in (model.scale_min, model.scale_max) or (v - model.scale_min) % 3 == 0]
    many = len(waves) > COMPACT_PERIODS + 1
    ticks = [{"x": x, "label": str(w * interval_months) if many and w else
              wave_tick(w, interval_months, t)}
             for x, w in zip(xs, waves, strict=True)]
    return {
        "w": CHART_W, "h": CHART_H, "left": left, "right": right, "bottom": bottom,
        "grid": grid, "ticks": ticks,
        "p": _segments(xs, p_index, y), "c": _segments(xs, c_index, y),
    }


def _belief_text(value: float | None, model: MeasurementModel, t: Translator) -> str:
    if value is None:
        return t("card_no_answer")
    label = ""
    for cat in model.belief_categories:
        if cat.low <= value <= cat.high:
            label = cat.labels.get(t.language, cat.name)
    score = t("card_of_scale", value=_fmt(value, t), max=model.scale_max)
    return f"{label} ({score})" if label else score


def _strip(pseudonym_periods: pd.DataFrame, interventions: pd.DataFrame, waves: list[int],
           model: MeasurementModel, t: Translator, interval_months: int) -> dict[str, Any]:
    """The periods between the measurements: interventions, gap weeks, a new caseworker."""
    last = max(waves) if waves else 0
    periods = list(range(1, last + 1))
    compact = len(periods) > COMPACT_PERIODS
    by_period: dict[int, dict[str, Any]] = {}
    if not interventions.empty:
        for rec in interventions.to_dict("records"):
            by_period[int(rec["period"])] = {str(k): v for k, v in rec.items()}
    changed: dict[int, bool] = {}
    if not pseudonym_periods.empty and "caseworker_changed" in pseudonym_periods:
        for period, flag in zip(pseudonym_periods["period"],
                                pseudonym_periods["caseworker_changed"], strict=True):
            changed[int(period)] = (not _missing(flag)) and bool(flag)
    rows = []
    any_unknown = False
    for code in model.interventions:
        cells = []
        for k in periods:
            level = _num(by_period.get(k, {}).get(code))
            kind = "unknown" if level is None else "full" if level >= 2 else \
                "part" if level >= 1 else "none"
            any_unknown = any_unknown or kind == "unknown"
            cells.append({"kind": kind,
                          "text": SYMBOLS[kind] if compact else t(f"card_level_{kind}")})
        key = f"card_ins_{code}"
        rows.append({"label": t(key) if t.has(key) else code, "cells": cells})
    gaps = []
    for k in periods:
        weeks = _num(by_period.get(k, {}).get("gap_weeks"))
        gaps.append({"text": "" if weeks is None else str(int(weeks)),
                     "warn": weeks is not None and weeks > 0})
    changes = [{"text": t("card_new_caseworker_mark") if changed.get(k) else "",
                "warn": bool(changed.get(k))} for k in periods]
    return {
        "compact": compact,
        "periods": [{"label": str(k * interval_months) if compact else
                     t("card_period_label", a=(k - 1) * interval_months, b=k * interval_months)}
                    for k in periods],
        "rows": rows, "gaps": gaps, "changes": changes,
        "any_change": any(changed.get(k) for k in periods),
        "any_unknown": any_unknown,
    }


def card_context(
    pseudonym: str,
    scores: pd.DataFrame,
    indices: pd.DataFrame,
    model: MeasurementModel,
    *,
    language: str,
    today: dt.date,
    caseworker_id: str | None,
    first_name: str | None = None,
    periods: pd.DataFrame | None = None,
    interventions: pd.DataFrame | None = None,
    interval_months: int = 3,
) -> dict[str, Any]:
    """What one card shows; the frames are already this participant's rows. Waves are
    named by the months since the start (``interval_months`` apart)."""
    t = Translator(language)
    periods = periods if periods is not None else pd.DataFrame()
    interventions = interventions if interventions is not None else pd.DataFrame()
    waves = sorted({int(w) for w in (*scores.get("wave", []), *indices.get("wave", []))})
    by_wave = indices.set_index("wave") if not indices.empty else pd.DataFrame()

    def values(column: str) -> list[float | None]:
        if by_wave.empty or column not in by_wave.columns:
            return [None] * len(waves)
        return [_num(by_wave[column].get(w)) for w in waves]

    p_index, c_index = values("p_index"), values("c_index")
    beliefs = values("belief")
    known_beliefs = [(w, b) for w, b in zip(waves, beliefs, strict=True) if b is not None]
    belief_start = known_beliefs[0] if known_beliefs else None
    belief_now = known_beliefs[-1] if len(known_beliefs) > 1 else None
    name = display_name(pseudonym, first_name)
    return {
        "lang": language,
        "t": t,
        "name": name,
        "named": bool((first_name or "").strip()),
        "pseudonym_short": pseudonym[:SHORT_PSEUDONYM],
        "caseworker": caseworker_id or t("unassigned"),
        "today": today.isoformat(),
        "version": __version__,
        "latest_wave": waves[-1] if waves else None,
        "profile": _profile(scores, model, t),
        "chart": _chart(waves, p_index, c_index, model, t, interval_months),
        "strip": _strip(periods, interventions, waves, model, t, interval_months),
        "belief_start": None if belief_start is None else {
            "wave": belief_start[0], "text": _belief_text(belief_start[1], model, t)},
        "belief_now": None if belief_now is None else {
            "wave": belief_now[0], "text": _belief_text(belief_now[1], model, t)},
        "scale_min": model.scale_min,
        "scale_max": model.scale_max,
    }


def _rows_of(df: pd.DataFrame, pseudonym: str) -> pd.DataFrame:
    return df[df["pseudonym"] == pseudonym] if "pseudonym" in df.columns else df.iloc[0:0]


def render_card(
    pseudonym: str,
    scores: pd.DataFrame,
    indices: pd.DataFrame,
    model: MeasurementModel,
    *,
    language: str,
    today: dt.date,
    caseworker_id: str | None,
    first_name: str | None = None,
    periods: pd.DataFrame | None = None,
    interventions: pd.DataFrame | None = None,
    interval_months: int = 3,
) -> str:
    from bip_bridge.reports.html import environment

    context = card_context(pseudonym, scores, indices, model, language=language, today=today,
                           caseworker_id=caseworker_id, first_name=first_name,
                           periods=periods, interventions=interventions,
                           interval_months=interval_months)
    return environment().get_template("card.html.j2").render(**context)


def render_card_html(
    result: MetricsFrames,
    pseudonym: str,
    model: MeasurementModel,
    *,
    language: str,
    today: dt.date | None = None,
    caseworker_id: str | None = None,
    first_name: str | None = None,
    interval_months: int = 3,
) -> str:
    """One participant's progression card (one A4 page). ``first_name`` is shown when
    given (read from LimeSurvey by the caller; never stored), else the pseudonym's first
    characters."""
    return render_card(
        pseudonym, _rows_of(frame(result, "scores"), pseudonym),
        _rows_of(frame(result, "indices"), pseudonym), model, language=language,
        today=today or dt.date.today(), caseworker_id=caseworker_id, first_name=first_name,
        periods=_rows_of(frame(result, "periods"), pseudonym),
        interventions=_rows_of(frame(result, "period_interventions"), pseudonym),
        interval_months=interval_months,
    )


def iter_participants(result: MetricsFrames
                      ) -> Iterable[tuple[str, dict[str, pd.DataFrame]]]:
    """(pseudonym, {frame name: that participant's rows}) for every participant, grouped
    once (scores, indices, periods, period_interventions)."""
    names = ("scores", "indices", "periods", "period_interventions")
    frames = {n: frame(result, n) for n in names}
    groups = {n: dict(tuple(df.groupby("pseudonym", observed=True)))
              if "pseudonym" in df.columns else {} for n, df in frames.items()}
    people = sorted({str(p) for n in ("scores", "indices")
                     for p in frames[n].get("pseudonym", [])})
    for person in people:
        yield person, {n: groups[n].get(person, frames[n].iloc[0:0]) for n in names}
