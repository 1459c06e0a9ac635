"""Provision end to end against the LimeSurvey emulator (real client, real HTTP) and a
real store (SQLite and PostgreSQL): idempotence, drift, new versions, clean-up."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
import yaml
from click.testing import CliRunner

from bip_bridge.errors import LimeSurveyError, LimeSurveyRejected, SurveyDrift
from bip_bridge.provision import provision, verify_surveys
from bip_bridge.store import open_store, schema
from bip_bridge.templates import TemplateSet, load_templates, structure_fingerprint
from bip_bridge.templates.loader import default_template_dir
from conftest import EMULATOR_PASSWORD, EMULATOR_USER


@pytest.fixture(scope="module")
def templates() -> TemplateSet:
    return load_templates()


def _rows(engine: sa.Engine) -> list[tuple[Any, ...]]:
    t = schema.surveys
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            sa.select(t.c.kind, t.c.template_version, t.c.active, t.c.structure_hash)
            .order_by(t.c.template_version, t.c.kind))]


def _sids(report: Any) -> dict[str, int]:
    return {o.kind: o.sid for o in report.outcomes}


def test_provision_twice_changes_nothing_the_second_time(
        ls_client: Any, emulator: Any, store_url: str, templates: TemplateSet) -> None:
    engine = open_store(store_url)
    first = provision(ls_client, engine, templates)
    assert [(o.kind, o.action) for o in first.outcomes] == [
        ("participant", "created"), ("caseworker", "created")]
    sids = _sids(first)
    p_hash, c_hash = (structure_fingerprint(q) for q in templates.questionnaires)
    assert _rows(engine) == [("caseworker", "1.0.0", True, c_hash),
                             ("participant", "1.0.0", True, p_hash)]

    second = provision(ls_client, engine, templates)
    assert [(o.kind, o.action, o.sid) for o in second.outcomes] == [
        ("participant", "unchanged", sids["participant"]),
        ("caseworker", "unchanged", sids["caseworker"])]
    assert not second.changed
    assert second.lines()[-1] == "Everything is up to date; nothing was changed."
    assert sorted(s["sid"] for s in ls_client.list_surveys()) == sorted(sids.values())
    verify_surveys(ls_client, engine, templates)  # no drift
    engine.dispose()


def test_provisioned_survey_has_languages_tokens_and_settings(
        ls_client: Any, emulator: Any, templates: TemplateSet) -> None:
    engine = open_store("sqlite://")
    sid = _sids(provision(ls_client, engine, templates))["caseworker"]
    props = ls_client.get_survey_properties(sid, ["active", "language", "additional_languages",
                                                  "anonymized", "datestamp",
                                                  "alloweditaftercompletion"])
    assert props == {"active": "Y", "language": "sv", "additional_languages": "da en",
                     "anonymized": "N", "datestamp": "Y", "alloweditaftercompletion": "N"}
    survey = emulator.core.surveys[sid]
    assert survey.token_attributes == [f"attribute_{i}" for i in range(1, 19)]
    added = ls_client.add_participants(sid, [{"firstname": "Kim", "email": "cw@example.org",
                                              "attribute_1": "p1", "attribute_2": "0",
                                              "attribute_3": "CW7", "attribute_18": "8"}])
    assert "errors" not in added[0]
    top = {q["title"]: q for q in ls_client.list_questions(sid) if not q["parent_qid"]}
    assert sorted(top) == ["BIPH", "CWID", "GAPW", "INS", "PSEUDO", "STATUS", "WAVE"]
    assert top["INS"]["relevance"] == "TOKEN:ATTRIBUTE_2 > 0"
    answers = ls_client.get_question_properties(int(top["BIPH"]["qid"]), ["answeroptions"],
                                                language="en")["answeroptions"]
    assert answers["99"]["answer"] == "Don't know"
    engine.dispose()


def test_dry_run_prints_the_plan_and_changes_nothing(
        ls_client: Any, templates: TemplateSet) -> None:
    engine = open_store("sqlite://")
    report = provision(ls_client, engine, templates, dry_run=True)
    assert report.lines() == [
        "participant: would create a new survey (template version 1.0.0)",
        "caseworker: would create a new survey (template version 1.0.0)",
        "Dry run: nothing was changed.",
    ]
    assert ls_client.list_surveys() == []
    assert _rows(engine) == []


def _question(emulator: Any, sid: int, code: str) -> Any:
    return next(q for q in emulator.core.surveys[sid].questions.values()
                if q.title == code and not q.parent_qid)


def _raw_result(emulator: Any, method: str, *params: Any) -> Any:
    """``result`` of one raw JSON-RPC call (the body as LimeSurvey writes it)."""
    def post(m: str, p: list[Any]) -> Any:
        reply = requests.post(emulator.url, json={"method": m, "params": p, "id": 1},
                              timeout=10)
        return reply.json()["result"]

    key = post("get_session_key", [EMULATOR_USER, EMULATOR_PASSWORD])
    try:
        return post(method, [key, *params])
    finally:
        post("release_session_key", [key])


def test_answer_codes_0_to_n_minus_1_arrive_as_a_list_and_provisioning_reads_them(
        ls_client: Any, emulator: Any, store_url: str, templates: TemplateSet) -> None:
    """LimeSurvey 6.14 (measured) writes INS's answer options, codes 0, 1, 2, as a JSON
    list (PHP's json_encode of an array keyed 0..n-1). Provisioning's read-back must see
    the codes in that shape too, instead of reporting them missing and deleting the survey."""
    scale = templates.questionnaire("caseworker").question("INS").scale
    assert [a.code for a in scale.answers] == ["0", "1", "2"]
    engine = open_store(store_url)
    report = provision(ls_client, engine, templates)
    assert [(o.kind, o.action) for o in report.outcomes] == [
        ("participant", "created"), ("caseworker", "created")]
    ins = _question(emulator, _sids(report)["caseworker"], "INS")
    options = _raw_result(emulator, "get_question_properties", ins.qid, ["answeroptions"])
    assert isinstance(options["answeroptions"], list)
    assert [o["answer"] for o in options["answeroptions"]] == ["Ingen", "En del av tiden",
                                                              "Hela tiden"]
    assert ls_client.get_question_properties(ins.qid, ["answeroptions"])["answeroptions"] \
        .keys() == {"0", "1", "2"}
    verify_surveys(ls_client, engine, templates)  # no drift either
    engine.dispose()


def test_drift_is_named_by_provision_and_verify(
        ls_client: Any, emulator: Any, templates: TemplateSet) -> None:
    engine = open_store("sqlite://")
    sids = _sids(provision(ls_client, engine, templates))
    p, c = sids["participant"], sids["caseworker"]
    _question(emulator, p, "STATUS").title = "STAT"  # recoded in the editor
    biph = _question(emulator, c, "BIPH")
    survey = emulator.core.surveys[c]
    hltro = next(q for q in survey.questions.values()
                 if q.parent_qid == biph.qid and q.title == "HLTRO")
    del survey.questions[hltro.qid]  # a subquestion removed
    del survey.questions[_question(emulator, c, "GAPW").qid]  # a question removed

    expected = [
        f"participant survey {p}: question STATUS was recoded to STAT",
        f"caseworker survey {c}: question GAPW was removed",
        f"caseworker survey {c}: subquestion BIPH[HLTRO] is missing",
    ]
    with pytest.raises(SurveyDrift) as info:
        provision(ls_client, engine, templates)
    assert list(info.value.differences) == expected
    assert info.value.sid == p
    with pytest.raises(SurveyDrift) as info:
        verify_surveys(ls_client, engine, templates)
    assert list(info.value.differences) == expected


def test_missing_token_attribute_is_drift(
        ls_client: Any, emulator: Any, templates: TemplateSet) -> None:
    import json

    engine = open_store("sqlite://")
    p = _sids(provision(ls_client, engine, templates))["participant"]
    props = emulator.core.surveys[p].properties
    descriptions = json.loads(props["attributedescriptions"])
    del descriptions["attribute_16"]
    props["attributedescriptions"] = json.dumps(descriptions)
    with pytest.raises(SurveyDrift) as info:
        verify_surveys(ls_client, engine, templates)
    assert list(info.value.differences) == [
        f"participant survey {p}: token attribute attribute_16 (prev_KVALIF) is missing"]


def test_new_template_version_is_a_new_survey_and_the_old_one_stays(
        ls_client: Any, emulator: Any, tmp_path: Path, templates: TemplateSet) -> None:
    engine = open_store("sqlite://")
    old = _sids(provision(ls_client, engine, templates))
    directory = tmp_path / "templates"
    shutil.copytree(default_template_dir(), directory)
    manifest = yaml.safe_load((directory / "manifest.yaml").read_text(encoding="utf-8"))
    manifest["template_version"] = "1.1.0"
    (directory / "manifest.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True),
                                             encoding="utf-8")
    newer = load_templates(directory)
    report = provision(ls_client, engine, newer)
    new = _sids(report)
    assert [(o.action, o.retired) for o in report.outcomes] == [
        ("created", (old["participant"],)), ("created", (old["caseworker"],))]
    assert set(new.values()).isdisjoint(old.values())
    assert [(k, v, a) for k, v, a, _ in _rows(engine)] == [
        ("caseworker", "1.0.0", False), ("participant", "1.0.0", False),
        ("caseworker", "1.1.0", True), ("participant", "1.1.0", True)]
    assert len(ls_client.list_surveys()) == 4  # collected data untouched
    verify_surveys(ls_client, engine, newer)  # the old ones checked by fingerprint
    assert not provision(ls_client, engine, newer).changed


class _FailingActivation:
    """The real client, except that activate_survey fails like a refusing server."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def activate_survey(self, sid: int) -> None:
        raise LimeSurveyRejected("Error: Survey could not be activated", method="activate_survey",
                                 status="Error: Survey could not be activated")


class _HalfImport(_FailingActivation):
    """Import writes the survey, then the call fails (as with a duplicate group_l10ns row)."""

    def activate_survey(self, sid: int) -> None:
        self._inner.activate_survey(sid)

    def import_survey(self, content: bytes, **kwargs: Any) -> int:
        self._inner.import_survey(content, **kwargs)
        raise LimeSurveyError("Error while saving group: Array(...)", method="import_survey")


@pytest.mark.parametrize("wrapper", [_FailingActivation, _HalfImport])
def test_half_made_survey_is_deleted_and_reported(
        ls_client: Any, templates: TemplateSet, wrapper: type) -> None:
    engine = open_store("sqlite://")
    with pytest.raises(LimeSurveyError) as info:
        provision(wrapper(ls_client), engine, templates)
    assert "half-made participant survey" in (info.value.hint or "")
    assert "was deleted again" in (info.value.hint or "")
    assert ls_client.list_surveys() == []
    assert _rows(engine) == []
    assert provision(ls_client, engine, templates).changed  # a clean re-run works


def test_cli_provision_and_dry_run(emulator: Any, tmp_path: Path) -> None:
    from bip_bridge.cli import main

    config = tmp_path / "bip-bridge.toml"
    config.write_text(
        f'[limesurvey]\nurl = "{emulator.url}"\nusername = "{EMULATOR_USER}"\nretries = 1\n'
        f'[store]\nurl = "sqlite:///{tmp_path / "store.sqlite"}"\n', encoding="utf-8")
    env = {"BIP_BRIDGE_LIMESURVEY_PASSWORD": EMULATOR_PASSWORD, "BIP_BRIDGE_CONFIG": ""}
    runner = CliRunner()
    dry = runner.invoke(main, ["--config", str(config), "provision", "--dry-run"], env=env)
    assert dry.exit_code == 0, dry.output
    assert "would create" in dry.output
    done = runner.invoke(main, ["--config", str(config), "provision"], env=env)
    assert done.exit_code == 0, done.output
    assert done.output.count(": created survey") == 2
    again = runner.invoke(main, ["--config", str(config), "provision"], env=env)
    assert again.exit_code == 0
    assert "Everything is up to date; nothing was changed." in again.output
    assert EMULATOR_PASSWORD not in done.output + again.output


def test_a_hand_imported_survey_is_checked_and_adopted(
        ls_client: Any, templates: TemplateSet) -> None:
    from bip_bridge.templates import compile_lss

    engine = open_store("sqlite://")
    p_sid = ls_client.import_survey(compile_lss(templates.participant))
    ls_client.activate_tokens(p_sid, list(range(1, 17)))  # the admin did part of the set-up
    c_sid = ls_client.import_survey(compile_lss(templates.caseworker))
    report = provision(ls_client, engine, templates,
                       adopt={"participant": p_sid, "caseworker": c_sid})
    assert [(o.action, o.sid) for o in report.outcomes] == [("adopted", p_sid),
                                                            ("adopted", c_sid)]
    assert {s["sid"]: s["active"] for s in ls_client.list_surveys()} == {p_sid: "Y", c_sid: "Y"}
    again = provision(ls_client, engine, templates,
                      adopt={"participant": p_sid, "caseworker": c_sid})
    assert [o.action for o in again.outcomes] == ["unchanged", "unchanged"]


def test_a_hand_imported_survey_that_differs_is_refused(
        ls_client: Any, emulator: Any, templates: TemplateSet) -> None:
    from bip_bridge.templates import compile_lss

    engine = open_store("sqlite://")
    sid = ls_client.import_survey(compile_lss(templates.participant))
    _question(emulator, sid, "BIPD").title = "BIPDX"
    with pytest.raises(SurveyDrift) as info:
        provision(ls_client, engine, templates, adopt={"participant": sid})
    assert list(info.value.differences) == ["question BIPD was recoded to BIPDX"]
    assert _rows(engine) == []


def test_the_configured_sender_goes_into_new_surveys(
        ls_client: Any, templates: TemplateSet) -> None:
    """Invitations came from LimeSurvey's placeholder your-email@example.net on a real 6.14
    server: the shipped templates name no sender; [surveys] sender_* fixes that."""
    from bip_bridge.provision import Sender

    engine = open_store("sqlite://")
    sender = Sender("Samordningsförbundet Exempel", "bip@samordning.example.se")
    created = provision(ls_client, engine, templates, sender=sender)
    for outcome in created.outcomes:
        assert outcome.action == "created" and outcome.sid is not None
        props = ls_client.get_survey_properties(outcome.sid, ["admin", "adminemail"])
        assert props == {"admin": "Samordningsförbundet Exempel",
                         "adminemail": "bip@samordning.example.se"}
    engine.dispose()


def test_the_configured_sender_is_set_once_on_surveys_already_in_place(
        ls_client: Any, templates: TemplateSet) -> None:
    from bip_bridge.provision import Sender

    engine = open_store("sqlite://")
    sids = [o.sid for o in provision(ls_client, engine, templates).outcomes]
    sender = Sender("Samordningsförbundet Exempel", "bip@samordning.example.se")
    dry = provision(ls_client, engine, templates, sender=sender, dry_run=True)
    assert [o.action for o in dry.outcomes] == ["would set the sender of"] * 2
    first = provision(ls_client, engine, templates, sender=sender)
    assert [o.action for o in first.outcomes] == ["set the sender of"] * 2
    again = provision(ls_client, engine, templates, sender=sender)
    assert [o.action for o in again.outcomes] == ["unchanged"] * 2
    assert again.lines()[-1] == "Everything is up to date; nothing was changed."
    for sid in sids:
        assert sid is not None
        props = ls_client.get_survey_properties(sid, ["admin", "adminemail", "bounce_email"])
        assert props == {"admin": "Samordningsförbundet Exempel",
                         "adminemail": "bip@samordning.example.se",
                         "bounce_email": "bip@samordning.example.se"}
    engine.dispose()
