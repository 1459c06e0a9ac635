"""The small-cell rule of the spec, and complementary suppression. Pure functions.

Primary rule (spec, "Cohort tables"), applied by :mod:`bip_bridge.metrics.cohort`:

* a cell whose rows come from fewer distinct participants than ``min_cell`` is published
  with n and every statistic blank (``suppression_reason`` ``cell``);
* a count or share is blank when its numerator, or its complement (n − numerator), is
  1 or more but below ``min_count`` (reason ``count``); 0 and n are published.

Complementary suppression (applied where a frame is *published*: the analyst CSVs and
the HTML report, by :func:`protect_cohort` and :func:`protect_outcomes`): a blank value
must not be recomputable from the published values of its grouping and the ``all`` row.

A table with its margins is a set of linear equations (each row and each column adds up
to its total). Every entry joins the two equations it appears in, so the entries form a
graph whose vertices are the equations; a margin that is never published is simply one
more blank entry. A blank entry can be recomputed exactly when it is a *bridge* of the
graph of blank entries (no cycle of blank entries runs through it): otherwise adding a
number to it and subtracting it around the cycle keeps every published sum. So, while a
blank entry is a bridge, the cheapest chain of published entries that closes a cycle
through it (the smallest cells first) is blanked too (reason ``complementary``).
"""

from __future__ import annotations

import heapq
from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd

CELL = "cell"
COUNT = "count"
COMPLEMENTARY = "complementary"
#: (share column, what it counts) of the cohort table, in published order
COHORT_SHARES: tuple[str, ...] = ("share_improved", "share_unchanged", "share_declined")
COHORT_CELL_STATS: tuple[str, ...] = ("n", "mean", "sd", "ci_low", "ci_high", *COHORT_SHARES)
OUTCOME_CELL_STATS: tuple[str, ...] = ("n", "n_in_work_or_studies", "share")


def small_count(numerator: np.ndarray, n: np.ndarray, min_count: int) -> np.ndarray:
    """True where a count (or its complement n − count) is 1 or more but below min_count."""
    numerator = np.asarray(numerator, dtype=float)
    n = np.asarray(n, dtype=float)
    rest = n - numerator
    return ((numerator >= 1) & (numerator < min_count)) | ((rest >= 1) & (rest < min_count))


def add_reason(reasons: Sequence[str], where: np.ndarray, reason: str) -> list[str]:
    """Append ``reason`` to the ``+``-joined reasons of the rows where ``where`` is true."""
    out = []
    for current, flag in zip(reasons, where, strict=True):
        parts = [p for p in str(current).split("+") if p] if current else []
        if flag and reason not in parts:
            parts.append(reason)
        out.append("+".join(parts))
    return out


# --- the graph algorithm -------------------------------------------------------------


def _components(n_vertices: int, edges: Sequence[tuple[int, int]], use: np.ndarray
                ) -> list[int]:
    parent = list(range(n_vertices))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for (u, v), on in zip(edges, use, strict=True):
        if on:
            parent[find(u)] = find(v)
    return [find(x) for x in range(n_vertices)]


def _first_bridge(n_vertices: int, edges: Sequence[tuple[int, int]], hidden: np.ndarray,
                  protect: np.ndarray) -> int | None:
    for i in np.flatnonzero(hidden & protect):
        use = hidden.copy()
        use[i] = False
        comp = _components(n_vertices, edges, use)
        u, v = edges[int(i)]
        if comp[u] != comp[v]:
            return int(i)
    return None


def _cheapest_cycle(n_vertices: int, edges: Sequence[tuple[int, int]], hidden: np.ndarray,
                    cost: np.ndarray, allowed: np.ndarray, bridge: int) -> list[int] | None:
    """Published entries whose blanking closes a cycle through ``bridge`` (cheapest path)."""
    start, goal = edges[bridge]
    adjacency: list[list[tuple[int, int]]] = [[] for _ in range(n_vertices)]
    for i, (u, v) in enumerate(edges):
        if i == bridge or not (hidden[i] or allowed[i]):
            continue
        adjacency[u].append((v, i))
        adjacency[v].append((u, i))
    best: dict[int, tuple[float, int]] = {start: (0.0, 0)}
    back: dict[int, tuple[int, int]] = {}
    queue: list[tuple[float, int, int]] = [(0.0, 0, start)]
    while queue:
        dist, steps, x = heapq.heappop(queue)
        if (dist, steps) > best.get(x, (np.inf, 0)):
            continue
        if x == goal:
            break
        for y, i in adjacency[x]:
            step = 0.0 if hidden[i] else float(cost[i]) + 1e-9
            candidate = (dist + step, steps + (0 if hidden[i] else 1))
            if candidate < best.get(y, (np.inf, 0)):
                best[y] = candidate
                back[y] = (x, i)
                heapq.heappush(queue, (candidate[0], candidate[1], y))
    if goal not in best:
        return None
    path, x = [], goal
    while x != start:
        x, i = back[x]
        if not hidden[i]:
            path.append(i)
    return sorted(path)


