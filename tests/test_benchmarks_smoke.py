"""The benchmarks' functions run (at tiny sizes): they are not timed here, only kept working.

The figures themselves come from `python benchmarks/run.py`, never from the tests.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import run as bench_run  # noqa: E402


@pytest.mark.parametrize("name", sorted(bench_run.SMOKE))
def test_benchmark_runs_at_a_tiny_size(name: str) -> None:
    figures = bench_run.figures_of(name, bench_run.SMOKE[name])
    assert figures
    assert set(bench_run.targets_of(name)) & set(figures)  # at least one figure has a target
    assert all(bench_run.shown(v) for v in figures.values())


def test_the_table_prints_every_row_with_its_target() -> None:
    lines = bench_run.table([("sync", "ratio", "1.2", "<= 1.5"), ("metrics", "s", "3", "")])
    assert lines[0].split() == ["bench", "figure", "value", "target"]
    assert lines[2].split() == ["sync", "ratio", "1.2", "<=", "1.5"]
    assert "load average" in bench_run.load()
