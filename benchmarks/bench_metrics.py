"""Benchmark: compute_metrics on 200,000 participants × 8 waves (both surveys).

    python benchmarks/bench_metrics.py [n_participants]

Generates the response frames in memory (bip_bridge.synthetic.generate_frames, every
wave answered, plus ~1 % duplicates and ~1 % incomplete responses), then times one
``compute_metrics`` call. Peak memory is the process's peak RSS (resource.getrusage),
which includes the generated inputs. Targets: <= 20 s and <= 3 GB.
"""

from __future__ import annotations

import gc
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from bip_bridge.model import Indicator, MeasurementModel

TARGETS = {"metrics_seconds": "<= 20", "peak_rss_gb": "<= 3"}
_CODES = (("JOBTRO", "PC"), ("JOBSOK", "PC"), ("ARBKUN", "PC"), ("MALRIK", "PC"),
          ("SAMARB", "PC"), ("HALMES", "PC"), ("VARMES", "PC"), ("NATVRK", "PC"),
          ("KVALIF", "PC"), ("ARBFOR", "C"), ("HLTRO", "C"))


def default_model() -> MeasurementModel:
    """The default template's model (from the templates when they load, else the spec)."""
    try:
        from bip_bridge.templates import load_templates

        return load_templates(None).model  # type: ignore[no-any-return]
    except Exception:
        return MeasurementModel(
            template_version="benchmark",
            indicators=tuple(Indicator(code, {"en": code}, frozenset(who))
                             for code, who in _CODES),
        )


def run(n_participants: int = 200_000, waves: int = 8) -> dict[str, object]:
    from bip_bridge.metrics import compute_metrics
    from bip_bridge.synthetic import generate_frames

    model = default_model()
    t0 = time.perf_counter()
    participant, caseworker = generate_frames(n_participants, waves, seed=2024, model=model,
                                              attrition=False)
    generated = time.perf_counter() - t0
    gc.collect()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    result = compute_metrics(participant, caseworker, model)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # KiB -> GiB
    return {
        "participants": n_participants,
        "participant_responses": len(participant),
        "caseworker_responses": len(caseworker),
        "score_rows": len(result.scores),
        "generate_seconds": round(generated, 2),
        "metrics_seconds": round(wall, 2),
        "metrics_cpu_seconds": round(cpu, 2),
        "peak_rss_gb": round(peak, 2),
    }


if __name__ == "__main__":
    figures = run(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000)
    for key, value in figures.items():
        print(f"{key:24} {value}  {TARGETS.get(key, '')}")
