"""A small in-memory LimeSurvey for the sync tests, checked against the recordings.

It implements the few LimeSurveyAPI methods sync uses, with the recorded semantics:
ids auto-increment and are never reused, ``from``/``to`` are inclusive, a survey with
no responses exports as ``[]`` ("No Data, could not get max id."), ``fields`` limits
the columns, ``completion`` filters on ``submitdate``, ``get_summary`` counts rows.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from bip_bridge.errors import LimeSurveyUnavailable

META = ("id", "submitdate", "lastpage", "startlanguage", "seed", "token", "startdate",
        "datestamp")
ANSWERS = ("PSEUDO", "WAVE", "CWID", "BIPD[JOBTRO]", "BIPD[JOBSOK]", "STATUS")


class FakeLimeSurvey:
    def __init__(self, *, delay: float = 0.0) -> None:
        self.surveys: dict[int, dict[int, dict[str, Any]]] = {}
        self.next_id: dict[int, int] = {}
        self.calls: list[str] = []
        self.delay = delay  # seconds per export call (the kill -9 test needs a slow server)
        self.before_summary: Callable[[int], object] | None = None  # a change racing the sync

    # --- test controls ----------------------------------------------------------------
    def add_survey(self, sid: int) -> None:
        self.surveys[sid] = {}
        self.next_id[sid] = 1

    def add(self, sid: int, *, pseudo: str = "p", wave: int = 0, complete: bool = True,
            jobtro: str | None = "7") -> int:
        rid = self.next_id[sid]
        self.next_id[sid] += 1
        self.surveys[sid][rid] = {
            "id": rid, "submitdate": "2026-11-20 10:15:00" if complete else None,
            "lastpage": 1 if complete else 0, "startlanguage": "sv", "seed": None,
            "token": f"tok{rid}", "startdate": "2026-11-20 10:05:00",
            "datestamp": "2026-11-20 10:15:00", "PSEUDO": pseudo, "WAVE": str(wave),
            "CWID": "cw1", "BIPD[JOBTRO]": jobtro, "BIPD[JOBSOK]": None if not complete else "5",
            "STATUS": "SEEK",
        }
        return rid

    def add_many(self, sid: int, n: int, **kw: Any) -> list[int]:
        return [self.add(sid, pseudo=f"p{i:05d}", **kw) for i in range(n)]

    def complete(self, sid: int, rid: int) -> None:
        row = self.surveys[sid][rid]
        row.update({"submitdate": "2026-11-21 09:00:00", "lastpage": 1, "BIPD[JOBSOK]": "6"})

    def edit(self, sid: int, rid: int, jobtro: str) -> None:
        self.surveys[sid][rid]["BIPD[JOBTRO]"] = jobtro

    def delete(self, sid: int, rid: int) -> None:
        del self.surveys[sid][rid]

    def count(self, method: str | None = None) -> int:
        return len(self.calls) if method is None else self.calls.count(method)

    # --- LimeSurveyAPI (the part sync uses) -------------------------------------------
    def export_responses(self, sid: int, *, from_id: int | None = None,
                         to_id: int | None = None, completion: str = "all",
                         fields: Sequence[str] | None = None) -> list[dict[str, Any]]:
        self.calls.append("export_responses")
        if self.delay:
            time.sleep(self.delay)
        rows = self.surveys[sid]
        if not rows:
            return []  # "No Data, could not get max id."
        lo = from_id or 1
        hi = to_id if to_id is not None else max(rows)
        out = []
        for rid in sorted(rows):
            row = rows[rid]
            if not lo <= rid <= hi:
                continue
            if completion == "complete" and row["submitdate"] is None:
                continue
            if completion == "incomplete" and row["submitdate"] is not None:
                continue
            out.append({k: v for k, v in row.items() if fields is None or k in fields})
        return json.loads(json.dumps(out))  # a fresh copy, as over the wire

    def get_summary(self, sid: int) -> dict[str, Any]:
        self.calls.append("get_summary")
        if self.before_summary is not None:
            self.before_summary(sid)
        rows = self.surveys[sid].values()
        done = sum(1 for r in rows if r["submitdate"] is not None)
        return {"token_count": 0, "completed_responses": done,
                "incomplete_responses": len(rows) - done, "full_responses": len(rows)}

    def close(self) -> None:
        self.calls.append("close")


class FailingAPI:
    """Passes calls through; the ``fail_at``-th call runs and then raises (a lost answer)."""

    def __init__(self, api: Any, fail_at: int) -> None:
        self.api, self.fail_at, self.n = api, fail_at, 0

    def __getattr__(self, name: str) -> Callable[..., Any]:
        target = getattr(self.api, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            self.n += 1
            result = target(*args, **kwargs)
            if self.n == self.fail_at:
                raise LimeSurveyUnavailable(f"injected failure after call {self.n} ({name})",
                                            method=name)
            return result

        return call


class InjectedStoreFailure(RuntimeError):
    pass


class StoreWriteFailure:
    """Raises at the ``fail_at``-th write statement (INSERT/UPDATE/DELETE) or COMMIT."""

    WRITES = ("INSERT", "UPDATE", "DELETE")

    def __init__(self, engine: sa.Engine, fail_at: int) -> None:
        self.engine, self.fail_at, self.n, self.armed = engine, fail_at, 0, True
        sa.event.listen(engine, "before_cursor_execute", self._on_execute)
        sa.event.listen(engine, "commit", self._on_commit)

    def _hit(self, what: str) -> None:
        if not self.armed:
            return
        self.n += 1
        if self.n == self.fail_at:
            self.armed = False
            raise InjectedStoreFailure(f"injected store failure at write {self.n} ({what})")

    def _on_execute(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith(self.WRITES):
            self._hit(statement.split()[0])

    def _on_commit(self, conn: Any) -> None:
        self._hit("COMMIT")

    def remove(self) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._on_execute)
        sa.event.remove(self.engine, "commit", self._on_commit)


def add_survey_rows(engine: sa.Engine, surveys: Iterable[tuple[int, str]]) -> None:
    """Register surveys in the store as provision would."""
    from datetime import UTC, datetime

    from bip_bridge.store.schema import surveys as table

    with engine.begin() as conn:
        for i, (sid, kind) in enumerate(surveys):
            conn.execute(table.insert().values(
                sid=sid, kind=kind, template_version=f"v{i}", structure_hash="0" * 64,
                active=True, provisioned_at=datetime(2026, 11, 1, tzinfo=UTC)))


def store_snapshot(engine: sa.Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Normalised contents of the sync tables: no run ids or timestamps."""
    from bip_bridge.store.schema import responses, sync_cursors

    with engine.connect() as conn:
        rows = conn.execute(sa.select(
            responses.c.sid, responses.c.response_id, responses.c.pseudonym, responses.c.wave,
            responses.c.submitted_at, responses.c.complete, responses.c.data,
            responses.c.data_hash, responses.c.deleted_in_source,
        ).order_by(responses.c.sid, responses.c.response_id)).all()
        cursors = conn.execute(sa.select(sync_cursors.c.sid, sync_cursors.c.max_response_id)
                               .order_by(sync_cursors.c.sid)).all()
    return {"responses": [tuple(json.dumps(v, sort_keys=True) if isinstance(v, Mapping) else v
                                for v in r) for r in rows],
            "cursors": [tuple(r) for r in cursors]}


# --- the fake agrees with the recordings -------------------------------------------------


def test_fake_follows_recorded_export_semantics() -> None:
    from conftest import recording_step

    zero = recording_step("responses", "export_responses.json.zero_responses")
    assert "No Data, could not get max id." in zero["response_text"]
    fake = FakeLimeSurvey()
    fake.add_survey(1)
    assert fake.export_responses(1) == []  # the client turns that status into []
    for _ in range(4):
        fake.add(1)
    bounded = recording_step("responses", "export_responses.json.from2_to3")
    expected_ids = [r["id"] for r in json.loads(bounded["result_decoded"])["responses"]]
    assert expected_ids == [2, 3]
    assert [r["id"] for r in fake.export_responses(1, from_id=2, to_id=3)] == expected_ids
    summary = recording_step("responses", "get_summary.after_adds")
    recorded = json.loads(summary["response_text"])["result"]
    assert recorded["full_responses"] == (recorded["completed_responses"]
                                          + recorded["incomplete_responses"])
    assert set(fake.get_summary(1)) >= {"full_responses", "completed_responses"}
