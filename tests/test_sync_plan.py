"""The pure decisions of sync, with explicit before/after fixtures."""

from __future__ import annotations

import pytest

from bip_bridge.store.sync_state import Stored
from bip_bridge.sync import Codes, digest, merge_ranges, plan_page, summary_total, to_record

CODES = Codes("PSEUDO", "WAVE")


def row(rid: int, *, submit: str | None = "2026-11-20 10:15:00", jobtro: str = "7") -> dict:
    return {"id": rid, "submitdate": submit, "PSEUDO": f"p{rid}", "WAVE": "1",
            "BIPD[JOBTRO]": jobtro}


def stored(r: dict, *, deleted: bool = False) -> Stored:
    return Stored(digest(r)[1], r["submitdate"] is not None, deleted)


def test_record_keeps_the_raw_row_and_indexes_pseudonym_and_wave() -> None:
    r = row(3, submit=None)
    rec = to_record(845216, r, CODES)
    expected = {"sid": 845216, "response_id": 3, "pseudonym": "p3", "wave": 1,
                "submitted_at": None, "complete": False, "data": r,
                "data_hash": digest(r)[1]}
    assert rec == expected
    assert rec["data"].text == '{"id":3,"submitdate":null,"PSEUDO":"p3","WAVE":"1",' \
                               '"BIPD[JOBTRO]":"7"}'


def test_new_page_inserts_everything_and_moves_cursor_to_the_last_id() -> None:
    write, counts = plan_page(1, [row(1), row(2), row(5)], {}, codes=CODES, id_range=(1, 10))
    assert [r["response_id"] for r in write.inserts] == [1, 2, 5]
    assert (write.updates, write.deletions, write.cursor) == ([], [], 5)
    assert (counts.new, counts.updated, counts.unchanged) == (3, 0, 0)


def test_changed_completed_unchanged_and_gone() -> None:
    before = {1: stored(row(1)), 2: stored(row(2, submit=None)), 3: stored(row(3)),
              4: stored(row(4)), 6: stored(row(6), deleted=True)}
    after = [row(1), row(2), row(3, jobtro="9")]  # 2 completed, 3 edited, 4 gone, 6 stays gone
    write, counts = plan_page(1, after, before, codes=CODES, id_range=(1, 6))
    assert [r["response_id"] for r in write.updates] == [2, 3]
    assert write.inserts == []
    assert write.deletions == [4]
    assert write.cursor == 3
    expected = {"new": 0, "updated": 2, "completed": 1, "unchanged": 1, "deleted": 1,
                "differences": [2, 3]}
    assert vars(counts) == expected


def test_ids_mode_ignores_rows_outside_and_deletes_only_asked_ids() -> None:
    before = {2: stored(row(2, submit=None)), 4: stored(row(4, submit=None))}
    write, counts = plan_page(1, [row(2), row(3)], before, codes=CODES, ids=[2, 4])
    assert [r["response_id"] for r in write.updates] == [2]
    assert write.deletions == [4]
    assert (counts.completed, counts.deleted) == (1, 1)


def test_a_deleted_row_that_comes_back_is_an_update() -> None:
    before = {7: stored(row(7), deleted=True)}
    write, counts = plan_page(1, [row(7)], before, codes=CODES, id_range=(7, 7))
    assert [r["response_id"] for r in write.updates] == [7]
    assert counts.updated == 1


def test_plan_needs_exactly_one_coverage() -> None:
    with pytest.raises(ValueError):
        plan_page(1, [], {}, codes=CODES)


@pytest.mark.parametrize(("ids", "span", "expected"), [
    ([], 10, []),
    ([5], 10, [(5, 5)]),
    ([1, 3, 9, 10, 11, 40], 10, [(1, 10), (11, 11), (40, 40)]),
    ([7, 3, 3], 2, [(3, 3), (7, 7)]),
])
def test_merge_ranges(ids: list[int], span: int, expected: list[tuple[int, int]]) -> None:
    assert merge_ranges(ids, span) == expected


@pytest.mark.parametrize(("summary", "expected"), [
    ({"full_responses": 5, "completed_responses": 3}, 5),
    ({"full_responses": "12"}, 12),
    ([], None),  # inactive survey without a participants table
    ({"completed_responses": 3}, None),
])
def test_summary_total(summary: object, expected: int | None) -> None:
    assert summary_total(summary) == expected


@pytest.mark.parametrize(("value", "expected"), [("2", 2), ("2.0", 2), ("", None),
                                                  (None, None), ("x", None), ("1.5", None)])
def test_wave_column_parsing(value: object, expected: int | None) -> None:
    r = {"id": 1, "submitdate": None, "WAVE": value}
    assert to_record(1, r, CODES)["wave"] == expected
