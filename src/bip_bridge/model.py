"""The measurement model: what the templates declare and everything downstream reads.

The template loader (:mod:`bip_bridge.templates`) builds a :class:`MeasurementModel` from
``survey_templates/``; metrics, sync, waves and reports read codes from it and never
hard-code an indicator, a question code or a threshold. See ``../shared/spec/bip-model.md``
(the defaults) and ``docs/metrics.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

LANGUAGES: tuple[str, ...] = ("sv", "da", "en")
PARTICIPANT = "P"
CASEWORKER = "C"


@dataclass(frozen=True)
class Indicator:
    code: str  # e.g. "JOBTRO"; the subquestion code in the indicator arrays
    labels: dict[str, str]  # language -> short label, e.g. {"sv": "Tro på att få arbete", ...}
    asked_of: frozenset[str]  # subset of {"P", "C"}


@dataclass(frozen=True)
class BeliefCategory:
    name: str  # "low", "middle", "high"
    low: int  # inclusive
    high: int  # inclusive
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class MeasurementModel:
    """Codes, scales and thresholds of one template version."""

    template_version: str
    indicators: tuple[Indicator, ...]
    # question codes (the export column names, see the spec's "Default template codes")
    pseudonym_question: str = "PSEUDO"
    wave_question: str = "WAVE"
    caseworker_question: str = "CWID"
    participant_array: str = "BIPD"
    caseworker_array: str = "BIPH"
    intervention_array: str = "INS"
    gap_question: str = "GAPW"
    status_question: str = "STATUS"
    belief_code: str = "HLTRO"  # subquestion of the caseworker array
    interventions: tuple[str, ...] = ("JOB", "KOMP", "SOC", "HALSA")
    job_intervention: str = "JOB"
    statuses: tuple[str, ...] = ("WORK", "STUDY", "SEEK", "SICK", "OTHER")
    work_or_study_statuses: tuple[str, ...] = ("WORK", "STUDY")
    # scale
    scale_min: int = 1
    scale_max: int = 10
    missing_code: int = 99
    # index rules
    p_min_answers: int = 6
    c_min_answers: int = 7
    belief_categories: tuple[BeliefCategory, ...] = (
        BeliefCategory("low", 1, 4),
        BeliefCategory("middle", 5, 6),
        BeliefCategory("high", 7, 10),
    )
    # token attributes: attribute_1 = pseudonym, _2 = wave, _3 = caseworker id; push-back after
    token_attributes: tuple[str, ...] = ("pseudonym", "wave", "caseworker")
    pushback_attributes: tuple[str, ...] = ()

    # --- derived --------------------------------------------------------------
    @property
    def p_items(self) -> tuple[str, ...]:
        """Indicator codes of the participant index (belief excluded)."""
        return tuple(
            i.code for i in self.indicators if "P" in i.asked_of and i.code != self.belief_code
        )

    @property
    def c_items(self) -> tuple[str, ...]:
        """Indicator codes of the caseworker index (belief excluded)."""
        return tuple(
            i.code for i in self.indicators if "C" in i.asked_of and i.code != self.belief_code
        )

    def p_column(self, code: str) -> str:
        return f"{self.participant_array}[{code}]"

    def c_column(self, code: str) -> str:
        return f"{self.caseworker_array}[{code}]"

    def intervention_column(self, code: str) -> str:
        return f"{self.intervention_array}[{code}]"

    @property
    def belief_column(self) -> str:
        return self.c_column(self.belief_code)

    def belief_category(self, value: float | None) -> str | None:
        if value is None or value != value:  # NaN
            return None
        for cat in self.belief_categories:
            if cat.low <= value <= cat.high:
                return cat.name
        return None

    def indicator(self, code: str) -> Indicator:
        for ind in self.indicators:
            if ind.code == code:
                return ind
        raise KeyError(code)
