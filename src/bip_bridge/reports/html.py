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
import numpy as np
import pandas as pd

from bip_bridge import __version__
from bip_bridge.cells import as_number as _num
from bip_bridge.cells import is_missing as _missing
from bip_bridge.metrics.suppression import small_count
from bip_bridge.model import MeasurementModel
from bip_bridge.reports import charts
from bip_bridge.reports.bundle import published_cohort, published_outcomes
from bip_bridge.reports.frames import MetricsFrames, frame
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

#: data-quality kinds that are non-response (shown with the response rates), not errors
NON_RESPONSE_KINDS: tuple[str, ...] = ("caseworker_without_participant", "incomplete_ignored")
UNKNOWN_PSEUDONYM = "caseworker_unknown_pseudonym"


@dataclass(frozen=True)
class Table:
    """Header labels and rows of already formatted cells (suppressed marked per row)."""

    headers: list[str]
    rows: list[list[str]]
    suppressed: list[bool]


BLANK = "–"


def _count(value: Any) -> str:
    """A count, id or wave as a whole number ("" when missing): never "2,00"."""
    number = _num(value)
    return "" if number is None else str(round(number))


def _group_rows(
    grouping: str, part: pd.DataFrame, adjusted: pd.DataFrame, model: MeasurementModel,
    t: Translator,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str | None]:
    """Table rows, chart rows and the reference label."""
    rows, chart_rows = [], []
    reference = None
    if not adjusted.empty:
        refs = adjusted.loc[adjusted["grouping"] == grouping, "reference"].dropna()
        reference = str(refs.iloc[0]) if len(refs) else None
    ref_means = {}
    if reference is not None:
        for rec in part[part["group"].astype(str) == reference].to_dict("records"):
            ref_means[str(rec["measure"])] = _num(rec.get("mean"))
    for rec in part.to_dict("records"):
        measure = str(rec.get("measure", ""))
        group = str(rec.get("group"))
        label = group_label(grouping, rec.get("group"), model, t)
        whole = _num(rec.get("n")) is None
        mean = _num(rec.get("mean"))
        low, high = _num(rec.get("ci_low")), _num(rec.get("ci_high"))

        def share(column: str, _rec: Any = rec) -> str:
            value = _num(_rec.get(column))
            return BLANK if value is None else t.percent(value)

        raw = ""
        ref_mean = ref_means.get(measure)
        if reference is not None and group == reference:
            raw = t("reference_group")
        elif mean is not None and ref_mean is not None and group != "missing":
            raw = t.number(mean - ref_mean, 2, signed=True)
        adj, adj_ci = "", ""
        if not adjusted.empty and group != "missing":
            hit = adjusted[(adjusted["measure"] == measure) & (adjusted["grouping"] == grouping)
                           & (adjusted["group"] == group)]
            if len(hit):
                a = hit.iloc[0]
                status = str(a["status"])
                if status == "ok":
                    adj = t.number(a["estimate"], 2, signed=True)
                    adj_ci = (f"{t.number(a['ci_low'], 2, signed=True)} … "
                              f"{t.number(a['ci_high'], 2, signed=True)}")
                elif status == "reference":
                    adj = t("reference_group")
                elif status == "too_few":
                    adj = t("too_few_model")
                else:
                    adj = t("model_failed")
        rows.append({
            "measure": t.measure(measure),
            "measure_short": {"d_p": "ΔP", "d_c": "ΔC"}.get(measure, t.measure(measure)),
            "group": label,
            "suppressed": whole,
            "partial": bool(rec.get("suppressed")) and not whole,
            "n": _count(rec.get("n")),
            "mean": BLANK if mean is None else t.number(mean, 2, signed=True),
            "ci": "" if low is None or high is None
            else f"{t.number(low, 2, signed=True)} … {t.number(high, 2, signed=True)}",
            "improved": share("share_improved"),
            "unchanged": share("share_unchanged"),
            "declined": share("share_declined"),
            "raw": raw,
            "adjusted": adj,
            "adjusted_ci": adj_ci,
        })
        if measure in ("d_p", "d_c"):
            chart_rows.append({"group_label": label, "measure": measure, "mean": mean,
                               "ci_low": low, "ci_high": high, "suppressed": whole})
    ref_label = group_label(grouping, reference, model, t) if reference is not None else None
    return rows, chart_rows, ref_label


