"""Benchmarks: the report for a large cohort, and the progression cards.

* report: 100,000 participants × 8 waves (both questionnaires, generated in memory
  as bench_metrics does): ``compute_metrics``, the analyst bundle (the seven CSV
  files) and report.html, timed together and apart; peak memory is the process's
  peak RSS (it includes the generated inputs). Targets: <= 60 s and <= 4 GB.
* cards: the progression cards and the caseworkers' index pages for 2,000
  participants × 8 waves (``bip_bridge.reports.cards.write_cards``, what
  ``bip-bridge report`` calls), metrics computed beforehand. Target: <= 30 s.

Run each in its own process (peak RSS is per process): benchmarks/run.py does.

    python benchmarks/bench_report.py [report|cards] [n_participants]
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

TARGETS = {"report_total_s": "<= 60", "report_peak_rss_gb": "<= 4", "cards_s": "<= 30"}
TODAY = dt.date(2026, 11, 30)


def _frames(n: int, waves: int = 8) -> tuple[object, object, object]:
    from bench_metrics import default_model

    from bip_bridge.synthetic import generate_frames

    model = default_model()
    participant, caseworker = generate_frames(n, waves, seed=2024, model=model,
                                              attrition=False)
    return model, participant, caseworker


def report(n: int = 100_000) -> dict[str, object]:
    from bip_bridge.metrics import compute_metrics
    from bip_bridge.reports.bundle import write_bundle_files
    from bip_bridge.reports.html import render_report_html

    model, participant, caseworker = _frames(n)
    gc.collect()
    with tempfile.TemporaryDirectory() as tmp:
        cpu0 = time.process_time()
        t0 = time.perf_counter()
        result = compute_metrics(participant, caseworker, model)  # type: ignore[arg-type]
        t1 = time.perf_counter()
        write_bundle_files(result, Path(tmp), model=model, min_cell=5)  # type: ignore[arg-type]
        t2 = time.perf_counter()
        html = render_report_html(result, model, language="sv", min_cell=5,  # type: ignore[arg-type]
                                  today=TODAY)
        (Path(tmp) / "report.html").write_text(html, encoding="utf-8")
        t3 = time.perf_counter()
        cpu = time.process_time() - cpu0
        size_mb = sum(p.stat().st_size for p in Path(tmp).iterdir()) / 1e6
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    return {
        "report_participants": n,
        "report_metrics_s": round(t1 - t0, 2),
        "report_bundle_s": round(t2 - t1, 2),
        "report_html_s": round(t3 - t2, 2),
        "report_total_s": round(t3 - t0, 2),
        "report_total_cpu_s": round(cpu, 2),
        "report_files_mb": round(size_mb, 1),
        "report_peak_rss_gb": round(peak, 2),
    }


def cards(n: int = 2_000) -> dict[str, object]:
    from bip_bridge.metrics import compute_metrics
    from bip_bridge.reports.cards import CardPeople, write_cards

    model, participant, caseworker = _frames(n)
    result = compute_metrics(participant, caseworker, model)  # type: ignore[arg-type]
    with tempfile.TemporaryDirectory() as tmp:
        cpu0 = time.process_time()
        start = time.perf_counter()
        written = write_cards(result, Path(tmp), model, language="sv",  # type: ignore[arg-type]
                              today=TODAY, people=CardPeople())
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu0
    return {"cards_participants": n, "cards_written": len(written),
            "cards_s": round(elapsed, 2), "cards_cpu_s": round(cpu, 2)}


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--json"]
    kind = args[0] if args else "report"
    size = int(args[1]) if len(args) > 1 else (100_000 if kind == "report" else 2_000)
    figures = report(size) if kind == "report" else cards(size)
    if "--json" in sys.argv:
        print(json.dumps(figures))
    else:
        for key, value in figures.items():
            print(f"{key:24} {value}  {TARGETS.get(key, '')}")
