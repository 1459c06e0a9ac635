"""Builders of LimeSurvey export rows (code headings) for the metrics tests."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from bip_bridge.model import MeasurementModel


def p_row(model: MeasurementModel, rid: int, pseudo: str | None, wave: str | None,
          answers: dict[str, str | None], *, submit: str | None = "2025-01-10 10:00:00",
          cw: str | None = "CW1", status: str | None = None) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": rid, "submitdate": submit, "token": f"tok{rid}",
        model.pseudonym_question: pseudo, model.wave_question: wave,
        model.caseworker_question: cw, model.status_question: status,
    }
    for code in model.p_items:
        row[model.p_column(code)] = answers.get(code)
    return row


def c_row(model: MeasurementModel, rid: int, pseudo: str | None, wave: str | None,
          answers: dict[str, str | None], *, interventions: dict[str, str | None] | None = None,
          gap: str | None = None, submit: str | None = "2025-01-10 10:00:00",
          cw: str | None = "CW1", status: str | None = None) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": rid, "submitdate": submit, "token": f"tok{rid}",
        model.pseudonym_question: pseudo, model.wave_question: wave,
        model.caseworker_question: cw, model.status_question: status,
    }
    for code in (*model.c_items, model.belief_code):
        row[model.c_column(code)] = answers.get(code)
    for code in model.interventions:
        row[model.intervention_column(code)] = (interventions or {}).get(code)
    row[model.gap_question] = gap
    return row


def frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows).astype(object).where(lambda f: f.notna(), None)


def typed(data: dict[str, list[Any]], dtypes: dict[str, str]) -> pd.DataFrame:
    """An expected frame with the metrics' documented dtypes."""
    out = pd.DataFrame(data)
    for column, dtype in dtypes.items():
        if dtype == "float64":
            out[column] = pd.array([np.nan if v is None else v for v in data[column]],
                                   dtype="float64")
        else:
            out[column] = pd.array(data[column], dtype=dtype)
    return out


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Categorical columns as plain strings (the scores frame keeps them categorical)."""
    return frame.astype({c: "str" for c in frame.columns
                         if isinstance(frame[c].dtype, pd.CategoricalDtype)})


NAN = np.nan
