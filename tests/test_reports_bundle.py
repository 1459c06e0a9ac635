"""Analyst bundle: formula neutralising, dialects, small cells, privacy, atomic writes."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from bip_bridge.errors import ConfigError, DataInvalid
from bip_bridge.reports import bundle as bundle_module
from bip_bridge.reports import write_analyst_bundle, write_report_folder
from bip_bridge.reports.csvout import EXCEL, PLAIN, format_cell, neutralise, to_csv_text
from bip_bridge.reports.frames import BUNDLE_FILES
from bip_bridge.templates import load_templates


@dataclass
class Frames:
    scores: pd.DataFrame = field(default_factory=pd.DataFrame)
    indices: pd.DataFrame = field(default_factory=pd.DataFrame)
    periods: pd.DataFrame = field(default_factory=pd.DataFrame)
    cohort: pd.DataFrame = field(default_factory=pd.DataFrame)
    outcomes: pd.DataFrame = field(default_factory=pd.DataFrame)
    data_quality: pd.DataFrame = field(default_factory=pd.DataFrame)


@pytest.fixture(scope="module")
def model() -> Any:
    return load_templates().model


@pytest.mark.parametrize(("text", "expected"), [
    ("=1+1", "'=1+1"),
    ("+SUM(A1)", "'+SUM(A1)"),
    ("-2+3", "'-2+3"),
    ("@cmd", "'@cmd"),
    ("\t=x", "'\t=x"),
    ("\rx", "'\rx"),
    ("  =HYPERLINK(\"http://x\")", "'  =HYPERLINK(\"http://x\")"),
    ("-0.5", "-0.5"),
    ("+0,8", "+0,8"),
    ("S1a2b", "S1a2b"),
    ("", ""),
])
def test_neutralise(text: str, expected: str) -> None:
    assert neutralise(text) == expected


@pytest.mark.parametrize(("value", "decimal", "expected"), [
    (-0.5, ".", "-0.5"),
    (-0.5, ",", "-0,5"),
    (7.0, ".", "7"),
    (-0.0000001, ".", "0"),
    (1 / 3, ".", "0.333333"),
    (float("nan"), ".", ""),
    (None, ".", ""),
    (pd.NA, ".", ""),
    (True, ".", "true"),
    (3, ".", "3"),
    (dt.date(2025, 3, 1), ".", "2025-03-01"),
    ("=cmd()", ".", "'=cmd()"),
])
def test_format_cell(value: Any, decimal: str, expected: str) -> None:
    assert format_cell(value, decimal) == expected


def test_csv_text_in_both_dialects() -> None:
    df = pd.DataFrame({"kind": ["=2+5", "ok"], "change": [-1.25, 0.5],
                       "n": pd.array([3, None], dtype="Int64")})
    assert to_csv_text(df, PLAIN) == "kind,change,n\n'=2+5,-1.25,3\nok,0.5,\n"
    assert to_csv_text(df, EXCEL) == "kind;change;n\r\n'=2+5;-1,25;3\r\nok;0,5;\r\n"


def _cohort() -> pd.DataFrame:
    return pd.DataFrame({
        "measure": ["d_p", "d_p", "d_p"], "grouping": ["combo"] * 3,
        "group": ["none", "job_only", "job_plus"],
        "n": pd.array([12, 3, None], dtype="Int64"),
        "mean": [0.5, -0.25, None], "sd": [1.0, 0.5, None], "ci_low": [-0.1, -1.0, None],
        "ci_high": [1.1, 0.5, None], "share_improved": [0.5, 0.3, None],
        "share_unchanged": [0.25, 0.3, None], "share_declined": [0.25, 0.4, None],
        "suppressed": [False, False, True],
    })


def test_bundle_files_excel_bytes_and_small_cells(tmp_path: Path, model: Any) -> None:
    out = tmp_path / "bundle"
    paths = write_analyst_bundle(Frames(cohort=_cohort()), out, model=model, excel=True,
                                 min_cell=5)
    assert sorted(p.name for p in paths) == sorted(BUNDLE_FILES)
    raw = (out / "cohort.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    result = raw.decode("utf-8-sig")
    expected = (
        "measure;grouping;group;n;mean;sd;ci_low;ci_high;share_improved;share_unchanged;"
        "share_declined;suppressed;suppression_reason\r\n"
        "d_p;combo;none;12;0,5;1;-0,1;1,1;0,5;0,25;0,25;false;\r\n"
        "d_p;combo;job_only;;;;;;;;;true;cell\r\n"
        "d_p;combo;job_plus;;;;;;;;;true;cell\r\n"
    )
    assert result == expected


def test_refuses_identifying_columns(tmp_path: Path, model: Any) -> None:
    frames = Frames(indices=pd.DataFrame({"pseudonym": ["S1"], "email": ["a@example.org"]}))
    with pytest.raises(DataInvalid, match="email"):
        write_analyst_bundle(frames, tmp_path / "b", model=model)
    assert not (tmp_path / "b").exists()


def test_crash_leaves_the_previous_bundle_whole(tmp_path: Path, model: Any,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "bundle"
    write_analyst_bundle(Frames(cohort=_cohort()), out, model=model)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    calls = {"n": 0}
    real = bundle_module.write_csv

    def failing(df: pd.DataFrame, path: Path, dialect: Any = PLAIN) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        real(df, path, dialect)

    monkeypatch.setattr(bundle_module, "write_csv", failing)
    with pytest.raises(OSError, match="disk full"):
        write_analyst_bundle(Frames(cohort=_cohort().iloc[:1]), out, model=model, excel=True)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle"]  # no staging left


def test_refuses_a_folder_with_other_files(tmp_path: Path, model: Any) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.docx").write_text("x")
    with pytest.raises(ConfigError, match=r"thesis\.docx"):
        write_analyst_bundle(Frames(), out, model=model)
    assert sorted(p.name for p in out.iterdir()) == ["thesis.docx"]


# --- privacy on a synthetic cohort whose roster we know --------------------------------


def _frames_from_cohort(cohort: Any, model: Any) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    from bip_bridge.pseudonyms import pseudonymise

    key = b"test-key-0123456789abcdef"
    pseudo = {r["external_id"]: pseudonymise(r["external_id"], key,
                                             today=dt.date(2025, 3, 1))
              for r in cohort.roster}
    frames = []
    for answers in (cohort.participant_answers, cohort.caseworker_answers):
        rows = []
        for i, rec in enumerate(answers, 1):
            row = {"id": i, "submitdate": f"2025-01-{1 + rec['wave']:02d} 10:00:00",
                   "token": None, model.pseudonym_question: pseudo[rec["external_id"]],
                   model.wave_question: str(rec["wave"]),
                   model.caseworker_question: rec["caseworker_id"]}
            row.update({k: v for k, v in rec.items()
                        if k not in ("external_id", "wave", "caseworker_id")})
            rows.append(row)
        frames.append(pd.DataFrame(rows))
    return frames[0], frames[1], pseudo


def test_no_name_email_or_external_id_in_any_output(tmp_path: Path, model: Any) -> None:
    from bip_bridge.metrics import compute_metrics
    from bip_bridge.synthetic import generate_cohort

    cohort = generate_cohort(24, seed=11, start=dt.date(2024, 1, 1), months=12, model=model)
    p_df, c_df, pseudo = _frames_from_cohort(cohort, model)
    result = compute_metrics(p_df, c_df, model, min_cell=5)
    folder = write_report_folder(result, tmp_path / "2025-03-01", model, language="sv",
                                 min_cell=5, today=dt.date(2025, 3, 1))
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= set(BUNDLE_FILES) | {"report.html"}
    text = "\n".join(p.read_text(encoding="utf-8-sig") for p in files)
    assert any(v in text for v in pseudo.values())  # the outputs do hold pseudonyms
    for person in cohort.roster:
        digits = re.sub(r"\D", "", person["external_id"])
        for secret in (person["external_id"], digits, digits[-10:], person["email"],
                       person["caseworker_email"]):
            assert secret not in text, f"{secret!r} leaked"
        assert not re.search(rf"\b{re.escape(person['first_name'])}\b", text)


def test_every_small_cohort_cell_is_blank_and_flagged(tmp_path: Path, model: Any) -> None:
    from bip_bridge.metrics import compute_metrics
    from bip_bridge.synthetic import generate_frames

    p_df, c_df = generate_frames(20, 3, seed=5, model=model)
    true_n = compute_metrics(p_df, c_df, model, min_cell=1).cohort
    write_analyst_bundle(compute_metrics(p_df, c_df, model, min_cell=5), tmp_path / "b",
                         model=model)
    published = pd.read_csv(tmp_path / "b" / "cohort.csv", keep_default_na=False, dtype=str)
    keys = ["measure", "grouping", "group"]
    merged = published.merge(true_n[[*keys, "n"]].astype({"n": "Int64"}).rename(
        columns={"n": "true_n"}).astype({"group": str}), on=keys, how="left")
    assert len(merged) == len(published)
    small = merged[merged["true_n"].fillna(0) < 5]
    stats = ["n", "mean", "sd", "ci_low", "ci_high", "share_improved", "share_unchanged",
             "share_declined"]
    assert len(small) > 0
    assert (small[stats] == "").all().all()
    assert (small["suppressed"] == "true").all()
    large = merged[merged["true_n"].fillna(0) >= 5]
    shown = large[large["n"] != ""]
    assert (shown["n"].astype(int) == shown["true_n"].astype(int)).all()
    # a large cell is blanked whole only so that a small one cannot be recomputed
    hidden = large[large["n"] == ""]
    assert hidden["suppression_reason"].str.contains("complementary").all()
    assert (large["suppressed"] == (large["suppression_reason"] != "").map(
        {True: "true", False: "false"})).all()
