"""The questionnaire templates: loading and validation, the ``.lss`` compiler and the
structure fingerprint that provision and sync compare.

``survey_templates/`` (shipped in the wheel as ``bip_bridge/_survey_templates``) holds a
manifest and one YAML file per questionnaire; an association may point
``[surveys] template_dir`` at its own copy. Everything downstream reads codes from
``TemplateSet.model``, never from constants. See docs/templates.md.
"""

from __future__ import annotations

from bip_bridge.templates.loader import default_template_dir, load_templates
from bip_bridge.templates.lss import compile_lss, survey_sid_hint
from bip_bridge.templates.structure import (
    SurveyStructure,
    expected_structure,
    structure_differences,
    structure_fingerprint,
)
from bip_bridge.templates.types import (
    CASEWORKER,
    KINDS,
    PARTICIPANT,
    AnswerOption,
    Group,
    Item,
    Question,
    Questionnaire,
    Scale,
    TemplateSet,
)

__all__ = [
    "CASEWORKER",
    "KINDS",
    "PARTICIPANT",
    "AnswerOption",
    "Group",
    "Item",
    "Question",
    "Questionnaire",
    "Scale",
    "SurveyStructure",
    "TemplateSet",
    "compile_lss",
    "default_template_dir",
    "expected_structure",
    "load_templates",
    "structure_differences",
    "structure_fingerprint",
    "survey_sid_hint",
]