def complementary(
    edges: Sequence[tuple[Hashable, Hashable]],
    hidden: Sequence[bool] | np.ndarray,
    cost: Sequence[float] | np.ndarray,
    allowed: Sequence[bool] | np.ndarray,
    protect: Sequence[bool] | np.ndarray | None = None,
) -> np.ndarray:
    """The blank entries after complementary suppression of a table given as a graph.

    ``edges[i]`` names the two equations (row and column total) entry i appears in;
    ``hidden`` marks the entries already blank (margins that are never published
    included); ``allowed`` the published entries that may be blanked, ``cost`` what
    blanking each loses (the cell's n: the smallest go first); ``protect`` (default:
    every entry) the entries that must not be recomputable (an unpublished margin that
    is merely a sum of published values need not be). Returns the new ``hidden``: no
    protected blank entry is then a bridge of the blank entries' graph, so none can be
    recomputed from the published ones. When no allowed entries can protect a blank
    one, every allowed entry is blanked.
    """
    names: dict[Hashable, int] = {}
    numbered = [(names.setdefault(u, len(names)), names.setdefault(v, len(names)))
                for u, v in edges]
    out = np.asarray(hidden, dtype=bool).copy()
    allowed_ = np.asarray(allowed, dtype=bool)
    cost_ = np.nan_to_num(np.asarray(cost, dtype=float), nan=0.0)
    protect_ = (np.ones(len(numbered), dtype=bool) if protect is None
                else np.asarray(protect, dtype=bool))
    while True:
        bridge = _first_bridge(len(names), numbered, out, protect_ | (out & ~np.asarray(
            hidden, dtype=bool)))
        if bridge is None:
            return out
        path = _cheapest_cycle(len(names), numbered, out, cost_, allowed_ & ~out, bridge)
        if path is None:
            if (allowed_ & ~out).any():
                out |= allowed_
                continue
            return out  # nothing left that could protect it (the caller blanks the total)
        out[path] = True


# --- the published tables ------------------------------------------------------------


def _blank(table: pd.DataFrame, rows: np.ndarray, columns: Sequence[str]) -> None:
    for column in columns:
        if column in table.columns and rows.any():
            table.loc[rows, column] = pd.NA if table[column].dtype == "Int64" else np.nan


def _counts(table: pd.DataFrame, share: str) -> np.ndarray:
    n = pd.to_numeric(table["n"], errors="coerce").to_numpy(dtype=float)
    return np.rint(pd.to_numeric(table[share], errors="coerce").to_numpy(dtype=float) * n)


