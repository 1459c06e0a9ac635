"""Push-back: values, escaping, idempotence, and surveys without the attributes."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from bip_bridge.pushback import (
    format_change,
    format_index,
    format_score,
    live_attributes,
    push_back,
    token_values,
)
from bip_bridge.store import open_store, schema
from bip_bridge.templates import compile_lss, load_templates

NOW = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def templates() -> Any:
    return load_templates()


def _scores(rows: list[tuple[str, int, str, str, float | None]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["pseudonym", "wave", "respondent", "indicator", "score"])


def _indices(rows: list[tuple[str, int, float | None, float | None]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["pseudonym", "wave", "p_index", "c_index"])


class Result:
    def __init__(self, scores: pd.DataFrame, indices: pd.DataFrame) -> None:
        self.scores = scores
        self.indices = indices


def test_formats() -> None:
    assert [format_index(v) for v in (6.44, 6.45001, None, float("nan"), -0.01)] == \
        ["6.4", "6.5", "", "", "0.0"]
    assert [format_change(v) for v in (0.8, -0.3, 0.0, -0.04, None)] == \
        ["+0.8", "-0.3", "0.0", "0.0", ""]
    assert [format_score(v) for v in (7.0, 7, None, float("nan"))] == ["7", "7", "", ""]


def test_token_values_latest_change_and_previous_answers(templates: Any) -> None:
    scores = _scores([
        ("A", 0, "P", "JOBTRO", 4.0), ("A", 1, "P", "JOBTRO", 6.0), ("A", 1, "P", "JOBSOK", None),
        ("A", 1, "C", "JOBTRO", 5.0), ("A", 1, "C", "HLTRO", 7.0),
    ])
    indices = _indices([("A", 0, 5.6, 5.0), ("A", 1, 6.4, None)])
    values = token_values("A", 2, "participant", scores, indices, templates.model)
    expected = {"p_index": "6.4", "p_change": "+0.8", "c_index": "5.0", "c_change": "",
                "prev_JOBTRO": "6", "prev_JOBSOK": "", "prev_ARBKUN": ""}
    assert {k: values[k] for k in expected} == expected
    assert "prev_HLTRO" not in values  # not an item of the participant questionnaire
    cw = token_values("A", 2, "caseworker", scores, indices, templates.model)
    assert (cw["prev_JOBTRO"], cw["prev_HLTRO"]) == ("5", "7")


def test_token_values_no_change_across_a_missing_wave(templates: Any) -> None:
    indices = _indices([("A", 0, 5.0, None), ("A", 2, 6.0, None)])
    values = token_values("A", 3, "participant", _scores([]), indices, templates.model)
    assert (values["p_index"], values["p_change"]) == ("6.0", "")


def test_live_attributes_reads_descriptions() -> None:
    text = json.dumps({"attribute_1": {"description": "pseudonym"},
                       "attribute_4": {"description": "p_index"}})
    assert live_attributes(text) == {"pseudonym": "attribute_1", "p_index": "attribute_4"}
    assert live_attributes("") == {}
    assert live_attributes(None) == {}


# --- against the emulator through the real client --------------------------------------


def _seed_store(engine: sa.Engine, sid: int, tids: dict[str, int], kind: str) -> None:
    with engine.begin() as conn:
        for pseudonym, tid in tids.items():
            conn.execute(sa.insert(schema.participants).values(
                pseudonym=pseudonym, language="sv", enrolled_on=dt.date(2024, 1, 1),
                created_at=NOW))
            for wave, wave_tid in ((0, None), (1, tid)):
                conn.execute(sa.insert(schema.tokens).values(
                    sid=sid, pseudonym=pseudonym, wave=wave, kind=kind,
                    token=f"{pseudonym}-w{wave}", tid=wave_tid if wave == 1 else tid + 1000,
                    caseworker_id="CW01", due_on=dt.date(2024, 1, 1), reminders_sent=0,
                    completed=wave == 0))


def _participant_survey(client: Any, templates: Any) -> tuple[int, dict[str, int]]:
    q = templates.participant
    sid = client.import_survey(compile_lss(q))
    client.activate_tokens(sid, list(range(1, len(q.token_attributes) + 1)))
    client.activate_survey(sid)
    rows = client.add_participants(sid, [
        {"firstname": "", "lastname": "", "email": "", "token": f"tok{n}",
         "attribute_1": f"S{n}", "attribute_2": "1"} for n in (1, 2)
    ])
    return sid, {f"S{n}": int(row["tid"]) for n, row in zip((1, 2), rows, strict=True)}


def test_push_back_writes_escaped_values_once(ls_client: Any, store_url: str,
                                             templates: Any) -> None:
    sid, tids = _participant_survey(ls_client, templates)
    engine = open_store(store_url)
    try:
        _check_idempotent_push(ls_client, engine, templates, sid, tids)
    finally:
        engine.dispose()


def _check_idempotent_push(ls_client: Any, engine: sa.Engine, templates: Any, sid: int,
                           tids: dict[str, int]) -> None:
    _seed_store(engine, sid, tids, "participant")
    result = Result(
        _scores([("S1", 0, "P", "JOBTRO", 4.0), ("S1", 1, "P", "JOBTRO", 7.0),
                 ("S2", 0, "P", "JOBTRO", 5.0)]),
        _indices([("S1", 0, 5.6, 5.0), ("S1", 1, 6.4, 4.7), ("S2", 0, 3.25, None)]),
    )
    first = push_back(ls_client, engine, templates, result=result, now=NOW)
    assert (first.pushed, first.unchanged, first.failed, first.skipped_surveys) == (2, 0, 0, {})
    amap = templates.participant.attribute_map
    props = ls_client.get_participant_properties(sid, tids["S1"])
    assert {k: props[amap[k]] for k in ("p_index", "p_change", "c_index", "c_change",
                                        "prev_JOBTRO")} == \
        {"p_index": "6.4", "p_change": "+0.8", "c_index": "4.7", "c_change": "-0.3",
         "prev_JOBTRO": "7"}
    # a second run pushes nothing
    second = push_back(ls_client, engine, templates, result=result, now=NOW)
    assert (second.pushed, second.unchanged) == (0, 2)
    # a changed value pushes that token only
    changed = Result(result.scores, _indices([("S1", 0, 5.6, 5.0), ("S1", 1, 6.4, 4.7),
                                              ("S2", 0, 3.3, None)]))
    third = push_back(ls_client, engine, templates, result=changed, dry_run=True)
    assert [(p.pseudonym, p.values[amap["p_index"]]) for p in third.planned] == [("S2", "3.3")]
    assert third.pushed == 0
    assert ls_client.get_participant_properties(sid, tids["S2"])[amap["p_index"]] == "3.2"
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.pushback_state)
                            ).scalar_one() == 2


def test_survey_without_attributes_is_skipped_with_a_warning(
    ls_client: Any, store_url: str, templates: Any
) -> None:
    from conftest import RECORDINGS

    lss = (RECORDINGS / "reference-survey.lss").read_bytes()
    sid = ls_client.import_survey(lss)
    ls_client.activate_tokens(sid, [1, 2, 3])
    rows = ls_client.add_participants(sid, [{"firstname": "", "lastname": "", "email": "",
                                             "token": "ref1", "attribute_1": "S1"}])
    engine = open_store(store_url)
    _seed_store(engine, sid, {"S1": int(rows[0]["tid"])}, "participant")
    result = Result(_scores([]), _indices([("S1", 0, 5.0, 5.0)]))
    try:
        report = push_back(ls_client, engine, templates, result=result, now=NOW)
    finally:
        engine.dispose()
    assert (report.pushed, report.failed) == (0, 0)
    assert list(report.skipped_surveys) == [sid]
    assert len(report.warnings) == 1
    assert "declares none of the push-back attributes" in report.warnings[0]


def test_values_are_html_escaped(templates: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import bip_bridge.pushback as pushback

    monkeypatch.setattr(pushback, "format_score", lambda value: '<i title="x">7</i>&')
    scores = _scores([("A", 0, "P", "JOBTRO", 4.0)])
    values = token_values("A", 0, "participant", scores, _indices([("A", 0, 4.0, None)]),
                          templates.model)
    assert values["prev_JOBTRO"] == "&lt;i title=&quot;x&quot;&gt;7&lt;/i&gt;&amp;"
