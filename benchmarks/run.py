"""Run every benchmark and print one table: each figure with its target, and the load.

    python benchmarks/run.py                  # all
    python benchmarks/run.py sync metrics     # only some (names below)

Each benchmark module exposes ``TARGETS: dict[str, str]`` (what a figure must meet) and
a function returning its figures. Every benchmark runs in its own process, so peak
memory (the process's peak RSS) is its own. The machine's load average is printed
before and after: the machine is shared, and timings move with it (the sync and
analyse benchmarks alternate their runs in pairs and report medians for that reason).
Benchmarks, never tests: tests/test_benchmarks_smoke.py only checks that the
functions run at tiny sizes.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

# name -> (module, function, keyword arguments of the full-size run)
BENCHMARKS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "startup": ("bench_startup", "run", {}),
    "sync": ("bench_sync", "run", {}),
    "sync-memory": ("bench_sync", "run_memory", {}),
    "job": ("bench_job", "run", {}),
    "analyse": ("bench_analyse", "run", {}),
    "report": ("bench_report", "report", {}),
    "cards": ("bench_report", "cards", {}),
    "metrics": ("bench_metrics", "run", {}),
}

# The same functions at sizes that take seconds (tests/test_benchmarks_smoke.py).
SMOKE: dict[str, dict[str, Any]] = {
    "startup": {"runs": 1},
    "sync": {"pairs": 1, "n": 300, "page": 100},
    "analyse": {"n_participants": 40, "pairs": 1},
    "report": {"n": 40},
    "cards": {"n": 5},
    "metrics": {"n_participants": 40},
}


def figures_of(name: str, sizes: dict[str, Any] | None = None) -> dict[str, object]:
    """Run one benchmark in this process and return its figures."""
    module, function, kwargs = BENCHMARKS[name]
    run = getattr(importlib.import_module(module), function)
    return dict(run(**(kwargs if sizes is None else sizes)))


def targets_of(name: str) -> dict[str, str]:
    return dict(getattr(importlib.import_module(BENCHMARKS[name][0]), "TARGETS", {}))


def in_child(name: str) -> dict[str, object]:
    """Run one benchmark in a fresh interpreter and read its figures (JSON on stdout)."""
    out = subprocess.run([sys.executable, __file__, "--json", name],
                         stdout=subprocess.PIPE, text=True)
    if out.returncode != 0 or not out.stdout.strip():  # its traceback went to stderr
        return {"failed": f"exit status {out.returncode} (see the output above)"}
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def table(rows: list[tuple[str, str, str, str]]) -> list[str]:
    header = ("bench", "figure", "value", "target")
    width = [max(len(r[i]) for r in [*rows, header]) for i in range(4)]
    line = "  ".join
    return [line(h.ljust(w) for h, w in zip(header, width, strict=True)),
            line("-" * w for w in width),
            *(line(c.ljust(w) for c, w in zip(row, width, strict=True)).rstrip()
              for row in rows)]


def shown(value: object) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def main(argv: list[str]) -> int:
    if argv[:1] == ["--json"]:
        print(json.dumps(figures_of(argv[1]), default=str))
        return 0
    chosen = argv or list(BENCHMARKS)
    unknown = [n for n in chosen if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}",
              file=sys.stderr)
        return 2
    print(f"before: {load()}", flush=True)
    rows: list[tuple[str, str, str, str]] = []
    for name in chosen:
        targets = targets_of(name)
        for key, value in in_child(name).items():
            rows.append((name, key, shown(value), targets.get(key, "")))
        print(f"  {name} done ({load()})", file=sys.stderr, flush=True)
    print("\n".join(table(rows)))
    print(f"after: {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
