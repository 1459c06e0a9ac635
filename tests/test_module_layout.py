"""Participants and waves: modules that a reader can hold in mind, importing one way only."""

from __future__ import annotations

import ast
from pathlib import Path

import bip_bridge

SRC = Path(bip_bridge.__file__).parent
MODULES = ("pseudonyms", "roster", "cohort", "wave_calendar", "duelist", "tokens", "waves",
           "participants", "erasure")


def _imports(name: str) -> set[str]:
    tree = ast.parse((SRC / f"{name}.py").read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):  # also imports inside functions
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith("bip_bridge."):
                found.add(node.module.split(".")[1])
            elif node.module == "bip_bridge":
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names
                         if a.name.startswith("bip_bridge."))
    return found & set(MODULES)


def test_participants_and_waves_modules_import_in_one_direction() -> None:
    graph = {name: _imports(name) for name in MODULES}

    def reaches(start: str, goal: str, seen: frozenset[str] = frozenset()) -> bool:
        return any(n == goal or (n not in seen and reaches(n, goal, seen | {n}))
                   for n in graph[start])

    cycles = [name for name in MODULES if reaches(name, name)]
    assert cycles == []
    assert "waves" not in graph["participants"] and "participants" not in graph["waves"]
