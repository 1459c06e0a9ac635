"""The CLI starts light: `--version` and `--help` import no data library.

Structural, not timed (timings are benchmarks/run.py's): importing the CLI in a fresh
interpreter must leave the heavy libraries out of sys.modules; each command imports
what it needs when it runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("pandas", "numpy", "scipy", "matplotlib", "statsmodels", "sqlalchemy", "alembic",
         "citric", "jinja2", "rich", "yaml")
SRC = str(Path(__file__).resolve().parents[1] / "src")


def _imported_after(code: str) -> list[str]:
    probe = (f"import sys\n{code}\nimport json\n"
             f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, env=env)
    return list(json.loads(out.stdout.strip().splitlines()[-1]))


def test_importing_the_cli_imports_no_heavy_library() -> None:
    assert _imported_after("import bip_bridge.cli") == []


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["sync", "--help"],
                                  ["report", "--help"], ["analyse", "--help"]])
def test_version_and_help_import_no_heavy_library(args: list[str]) -> None:
    code = ("from bip_bridge.cli import main\n"
            f"try:\n    main({args!r}, standalone_mode=False)\nexcept SystemExit:\n    pass")
    assert _imported_after(code) == []


@pytest.mark.parametrize(("code", "absent"), [
    # `analyse` writes the bundle: no charts library for CSV files
    ("from bip_bridge.reports import write_analyst_bundle\n"
     "from bip_bridge.metrics import compute_metrics", ("matplotlib", "scipy.stats")),
    # the cron job: the HTML report's libraries only when it writes reports
    ("import bip_bridge.jobs\nimport bip_bridge.pushback\n"
     "from bip_bridge.reports.build import compute_from_store", ("matplotlib", "scipy.stats")),
])
def test_commands_import_only_what_they_use(code: str, absent: tuple[str, ...]) -> None:
    probe = (f"import sys\n{code}\nimport json\n"
             f"print(json.dumps([m for m in {absent!r} if m in sys.modules]))")
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, env=env)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
