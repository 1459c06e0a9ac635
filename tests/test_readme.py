"""The README as a new user meets it: exactly two set-up commands at the top (the first
runs the demo), and a documentation table that names every file in docs/."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_top_has_exactly_two_set_up_commands() -> None:
    top = README[:README.index("\n## ")]
    blocks = re.findall(r"```bash\n(.*?)```", top, flags=re.S)
    assert len(blocks) == 2
    assert all(len(block.strip().splitlines()) == 1 for block in blocks)
    assert blocks[0].strip().endswith("bip-bridge demo")
    assert "pytest" in blocks[1]


def test_documentation_table_names_every_doc() -> None:
    table = README[README.index("## Documentation"):README.index("## Privacy")]
    named = set(re.findall(r"`(docs/[\w.-]+\.md)`", table))
    on_disk = {f"docs/{p.name}" for p in (ROOT / "docs").glob("*.md")}
    assert named == on_disk


def test_documentation_table_names_the_new_commands() -> None:
    table = README[README.index("## Documentation"):README.index("## Privacy")]
    for words in ("templates preview", "letters", "status", "participants card",
                  "--email-cards", "caseworker digest"):
        assert words in table, words
