"""Benchmark: the whole `bip-bridge sync` job, as cron runs it.

A world process (benchmarks/job_world.py) runs the demo's year on the bundled emulator
(provisioned surveys, a synthetic cohort of 240, a year of waves, syncs and push-backs)
and keeps the emulator serving. Then `bip-bridge --config … sync` is run as a fresh
process, the way cron runs it: start-up, the lock, opening and checking the store,
the template drift check, the waves, the pull and the push-back, in that order:

* with nothing to do (everything pulled, nothing due): the fixed cost of every run;
* with 1 % new responses (added in LimeSurvey before each run).

Runs alternate (nothing, 1 % new, nothing, …); figures are medians with the spread.

    python benchmarks/bench_job.py [participants]
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
RUNS = 3
TARGETS: dict[str, str] = {"job_nothing_new_s": "(reported: the fixed cost of a run)",
                           "job_1pct_new_s": "(reported)"}


def bip_bridge_command() -> list[str]:
    script = Path(sys.executable).parent / "bip-bridge"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from bip_bridge.cli import main; sys.exit(main())"]


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def run(participants: int = 240, runs: int = RUNS) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    with tempfile.TemporaryDirectory() as tmp:
        world = subprocess.Popen(
            [sys.executable, str(HERE / "job_world.py"), str(Path(tmp) / "world"),
             str(participants)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        assert world.stdin is not None and world.stdout is not None
        try:
            line = world.stdout.readline()
            if not line:
                raise RuntimeError("the world process ended before it was ready")
            info = json.loads(line)
            job_env = {**env, **info["env"]}
            sync = [*bip_bridge_command(), "--config", info["config"], "-q", "sync"]
            subprocess.run(sync, check=True, env=job_env, cwd=tmp)  # settle: nothing left
            new = max(info["responses"] // 100, 1)
            nothing: list[float] = []
            some: list[float] = []
            for _ in range(runs):
                start = time.perf_counter()
                subprocess.run(sync, check=True, env=job_env, cwd=tmp)
                nothing.append(time.perf_counter() - start)
                world.stdin.write(f"add {new}\n")
                world.stdin.flush()
                json.loads(world.stdout.readline())
                start = time.perf_counter()
                subprocess.run(sync, check=True, env=job_env, cwd=tmp)
                some.append(time.perf_counter() - start)
        finally:
            with contextlib.suppress(OSError):  # the world may have died (its error is shown)
                world.stdin.write("quit\n")
                world.stdin.flush()
            try:
                world.wait(timeout=30)
            except subprocess.TimeoutExpired:
                world.kill()
                world.wait()
            world.stdout.close()
            world.stdin.close()
    return {
        "job_store_responses": info["responses"],
        "job_new_per_run": new,
        "job_nothing_new_s": statistics.median(nothing),
        "job_nothing_new_spread_s": spread(nothing),
        "job_1pct_new_s": statistics.median(some),
        "job_1pct_new_spread_s": spread(some),
    }


if __name__ == "__main__":
    for key, value in run(int(sys.argv[1]) if len(sys.argv) > 1 else 240).items():
        shown = f"{value:.3f}" if isinstance(value, float) else str(value)
        print(f"{key:28} {shown:>22}  {TARGETS.get(key, '')}")
