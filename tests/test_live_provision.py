"""Provision on a real LimeSurvey 6 server (skipped unless one is named).

Set BIP_BRIDGE_TEST_LIMESURVEY_URL (the RemoteControl URL), _USER and _PASSWORD. The
test imports both surveys, reads their structure back through list_questions and
get_question_properties (codes, three languages, hidden equations, the 99 answer, the
wave relevance), provisions again to prove idempotence, and deletes the surveys at the
end. Use a test server: it creates and deletes surveys.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import live_support
from bip_bridge.provision import provision, verify_surveys
from bip_bridge.store import open_store
from bip_bridge.templates import load_templates

pytestmark = live_support.LIVE_MARKS
live_client = live_support.live_client  # the fixture


def test_provision_on_a_real_server(live_client: Any, tmp_path: Path) -> None:
    templates = load_templates()
    engine = open_store(f"sqlite:///{tmp_path / 'store.sqlite'}")
    created: list[int] = []
    try:
        first = provision(live_client, engine, templates)
        created = [o.sid for o in first.outcomes if o.sid is not None]
        assert [o.action for o in first.outcomes] == ["created", "created"]
        sids = {o.kind: o.sid for o in first.outcomes}

        for kind, sid in sids.items():
            q = templates.questionnaire(kind)
            props = live_client.get_survey_properties(sid, [
                "active", "language", "additional_languages", "anonymized", "datestamp",
                "alloweditaftercompletion"])
            assert props == {"active": "Y", "language": "sv", "additional_languages": "da en",
                             "anonymized": "N", "datestamp": "Y",
                             "alloweditaftercompletion": "N"}
            rows = live_client.list_questions(sid)
            top = {r["title"]: r for r in rows if not int(r["parent_qid"] or 0)}
            assert set(top) == {x.code for x in q.questions}
            array = q.indicator_question
            subs = {r["title"] for r in rows if int(r["parent_qid"] or 0) == int(
                top[array.code]["qid"])}
            assert subs == {i.code for i in array.items}
            for lang in ("sv", "da", "en"):
                found = live_client.list_questions(sid, language=lang)
                assert {r["title"] for r in found} >= set(top), lang
                text = next(r["question"] for r in found if r["title"] == array.code)
                assert text.startswith(array.text[lang][:20])
            for code, n in (("PSEUDO", 1), ("WAVE", 2), ("CWID", 3)):
                attrs = live_client.get_question_properties(int(top[code]["qid"]),
                                                            ["attributes"])["attributes"]
                assert str(attrs.get("hidden")) == "1"
                equation = attrs.get("equation")
                if equation is None:  # per-language on some versions
                    equation = live_client.get_question_properties(
                        int(top[code]["qid"]), ["attributes_lang"])["attributes_lang"].get(
                            "equation")
                assert equation == f"{{TOKEN:ATTRIBUTE_{n}}}"
            answers = live_client.get_question_properties(
                int(top[array.code]["qid"]), ["answeroptions"], language="en")["answeroptions"]
            assert list(answers) == [str(i) for i in range(1, 11)] + ["99"]
            assert answers["99"]["answer"] == "Don't know"
            if kind == "caseworker":
                assert top["INS"]["relevance"] == "TOKEN:ATTRIBUTE_2 > 0"
                assert top["GAPW"]["relevance"] == "TOKEN:ATTRIBUTE_2 > 0"

        again = provision(live_client, engine, templates)
        assert [o.action for o in again.outcomes] == ["unchanged", "unchanged"]
        assert not again.changed
        verify_surveys(live_client, engine, templates)
    finally:
        live_support.delete_own_surveys(live_client, engine, created)
        engine.dispose()
