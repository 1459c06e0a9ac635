"""The analyst bundle: the metrics frames as CSV files with fixed names, plus a data
dictionary, written atomically.

Files: ``scores.csv``, ``indices.csv``, ``periods.csv``, ``cohort.csv``, ``outcomes.csv``,
``data_quality.csv`` and ``data_dictionary.csv`` (see docs/reports.md for the columns).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from bip_bridge.errors import DataInvalid, Problem
from bip_bridge.metrics.suppression import blank_small_n, protect_cohort, protect_outcomes
from bip_bridge.model import MeasurementModel
from bip_bridge.reports.atomic import staged_folder
from bip_bridge.reports.csvout import dialect_for, write_csv
from bip_bridge.reports.dictionary import dictionary_frame
from bip_bridge.reports.frames import (
    BUNDLE_FILES,
    BUNDLE_FRAMES,
    COHORT_STAT_COLUMNS,
    DICTIONARY_NAME,
    OUTCOME_STAT_COLUMNS,
    MetricsFrames,
    frame,
)

#: Languages whose spreadsheet users get the Excel dialect by default (Swedish and Danish
#: Excel use the decimal comma and read ';'-separated files with a BOM correctly).
EXCEL_LANGUAGES = frozenset({"sv", "da"})


def excel_for(language: str, excel: bool | None = None) -> bool:
    """The CSV dialect: ``excel`` when given (``--excel`` / ``--plain``), else by language."""
    return excel if excel is not None else language in EXCEL_LANGUAGES


# Columns that would carry identifying data; the metrics never produce them, and a
# bundle that has one is refused rather than published.
IDENTIFYING_COLUMNS = frozenset({
    "name", "firstname", "lastname", "first_name", "last_name", "email", "e_mail",
    "token", "external_id", "personnummer", "ssn", "participant_info",
})


def bundle_frames(
    result: MetricsFrames, model: MeasurementModel | None = None, *, min_cell: int | None = None
) -> dict[str, pd.DataFrame]:
    """The frames exactly as they are published (dictionary last).

    The cohort and outcome tables get complementary suppression (no blank value can be
    recomputed from the published cells of its grouping and the ``all`` row) on top of
    the small-cell rule the metrics applied.
    """
    frames = {name: frame(result, name) for name in BUNDLE_FRAMES}
    frames["cohort"] = published_cohort(frames["cohort"], min_cell)
    frames["outcomes"] = published_outcomes(frames["outcomes"], min_cell)
    problems = [
        Problem(f"{name}.csv", f"column {column!r} would identify a person", "pseudonyms only")
        for name, df in frames.items()
        for column in df.columns
        if str(column).lower() in IDENTIFYING_COLUMNS
    ]
    if problems:
        raise DataInvalid("The metrics hold identifying columns; no bundle was written.",
                          problems, hint="This is a bug in bip-bridge: please report it.")
    frames[DICTIONARY_NAME] = dictionary_frame(frames, model)
    return frames


def published_cohort(cohort: pd.DataFrame, min_cell: int | None = None) -> pd.DataFrame:
    """The cohort table as the CSV and the report publish it: cells with n below
    ``min_cell`` blanked again (a second line of defence), then complementary suppression."""
    if cohort.empty or not {"measure", "grouping", "n", "suppressed"} <= set(cohort.columns):
        return cohort
    return protect_cohort(blank_small_n(cohort, min_cell, COHORT_STAT_COLUMNS))


def published_outcomes(outcomes: pd.DataFrame, min_cell: int | None = None) -> pd.DataFrame:
    """The outcome table as the CSV and the report publish it."""
    if outcomes.empty or not {"wave", "belief_start", "n", "suppressed"} <= set(outcomes.columns):
        return outcomes
    return protect_outcomes(blank_small_n(outcomes, min_cell, OUTCOME_STAT_COLUMNS))


def write_bundle_files(
    result: MetricsFrames,
    folder: Path,
    *,
    model: MeasurementModel | None = None,
    excel: bool = False,
    min_cell: int | None = None,
) -> list[Path]:
    """Write the bundle's files into an existing folder (not atomic on its own)."""
    dialect = dialect_for(excel)
    paths = []
    for name, df in bundle_frames(result, model, min_cell=min_cell).items():
        path = folder / f"{name}.csv"
        write_csv(df, path, dialect)
        paths.append(path)
    return paths


def write_analyst_bundle(
    result: MetricsFrames,
    out_dir: Path,
    *,
    model: MeasurementModel,
    excel: bool = False,
    min_cell: int | None = None,
) -> list[Path]:
    """Write the analyst bundle into ``out_dir`` atomically and return the file paths.

    ``out_dir`` must be new, empty, or an earlier bundle (which is replaced as a whole).
    ``excel=True`` writes the Excel variant (semicolon, decimal comma, BOM) that Swedish
    and Danish Excel open by double-click; callers choose it with :func:`excel_for`.
    ``min_cell``, when given, re-applies the small-cell rule to cohort.csv.
    """
    out_dir = Path(out_dir)
    with staged_folder(out_dir, lambda name: name in BUNDLE_FILES) as staging:
        written = write_bundle_files(result, staging, model=model, excel=excel,
                                     min_cell=min_cell)
    return [out_dir / p.name for p in written]
