"""`bip-bridge analyse` on LimeSurvey export files (JSON and the recorded CSV dialect)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from pandas.testing import assert_frame_equal

from bip_bridge.cli import main
from bip_bridge.errors import DataInvalid
from bip_bridge.metrics import compute_metrics
from bip_bridge.metrics.exports import _csv, _json, read_export
from bip_bridge.model import PARTICIPANT
from bip_bridge.synthetic import generate_frames
from bip_bridge.templates import load_templates
from conftest import recording_step

MODEL = load_templates(None).model


def _records(df: pd.DataFrame) -> list[dict]:
    return [{k: (None if v is None or v != v else v) for k, v in row.items()}
            for row in df.astype(object).to_dict("records")]


def write_json(df: pd.DataFrame, path: Path) -> Path:
    path.write_text(json.dumps({"responses": _records(df)}), encoding="utf-8")
    return path


def write_limesurvey_csv(df: pd.DataFrame, path: Path) -> Path:
    """LimeSurvey's dialect: BOM, ';', every value quoted, NULL empty unquoted, CRLF, \\r\\n end."""
    def cell(v: object) -> str:
        return "" if v is None else '"' + str(v).replace('"', '""') + '"'

    lines = [";".join(cell(c) for c in df.columns)]
    lines += [";".join(cell(v) for v in row.values()) for row in _records(df)]
    path.write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n\r\n").encode("utf-8"))
    return path


def test_recorded_csv_dialect_reads_like_the_json_export():
    as_json = _json(recording_step("responses", "export_responses.json.all")["result_decoded"],
                    "x.json")
    as_csv = _csv(recording_step("responses", "export_responses.csv")["result_decoded"], "x.csv")
    assert list(as_csv.columns) == list(as_json.columns)
    assert as_csv.loc[0, "COMMENT"] == as_json.loc[0, "COMMENT"]  # quotes, ';' and newline
    normalised = as_json.map(lambda v: "" if pd.isna(v) else str(v))
    assert_frame_equal(as_csv, normalised.astype(object))


@pytest.mark.parametrize("writer", [write_json, write_limesurvey_csv])
def test_analyse_writes_the_bundle_from_exports(tmp_path, writer):
    p, c = generate_frames(40, 3, seed=5, model=MODEL)
    suffix = ".json" if writer is write_json else ".csv"
    p_file, c_file = writer(p, tmp_path / f"p{suffix}"), writer(c, tmp_path / f"c{suffix}")
    out = tmp_path / "bundle"
    run = CliRunner().invoke(main, ["analyse", "--participant-export", str(p_file),
                                    "--caseworker-export", str(c_file), "--out", str(out),
                                    "--min-cell", "3", "--plain"])
    assert run.exit_code == 0, run.output
    assert "Wrote 7 files" in run.output
    names = sorted(x.name for x in out.iterdir())
    assert names == ["cohort.csv", "data_dictionary.csv", "data_quality.csv", "indices.csv",
                     "outcomes.csv", "periods.csv", "scores.csv"]
    expected = compute_metrics(p, c, MODEL, min_cell=3)
    indices = pd.read_csv(out / "indices.csv", dtype={"pseudonym": str})
    assert indices["pseudonym"].tolist() == expected.indices["pseudonym"].tolist()
    assert indices["p_index"].round(6).fillna(-1).tolist() == \
        expected.indices["p_index"].round(6).fillna(-1).tolist()
    cohort = pd.read_csv(out / "cohort.csv")
    assert len(cohort) == len(expected.cohort)


@pytest.mark.parametrize(("options", "head"), [
    ([], "\ufeffmeasure;grouping;"),                 # sv by default: Swedish Excel
    (["--language", "da"], "\ufeffmeasure;grouping;"),
    (["--language", "en"], "measure,grouping,"),
    (["--language", "en", "--excel"], "\ufeffmeasure;grouping;"),
    (["--plain"], "measure,grouping,"),
])
def test_analyse_csv_dialect_follows_the_language(tmp_path, options, head):
    p, c = generate_frames(12, 2, seed=3, model=MODEL)
    out = tmp_path / "bundle"
    run = CliRunner().invoke(main, ["analyse", "--participant-export",
                                    str(write_json(p, tmp_path / "p.json")),
                                    "--caseworker-export", str(write_json(c, tmp_path / "c.json")),
                                    "--out", str(out), *options])
    assert run.exit_code == 0, run.output
    assert (out / "cohort.csv").read_bytes().decode("utf-8").startswith(head)