def _protect_partition(part: pd.DataFrame, total: pd.DataFrame, shares: Sequence[str],
                       cell_stats: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One grouping's cells (a partition of ``total``, the ``all`` row): both protected."""
    rows = pd.concat([part, total], ignore_index=True)
    g = len(part)
    whole = rows["n"].isna().to_numpy()
    n = pd.to_numeric(rows["n"], errors="coerce").to_numpy(dtype=float)
    # step 1: whole cells. One equation (the cells' n and sums add up to the total's).
    cell_edges: list[tuple[Hashable, Hashable]] = [("sum", "free")] * (g + 1)
    new_whole = complementary(cell_edges, whole, np.where(np.isnan(n), 0.0, n),
                              np.array([True] * g + [False]))
    if new_whole[:g].any() and not new_whole[g] and new_whole[:g].sum() == 1:
        new_whole[g] = True  # nothing could protect it: the total goes too
    extra_whole = new_whole & ~whole
    # step 2: the counts behind the shares, a (cells + total) x (shares + n) table.
    edges: list[tuple[Hashable, Hashable]] = []
    hidden: list[bool] = []
    cost: list[float] = []
    allowed: list[bool] = []
    where: list[tuple[int, str]] = []
    for i in range(g + 1):
        row = ("row", i)
        for j, share in enumerate(shares):
            value = rows[share].iloc[i]
            edges.append((row, ("col", j)))
            hidden.append(bool(new_whole[i] or pd.isna(value)))
            cost.append(0.0 if np.isnan(n[i]) else float(n[i]))
            allowed.append(not bool(new_whole[i]))
            where.append((i, share))
        edges.append((row, ("col", "n")))
        hidden.append(bool(new_whole[i]))
        cost.append(0.0)
        allowed.append(False)
        where.append((i, "n"))
    before = np.array(hidden, dtype=bool)
    after = complementary(edges, before, cost, allowed)
    rows = rows.copy()
    reasons = list(rows["suppression_reason"].fillna("").astype(str))
    _blank(rows, extra_whole, cell_stats)
    reasons = add_reason(reasons, extra_whole, COMPLEMENTARY)
    for k in np.flatnonzero(after & ~before):
        i, column = where[k]
        rows.loc[i, column] = np.nan
        reasons = add_reason(reasons, np.arange(len(rows)) == i, COMPLEMENTARY)
    rows["suppression_reason"] = pd.array(reasons, dtype="str")
    rows["suppressed"] = rows["suppression_reason"] != ""
    return rows.iloc[:g], rows.iloc[g:]


def blank_small_n(table: pd.DataFrame, min_cell: int | None, columns: Sequence[str]
                  ) -> pd.DataFrame:
    """A second line of defence where a table is published: any cell whose n is below
    ``min_cell`` (n counts periods, never fewer than the participants) is blanked whole
    and flagged ``cell``, whatever the frame says. Rows flagged for a blank share only
    keep their other values."""
    table = _with_reasons(table)
    if min_cell is None or "n" not in table.columns or table.empty:
        return table
    n = pd.to_numeric(table["n"], errors="coerce").to_numpy(dtype=float)
    small = ~np.isnan(n) & (n < min_cell)
    _blank(table, small, columns)
    table["suppression_reason"] = pd.array(
        add_reason(list(table["suppression_reason"]), small, CELL), dtype="str")
    table["suppressed"] = table["suppression_reason"] != ""
    return table


def _with_reasons(table: pd.DataFrame) -> pd.DataFrame:
    """A copy whose flagged rows all name a reason (``cell`` where none is given)."""
    table = table.copy()
    flagged = table["suppressed"].fillna(False).astype(bool).to_numpy()
    reasons = (table["suppression_reason"].fillna("").astype(str).to_numpy()
               if "suppression_reason" in table.columns else np.full(len(table), ""))
    table["suppression_reason"] = np.where(flagged & (reasons == ""), CELL, reasons)
    return table


def protect_cohort(cohort: pd.DataFrame) -> pd.DataFrame:
    """Complementary suppression of the cohort table (see the module docstring).

    Per measure, each grouping's groups partition the periods of the ``all`` row (the
    ``missing`` group included), so they and ``all`` form one table; the shares
    improved / unchanged / declined partition each cell's n.
    """
    if cohort.empty or "grouping" not in cohort.columns:
        return cohort
    table = _with_reasons(cohort)
    table = table.reset_index(drop=True)
    table["_order"] = np.arange(len(table))
    done: list[pd.DataFrame] = []
    for measure in dict.fromkeys(table["measure"].astype(str)):
        rows = table[table["measure"].astype(str) == measure]
        is_total = (rows["grouping"] == "all").to_numpy()
        if is_total.sum() != 1:
            done.append(rows)
            continue
        total = rows[is_total].reset_index(drop=True)
        parts: dict[str, pd.DataFrame] = {
            g: rows[rows["grouping"] == g].reset_index(drop=True)
            for g in dict.fromkeys(rows["grouping"].astype(str)) if g != "all"
        }
        while True:  # a value blanked in `all` must be protected in every grouping
            blank_before = total.isna().to_numpy().sum()
            for grouping, part in parts.items():
                parts[grouping], total = _protect_partition(part, total, COHORT_SHARES,
                                                            COHORT_CELL_STATS)
            if total.isna().to_numpy().sum() == blank_before:
                break
        done.extend([total, *parts.values()])
    table = pd.concat(done, ignore_index=True).sort_values("_order", kind="stable")
    table = table.drop(columns="_order").reset_index(drop=True)
    return table.astype(cohort.dtypes.to_dict() | {"suppression_reason": "str"})


def protect_outcomes(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Complementary suppression of the outcome table.

    Rows per wave and belief category, plus pooled rows (wave blank) per category. The
    pooled row of a category is the total of its wave rows; per-wave totals over the
    categories are not published (they are blank margins). Layer 1 blanks whole cells
    (n, count, share), layer 2 the counts in work or studies of published cells.
    """
    if outcomes.empty:
        return outcomes
    table = _with_reasons(outcomes).reset_index(drop=True)
    pooled = table["wave"].isna().to_numpy()
    wave_key = [("total",) if p else ("wave", int(w))
                for p, w in zip(pooled, table["wave"], strict=True)]
    belief = [("belief", str(b)) for b in table["belief_start"]]
    waves = sorted({k for k in wave_key if k != ("total",)})
    margins = [(w, ("margin",)) for w in [*waves, ("total",)]]
    n = pd.to_numeric(table["n"], errors="coerce").to_numpy(dtype=float)
    reasons = list(table["suppression_reason"].fillna("").astype(str))
    edges = list(zip(wave_key, belief, strict=True)) + margins
    m = len(margins)
    for layer in ("n", "n_in_work_or_studies"):
        hidden = np.concatenate([table[layer].isna().to_numpy(), np.ones(m, dtype=bool)])
        cost = np.concatenate([np.nan_to_num(n), np.zeros(m)])
        allowed = np.concatenate([~table[layer].isna().to_numpy(), np.zeros(m, dtype=bool)])
        protect = np.concatenate([np.ones(len(table), dtype=bool), np.zeros(m, dtype=bool)])
        after = complementary(edges, hidden, cost, allowed, protect)[:len(table)]
        extra = after & ~table[layer].isna().to_numpy()
        columns = OUTCOME_CELL_STATS if layer == "n" else ("n_in_work_or_studies", "share")
        _blank(table, extra, columns)
        reasons = add_reason(reasons, extra, COMPLEMENTARY)
    table["suppression_reason"] = pd.array(reasons, dtype="str")
    table["suppressed"] = table["suppression_reason"] != ""
    return table.astype(outcomes.dtypes.to_dict() | {"suppression_reason": "str"})
