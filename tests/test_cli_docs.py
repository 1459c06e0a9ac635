"""Every CLI command is documented in docs/cli.md, and the text there is current."""

from __future__ import annotations

from pathlib import Path

from bip_bridge.cli import main
from bip_bridge.cli.reference import iter_commands, render

DOC = Path(__file__).resolve().parents[1] / "docs" / "cli.md"
REGEN = "python -m bip_bridge.cli.reference > docs/cli.md"


def test_every_command_has_a_section() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [path for path, _ in iter_commands(main) if f"\n## {path}\n" not in text]
    assert not missing, f"undocumented commands {missing}; run: {REGEN}"


def test_every_command_has_help_text() -> None:
    bare = [path for path, cmd in iter_commands(main) if not (cmd.help or "").strip()]
    assert not bare, f"commands without --help text: {bare}"


def test_reference_is_current() -> None:
    assert DOC.read_text(encoding="utf-8") == render(main), f"docs/cli.md is stale; run: {REGEN}"
