"""`bip-bridge demo` end to end on a small cohort: it runs, writes everything, and refuses
to clobber a folder that is not its own."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from click.testing import CliRunner

from bip_bridge.cli import main
from bip_bridge.demo import MARKER, run_demo


def test_demo_runs_the_whole_bridge(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = run_demo(out, participants=30, months=6, seed=7, today=date(2026, 11, 22))

    day = result.report_dir
    assert day == out / "reports" / "2026-11-22"
    for name in ("scores.csv", "indices.csv", "periods.csv", "cohort.csv", "outcomes.csv",
                 "data_quality.csv", "data_dictionary.csv", "report.html"):
        assert (day / name).is_file(), name
    assert list((day / "cards").glob("*/*.html")), "no progression cards"
    assert (out / "bip-bridge.sqlite").is_file()
    assert result.responses["participant"] > 30 and result.responses["caseworker"] > 30
    assert result.mails["invitations"] >= 2 * 30
    assert result.mails["digests"] >= 4  # caseworkers hear by one digest per run
    mail = sorted((result.out_dir / "mail").glob("*.eml"))
    assert len(mail) == result.mails["digests"] and b"Subject: BIP: " in mail[0].read_bytes()
    assert any("d_p" in line or "=" in line for line in result.recovered)
    # the adjusted difference stands next to each raw mean (or says why there is none)
    assert "adjusted difference" in result.recovered[0]
    assert any(("reference group" in line or "too few for the model" in line or " vs " in line)
               and "n=" in line for line in result.recovered[1:])
    # The configuration the demo wrote holds no secret.
    config = (out / "bip-bridge.toml").read_text(encoding="utf-8")
    assert "password" not in config.lower()


def test_demo_refuses_a_folder_that_is_not_its_own(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me", encoding="utf-8")
    outcome = CliRunner().invoke(main, ["demo", "--out", str(tmp_path), "--participants", "10"])
    assert outcome.exit_code == 78
    assert "not a bip-bridge demo folder" in outcome.output
    assert (tmp_path / "precious.txt").read_text(encoding="utf-8") == "keep me"
    assert not (tmp_path / MARKER).exists()


def test_demo_prints_where_to_look_and_the_next_commands_work(tmp_path: Path) -> None:
    """A new user follows the demo's summary: every path it names exists, one
    caseworker's index page is named, and the suggested `status` runs without secrets."""
    import re
    import shlex

    out = tmp_path / "demo"
    runner = CliRunner()
    done = runner.invoke(main, ["demo", "--out", str(out), "--participants", "20",
                                "--months", "6", "--seed", "3"])
    assert done.exit_code == 0, done.output
    text = done.output
    where = text[text.index("Where to look:"):text.index("Try next")]
    paths = re.findall(r":\s+(/\S+)", where)
    assert len(paths) >= 8
    for path in paths:
        assert Path(path).exists(), path
    index = re.search(r"list of their participants' cards: (\S+)", where)
    assert index is not None and index.group(1).endswith("index.html")
    status_line = next(line for line in text.splitlines() if " status " in line)
    argv = shlex.split(status_line.split("#")[0])[1:]  # drop the program name
    status = CliRunner(env={"BIP_BRIDGE_LIMESURVEY_PASSWORD": None,
                            "BIP_BRIDGE_PSEUDONYM_KEY": None}).invoke(main, argv)
    assert status.exit_code == 0, status.output
    assert "Caseworker assessments" in status.output
