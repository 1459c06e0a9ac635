"""Golden files: every CSV of the bundle, the HTML report (sv, en) and a card, on the fixed
synthetic cohort of tests/regen_golden.py. Regenerate with `python tests/regen_golden.py`."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest

from bip_bridge.reports.dictionary import FALLBACK
from bip_bridge.reports.html import render_report_html
from regen_golden import GOLDEN, MIN_CELL, TODAY, golden_inputs, golden_outputs, mask_images


@pytest.fixture(scope="module")
def outputs() -> dict[str, str]:
    return golden_outputs()


@pytest.fixture(scope="module")
def inputs() -> tuple[Any, Any]:
    return golden_inputs()


NAMES = ["scores.csv", "indices.csv", "periods.csv", "cohort.csv", "outcomes.csv",
         "data_quality.csv", "data_dictionary.csv", "cohort.excel.csv", "report.sv.html",
         "report.da.html", "report.en.html", "card.da.html", "card.named.sv.html",
         "cards_index.sv.html"]


@pytest.mark.parametrize("name", NAMES)
def test_matches_golden(outputs: dict[str, str], name: str) -> None:
    expected = (GOLDEN / name).read_bytes().decode("utf-8")
    result = outputs[name]
    assert result == expected, f"{name} differs: run `python tests/regen_golden.py` and review"


def test_golden_folder_has_no_stray_files() -> None:
    assert sorted(p.name for p in GOLDEN.iterdir()) == sorted(NAMES)


def test_dictionary_describes_every_real_column(outputs: dict[str, str]) -> None:
    assert FALLBACK not in outputs["data_dictionary.csv"]


def test_report_is_self_contained(outputs: dict[str, str]) -> None:
    for name in ("report.sv.html", "report.da.html", "report.en.html", "card.da.html",
                 "card.named.sv.html", "cards_index.sv.html"):
        html = outputs[name]
        assert not re.search(r"(https?:)?//[a-z]", html.replace("http-equiv", "")), name
        assert "<script" not in html


def test_report_charts_are_png(inputs: tuple[Any, Any]) -> None:
    result, model = inputs
    html = render_report_html(result, model, language="sv", min_cell=MIN_CELL, today=TODAY)
    images = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", html)
    expected_count = 1 + result.cohort["grouping"].nunique()  # over time + one per grouping
    assert len(images) == expected_count
    assert all(base64.b64decode(i).startswith(b"\x89PNG\r\n\x1a\n") for i in images)
    again = render_report_html(result, model, language="sv", min_cell=MIN_CELL, today=TODAY)
    assert again == html  # byte-stable on one machine


@pytest.mark.parametrize("language", ["sv", "da", "en"])
def test_report_holds_no_pseudonym_response_id_or_token(inputs: tuple[Any, Any],
                                                        language: str) -> None:
    """The management report carries aggregates only: row-level findings stay in
    data_quality.csv (spec: no pseudonym, response id or token in the report)."""
    result, model = inputs
    html = mask_images(render_report_html(result, model, language=language,
                                          min_cell=MIN_CELL, today=TODAY))
    assert len(result.data_quality) > 0  # the cohort has findings to leak
    for pseudonym in set(result.indices["pseudonym"]) | set(result.data_quality["pseudonym"]
                                                              .dropna()):
        assert str(pseudonym) not in html
    for column in ("response_id", "sid"):
        for value in result.data_quality[column].dropna().unique():
            assert not re.search(rf"(?<![\d,.]){int(value)}(?![\d,.])", html.split(
                "<main>")[1].split("id=\"quality\"")[1]), f"{column} {value} in the report"
    assert "Svars-id" not in html and "Response id" not in html and "Svar-id" not in html
    assert "token" not in html.lower()
    assert "docs/metrics.md" not in html


@pytest.mark.parametrize("language", ["sv", "da", "en"])
def test_counts_and_waves_are_whole_numbers(inputs: tuple[Any, Any], language: str) -> None:
    result, model = inputs
    html = render_report_html(result, model, language=language, min_cell=MIN_CELL, today=TODAY)
    for section in ("waves", "outcomes", "quality"):
        body = html.split(f'<section id="{section}">')[1].split("</section>")[0]
        assert not re.search(r"\d[,.]\d", body), f"a decimal in the {section} section"
    header = html.split("<main>")[0].replace(f"<dd>{model.template_version}</dd>", "")
    assert not re.search(r"<dd>\d+[,.]\d", header)
