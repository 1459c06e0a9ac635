"""A plain pandas script computing what `bip-bridge analyse` computes: the benchmark's yardstick.

What an analyst would write from the spec (the BIP model) in an afternoon: read both
LimeSurvey JSON exports, keep the complete responses (the later one per pseudonym and
wave), score the items, compute the indices, join the two questionnaires, derive the
periods (consecutive waves only) and the cohort tables (n, mean, sd, 95 % interval,
shares improved / unchanged / declined) per grouping, and write them as CSV. No
data-quality listing, no small-cell rule, no formula neutralising, no dictionary:
less than `analyse` does, so the comparison flatters the script.

    python benchmarks/reference_analyse.py P.json C.json OUT_DIR
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

P_ITEMS = ["JOBTRO", "JOBSOK", "ARBKUN", "MALRIK", "SAMARB", "HALMES", "VARMES", "NATVRK",
           "KVALIF"]
C_ITEMS = [*P_ITEMS, "ARBFOR"]
INTERVENTIONS = ["JOB", "KOMP", "SOC", "HALSA"]


def load(path: Path) -> pd.DataFrame:
    with open(path, encoding="utf-8") as fh:
        frame = pd.DataFrame(json.load(fh)["responses"])
    frame = frame[frame["submitdate"].notna() & (frame["submitdate"] != "")].copy()
    frame["id"] = frame["id"].astype(int)
    frame["wave"] = pd.to_numeric(frame["WAVE"], errors="coerce")
    frame = frame[frame["wave"].notna() & frame["PSEUDO"].notna()]
    frame = frame.sort_values(["PSEUDO", "wave", "submitdate", "id"])
    return frame.drop_duplicates(["PSEUDO", "wave"], keep="last")


def score(values: pd.Series) -> pd.Series:
    x = pd.to_numeric(values, errors="coerce")
    return x.where((x >= 1) & (x <= 10))


def index(frame: pd.DataFrame, columns: list[str], minimum: int) -> pd.Series:
    items = pd.DataFrame({c: score(frame[c]) for c in columns})
    return items.mean(axis=1).where(items.notna().sum(axis=1) >= minimum)


def belief_category(b: pd.Series) -> pd.Series:
    return pd.cut(b, [0, 4, 6, 10], labels=["low", "middle", "high"]).astype(object)


def combo(periods: pd.DataFrame) -> pd.Series:
    known = periods[INTERVENTIONS].notna().all(axis=1)
    job = periods["JOB"] >= 1
    other = (periods[["KOMP", "SOC", "HALSA"]] >= 1).any(axis=1)
    named = np.select([job & other, job, other], ["job_plus", "job_only", "other_only"],
                      "none")
    return pd.Series(named, index=periods.index, dtype=object).where(known)


def analyse(p_path: Path, c_path: Path, out: Path) -> dict[str, pd.DataFrame]:
    p, c = load(p_path), load(c_path)
    p_idx = pd.DataFrame({"pseudonym": p["PSEUDO"], "wave": p["wave"].astype(int),
                          "p_index": index(p, [f"BIPD[{i}]" for i in P_ITEMS], 6),
                          "p_status": p["STATUS"], "p_cw": p["CWID"]})
    c_idx = pd.DataFrame({"pseudonym": c["PSEUDO"], "wave": c["wave"].astype(int),
                          "c_index": index(c, [f"BIPH[{i}]" for i in C_ITEMS], 7),
                          "belief": score(c["BIPH[HLTRO]"]),
                          "c_status": c["STATUS"], "c_cw": c["CWID"],
                          "gap": pd.to_numeric(c["GAPW"], errors="coerce"),
                          **{i: pd.to_numeric(c[f"INS[{i}]"], errors="coerce")
                             for i in INTERVENTIONS}})
    indices = p_idx.merge(c_idx, on=["pseudonym", "wave"], how="outer")
    indices = indices.sort_values(["pseudonym", "wave"]).reset_index(drop=True)
    indices["status"] = indices["c_status"].fillna(indices["p_status"])
    indices["caseworker_id"] = indices["c_cw"].fillna(indices["p_cw"])
    indices["belief_category"] = belief_category(indices["belief"])

    prev = indices.groupby("pseudonym").shift(1)
    consecutive = prev["wave"] == indices["wave"] - 1
    periods = indices[indices["wave"] >= 1].copy()
    periods["period"] = periods["wave"]
    periods["d_p"] = (indices["p_index"] - prev["p_index"]).where(consecutive)
    periods["d_c"] = (indices["c_index"] - prev["c_index"]).where(consecutive)
    periods["parallel"] = (periods[INTERVENTIONS] >= 1).sum(axis=1).where(
        periods[INTERVENTIONS].notna().all(axis=1))
    periods["combo"] = combo(periods)
    periods["continuous"] = (periods["gap"] == 0).where(periods["gap"].notna())
    changed = indices["caseworker_id"] != prev["caseworker_id"]
    periods["caseworker_changed"] = changed.where(
        consecutive & indices["caseworker_id"].notna() & prev["caseworker_id"].notna())
    periods["belief_start"] = belief_category(prev["belief"].where(consecutive))
    periods["in_work_or_studies"] = periods["status"].isin(["WORK", "STUDY"])

    rows = []
    for measure in ("d_p", "d_c"):
        for grouping in ("parallel", "combo", "continuous", "caseworker_changed",
                         "belief_start"):
            valid = periods[periods[measure].notna()]
            for group, part in valid.groupby(valid[grouping].astype(object).fillna("missing")):
                x = part[measure]
                n, mean, sd = len(x), x.mean(), x.std()
                half = stats.t.ppf(0.975, n - 1) * sd / np.sqrt(n) if n > 1 else np.nan
                rows.append({"measure": measure, "grouping": grouping, "group": group,
                             "n": n, "mean": mean, "sd": sd, "ci_low": mean - half,
                             "ci_high": mean + half, "share_improved": (x > 0).mean(),
                             "share_unchanged": (x == 0).mean(),
                             "share_declined": (x < 0).mean()})
    cohort = pd.DataFrame(rows)
    outcomes = periods.groupby(["wave", periods["belief_start"].fillna("missing")])[
        "in_work_or_studies"].agg(["size", "sum", "mean"]).reset_index()

    out.mkdir(parents=True, exist_ok=True)
    frames = {"indices": indices, "periods": periods, "cohort": cohort, "outcomes": outcomes}
    for name, frame in frames.items():
        frame.to_csv(out / f"{name}.csv", index=False)
    return frames


if __name__ == "__main__":
    analyse(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
