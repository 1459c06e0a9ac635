"""Every validation rule: the loader refuses what LimeSurvey would rename, drop or choke
on, and lists every problem at once with file, place and what was expected."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bip_bridge.errors import EX_DATAERR, Problem, TemplateError
from bip_bridge.templates import load_templates
from bip_bridge.templates.loader import default_template_dir

Edit = Callable[[dict[str, Any]], None]


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "templates"
    shutil.copytree(default_template_dir(), target)
    return target


def _edit(directory: Path, name: str, change: Edit) -> None:
    path = directory / name
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _problems(tmp_path: Path, edits: list[tuple[str, Edit]]) -> list[Problem]:
    directory = _copy(tmp_path)
    for name, change in edits:
        _edit(directory, name, change)
    with pytest.raises(TemplateError) as info:
        load_templates(directory)
    assert info.value.exit_code == EX_DATAERR
    return list(info.value.problems)


def _bipd(data: dict[str, Any]) -> dict[str, Any]:
    return data["groups"][0]["questions"][3]


def test_a_copy_of_the_shipped_templates_is_valid(tmp_path: Path) -> None:
    assert load_templates(_copy(tmp_path)).version == "1.0.0"


def test_duplicate_question_code_ignoring_case(tmp_path: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        d["groups"][0]["questions"][4]["code"] = "bipd"

    result = [str(p) for p in _problems(tmp_path, [("participant.yaml", change)])]
    expected = ["participant.yaml groups[0].questions[4].code: duplicate question code 'bipd' "
                "(already at participant.yaml groups[0].questions[3].code; LimeSurvey ignores "
                "case) (expected: a unique question code)"]
    assert result == expected


def test_duplicate_subquestion_and_indicator_codes(tmp_path: Path) -> None:
    def items(d: dict[str, Any]) -> None:
        _bipd(d)["items"][1]["code"] = "JOBTRO"

    def indicators(d: dict[str, Any]) -> None:
        d["indicators"][1]["code"] = "jobtro"

    result = {(p.where, p.what.split(" (")[0]) for p in _problems(
        tmp_path, [("participant.yaml", items), ("manifest.yaml", indicators)])}
    assert ("participant.yaml groups[0].questions[3].items[1].code",
            "duplicate subquestion code 'JOBTRO'") in result
    assert ("manifest.yaml indicators[1].code", "duplicate indicator code 'jobtro'") in result


@pytest.mark.parametrize(("code", "what"), [
    ("BIPD_X", "code 'BIPD_X' has characters LimeSurvey does not allow"),
    ("1BIPD", "code '1BIPD' has characters LimeSurvey does not allow"),
    ("A" * 21, f"code '{'A' * 21}' is 21 characters long"),
])
def test_invalid_question_codes(tmp_path: Path, code: str, what: str) -> None:
    def change(d: dict[str, Any]) -> None:
        d["groups"][0]["questions"][4]["code"] = code

    result = [(p.where, p.what) for p in _problems(tmp_path, [("participant.yaml", change)])]
    assert result == [("participant.yaml groups[0].questions[4].code", what)]


def test_long_subquestion_and_answer_codes(tmp_path: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        d["scales"]["status"]["answers"][0]["code"] = "WORKING"
        d["scales"]["status"]["answers"][1]["code"] = "ST-Y"

    result = [(p.where, p.what) for p in _problems(tmp_path, [("manifest.yaml", change)])]
    assert ("manifest.yaml scales.status.answers[0].code",
            "code 'WORKING' is 7 characters long") in result
    assert ("manifest.yaml scales.status.answers[1].code",
            "code 'ST-Y' has characters LimeSurvey does not allow") in result


def test_a_language_missing_a_text(tmp_path: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        del _bipd(d)["items"][2]["text"]["da"]
        d["welcome"]["en"] = "  "

    result = [(p.where, p.what) for p in _problems(tmp_path, [("participant.yaml", change)])]
    assert result == [
        ("participant.yaml welcome.en", "the en text is missing"),
        ("participant.yaml groups[0].questions[3].items[2].text.da", "the da text is missing"),
    ]


def test_a_scale_without_labels(tmp_path: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        d["scales"]["intervention"]["answers"] = []
        del d["scales"]["indicator"]["answers"][10]["labels"]

    result = [(p.where, p.what) for p in _problems(tmp_path, [("manifest.yaml", change)])]
    assert ("manifest.yaml scales.intervention.answers",
            "the scale has no answers with labels") in result
    assert ("manifest.yaml scales.indicator.answers[10].labels", "missing") in result


def test_an_indicator_without_items(tmp_path: Path) -> None:
    def drop_item(d: dict[str, Any]) -> None:
        del _bipd(d)["items"][8]  # KVALIF

    def never_asked(d: dict[str, Any]) -> None:
        d["indicators"].append({"code": "EXTRA", "asked_of": [],
                                "labels": {"sv": "x", "da": "x", "en": "x"}})

    result = [(p.where, p.what) for p in _problems(
        tmp_path, [("participant.yaml", drop_item), ("manifest.yaml", never_asked)])]
    assert ("participant.yaml groups",
            "indicator KVALIF has no item in the participant questionnaire") in result
    assert ("manifest.yaml indicators EXTRA", "the indicator has no items") in result


def test_an_indicator_question_without_items_and_an_unknown_item(tmp_path: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        _bipd(d)["items"] = []
        d["groups"][0]["questions"].append({
            "code": "MORE", "type": "indicators", "scale": "indicator",
            "text": {"sv": "x", "da": "x", "en": "x"},
            "items": [{"code": "NOPE", "text": {"sv": "x", "da": "x", "en": "x"}}]})

    result = [(p.where, p.what) for p in _problems(tmp_path, [("participant.yaml", change)])]
    assert ("participant.yaml groups[0].questions[3].items", "no items") in result
    assert ("participant.yaml groups[0].questions[5].items[0].code",
            "'NOPE' is not an indicator of the manifest") in result
    assert ("participant.yaml groups", "2 questions of type indicators") in result


def test_relevance_naming_an_unknown_attribute_or_with_braces(tmp_path: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        d["groups"][1]["questions"][0]["relevance"] = "TOKEN:ATTRIBUTE_42 > 0"
        d["groups"][1]["questions"][1]["relevance"] = "{TOKEN:ATTRIBUTE_2} > 0"
        d["groups"][1]["relevance"] = "TOKEN:WAVE > 0"

    result = [(p.where, p.what) for p in _problems(tmp_path, [("caseworker.yaml", change)])]
    assert result == [
        ("caseworker.yaml groups[1].relevance",
         "'TOKEN:WAVE > 0' names the unknown attribute WAVE"),
        ("caseworker.yaml groups[1].questions[0].relevance",
         "'TOKEN:ATTRIBUTE_42 > 0' names the unknown attribute ATTRIBUTE_42"),
        ("caseworker.yaml groups[1].questions[1].relevance",
         "'{TOKEN:ATTRIBUTE_2} > 0' puts braces around TOKEN:...; LimeSurvey accepts it "
         "silently and the condition does nothing"),
    ]


def test_texts_and_mails_naming_unknown_attributes(tmp_path: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        d["emails"]["invite"]["body"]["sv"] += " {ATTRIBUTE_99}"
        d["groups"][0]["questions"][3]["text"]["en"] += " {TOKEN:ATTRIBUTE_0}"

    result = [(p.where, p.what.split(" names")[1]) for p in _problems(
        tmp_path, [("caseworker.yaml", change)])]
    assert result == [
        ("caseworker.yaml emails.invite.body.sv", " the unknown attribute ATTRIBUTE_99"),
        ("caseworker.yaml groups[0].questions[3].text.en", " the unknown attribute ATTRIBUTE_0"),
    ]


def test_every_problem_at_once_and_nothing_else(tmp_path: Path) -> None:
    def p_change(d: dict[str, Any]) -> None:
        d["groups"][0]["questions"][4]["code"] = "STATUS_1"
        del d["title"]["sv"]

    def c_change(d: dict[str, Any]) -> None:
        d["groups"][1]["questions"][1]["minimum"] = "zero"

    def m_change(d: dict[str, Any]) -> None:
        d["index"]["participant_min_answers"] = 12

    problems = _problems(tmp_path, [("participant.yaml", p_change),
                                    ("caseworker.yaml", c_change), ("manifest.yaml", m_change)])
    result = sorted(p.where for p in problems)
    expected = sorted([
        "participant.yaml title.sv",
        "participant.yaml groups[0].questions[4].code",
        "caseworker.yaml groups[1].questions[1].minimum",
        "manifest.yaml index.participant_min_answers",
    ])
    assert result == expected


def test_missing_folder_and_broken_yaml(tmp_path: Path) -> None:
    with pytest.raises(TemplateError) as info:
        load_templates(tmp_path / "nowhere")
    assert [p.where for p in info.value.problems] == ["manifest.yaml"]
    directory = _copy(tmp_path)
    (directory / "caseworker.yaml").write_text("kind: [unclosed\n", encoding="utf-8")
    with pytest.raises(TemplateError) as info:
        load_templates(directory)
    assert [p.where for p in info.value.problems] == ["caseworker.yaml line 2"]
    assert "Fix each line above" in (info.value.hint or "")