def _cohort_sections(
    cohort: pd.DataFrame, adjusted: pd.DataFrame, model: MeasurementModel, t: Translator
) -> list[dict[str, Any]]:
    """One section per grouping of the *published* cohort table (blanks already applied)."""
    if cohort.empty or "grouping" not in cohort.columns:
        return []
    sections = []
    for grouping in dict.fromkeys(cohort["grouping"].astype(str)):
        part = cohort[cohort["grouping"].astype(str) == grouping]
        rows, chart_rows, ref_label = _group_rows(grouping, part, adjusted, model, t)
        sections.append({
            "key": grouping,
            "title": t.grouping(grouping),
            "finding": t.finding(grouping),
            "rows": rows,
            "compare": grouping != "all",
            "raw_header": t("raw_diff", ref=ref_label) if ref_label else t("raw_diff", ref="–"),
            "chart": charts.group_chart(chart_rows, t) if chart_rows else None,
        })
    return sections


def _count_cell(n: int | None, min_cell: int) -> str:
    if n is None:
        return ""
    return f"< {min_cell}" if 0 < n < min_cell else str(n)


def _outcome_table(outcomes: pd.DataFrame, model: MeasurementModel, t: Translator) -> Table:
    """The published outcome table with whole-number counts and percentages."""
    headers = [t("wave"), t("belief_start"), t("n"), t("n_in_work_or_studies"), t("share")]
    rows, flags = [], []
    for rec in outcomes.to_dict("records"):
        wave = t("all_waves") if _missing(rec.get("wave")) else _count(rec.get("wave"))
        share = _num(rec.get("share"))
        rows.append([
            wave,
            group_label("belief_start", rec.get("belief_start"), model, t),
            _count(rec.get("n")) or BLANK,
            _count(rec.get("n_in_work_or_studies")) or BLANK,
            BLANK if share is None else t.percent(share),
        ])
        flags.append(_num(rec.get("n")) is None)
    return Table(headers, rows, flags)


