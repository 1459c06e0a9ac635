"""Read-side queries others build on: stored raw responses as export-shaped frames.

The frames look like a LimeSurvey JSON export with code headings (one row per response,
the stored JSON's keys as columns) plus ``sid``, so metrics read the same columns
whether they come from a live export, a file or the store.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import sqlalchemy as sa

from bip_bridge.store.schema import responses, surveys

PARTICIPANT_KIND = "participant"
CASEWORKER_KIND = "caseworker"


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    if not rows:
        return pd.DataFrame({"sid": pd.Series(dtype="int64"), "id": pd.Series(dtype="int64")})
    frame = pd.DataFrame.from_records(rows)
    return frame[["sid", *[c for c in frame.columns if c != "sid"]]]


def load_response_frames(engine: sa.Engine) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(participant, caseworker) frames of the stored responses, not deleted in the source.

    The kind of each survey comes from the ``surveys`` table; rows are ordered by
    survey and response id.
    """
    out: dict[str, list[dict[str, Any]]] = {PARTICIPANT_KIND: [], CASEWORKER_KIND: []}
    query = (
        sa.select(surveys.c.kind, responses.c.sid, responses.c.data)
        .join(surveys, surveys.c.sid == responses.c.sid)
        .where(responses.c.deleted_in_source.is_(False))
        .order_by(responses.c.sid, responses.c.response_id)
    )
    with engine.connect() as conn:
        for kind, sid, data in conn.execute(query):
            if isinstance(data, str):  # a driver that hands back JSON text
                data = json.loads(data)
            target = out.get(str(kind))
            if target is not None:
                target.append({"sid": int(sid), **data})
    return _frame(out[PARTICIPANT_KIND]), _frame(out[CASEWORKER_KIND])


def active_surveys(engine: sa.Engine) -> dict[str, int]:
    """kind -> sid of the active survey (the one new waves go to)."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(surveys.c.kind, surveys.c.sid)
                            .where(surveys.c.active.is_(True))
                            .order_by(surveys.c.provisioned_at, surveys.c.sid))
        return {str(kind): int(sid) for kind, sid in rows}


def all_surveys(engine: sa.Engine) -> list[dict[str, Any]]:
    """Every survey row (sid, kind, template_version, structure_hash, active, provisioned_at)."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(surveys).order_by(surveys.c.provisioned_at, surveys.c.sid))
        return [dict(r._mapping) for r in rows]


__all__ = ["active_surveys", "all_surveys", "load_response_frames"]
