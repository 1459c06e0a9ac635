"""Progression cards and the caseworkers' index pages in headless Chromium (Debian's
chromium): rendered to PNG with no console message, and printed to PDF on exactly one A4
page, in sv, da and en. Skips when /usr/bin/chromium is absent (apt-get install chromium).

Set BIP_BRIDGE_KEEP_PNG=<folder> to keep the PNG and PDF files for a look by eye.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from bip_bridge.reports import write_report_folder
from bip_bridge.reports.build import ReportInputs
from bip_bridge.reports.cards import find_card, index_path
from regen_golden import golden_inputs

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() or not shutil.which(CHROMIUM),
                                reason="needs Debian's chromium at /usr/bin/chromium")
LANGUAGES = ("sv", "da", "en")
NAMES = {"sv": "Märta-Lovisa", "da": "Søren", "en": "Chloe"}


def chromium(page: Path, *args: str) -> str:
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--enable-logging=stderr", "--v=0", *args, page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stderr


def pdf_pages(pdf: Path) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf.read_bytes()))


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One card per language (the participant with the most waves) and each language's
    index page, from the golden cohort, with first names."""
    result, model = golden_inputs()
    waves = result.indices.groupby("pseudonym", observed=True)["wave"].nunique()
    chosen = list(waves.sort_values(ascending=False, kind="stable").index[:3])
    out: dict[str, Path] = {}
    for language, pseudonym in zip(LANGUAGES, chosen, strict=True):
        folder = tmp_path_factory.mktemp(f"cards-{language}") / "2025-03-01"
        people = sorted(result.indices["pseudonym"].unique())
        inputs = ReportInputs(languages={p: language for p in people},
                              caseworkers={p: "HL-017" for p in people[:12]},
                              first_names={p: NAMES[language] if p == pseudonym else f"Namn{i}"
                                           for i, p in enumerate(people)},
                              enrolled_on={p: dt.date(2024, 1, 10) for p in people})
        write_report_folder(result, folder, model, language=language, min_cell=5,
                            today=dt.date(2025, 3, 1), inputs=inputs)
        card = find_card(folder, pseudonym)
        assert card is not None
        out[f"card.{language}"] = card
        out[f"index.{language}"] = index_path(folder, "HL-017")
    return out


@pytest.mark.parametrize("name", [f"{kind}.{lang}" for kind in ("card", "index")
                                  for lang in LANGUAGES])
def test_renders_on_one_a4_page(pages: dict[str, Path], name: str, tmp_path: Path) -> None:
    page = pages[name]
    keep = os.environ.get("BIP_BRIDGE_KEEP_PNG")
    target = Path(keep) if keep else tmp_path
    target.mkdir(parents=True, exist_ok=True)
    png, pdf = target / f"{name}.png", target / f"{name}.pdf"
    log = chromium(page, "--window-size=794,1123", f"--screenshot={png}")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 20_000  # a rendered page, not a blank one
    consoles = [line for line in log.splitlines() if ":CONSOLE" in line]
    assert consoles == [], consoles
    chromium(page, "--no-pdf-header-footer", f"--print-to-pdf={pdf}")
    assert pdf_pages(pdf) == 1, f"{name} does not fit one A4 page"
    text = page.read_text(encoding="utf-8")
    language = name.split(".")[1]
    assert f'<html lang="{language}">' in text
    assert NAMES[language] in text


def test_pdf_page_count_sees_two_pages(tmp_path: Path) -> None:
    """The one-page check can fail: a page twice as long prints on two pages."""
    page = tmp_path / "long.html"
    page.write_text("<!DOCTYPE html><html><body>" + "<p>x</p>" * 120 + "</body></html>",
                    encoding="utf-8")
    pdf = tmp_path / "long.pdf"
    chromium(page, "--no-pdf-header-footer", f"--print-to-pdf={pdf}")
    assert pdf_pages(pdf) >= 2


def test_a_three_year_card_still_fits_one_page(tmp_path: Path) -> None:
    """13 waves: the period strip switches to symbols and the chart to bare month
    numbers, so the card stays on one A4 page."""
    from bip_bridge.metrics import compute_metrics
    from bip_bridge.synthetic import generate_frames
    from bip_bridge.templates import load_templates

    model = load_templates().model
    p_df, c_df = generate_frames(6, 13, seed=5, model=model)
    result = compute_metrics(p_df, c_df, model)
    waves = result.indices.groupby("pseudonym", observed=True)["wave"].nunique()
    longest = str(waves.idxmax())
    assert waves.max() == 13
    folder = write_report_folder(
        result, tmp_path / "2025-03-01", model, language="sv", min_cell=5,
        today=dt.date(2025, 3, 1),
        inputs=ReportInputs(first_names={longest: "Marie-Louise Anna-Karin"}))
    card = find_card(folder, longest)
    assert card is not None
    assert 'class="strip compact"' in card.read_text(encoding="utf-8")
    pdf = tmp_path / "long-card.pdf"
    chromium(card, "--no-pdf-header-footer", f"--print-to-pdf={pdf}")
    assert pdf_pages(pdf) == 1
