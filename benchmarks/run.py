"""Run every benchmark and print one table of figures, ratios and peak memory.

    python benchmarks/run.py            # all
    python benchmarks/run.py metrics    # only some: sync, metrics

Each benchmark module exposes ``run() -> dict[str, object]`` (figures) and
``TARGETS: dict[str, str]`` (what each figure must meet). Benchmarks, never tests:
timings depend on the machine.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

BENCHMARKS = {"sync": "bench_sync", "metrics": "bench_metrics"}


def main(argv: list[str]) -> int:
    chosen = argv or list(BENCHMARKS)
    rows: list[tuple[str, str, str, str]] = []
    for name in chosen:
        module = importlib.import_module(BENCHMARKS[name])
        figures = module.run()
        targets = getattr(module, "TARGETS", {})
        for key, value in figures.items():
            shown = f"{value:.3f}" if isinstance(value, float) else str(value)
            rows.append((name, key, shown, targets.get(key, "")))
    header = ("bench", "figure", "value", "target")
    width = [max(len(r[i]) for r in [*rows, header]) for i in range(4)]
    line = "  ".join
    print(line(h.ljust(w) for h, w in zip(header, width, strict=True)))
    print(line("-" * w for w in width))
    for row in rows:
        print(line(c.ljust(w) for c, w in zip(row, width, strict=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
