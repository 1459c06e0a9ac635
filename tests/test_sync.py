"""run_sync against the in-memory LimeSurvey, on SQLite and on PostgreSQL.

Run it twice, crash it anywhere, delete and complete responses in the source: the store
must end up exactly as after one uninterrupted run.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from bip_bridge.errors import LimeSurveyUnavailable
from bip_bridge.store import open_store
from bip_bridge.store.queries import load_response_frames
from bip_bridge.store.schema import responses, surveys, sync_cursors, sync_runs
from bip_bridge.sync import run_sync
from test_sync_fake import (
    FailingAPI,
    FakeLimeSurvey,
    InjectedStoreFailure,
    StoreWriteFailure,
    add_survey_rows,
    store_snapshot,
)

P, C = 111111, 222222  # participant and caseworker survey ids


@pytest.fixture
def engine(store_url: str) -> Iterator[sa.Engine]:
    eng = open_store(store_url)
    yield eng
    eng.dispose()


def setup(engine: sa.Engine) -> FakeLimeSurvey:
    fake = FakeLimeSurvey()
    fake.add_survey(P)
    fake.add_survey(C)
    add_survey_rows(engine, [(P, "participant"), (C, "caseworker")])
    return fake


def wipe(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        for table in (responses, sync_cursors, sync_runs, surveys):
            conn.execute(table.delete())


def per_survey(summary: Any) -> dict[int, dict[str, int]]:
    keys = ("new", "updated", "completed", "still_incomplete", "deleted")
    return {s.sid: {k: getattr(s, k) for k in keys} for s in summary.surveys}


def test_first_sync_pulls_every_page_and_records_the_run(engine: sa.Engine) -> None:
    fake = setup(engine)
    fake.add_many(P, 23)
    fake.add(P, complete=False)
    fake.add_many(C, 2)
    summary = run_sync(fake, engine, page_size=10)
    assert per_survey(summary) == {
        P: {"new": 24, "updated": 0, "completed": 0, "still_incomplete": 1, "deleted": 0},
        C: {"new": 2, "updated": 0, "completed": 0, "still_incomplete": 0, "deleted": 0},
    }
    assert [s.pages for s in summary.surveys] == [3, 1]
    assert [s.cursor for s in summary.surveys] == [24, 2]
    with engine.connect() as conn:
        run = conn.execute(sa.select(sync_runs)).one()
        stored = conn.execute(sa.select(responses.c.pseudonym, responses.c.wave)
                              .where(responses.c.sid == P, responses.c.response_id == 1)).one()
    assert run.status == "ok"
    assert run.summary["totals"]["new"] == 26
    assert tuple(stored) == ("p00000", 0)


def test_zero_responses_is_an_empty_survey_not_a_failure(engine: sa.Engine) -> None:
    fake = setup(engine)
    summary = run_sync(fake, engine)
    assert summary.status == "ok"
    assert summary.totals()["new"] == 0


@pytest.mark.parametrize("n", [30, 300])
def test_second_run_adds_nothing_with_bounded_calls(engine: sa.Engine, n: int) -> None:
    fake = setup(engine)
    fake.add_many(P, n)
    fake.add_many(P, n // 10, complete=False)
    fake.add_many(C, n)
    run_sync(fake, engine, page_size=20)
    before = store_snapshot(engine)
    calls_before = fake.count()
    second = run_sync(fake, engine, page_size=20)
    assert store_snapshot(engine) == before
    assert second.totals()["new"] == second.totals()["updated"] == 0
    # incomplete re-check, one empty page, get_summary: independent of n
    assert [s.api_calls for s in second.surveys] == [3, 2]
    assert fake.count() - calls_before == 5


def test_completed_later_keeps_its_id_and_is_updated(engine: sa.Engine) -> None:
    fake = setup(engine)
    fake.add_many(P, 5)
    late = fake.add(P, complete=False)
    never = fake.add(P, complete=False)
    run_sync(fake, engine, page_size=4)
    fake.complete(P, late)
    fake.add(P)
    summary = run_sync(fake, engine, page_size=4)
    assert per_survey(summary)[P] == {"new": 1, "updated": 1, "completed": 1,
                                      "still_incomplete": 1, "deleted": 0}
    with engine.connect() as conn:
        rows = dict(conn.execute(sa.select(responses.c.response_id, responses.c.complete)
                                 .where(responses.c.sid == P)).all())
    assert rows == {1: True, 2: True, 3: True, 4: True, 5: True, late: True, never: False, 8: True}


def test_deleted_in_source_is_marked_and_reported_not_dropped(engine: sa.Engine) -> None:
    fake = setup(engine)
    fake.add_many(P, 6)
    gone_incomplete = fake.add(P, complete=False)
    run_sync(fake, engine, page_size=4)
    fake.delete(P, 2)
    fake.delete(P, gone_incomplete)
    summary = run_sync(fake, engine, page_size=4)
    assert per_survey(summary)[P]["deleted"] == 2
    with engine.connect() as conn:
        marked = conn.execute(sa.select(responses.c.response_id)
                              .where(responses.c.deleted_in_source.is_(True))
                              .order_by(responses.c.response_id)).scalars().all()
    assert marked == [2, gone_incomplete]
    participant, _ = load_response_frames(engine)
    assert sorted(participant["id"]) == [1, 3, 4, 5, 6]
    third = run_sync(fake, engine, page_size=4)
    assert third.totals()["deleted"] == 0  # reported once


def test_a_gap_wider_than_a_page_is_crossed(engine: sa.Engine) -> None:
    fake = setup(engine)
    fake.add_many(P, 3)
    run_sync(fake, engine, page_size=5)
    ids = fake.add_many(P, 12)
    for rid in ids[:9]:  # ids 4..12 deleted before anyone pulled them
        fake.delete(P, rid)
    summary = run_sync(fake, engine, page_size=5)
    assert per_survey(summary)[P]["new"] == 3
    assert summary.surveys[0].cursor == 15


def test_full_refresh_reports_differences_and_never_moves_the_cursor_back(
    engine: sa.Engine,
) -> None:
    fake = setup(engine)
    fake.add_many(P, 8)
    run_sync(fake, engine, page_size=3)
    fake.edit(P, 2, "1")  # edited after completion: only a full refresh sees it
    fake.delete(P, 8)  # the last one: nothing after it to notice
    fake.delete(P, 5)
    incremental = run_sync(fake, engine, page_size=3)
    assert per_survey(incremental)[P]["updated"] == 0
    assert per_survey(incremental)[P]["deleted"] == 2  # counts disagreed: id listing
    fake.delete(P, 7)
    # one arrives between the last page and get_summary: the counts agree, hiding the deletion
    fake.before_summary = lambda sid: fake.add(P) if sid == P else None
    assert per_survey(run_sync(fake, engine, page_size=3))[P]["deleted"] == 0
    fake.before_summary = None
    summary = run_sync(fake, engine, page_size=3, full_refresh=True)
    s = summary.surveys[0]
    assert (s.new, s.updated, s.differences, s.unchanged, s.deleted, s.cursor) == (
        1, 1, [2], 4, 1, 9)
    with engine.connect() as conn:
        marked = conn.execute(sa.select(responses.c.response_id)
                              .where(responses.c.deleted_in_source.is_(True))
                              .order_by(responses.c.response_id)).scalars().all()
    assert marked == [5, 7, 8]
    assert "changed since last pulled: response ids 2" in "\n".join(summary.lines())


def test_every_run_id_in_responses_names_a_recorded_run(engine: sa.Engine) -> None:
    """The run ids are not foreign keys (migration 0004): sync alone keeps them right."""
    fake = setup(engine)
    fake.add_many(P, 6)
    late = fake.add(P, complete=False)
    run_sync(fake, engine, page_size=4)
    fake.complete(P, late)
    fake.delete(P, 2)
    fake.add_many(C, 3)
    run_sync(fake, engine, page_size=4)
    fake.edit(P, 3, "1")
    run_sync(fake, engine, page_size=4, full_refresh=True)
    with engine.connect() as conn:
        runs = set(conn.execute(sa.select(sync_runs.c.id)).scalars())
        rows = conn.execute(sa.select(responses.c.response_id, responses.c.first_run_id,
                                      responses.c.last_run_id, responses.c.deleted_in_source,
                                      responses.c.deleted_run_id)).all()
    assert runs == {1, 2, 3} and len(rows) == 10
    for _rid, first, last, deleted, deleted_run in rows:
        assert first in runs and last in runs and first <= last
        assert (deleted_run in runs) if deleted else deleted_run is None


def test_the_garbage_collector_runs_again_after_a_pull_that_fails(engine: sa.Engine) -> None:
    """sync pauses the cyclic collector while pages stream; a failure must not leave it off."""
    import gc

    fake = setup(engine)
    fake.add_many(P, 12)
    assert gc.isenabled()
    with pytest.raises(LimeSurveyUnavailable):
        run_sync(FailingAPI(fake, fail_at=3), engine, page_size=4)
    assert gc.isenabled()
    run_sync(fake, engine, page_size=4)
    assert gc.isenabled()
    gc.disable()  # and a caller who had it off finds it off
    try:
        run_sync(fake, engine, page_size=4)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_stop_request_ends_after_a_committed_page(engine: sa.Engine) -> None:
    fake = setup(engine)
    fake.add_many(P, 10)
    summary = run_sync(fake, engine, page_size=4, should_stop=lambda: True)
    assert summary.status == "stopped"
    assert [(s.sid, s.new, s.cursor) for s in summary.surveys] == [(P, 4, 4)]
    rest = run_sync(fake, engine, page_size=4)
    assert rest.totals()["new"] == 6


# --- crash anywhere, run again ---------------------------------------------------------


def build_step(fake: FakeLimeSurvey, step: int) -> None:
    """The scripted source history: step 0 before the first sync, step 1 before the second."""
    if step == 0:
        fake.add_many(P, 7)
        fake.add(P, complete=False)
        fake.add(P, complete=False)
        fake.add_many(C, 3)
    else:
        fake.complete(P, 8)
        fake.delete(P, 3)
        fake.delete(P, 9)
        fake.add_many(P, 6)
        fake.add(C, complete=False)


def reference(engine: sa.Engine) -> dict[str, Any]:
    wipe(engine)
    fake = setup(engine)
    for step in (0, 1):
        build_step(fake, step)
        run_sync(fake, engine, page_size=4)
    return store_snapshot(engine)


@pytest.mark.parametrize("crash_step", [0, 1])
def test_api_failure_after_any_call_then_rerun_equals_uninterrupted(
    engine: sa.Engine, crash_step: int
) -> None:
    expected = reference(engine)
    fail_at = 1
    while True:
        wipe(engine)
        fake = setup(engine)
        for step in (0, 1):
            build_step(fake, step)
            if step == crash_step:
                flaky = FailingAPI(fake, fail_at)
                try:
                    run_sync(flaky, engine, page_size=4)
                except LimeSurveyUnavailable:
                    pass
                else:
                    break  # fail_at is past the last call: every call has been tried
            run_sync(fake, engine, page_size=4)
        else:
            assert store_snapshot(engine) == expected, f"failure after call {fail_at}"
            with engine.connect() as conn:
                statuses = conn.execute(sa.select(sync_runs.c.status)).scalars().all()
            assert "failed" in statuses
            fail_at += 1
            continue
        break
    assert fail_at > 5  # the scripted run makes several calls


@pytest.mark.parametrize("crash_step", [0, 1])
def test_store_failure_at_any_write_then_rerun_equals_uninterrupted(
    engine: sa.Engine, crash_step: int
) -> None:
    expected = reference(engine)
    fail_at = 1
    while True:
        wipe(engine)
        fake = setup(engine)
        injector: StoreWriteFailure | None = None
        failed = False
        for step in (0, 1):
            build_step(fake, step)
            if step == crash_step:
                injector = StoreWriteFailure(engine, fail_at)
                try:
                    run_sync(fake, engine, page_size=4)
                except InjectedStoreFailure:
                    failed = True
                finally:
                    injector.remove()
            run_sync(fake, engine, page_size=4)
        if not failed:
            break
        assert store_snapshot(engine) == expected, f"failure at store write {fail_at}"
        fail_at += 1
    assert fail_at > 10
