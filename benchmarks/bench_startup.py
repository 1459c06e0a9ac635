"""Benchmark: how long `bip-bridge --version` and `bip-bridge --help` take, and their memory.

Each is run as a fresh process (the installed script, as a user types it) several
times, alternating; the figures are the median wall time and the peak memory of the
child. The structural side (no pandas, scipy, matplotlib or SQLAlchemy imported by
the CLI's start) is a test: tests/test_cli_imports.py.

    python benchmarks/bench_startup.py
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
RUNS = 7
TARGETS = {"version_s": "<= 0.3", "help_s": "<= 0.3"}


def bip_bridge_command() -> list[str]:
    script = Path(sys.executable).parent / "bip-bridge"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from bip_bridge.cli import main; sys.exit(main())"]


def once(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([*bip_bridge_command(), *args], check=True, stdout=subprocess.DEVNULL,
                   env={**os.environ, "PYTHONPATH": str(SRC)})
    return time.perf_counter() - start


def run(runs: int = RUNS) -> dict[str, object]:
    times: dict[str, list[float]] = {"version": [], "help": []}
    for _ in range(runs):
        times["version"].append(once(["--version"]))
        times["help"].append(once(["--help"]))
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "version_s": statistics.median(times["version"]),
        "help_s": statistics.median(times["help"]),
        "slowest_of_all_s": max(times["version"] + times["help"]),
        "peak_mb_of_a_start": round(peak_mb, 1),
    }


if __name__ == "__main__":
    for key, value in run().items():
        shown = f"{value:.3f}" if isinstance(value, float) else str(value)
        print(f"{key:24} {shown:>10}  {TARGETS.get(key, '')}")