def test_analyse_prints_the_mixed_model(tmp_path):
    p, c = generate_frames(120, 4, seed=9, model=MODEL)
    run = CliRunner().invoke(main, [
        "analyse", "--participant-export", str(write_json(p, tmp_path / "p.json")),
        "--caseworker-export", str(write_json(c, tmp_path / "c.json")),
        "--out", str(tmp_path / "out"), "--mixed-model"])
    assert run.exit_code == 0, run.output
    assert "combo=job_only (vs none)" in run.output
    assert "not the results of an experiment" in run.output


@pytest.mark.parametrize(("content", "message"), [
    (b"", "is empty"),
    (b"\xff\xfe\x00", "not UTF-8"),
    (b'{"responses": [1, 2]', "not valid JSON"),
    (b'{"result": []}', "not a LimeSurvey response export"),
    ('\ufeff"Svars-ID";"Datum inskickad"\r\n"1";"2025-01-01 10:00:00"\r\n'.encode(),
     "question texts, not question codes"),
    (b"not json at all\nsecond line", "neither a LimeSurvey JSON export"),
])
def test_bad_export_files_are_refused_with_the_fix(tmp_path, content, message):
    path = tmp_path / "export.csv"
    path.write_bytes(content)
    with pytest.raises(DataInvalid, match=message) as err:
        read_export(path, MODEL, PARTICIPANT)
    assert str(path) in str(err.value)
    assert "heading" in (err.value.hint or "").lower() or "Question code" in (err.value.hint or "")


def test_answer_texts_instead_of_codes_are_refused(tmp_path):
    p, _ = generate_frames(5, 1, seed=1, model=MODEL, extras=False)
    p = p.assign(**{col: "Vet ej" for col in p.columns if col.startswith("BIPD[")})
    with pytest.raises(DataInvalid, match="answer texts"):
        read_export(write_json(p, tmp_path / "p.json"), MODEL, PARTICIPANT)


def test_analyse_exit_code_for_a_bad_file(tmp_path):
    bad = tmp_path / "p.json"
    bad.write_text("{not json", encoding="utf-8")
    run = CliRunner().invoke(main, ["analyse", "--participant-export", str(bad),
                                    "--caseworker-export", str(bad), "--out",
                                    str(tmp_path / "o")])
    assert run.exit_code == 65
    assert "not valid JSON" in run.output
    assert not (tmp_path / "o").exists()


def test_an_export_with_answer_texts_is_refused_naming_the_export_options(tmp_path):
    """Issue 13 case 8: an export with answer texts ('10 – Stämmer helt', 'Söker arbete')
    exited 0 after counting every 10 and every status as missing."""
    p, c = generate_frames(12, 2, seed=3, model=MODEL, extras=False)
    labels = {"10": "10 – Stämmer helt", "1": "1 – Stämmer inte alls"}
    items = [col for col in p.columns if col.startswith("BIPD[")]
    p = p.assign(**{col: p[col].map(lambda v: labels.get(str(v), v)) for col in items})
    p = p.assign(STATUS=p["STATUS"].map(lambda v: "Söker arbete" if v == "SEEK" else v))
    p_file, c_file = write_json(p, tmp_path / "p.json"), write_json(c, tmp_path / "c.json")
    run = CliRunner().invoke(main, ["analyse", "--participant-export", str(p_file),
                                    "--caseworker-export", str(c_file),
                                    "--out", str(tmp_path / "out")])
    assert run.exit_code == 65, run.output
    assert "answer texts, not answer codes" in run.output
    assert "'Answer codes'" in run.output and "'Question code'" in run.output
    assert not (tmp_path / "out").exists()
