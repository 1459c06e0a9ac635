"""A second, independent implementation of the measurement model, for cross-checking.

Written from ``bip-model.md`` (the spec) and the decisions recorded in
``docs/metrics.md``, not from ``bip_bridge.metrics``: plain loops over dict rows, one
rule per line, so that a reader can check each line against the spec. It is slow on
purpose (no vectorisation to get wrong); ``tests/test_metrics_reference.py`` compares it
with the production ``compute_metrics`` on synthetic cohorts and on messy generated input.

Every output is a list of dicts with plain Python values: ``None`` for missing, floats for
statistics, ints for counts and waves, bools for flags.
"""

from __future__ import annotations

import calendar
import math
import statistics
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from scipy.stats import t as student_t

from bip_bridge.model import MeasurementModel

Row = dict[str, Any]
COMBOS = ("none", "job_only", "job_plus", "other_only")
GROUPINGS = ("parallel", "combo", "continuous", "caseworker_changed", "belief_start")
MISSING_GROUP = "missing"


@dataclass
class Reference:
    scores: list[Row]
    indices: list[Row]
    periods: list[Row]
    cohort: list[Row]
    outcomes: list[Row]
    data_quality: list[Row]


# --- reading single values ------------------------------------------------------------


def _empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def _whole(value: Any) -> int | None:
    """The whole number a cell holds (``"2"``, ``"2.0"``, ``2``), else None."""
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    if math.isnan(number) or math.isinf(number) or number != int(number):
        return None
    return int(number)


def _text(value: Any) -> str | None:
    """A text cell without surrounding whitespace (decision, docs/metrics.md)."""
    return None if _empty(value) else str(value).strip()


