"""``bip-bridge report``: store -> metrics -> a dated folder of reports, written at once.

The folder ``<out_dir>/<YYYY-MM-DD>/`` holds the analyst bundle (CSVs and the data
dictionary), ``report.html`` and the progression cards with one index page per
caseworker (``cards/<caseworker_id>/``, see :mod:`bip_bridge.reports.cards`). It is built
in a hidden staging folder and renamed into place, so a crash never leaves half a
report; a second run on the same day replaces that day's folder as a whole.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa

from bip_bridge.config import Settings
from bip_bridge.model import MeasurementModel
from bip_bridge.reports.atomic import staged_folder
from bip_bridge.reports.bundle import excel_for, write_bundle_files
from bip_bridge.reports.cards import CARDS_DIR, UNASSIGNED, CardPeople, safe_name, write_cards
from bip_bridge.reports.frames import BUNDLE_FILES, MetricsFrames, frame
from bip_bridge.store import schema

log = logging.getLogger(__name__)

REPORT_NAME = "report.html"
__all__ = ["CARDS_DIR", "UNASSIGNED", "ReportInputs", "safe_name", "write_report_folder",
           "write_reports"]


def _is_report_entry(name: str) -> bool:
    return name in BUNDLE_FILES or name in (REPORT_NAME, CARDS_DIR)


@dataclass(frozen=True)
class ReportInputs:
    """What the store (and LimeSurvey) add to the metrics: languages, caseworkers,
    enrolment and end dates, invitation counts, and the first names for the cards (read
    from LimeSurvey at render time, never stored)."""

    languages: Mapping[str, str] = field(default_factory=dict)  # pseudonym -> sv/da/en
    caseworkers: Mapping[str, str] = field(default_factory=dict)  # pseudonym -> latest id
    invited: pd.DataFrame | None = None  # wave, kind, invited
    first_names: Mapping[str, str] = field(default_factory=dict, repr=False)
    enrolled_on: Mapping[str, dt.date] = field(default_factory=dict)
    ended_on: Mapping[str, dt.date] = field(default_factory=dict)
    interval_months: int = 3

    def card_people(self) -> CardPeople:
        return CardPeople(languages=self.languages, caseworkers=self.caseworkers,
                          first_names=self.first_names, enrolled_on=self.enrolled_on,
                          ended_on=self.ended_on, interval_months=self.interval_months)


def latest_caseworkers(indices: pd.DataFrame) -> dict[str, str]:
    """Pseudonym -> caseworker id of the latest wave that names one (from the responses)."""
    if indices.empty or "caseworker_id" not in indices.columns:
        return {}
    rows = indices[indices["caseworker_id"].notna() & (indices["caseworker_id"] != "")]
    rows = rows.sort_values(["pseudonym", "wave"])
    return {str(p): str(c) for p, c in rows.groupby("pseudonym")["caseworker_id"].last().items()}


def load_report_inputs(engine: sa.Engine, *, today: dt.date, interval_months: int = 3,
                       first_names: Mapping[str, str] | None = None) -> ReportInputs:
    """Languages, enrolment and end dates, latest caseworker assignments and tokens issued
    per wave, from the store; ``first_names`` (from LimeSurvey) are passed through."""
    pt = schema.participants
    with engine.connect() as conn:
        people = conn.execute(sa.select(pt.c.pseudonym, pt.c.language, pt.c.enrolled_on,
                                        pt.c.ended_on)).all()
        ca = schema.caseworker_assignments
        assignments = conn.execute(
            sa.select(ca.c.pseudonym, ca.c.from_wave, ca.c.caseworker_id)
            .order_by(ca.c.pseudonym, ca.c.from_wave)
        ).all()
        tk = schema.tokens
        issued = conn.execute(
            sa.select(tk.c.wave, tk.c.kind, sa.func.count().label("invited"))
            .where(tk.c.tid.is_not(None), tk.c.due_on <= today)
            .group_by(tk.c.wave, tk.c.kind)
            .order_by(tk.c.wave, tk.c.kind)
        ).all()
    caseworkers: dict[str, str] = {}
    for pseudonym, _wave, caseworker in assignments:
        caseworkers[str(pseudonym)] = str(caseworker)
    invited = pd.DataFrame([tuple(r) for r in issued], columns=["wave", "kind", "invited"])
    return ReportInputs(
        languages={str(r.pseudonym): str(r.language) for r in people},
        caseworkers=caseworkers,
        invited=invited if not invited.empty else None,
        first_names=dict(first_names or {}),
        enrolled_on={str(r.pseudonym): r.enrolled_on for r in people if r.enrolled_on},
        ended_on={str(r.pseudonym): r.ended_on for r in people if r.ended_on},
        interval_months=interval_months,
    )


def write_report_folder(
    result: MetricsFrames,
    folder: Path,
    model: MeasurementModel,
    *,
    language: str,
    min_cell: int,
    today: dt.date,
    excel: bool | None = None,
    inputs: ReportInputs | None = None,
    min_count: int = 3,
) -> Path:
    """Write bundle, report, cards and the caseworkers' index pages into ``folder``
    atomically (no store needed).

    ``excel`` None writes the CSV dialect of ``language`` (:func:`excel_for`).
    """
    inputs = inputs or ReportInputs()
    fallback_cw = latest_caseworkers(frame(result, "indices"))
    with staged_folder(folder, _is_report_entry) as staging:
        write_bundle_files(result, staging, model=model, excel=excel_for(language, excel),
                           min_cell=min_cell)
        from bip_bridge.reports.html import render_report_html  # matplotlib: only here

        html = render_report_html(result, model, language=language, min_cell=min_cell,
                                  today=today, invited=inputs.invited, min_count=min_count,
                                  known_pseudonyms=set(inputs.languages) or None)
        (staging / REPORT_NAME).write_text(html, encoding="utf-8")
        write_cards(result, staging, model, language=language, today=today,
                    people=inputs.card_people(), fallback_caseworkers=fallback_cw)
    return folder


def compute_from_store(engine: sa.Engine, model: MeasurementModel, *, min_cell: int,
                       min_count: int = 3) -> Any:
    """The metrics of every counted response in the store."""
    from bip_bridge.metrics import compute_metrics
    from bip_bridge.store.queries import load_response_frames

    participant_df, caseworker_df = load_response_frames(engine)
    return compute_metrics(participant_df, caseworker_df, model, min_cell=min_cell,
                           min_count=min_count)


def write_reports(
    engine: sa.Engine,
    settings: Settings,
    templates: Any,
    *,
    today: dt.date | None = None,
    out_dir: Path | None = None,
    excel: bool | None = None,
    result: MetricsFrames | None = None,
    first_names: Mapping[str, str] | None = None,
) -> Path:
    """Compute the metrics from the store and write ``<out_dir>/<YYYY-MM-DD>/``.

    ``out_dir`` defaults to ``[reports] out_dir``; ``excel`` to ``[reports] excel``, and
    when that is not set either, to the dialect of ``[reports] language``;
    ``result`` skips the computation when the caller already has the metrics.
    ``first_names`` (pseudonym -> first name, from
    :func:`bip_bridge.reports.names.read_first_names`) is shown on the cards and index
    pages and nowhere else; without it they show the pseudonym's first 8 characters.
    Returns the dated folder.
    """
    today = today or dt.date.today()
    model: MeasurementModel = templates.model
    min_cell = settings.privacy.min_cell
    if result is None:
        result = compute_from_store(engine, model, min_cell=min_cell,
                                    min_count=settings.privacy.min_count)
    folder = Path(out_dir or settings.reports.out_dir) / today.isoformat()
    inputs = load_report_inputs(engine, today=today,
                                interval_months=settings.waves.interval_months,
                                first_names=first_names)
    write_report_folder(
        result, folder, model,
        language=settings.reports.language, min_cell=min_cell, today=today,
        excel=settings.reports.excel if excel is None else excel, inputs=inputs,
        min_count=settings.privacy.min_count,
    )
    log.info("reports written to %s", folder)
    return folder
