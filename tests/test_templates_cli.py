"""`bip-bridge templates validate` and `templates build`."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from bip_bridge.cli import main
from bip_bridge.templates import compile_lss, load_templates
from bip_bridge.templates.loader import default_template_dir


def test_build_writes_both_lss_files(tmp_path: Path) -> None:
    out = tmp_path / "lss"
    result = CliRunner().invoke(main, ["--config", str(tmp_path / "none.toml"), "templates",
                                       "build", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["caseworker.lss", "participant.lss"]
    t = load_templates()
    written = (out / "participant.lss").read_bytes()
    expected = compile_lss(t.participant)
    # identical apart from the creation timestamp
    strip = [line for line in written.splitlines() if b"<datecreated>" not in line]
    assert strip == [line for line in expected.splitlines() if b"<datecreated>" not in line]


def test_validate_reports_every_problem_and_exits_65(tmp_path: Path) -> None:
    directory = tmp_path / "mine"
    shutil.copytree(default_template_dir(), directory)
    text = (directory / "participant.yaml").read_text(encoding="utf-8")
    text = text.replace("code: STATUS", "code: STATUS_X").replace("code: BIPD", "code: BIPD_")
    (directory / "participant.yaml").write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(tmp_path / "none.toml"), "templates",
                                       "validate", "--template-dir", str(directory)])
    assert result.exit_code == 65
    assert "participant.yaml groups[0].questions[3].code: code 'BIPD_'" in result.output
    assert "participant.yaml groups[0].questions[4].code: code 'STATUS_X'" in result.output
    ok = CliRunner().invoke(main, ["--config", str(tmp_path / "none.toml"), "templates",
                                   "validate"])
    assert ok.exit_code == 0
    assert "version 1.0.0, valid" in ok.output
    assert "caseworker: 7 questions (PSEUDO, WAVE, CWID, BIPH[11], STATUS, INS[4], GAPW)" in \
        ok.output
