"""Measurement models for the metrics tests: the default template's, and tiny ones.

The default model mirrors the spec's table (until the template loader builds it from
survey_templates/); the tiny model proves the metrics read every code from the model.
"""

from __future__ import annotations

from bip_bridge.model import BeliefCategory, Indicator, MeasurementModel

DEFAULT_CODES: tuple[tuple[str, str], ...] = (
    ("JOBTRO", "PC"), ("JOBSOK", "PC"), ("ARBKUN", "PC"), ("MALRIK", "PC"),
    ("SAMARB", "PC"), ("HALMES", "PC"), ("VARMES", "PC"), ("NATVRK", "PC"),
    ("KVALIF", "PC"), ("ARBFOR", "C"), ("HLTRO", "C"),
)


def _indicator(code: str, asked_of: str) -> Indicator:
    return Indicator(code=code, labels={"sv": code, "da": code, "en": code},
                     asked_of=frozenset(asked_of))


def default_model() -> MeasurementModel:
    return MeasurementModel(
        template_version="test-default",
        indicators=tuple(_indicator(code, who) for code, who in DEFAULT_CODES),
    )


def tiny_model() -> MeasurementModel:
    """3 P items (2 needed), 2 C items + belief (1 needed), 2 interventions, other codes."""
    return MeasurementModel(
        template_version="test-tiny",
        indicators=(
            _indicator("AAA", "PC"), _indicator("BBB", "PC"), _indicator("CCC", "P"),
            _indicator("TRUST", "C"),
        ),
        pseudonym_question="PID",
        wave_question="WV",
        caseworker_question="HANDL",
        participant_array="SELF",
        caseworker_array="OBS",
        intervention_array="DID",
        gap_question="GAP",
        status_question="STAT",
        belief_code="TRUST",
        interventions=("WORKX", "OTHER"),
        job_intervention="WORKX",
        statuses=("JOB", "SCHOOL", "NONE"),
        work_or_study_statuses=("JOB", "SCHOOL"),
        scale_min=0,
        scale_max=4,
        missing_code=9,
        p_min_answers=2,
        c_min_answers=1,
        belief_categories=(BeliefCategory("doubt", 0, 1), BeliefCategory("trust", 2, 4)),
    )
