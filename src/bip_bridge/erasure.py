"""Erasure: ``participants forget`` (docs/privacy.md).

Everything about one person goes, in LimeSurvey and in the store; each step looks up
what is still there, so a re-run completes a half-done erasure.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa

from bip_bridge.api import LimeSurveyAPI
from bip_bridge.config import Settings
from bip_bridge.errors import LimeSurveyRejected
from bip_bridge.store import schema
from bip_bridge.tokens import attribute_names, iter_tokens, now_on

log = logging.getLogger(__name__)


# --- forget -------------------------------------------------------------------------


@dataclass
class ErasureReport:
    tokens_removed: int = 0
    responses_removed: int = 0
    store_rows_removed: int = 0

    @property
    def anything(self) -> bool:
        return bool(self.tokens_removed or self.responses_removed or self.store_rows_removed)


def _survey_ids(conn: sa.Connection, settings: Settings) -> list[int]:
    sids = {int(r.sid) for r in conn.execute(sa.select(schema.surveys.c.sid))}
    sids |= {int(r.sid) for r in conn.execute(sa.select(schema.tokens.c.sid).distinct())}
    sids |= {int(r.sid) for r in conn.execute(sa.select(schema.responses.c.sid).distinct())}
    for sid in (settings.surveys.participant_sid, settings.surveys.caseworker_sid):
        if sid:
            sids.add(sid)
    return sorted(sids)


def forget_participant(api: LimeSurveyAPI, engine: sa.Engine, settings: Settings,
                       pseudonym: str, *, templates: Any = None,
                       today: date | None = None) -> ErasureReport:
    """Erase everything about one person, in LimeSurvey and in the store.

    Order: responses in LimeSurvey, then tokens in LimeSurvey, then every store row in
    one transaction together with the ``erasure_log`` entry (counts and time only).
    Each step looks up what is still there, so a re-run completes a half-done erasure.
    """
    report = ErasureReport()
    t, r = schema.tokens, schema.responses
    with engine.connect() as conn:
        sids = _survey_ids(conn, settings)
        stored_tokens = [(int(x.sid), x.token, x.tid) for x in conn.execute(
            sa.select(t.c.sid, t.c.token, t.c.tid).where(t.c.pseudonym == pseudonym))]
        stored_responses = [(int(x.sid), int(x.response_id)) for x in conn.execute(
            sa.select(r.c.sid, r.c.response_id).where(r.c.pseudonym == pseudonym))]

    tids_by_sid: dict[int, set[int]] = {}
    for sid in sids:
        attr = attribute_names(templates, "participant")["pseudonym"]
        found: dict[int, str] = {}
        try:
            for row in iter_tokens(api, sid, attributes=(attr,), conditions={attr: pseudonym},
                                   page_size=settings.sync.page_size):
                found[int(row["tid"])] = str(row["token"])
        except LimeSurveyRejected as exc:  # a survey without a participants table, or deleted
            log.info("survey %s: no participants table (%s)", sid, exc)
        tokens = set(found.values()) | {tok for s, tok, _ in stored_tokens if s == sid}
        response_ids: set[int] = {rid for s, rid in stored_responses if s == sid}
        for token in sorted(tokens):
            with contextlib.suppress(LimeSurveyRejected):  # no responses table (inactive)
                response_ids |= set(api.get_response_ids(sid, token))
        for rid in sorted(response_ids):
            try:
                api.delete_response(sid, rid)
                report.responses_removed += 1
            except LimeSurveyRejected:  # already gone ("Response Id not found")
                continue
        if found:
            api.delete_participants(sid, sorted(found))
            report.tokens_removed += len(found)
        tids_by_sid[sid] = set(found) | {int(tid) for s, _, tid in stored_tokens
                                         if s == sid and tid is not None}

    p, a, ps = schema.participants, schema.caseworker_assignments, schema.pushback_state
    with engine.begin() as conn:
        removed = 0
        for sid, tids in tids_by_sid.items():
            if tids:
                removed += conn.execute(sa.delete(ps).where(
                    ps.c.sid == sid, ps.c.tid.in_(sorted(tids)))).rowcount or 0
        removed += conn.execute(sa.delete(r).where(r.c.pseudonym == pseudonym)).rowcount or 0
        removed += conn.execute(sa.delete(t).where(t.c.pseudonym == pseudonym)).rowcount or 0
        removed += conn.execute(sa.delete(a).where(a.c.pseudonym == pseudonym)).rowcount or 0
        d = schema.deliveries  # digest items and letters sent to or about the person
        removed += conn.execute(sa.delete(d).where(d.c.pseudonym == pseudonym)).rowcount or 0
        removed += conn.execute(sa.delete(p).where(p.c.pseudonym == pseudonym)).rowcount or 0
        report.store_rows_removed = removed
        if report.anything:
            conn.execute(sa.insert(schema.erasure_log).values(
                erased_at=now_on(today) if today else datetime.now(UTC),
                tokens_removed=report.tokens_removed,
                responses_removed=report.responses_removed,
                store_rows_removed=report.store_rows_removed))
    return report