def split_findings(quality: pd.DataFrame, known: set[str] | None
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(non-response, data errors) of the data-quality frame, by kind.

    A caseworker response without a participant response is non-response (the participant
    has not answered, or not yet), unless ``known`` (the store's registered pseudonyms)
    shows its pseudonym belongs to nobody: then it is an error, kind
    ``caseworker_unknown_pseudonym``.
    """
    if quality.empty or "kind" not in quality.columns:
        return quality.iloc[0:0], quality.iloc[0:0]
    quality = quality.copy()
    kind = quality["kind"].astype(str)
    if known is not None and "pseudonym" in quality.columns:
        unknown = (kind == "caseworker_without_participant") & ~quality["pseudonym"].astype(
            str).isin(known)
        quality.loc[unknown, "kind"] = UNKNOWN_PSEUDONYM
        kind = quality["kind"].astype(str)
    non_response = kind.isin(NON_RESPONSE_KINDS)
    return quality[non_response], quality[~non_response]


def _nonresponse_rows(non_response: pd.DataFrame, t: Translator, min_cell: int
                      ) -> list[dict[str, str]]:
    rows = []
    for kind in NON_RESPONSE_KINDS:
        part = non_response[non_response["kind"].astype(str) == kind]
        if part.empty:
            continue
        wave0 = int((pd.to_numeric(part["wave"], errors="coerce") == 0).sum()) \
            if "wave" in part.columns else 0
        rows.append({"label": t(f"nr_{kind}"), "count": _count_cell(len(part), min_cell),
                     "wave0": _count_cell(wave0, min_cell) if wave0 else "0"})
    return rows


def _quality_rows(errors: pd.DataFrame, t: Translator) -> list[dict[str, str]]:
    if errors.empty:
        return []
    counts = errors["kind"].astype(str).value_counts()
    rows = []
    for kind, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        meaning = t(f"dqm_{kind}") if t.has(f"dqm_{kind}") else t("dqm_other")
        action = t(f"dqa_{kind}") if t.has(f"dqa_{kind}") else ""
        rows.append({"kind": _kind_label(str(kind), t), "count": str(int(count)),
                     "meaning": meaning, "action": action})
    return rows


def _wave_rows(waves: pd.DataFrame, t: Translator, min_cell: int, min_count: int
               ) -> list[dict[str, str]]:
    rows = []
    for rec in waves.to_dict("records"):
        row = {"wave": wave_label(int(rec["wave"]), t)}
        for key in ("p", "c"):
            invited = None if _missing(rec[f"invited_{key}"]) else int(rec[f"invited_{key}"])
            answered = None if _missing(rec[f"answered_{key}"]) else int(rec[f"answered_{key}"])
            rate = _num(rec[f"rate_{key}"])
            few = invited is not None and answered is not None and bool(
                small_count(np.array([answered]), np.array([invited]), min_count)[0])
            row[f"invited_{key}"] = _count_cell(invited, min_cell)
            row[f"answered_{key}"] = BLANK if few and answered and answered >= min_cell \
                else _count_cell(answered, min_cell)
            row[f"rate_{key}"] = "" if rate is None or few else t.percent(rate)
        rows.append(row)
    return rows


def report_context(
    result: MetricsFrames,
    model: MeasurementModel,
    *,
    language: str,
    min_cell: int,
    today: dt.date,
    invited: pd.DataFrame | None = None,
    min_count: int = 3,
    known_pseudonyms: set[str] | None = None,
) -> dict[str, Any]:
    """Everything the report template shows, formatted (a plain dict: easy to test).

    The cohort and outcome tables are the published ones (complementary suppression, as
    in the CSV files); the data-quality frame is shown as counts per kind only: its rows
    (pseudonyms, response ids) stay in data_quality.csv.
    """
    from bip_bridge.metrics.adjusted import adjusted_differences

    t = Translator(language)
    scores, indices = frame(result, "scores"), frame(result, "indices")
    periods = frame(result, "periods")
    cohort = published_cohort(frame(result, "cohort"), min_cell)
    outcomes = published_outcomes(frame(result, "outcomes"), min_cell)
    waves = wave_table(scores, indices, invited, min_cell=min_cell)
    by_wave = index_by_wave(indices, min_cell=min_cell)
    index_rows = []
    for rec in by_wave.to_dict("records"):
        index_rows.append({
            "wave": wave_label(int(rec["wave"]), t),
            "measure": t(str(rec["measure"])),
            "suppressed": bool(rec["suppressed"]),
            "n": "" if rec["suppressed"] else _count(rec["n"]),
            "mean": t.number(rec["mean"], 2),
            "ci": "" if _num(rec["ci_low"]) is None
            else f"{t.number(rec['ci_low'], 2)} … {t.number(rec['ci_high'], 2)}",
        })
    labels = {int(w): wave_label(int(w), t) for w in by_wave["wave"]} if not by_wave.empty else {}
    points = [
        {str(k): (None if _missing(v) else v) for k, v in rec.items()}
        for rec in by_wave.to_dict("records")
    ]
    adjusted = pd.DataFrame()
    if not periods.empty and not cohort.empty and "pseudonym" in periods.columns:
        adjusted = adjusted_differences(periods, indices, cohort, model, min_cell=min_cell)
    non_response, errors = split_findings(frame(result, "data_quality"), known_pseudonyms)
    n_participants = int(indices["pseudonym"].nunique()) if "pseudonym" in indices else 0
    totals = {}
    for measure in ("d_p", "d_c"):
        row = cohort[(cohort.get("grouping") == "all") & (cohort.get("measure") == measure)] \
            if not cohort.empty else cohort
        totals[measure] = (_count(row["n"].iloc[0]) or BLANK) if len(row) else "0"
    groups = _cohort_sections(cohort, adjusted, model, t)
    return {
        "lang": language,
        "t": t,
        "today": today.isoformat(),
        "version": __version__,
        "template_version": model.template_version,
        "min_cell": min_cell,
        "n_participants": _count_cell(n_participants, min_cell) if n_participants else "0",
        "n_periods_dp": totals["d_p"],
        "n_periods_dc": totals["d_c"],
        "small_cell_note": t("small_cell_note", min_cell=min_cell,
                             count_below=max(min_count - 1, 0)),
        "wave_rows": _wave_rows(waves, t, min_cell, min_count),
        "has_invited": invited is not None and not invited.empty,
        "nonresponse_rows": _nonresponse_rows(non_response, t, min_cell),
        "index_rows": index_rows,
        "index_chart": charts.index_chart(points, t, labels) if points else None,
        "groups": groups,
        "outcomes": _outcome_table(outcomes, model, t),
        "quality_rows": _quality_rows(errors, t),
        "method": [
            t("method_responses"),
            t("method_indices", p_min=model.p_min_answers, p_count=len(model.p_items),
              c_min=model.c_min_answers, c_count=len(model.c_items)),
            t("method_change"),
            t("method_ci"),
            t("method_adjusted"),
        ],
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
    min_count: int = 3,
    known_pseudonyms: set[str] | None = None,
) -> str:
    """The management report as one self-contained HTML document.

    ``invited`` (columns wave, kind, invited) adds invitation counts and response rates;
    ``today`` fixes the date printed in the report (tests pass a fixed one);
    ``known_pseudonyms`` (the store's participants) tells a caseworker response whose
    participant has not answered yet from one whose pseudonym belongs to nobody.
    """
    context = report_context(result, model, language=language, min_cell=min_cell,
                             today=today or dt.date.today(), invited=invited,
                             min_count=min_count, known_pseudonyms=known_pseudonyms)
    return environment().get_template("report.html.j2").render(**context)
