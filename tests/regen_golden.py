"""The fixed synthetic cohort of the golden-file tests, and the ONE command that
regenerates every golden file:

    python tests/regen_golden.py

It runs the real metrics (bip_bridge.metrics.compute_metrics) on a fixed synthetic cohort
(bip_bridge.synthetic.generate_frames, seed below) with the shipped templates, and
writes into tests/golden/: every CSV of the analyst bundle, cohort.csv in the Excel
variant, the HTML report in Swedish, Danish and English, a progression card without a
name (da), one with a first name (sv) and that caseworker's index page. The PNG
charts' base64 data is masked in the HTML goldens (matplotlib/FreeType versions change
pixels, not meaning); tests/test_reports_golden.py checks the images separately.
Review the diff (git diff tests/golden) before committing regenerated files.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path
from typing import Any

GOLDEN = Path(__file__).resolve().parent / "golden"
TODAY = dt.date(2025, 3, 1)
SEED = 20250301
N_PARTICIPANTS = 30
WAVES = 4
MIN_CELL = 5
_PNG = re.compile(r"data:image/png;base64,[A-Za-z0-9+/=]+")


def mask_images(html: str) -> str:
    return _PNG.sub("data:image/png;base64,MASKED", html)


def golden_inputs() -> tuple[Any, Any]:
    """(MetricsResult, MeasurementModel) of the fixed synthetic cohort."""
    from bip_bridge.metrics import compute_metrics
    from bip_bridge.synthetic import generate_frames
    from bip_bridge.templates import load_templates

    model = load_templates().model
    participant_df, caseworker_df = generate_frames(N_PARTICIPANTS, WAVES, seed=SEED, model=model)
    return compute_metrics(participant_df, caseworker_df, model, min_cell=MIN_CELL), model


def golden_outputs() -> dict[str, str]:
    """File name in tests/golden -> expected text."""
    from bip_bridge.reports.bundle import bundle_frames
    from bip_bridge.reports.card_view import render_card_html
    from bip_bridge.reports.csvout import EXCEL, PLAIN, to_csv_text
    from bip_bridge.reports.html import render_report_html

    result, model = golden_inputs()
    frames = bundle_frames(result, model, min_cell=MIN_CELL)
    out = {f"{name}.csv": to_csv_text(df, PLAIN) for name, df in frames.items()}
    out["cohort.excel.csv"] = to_csv_text(frames["cohort"], EXCEL)
    for language in ("sv", "da", "en"):
        out[f"report.{language}.html"] = mask_images(render_report_html(
            result, model, language=language, min_cell=MIN_CELL, today=TODAY))
    first = sorted(result.indices["pseudonym"].unique())[0]
    out["card.da.html"] = render_card_html(result, first, model, language="da", today=TODAY,
                                           caseworker_id="CW01")
    out.update(named_cards(result, model))
    return out


def named_cards(result: Any, model: Any) -> dict[str, str]:
    """A Swedish card with a first name and its caseworker's index page, as the report
    writes them (first names as LimeSurvey would give them at render time)."""
    import tempfile

    from bip_bridge.reports.cards import CardPeople, find_card, index_path, write_cards

    people = sorted(result.indices["pseudonym"].unique())
    first = people[0]
    names = {p: f"Deltagare {chr(65 + i % 26)}{i // 26 or ''}" for i, p in enumerate(people)}
    names[first] = "Märta"
    card_people = CardPeople(languages={p: "sv" for p in people},
                             caseworkers={p: "CW01" for p in people[:10]},
                             first_names=names,
                             enrolled_on={p: dt.date(2024, 1, 10) for p in people},
                             interval_months=3)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_cards(result, folder, model, language="sv", today=TODAY, people=card_people)
        card = find_card(folder, first)
        assert card is not None
        return {"card.named.sv.html": card.read_text(encoding="utf-8"),
                "cards_index.sv.html": index_path(folder, "CW01").read_text(encoding="utf-8")}


def main() -> int:
    GOLDEN.mkdir(exist_ok=True)
    outputs = golden_outputs()
    for stale in GOLDEN.iterdir():
        if stale.name not in outputs:
            stale.unlink()
    for name, text in outputs.items():
        (GOLDEN / name).write_text(text, encoding="utf-8", newline="")
        print(f"wrote tests/golden/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
