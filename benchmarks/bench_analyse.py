"""Benchmark: `bip-bridge analyse` end to end against a plain pandas script.

10,000 participants × 8 waves (both questionnaires, about 1 % duplicates and 1 %
incomplete responses), written as LimeSurvey JSON exports. Then, in pairs, one after
the other: `bip-bridge analyse` (a fresh process, as a user runs it: start-up, reading,
metrics, the seven CSV files of the bundle) and benchmarks/reference_analyse.py (a
straightforward pandas script computing the same indices, periods and cohort tables,
and writing less). Each pair gives one ratio, script time / analyse time; the figures
are the median and the spread over the pairs, in wall time and in CPU time (the CPU
time moves less on a shared machine).

    python benchmarks/bench_analyse.py [n_participants]
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
sys.path.insert(0, str(SRC))
sys.path.insert(0, str(HERE))

PAIRS = 3
TARGETS = {"script_over_analyse_wall_median": ">= 3 (analyse 3x faster)",
           "script_over_analyse_cpu_median": ">= 3 (analyse 3x faster)"}


def write_exports(folder: Path, n_participants: int, waves: int = 8) -> tuple[Path, Path]:
    """The synthetic cohort as two LimeSurvey JSON exports (strings, nulls, int ids)."""
    from bench_metrics import default_model

    from bip_bridge.synthetic import generate_frames

    participant, caseworker = generate_frames(n_participants, waves, seed=2024,
                                              model=default_model(), attrition=False)
    paths = []
    for name, frame in (("participant", participant), ("caseworker", caseworker)):
        frame = frame.astype(object).where(frame.notna(), None)
        frame["id"] = frame["id"].astype(int)
        path = folder / f"{name}.json"
        path.write_bytes(orjson.dumps({"responses": frame.to_dict("records")}))
        paths.append(path)
    return paths[0], paths[1]


def bip_bridge_command() -> list[str]:
    """The installed `bip-bridge` script next to this interpreter (what users run)."""
    script = Path(sys.executable).parent / "bip-bridge"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from bip_bridge.cli import main; sys.exit(main())"]


def timed(command: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL,
                   env={**os.environ, "PYTHONPATH": str(SRC)})
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def run(n_participants: int = 10_000, pairs: int = PAIRS) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        p, c = write_exports(folder, n_participants)
        analyse = [*bip_bridge_command(), "analyse", "--participant-export",
                   str(p), "--caseworker-export", str(c), "--out", str(folder / "bundle")]
        script = [sys.executable, str(HERE / "reference_analyse.py"), str(p), str(c),
                  str(folder / "script")]
        walls: dict[str, list[float]] = {"analyse": [], "script": []}
        cpus: dict[str, list[float]] = {"analyse": [], "script": []}
        for _ in range(pairs):
            for name, command in (("analyse", analyse), ("script", script)):
                wall, cpu = timed(command)
                walls[name].append(wall)
                cpus[name].append(cpu)
    ratios_wall = [s / a for s, a in zip(walls["script"], walls["analyse"], strict=True)]
    ratios_cpu = [s / a for s, a in zip(cpus["script"], cpus["analyse"], strict=True)]
    return {
        "participants": n_participants,
        "pairs": pairs,
        "analyse_wall_s": spread(walls["analyse"]),
        "script_wall_s": spread(walls["script"]),
        "analyse_cpu_s": spread(cpus["analyse"]),
        "script_cpu_s": spread(cpus["script"]),
        "script_over_analyse_wall": spread(ratios_wall),
        "script_over_analyse_wall_median": statistics.median(ratios_wall),
        "script_over_analyse_cpu_median": statistics.median(ratios_cpu),
    }


if __name__ == "__main__":
    figures = run(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
    for key, value in figures.items():
        shown = f"{value:.3f}" if isinstance(value, float) else str(value)
        print(f"{key:34} {shown:>22}  {TARGETS.get(key, '')}")
