"""The shipped templates load into the spec's default model and codes."""

from __future__ import annotations

from bip_bridge.model import BeliefCategory
from bip_bridge.templates import load_templates
from bip_bridge.templates.loader import default_template_dir

P_ITEMS = ("JOBTRO", "JOBSOK", "ARBKUN", "MALRIK", "SAMARB", "HALMES", "VARMES", "NATVRK",
           "KVALIF")
C_ITEMS = (*P_ITEMS, "ARBFOR")


def test_default_dir_is_the_repository_copy_in_a_checkout() -> None:
    assert (default_template_dir() / "manifest.yaml").is_file()


def test_model_is_the_spec_default() -> None:
    t = load_templates()
    m = t.model
    assert m.template_version == t.version == "1.0.0"
    assert m.p_items == P_ITEMS
    assert m.c_items == C_ITEMS
    assert [i.code for i in m.indicators] == [*C_ITEMS, "HLTRO"]
    assert m.indicator("ARBFOR").asked_of == frozenset({"C"})
    assert m.indicator("JOBTRO").labels == {
        "sv": "Tro på att få arbete", "da": "Tro på at få job", "en": "Belief in getting a job"}
    expected_codes = {
        "pseudonym_question": "PSEUDO", "wave_question": "WAVE", "caseworker_question": "CWID",
        "participant_array": "BIPD", "caseworker_array": "BIPH", "intervention_array": "INS",
        "gap_question": "GAPW", "status_question": "STATUS", "belief_code": "HLTRO",
        "job_intervention": "JOB",
    }
    assert {k: getattr(m, k) for k in expected_codes} == expected_codes
    assert m.interventions == ("JOB", "KOMP", "SOC", "HALSA")
    assert m.statuses == ("WORK", "STUDY", "SEEK", "SICK", "OTHER")
    assert m.work_or_study_statuses == ("WORK", "STUDY")
    assert (m.scale_min, m.scale_max, m.missing_code) == (1, 10, 99)
    assert (m.p_min_answers, m.c_min_answers) == (6, 7)
    assert [(c.name, c.low, c.high) for c in m.belief_categories] == [
        ("low", 1, 4), ("middle", 5, 6), ("high", 7, 10)]
    assert isinstance(m.belief_categories[0], BeliefCategory)
    assert m.belief_column == "BIPH[HLTRO]"
    assert m.pushback_attributes == ("p_index", "p_change", "c_index", "c_change")


def test_questionnaires_codes_attributes_and_languages() -> None:
    t = load_templates()
    p, c = t.participant, t.caseworker
    assert (p.kind, c.kind) == ("participant", "caseworker")
    assert p.languages == c.languages == ("sv", "da", "en")
    assert [q.code for q in p.questions] == ["PSEUDO", "WAVE", "CWID", "BIPD", "STATUS"]
    assert [q.code for q in c.questions] == ["PSEUDO", "WAVE", "CWID", "BIPH", "STATUS", "INS",
                                             "GAPW"]
    assert [i.code for i in p.question("BIPD").items] == list(P_ITEMS)
    assert [i.code for i in c.question("BIPH").items] == [*C_ITEMS, "HLTRO"]
    base = ("pseudonym", "wave", "caseworker", "p_index", "p_change", "c_index", "c_change")
    assert p.token_attributes == (*base, *(f"prev_{x}" for x in P_ITEMS))
    assert c.token_attributes == (*base, *(f"prev_{x}" for x in C_ITEMS), "prev_HLTRO")
    assert c.attribute_map["pseudonym"] == "attribute_1"
    assert c.attribute_map["wave"] == "attribute_2"
    assert c.attribute_map["caseworker"] == "attribute_3"
    assert c.attribute_map["c_change"] == "attribute_7"
    assert c.attribute_map["prev_HLTRO"] == "attribute_18"
    assert set(p.title) == {"sv", "da", "en"}
    assert c.question("INS").relevance == "TOKEN:ATTRIBUTE_2 > 0"
    assert c.question("GAPW").relevance == "TOKEN:ATTRIBUTE_2 > 0"
    assert (c.question("GAPW").minimum, c.question("GAPW").maximum) == (0, 13)
    assert c.question("BIPH").mandatory == "S"
    assert p.attribute_captions["prev_JOBTRO"]["sv"] == "Förra svaret: Tro på att få arbete"


def test_caseworker_texts_pipe_first_name_and_mails_name_participant_and_wave() -> None:
    c = load_templates().caseworker
    for lang in ("sv", "da", "en"):
        assert "{TOKEN:FIRSTNAME}" in c.question("BIPH").text[lang]
        for mail in ("invite", "remind"):
            body = c.emails[mail]["body"][lang]
            assert "{FIRSTNAME}" in body and "{ATTRIBUTE_2}" in body and "{SURVEYURL}" in body


def test_scale_answers_are_labelled_for_phones() -> None:
    scale = load_templates().scales["indicator"]
    assert scale.codes == ("1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "99")
    assert scale.answers[0].labels["sv"] == "1 – Stämmer inte alls"
    assert scale.answers[9].labels["en"] == "10 – Completely true"
    assert scale.answers[10].labels == {"sv": "Vet inte", "da": "Ved ikke", "en": "Don't know"}
    assert scale.missing_code == "99"
