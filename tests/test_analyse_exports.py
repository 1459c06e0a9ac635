"""read_export's fast paths give what the plain ones give: the same frame of records, and
the same metrics from its categorical columns as from the export's strings."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from bip_bridge.errors import DataInvalid
from bip_bridge.metrics import compute_metrics
from bip_bridge.metrics.exports import _records_frame, read_export
from bip_bridge.model import CASEWORKER, PARTICIPANT
from bip_bridge.synthetic import generate_frames
from bip_bridge.templates import load_templates

MODEL = load_templates(None).model


@pytest.mark.parametrize("records", [
    [],
    [{"a": 1}],
    [{"a": 1, "b": "x"}, {"b": None, "a": "2"}],          # same keys, another order
    [{"a": 1, "b": 2}, {"a": 3, "c": 4}],                 # same count, other keys
    [{"a": 1, "b": 2}, {"a": 3}],                         # a key missing
    [{"a": [1, 2], "b": (3, 4)}, {"a": [5, 6], "b": {"k": 1}}],  # nested values stay cells
])
def test_records_frame_is_pandas_frame_of_the_records(records):
    assert_frame_equal(_records_frame(records), pd.DataFrame(records, dtype=object))


def _export_rows(frame: pd.DataFrame) -> list[dict]:
    return [{k: (None if v is None or v != v else v) for k, v in row.items()}
            for row in frame.astype(object).to_dict("records")]


def _messy(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Blanks, padding, out-of-range codes and odd waves, pseudonyms and statuses."""
    rng = np.random.default_rng(seed)
    frame = frame.astype(object).where(frame.notna(), None).copy()
    columns = [c for c in frame.columns if "[" in c]
    for i in rng.choice(len(frame), size=len(frame) // 5, replace=False):
        column = columns[rng.integers(len(columns))]
        frame.at[i, column] = str(rng.choice(["11", "0", "99", " 7", "7.0", "-1", "", "  "]))
        frame.at[i, "WAVE"] = rng.choice([frame.at[i, "WAVE"], "x", "", None, " 1 ", "2.5"])
        frame.at[i, "PSEUDO"] = rng.choice([frame.at[i, "PSEUDO"], "", None,
                                            f" {frame.at[i, 'PSEUDO']}"])
        frame.at[i, "STATUS"] = rng.choice([frame.at[i, "STATUS"], " WORK ", "", None])
    return frame


def test_metrics_from_read_export_match_the_metrics_from_the_strings(tmp_path):
    p, c = generate_frames(60, 4, seed=11, model=MODEL)
    p, c = _messy(p, 1), _messy(c, 2)
    files = []
    for name, frame in (("p", p), ("c", c)):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps({"responses": _export_rows(frame)}), encoding="utf-8")
        files.append(path)
    read_p = read_export(files[0], MODEL, PARTICIPANT)
    read_c = read_export(files[1], MODEL, CASEWORKER)
    assert isinstance(read_p["BIPD[JOBTRO]"].dtype, pd.CategoricalDtype)
    from_files = compute_metrics(read_p, read_c, MODEL, min_cell=2)
    from_strings = compute_metrics(p, c, MODEL, min_cell=2)
    for name in ("scores", "indices", "periods", "cohort", "outcomes", "data_quality",
                 "period_interventions"):
        assert_frame_equal(getattr(from_files, name), getattr(from_strings, name))


def test_numbers_among_the_codes_are_still_checked_cell_by_cell(tmp_path):
    p, _ = generate_frames(5, 1, seed=1, model=MODEL, extras=False)
    rows = _export_rows(p)
    rows[0]["BIPD[JOBTRO]"] = 1
    rows[1]["BIPD[JOBTRO]"] = True  # equal to 1 for a hash table, but not a code
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"responses": rows}), encoding="utf-8")
    with pytest.raises(DataInvalid, match=r"answer texts.*'True'"):
        read_export(path, MODEL, PARTICIPANT)