def _when(value: Any) -> datetime | None:
    """LimeSurvey's ``YYYY-MM-DD HH:MM:SS``; None when set but unreadable.

    Decision (docs/metrics.md): a set but unreadable submitdate is still complete; it
    ranks before every readable one among duplicates and is never judged late.
    """
    try:
        return datetime.strptime(str(value), "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None


def add_months(day: date, months: int) -> date:
    """Calendar months later; a day past the month's end becomes its last day."""
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --- one questionnaire: which responses count, their decoded answers -------------------


@dataclass
class Response:
    rid: int
    sid: Any
    pseudonym: str
    wave: int
    submitted: datetime | None
    caseworker: str | None
    status: str | None
    items: dict[str, float | None]  # indicator code -> score or None
    interventions: dict[str, int | None]
    gap: int | None


def _finding(kind: str, questionnaire: str, pseudonym: str | None, wave: int | None,
             rid: Any, sid: Any) -> Row:
    return {"kind": kind, "questionnaire": questionnaire, "pseudonym": pseudonym,
            "wave": wave, "response_id": None if _empty(rid) else int(rid), "sid": sid}


def _counted(rows: list[Row], questionnaire: str, model: MeasurementModel,
             findings: list[Row]) -> dict[tuple[str, int], Response]:
    """The response that counts per (pseudonym, wave), its answers decoded."""
    candidates: dict[tuple[str, int], list[Row]] = {}
    for row in rows:
        pseudonym = _text(row.get(model.pseudonym_question))
        raw_wave = row.get(model.wave_question)
        wave = None if _empty(raw_wave) else _whole(raw_wave)
        if wave is not None and wave < 0:
            wave = None
        sid = row.get("sid")
        if _empty(row.get("submitdate")):
            findings.append(_finding("incomplete_ignored", questionnaire, pseudonym, wave,
                                     row.get("id"), sid))
            continue
        if pseudonym is None:
            findings.append(_finding("missing_pseudonym", questionnaire, None, wave,
                                     row.get("id"), sid))
            continue
        if _empty(raw_wave):
            findings.append(_finding("missing_wave", questionnaire, pseudonym, None,
                                     row.get("id"), sid))
            continue
        if wave is None:
            findings.append(_finding("invalid_wave", questionnaire, pseudonym, None,
                                     row.get("id"), sid))
            continue
        candidates.setdefault((pseudonym, wave), []).append(row)

    counted: dict[tuple[str, int], Response] = {}
    for (pseudonym, wave), group in candidates.items():
        # the later submitdate counts; ties: the higher id, then the higher sid
        def rank(row: Row) -> tuple[datetime, int, Any]:
            sid = row.get("sid")
            when = _when(row["submitdate"]) or datetime.min
            return (when, int(row["id"]), 0 if sid is None or _empty(sid) else int(sid))

        winner = max(group, key=rank)
        for other in group:
            if other is not winner:
                findings.append(_finding("duplicate_response", questionnaire, pseudonym, wave,
                                         other.get("id"), other.get("sid")))
        counted[(pseudonym, wave)] = _decode(winner, questionnaire, pseudonym, wave, model,
                                             findings)
    return counted


def _decode(row: Row, questionnaire: str, pseudonym: str, wave: int,
            model: MeasurementModel, findings: list[Row]) -> Response:
    def out_of_range() -> None:
        findings.append(_finding("out_of_range", questionnaire, pseudonym, wave,
                                 row.get("id"), row.get("sid")))

    def scale(column: str) -> float | None:
        value = row.get(column)
        if _empty(value):
            return None
        code = _whole(value)
        if code == model.missing_code:
            return None
        if code is None or not model.scale_min <= code <= model.scale_max:
            out_of_range()
            return None
        return float(code)

    if questionnaire == "P":
        items = {code: scale(model.p_column(code)) for code in model.p_items}
    else:
        items = {code: scale(model.c_column(code))
                 for code in (*model.c_items, model.belief_code)}

    interventions: dict[str, int | None] = {}
    gap: int | None = None
    if questionnaire == "C":
        for code in model.interventions:
            value = row.get(model.intervention_column(code))
            answer = None if _empty(value) else _whole(value)
            if not _empty(value) and answer not in (0, 1, 2):
                out_of_range()
                answer = None
            interventions[code] = answer
        value = row.get(model.gap_question)
        gap = None if _empty(value) else _whole(value)
        if not _empty(value) and (gap is None or gap < 0):
            out_of_range()
            gap = None

    status = _text(row.get(model.status_question))
    if status is not None and status not in model.statuses:
        out_of_range()
        status = None

    return Response(rid=int(row["id"]), sid=row.get("sid"), pseudonym=pseudonym, wave=wave,
                    submitted=_when(row["submitdate"]),
                    caseworker=_text(row.get(model.caseworker_question)), status=status,
                    items=items, interventions=interventions, gap=gap)


# --- the metrics ------------------------------------------------------------------------


def _minus(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def _index(response: Response | None, codes: tuple[str, ...],
           minimum: int) -> tuple[float | None, int | None]:
    """Mean of the answered items if at least ``minimum`` are answered; count answered."""
    if response is None:
        return None, None
    answered = [response.items[c] for c in codes if response.items[c] is not None]
    count = len(answered)
    if count < minimum or count == 0:
        return None, count
    return sum(answered) / count, count  # type: ignore[arg-type]


def reference_metrics(participant: list[Row], caseworker: list[Row], model: MeasurementModel,
                      *, min_cell: int = 5, min_count: int = 3,
                      wave_interval_months: int = 3) -> Reference:
    findings: list[Row] = []
    p_resp = _counted(participant, "P", model, findings)
    c_resp = _counted(caseworker, "C", model, findings)
    keys = sorted(set(p_resp) | set(c_resp))

    # scores ---------------------------------------------------------------------------
    scores: list[Row] = []
    for pseudonym, wave in keys:
        for respondent, responses, codes in (
            ("P", p_resp, model.p_items),
            ("C", c_resp, (*model.c_items, model.belief_code)),
        ):
            here = responses.get((pseudonym, wave))
            if here is None:
                continue
            before = responses.get((pseudonym, wave - 1))
            base = responses.get((pseudonym, 0))
            for code in codes:
                score = here.items[code]
                scores.append({
                    "pseudonym": pseudonym, "wave": wave, "respondent": respondent,
                    "indicator": code, "score": score,
                    "d_score": _minus(score, before.items[code]) if before else None,
                    "d_score_baseline": _minus(score, base.items[code]) if base else None,
                })

    # indices --------------------------------------------------------------------------
    index: dict[tuple[str, int], Row] = {}
    for pseudonym, wave in keys:
        p = p_resp.get((pseudonym, wave))
        c = c_resp.get((pseudonym, wave))
        p_index, p_count = _index(p, model.p_items, model.p_min_answers)
        c_index, c_count = _index(c, model.c_items, model.c_min_answers)
        belief = c.items[model.belief_code] if c else None
        status = c.status if c and c.status is not None else (p.status if p else None)
        cw = c.caseworker if c and c.caseworker is not None else (p.caseworker if p else None)
        index[(pseudonym, wave)] = {
            "pseudonym": pseudonym, "wave": wave, "p_index": p_index, "c_index": c_index,
            "belief": belief, "belief_category": model.belief_category(belief),
            "status": status, "caseworker_id": cw,
            "p_items_answered": p_count, "c_items_answered": c_count,
        }
    for (pseudonym, _wave), row in index.items():
        first = index.get((pseudonym, 0))
        row["p_change_baseline"] = _minus(row["p_index"], first["p_index"]) if first else None
        row["c_change_baseline"] = _minus(row["c_index"], first["c_index"]) if first else None

    # periods --------------------------------------------------------------------------
    periods: list[Row] = []
    for pseudonym, k in keys:
        if k < 1:
            continue
        now = index[(pseudonym, k)]
        prev = index.get((pseudonym, k - 1))
        c = c_resp.get((pseudonym, k))
        parallel: int | None = None
        combo: str | None = None
        if c is not None and all(v is not None for v in c.interventions.values()):
            active = [code for code, v in c.interventions.items() if v is not None and v >= 1]
            parallel = len(active)
            job = model.job_intervention in active
            others = any(code != model.job_intervention for code in active)
            combo = ("job_plus" if job and others else "job_only" if job
                     else "other_only" if others else "none")
        continuous = None if c is None or c.gap is None else c.gap == 0
        changed = None
        if prev is not None and prev["caseworker_id"] is not None \
                and now["caseworker_id"] is not None:
            changed = now["caseworker_id"] != prev["caseworker_id"]
        status = now["status"]
        periods.append({
            "pseudonym": pseudonym, "period": k,
            "d_p": _minus(now["p_index"], prev["p_index"]) if prev else None,
            "d_c": _minus(now["c_index"], prev["c_index"]) if prev else None,
            "parallel": parallel, "combo": combo, "continuous": continuous,
            "caseworker_changed": changed,
            "belief_start": prev["belief_category"] if prev else None,
            "in_work_or_studies": None if status is None
            else status in model.work_or_study_statuses,
        })

    # cohort ---------------------------------------------------------------------------
    def label(grouping: str, value: Any) -> str:
        if value is None:
            return MISSING_GROUP
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    orders = {
        "parallel": [str(i) for i in range(len(model.interventions) + 1)],
        "combo": list(COMBOS),
        "continuous": ["false", "true"],
        "caseworker_changed": ["false", "true"],
        "belief_start": [cat.name for cat in model.belief_categories],
    }
    cohort: list[Row] = []
    for measure in ("d_p", "d_c"):
        present = [p for p in periods if p[measure] is not None]
        cohort += _cell(measure, "all", "all", present, min_cell, min_count)
        for grouping in GROUPINGS:
            for group in (*orders[grouping], MISSING_GROUP):
                members = [p for p in present if label(grouping, p[grouping]) == group]
                cohort += _cell(measure, grouping, group, members, min_cell, min_count)

    # outcomes -------------------------------------------------------------------------
    categories = [cat.name for cat in model.belief_categories] + [MISSING_GROUP]
    known = [p for p in periods if p["in_work_or_studies"] is not None]
    outcomes: list[Row] = []
    for wave in [*sorted({p["period"] for p in known}), None]:
        for category in categories:
            members = [p for p in known
                       if (wave is None or p["period"] == wave)
                       and label("belief_start", p["belief_start"]) == category]
            if not members:
                continue
            n = len(members)
            working = sum(1 for p in members if p["in_work_or_studies"])
            small = len({p["pseudonym"] for p in members}) < min_cell
            few = not small and _small_count(working, n, min_count)
            outcomes.append({"wave": wave, "belief_start": category,
                             "n": None if small else n,
                             "n_in_work_or_studies": None if small or few else working,
                             "share": None if small or few else working / n,
                             "suppressed": small or few,
                             "suppression_reason": "cell" if small else "count" if few else ""})

    # data quality: pairs and lateness -------------------------------------------------
    for (pseudonym, wave), c in c_resp.items():
        if (pseudonym, wave) not in p_resp:
            findings.append(_finding("caseworker_without_participant", "C", pseudonym, wave,
                                     c.rid, c.sid))
    for questionnaire, responses in (("P", p_resp), ("C", c_resp)):
        for (pseudonym, wave), response in responses.items():
            base = responses.get((pseudonym, 0))
            if wave < 1 or base is None or base.submitted is None \
                    or response.submitted is None:
                continue
            next_due = add_months(base.submitted.date(), (wave + 1) * wave_interval_months)
            if response.submitted.date() >= next_due:
                findings.append(_finding("late_wave", questionnaire, pseudonym, wave,
                                         response.rid, response.sid))

    return Reference(scores=scores, indices=[index[k] for k in keys], periods=periods,
                     cohort=cohort, outcomes=outcomes, data_quality=findings)


def _small_count(count: int, n: int, min_count: int) -> bool:
    """The spec: a count, or n minus it, that is 1 or more but below ``min_count``."""
    return 1 <= count < min_count or 1 <= n - count < min_count


def _cell(measure: str, grouping: str, group: str, members: list[Row],
          min_cell: int, min_count: int) -> list[Row]:
    """One cohort row (none for an empty group), blanked by the spec's small-cell rule."""
    values = [p[measure] for p in members]
    n = len(values)
    if n == 0:
        return []
    if len({p["pseudonym"] for p in members}) < min_cell:
        return [{"measure": measure, "grouping": grouping, "group": group, "n": None,
                 "mean": None, "sd": None, "ci_low": None, "ci_high": None,
                 "share_improved": None, "share_unchanged": None, "share_declined": None,
                 "suppressed": True, "suppression_reason": "cell"}]
    mean = sum(values) / n
    sd = statistics.stdev(values) if n >= 2 else None
    low = high = None
    if sd is not None:
        half = float(student_t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
        low, high = mean - half, mean + half
    counts = {"share_improved": sum(1 for v in values if v > 0),
              "share_unchanged": sum(1 for v in values if v == 0),
              "share_declined": sum(1 for v in values if v < 0)}
    few = {k: _small_count(c, n, min_count) for k, c in counts.items()}
    return [{"measure": measure, "grouping": grouping, "group": group, "n": n, "mean": mean,
             "sd": sd, "ci_low": low, "ci_high": high,
             **{k: None if few[k] else c / n for k, c in counts.items()},
             "suppressed": any(few.values()),
             "suppression_reason": "count" if any(few.values()) else ""}]
