"""Charts of the HTML report as base64 PNG (matplotlib's Agg canvas, no pyplot).

No pyplot means no global figure state and no GUI backend, so reports can be written
from a cron job or a thread. The PNG bytes are reproducible on one machine (fixed size,
dpi, font and no ``Software`` metadata); across matplotlib or FreeType versions the
pixels may differ, which is why the golden test masks the image data (docs/reports.md).
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Mapping, Sequence
from typing import Any, cast

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from bip_bridge.reports.i18n import Translator

RC: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "svg.hashsalt": "bip-bridge",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "path.simplify": True,
}
P_COLOUR = "#1b6ca8"
C_COLOUR = "#c0582b"


def _png(fig: Figure) -> str:
    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _ok(x: object) -> bool:
    return x is not None and isinstance(x, (int, float)) and not math.isnan(float(x))


def index_chart(
    points: Sequence[Mapping[str, Any]], t: Translator, wave_labels: dict[int, str]
) -> str:
    """Mean P and C index per wave with 95 % intervals (points: rows of index_by_wave)."""
    with matplotlib.rc_context():
        cast(Any, matplotlib.rcParams).update(RC)
        return _png(index_figure(points, t, wave_labels))


def index_figure(
    points: Sequence[Mapping[str, Any]], t: Translator, wave_labels: dict[int, str]
) -> Figure:
    """The figure of :func:`index_chart` (tests read its axes and legend)."""
    with matplotlib.rc_context():
        cast(Any, matplotlib.rcParams).update(RC)
        fig = Figure(figsize=(7.0, 3.2))
        ax = fig.add_subplot()
        waves = sorted({int(str(p["wave"])) for p in points})
        for offset, (measure, colour, label) in enumerate((
            ("p_index", P_COLOUR, t("p_index")), ("c_index", C_COLOUR, t("c_index")),
        )):
            rows = [p for p in points if p["measure"] == measure and _ok(p["mean"])]
            if not rows:
                continue
            xs = [int(str(p["wave"])) + (offset - 0.5) * 0.12 for p in rows]
            ys = [float(str(p["mean"])) for p in rows]
            low = [y - float(str(p["ci_low"])) if _ok(p["ci_low"]) else 0.0
                   for y, p in zip(ys, rows, strict=True)]
            high = [float(str(p["ci_high"])) - y if _ok(p["ci_high"]) else 0.0
                    for y, p in zip(ys, rows, strict=True)]
            ax.errorbar(xs, ys, yerr=[low, high], color=colour, marker="o", capsize=3,
                        label=label, linewidth=1.5)
        ax.set_xticks(waves, [wave_labels.get(w, str(w)) for w in waves])
        # half a wave of room on each side: one wave sits in the middle with P and C
        # side by side (not at the edges), twelve waves keep their ticks readable
        ax.set_xlim(min(waves) - 0.5, max(waves) + 0.5)
        if len(waves) > 8:
            ax.tick_params(axis="x", labelsize=8)
        ax.set_xlabel(t("wave"))
        ax.set_ylabel(t("index_axis"))
        ax.set_ylim(1, 10)
        ax.grid(axis="y", alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="upper left", frameon=False, ncol=2)
        fig.tight_layout()
        return fig


def group_chart(rows: Sequence[Mapping[str, Any]], t: Translator) -> str:
    """Mean change with 95 % interval per group, ΔP and ΔC side by side.

    ``rows`` carry group_label, measure ("d_p"/"d_c"), mean, ci_low, ci_high, suppressed.
    Suppressed groups keep their row on the axis, with no marker.
    """
    with matplotlib.rc_context():
        cast(Any, matplotlib.rcParams).update(RC)
        return _png(group_figure(rows, t))


def group_figure(rows: Sequence[Mapping[str, Any]], t: Translator) -> Figure:
    """The figure of :func:`group_chart` (tests read its axes and legend)."""
    labels: list[str] = []
    for row in rows:
        label = str(row["group_label"])
        if label not in labels:
            labels.append(label)
    with matplotlib.rc_context():
        cast(Any, matplotlib.rcParams).update(RC)
        fig = Figure(figsize=(7.0, 0.45 * len(labels) + 1.2))
        ax = fig.add_subplot()
        ax.axvline(0, color="#888888", linewidth=0.8)
        for offset, (measure, colour) in enumerate((("d_p", P_COLOUR), ("d_c", C_COLOUR))):
            ys, xs, lo, hi = [], [], [], []
            for row in rows:
                if row["measure"] != measure or row["suppressed"] or not _ok(row["mean"]):
                    continue
                mean = float(str(row["mean"]))
                ys.append(labels.index(str(row["group_label"])) + (offset - 0.5) * 0.25)
                xs.append(mean)
                lo.append(mean - float(str(row["ci_low"])) if _ok(row["ci_low"]) else 0.0)
                hi.append(float(str(row["ci_high"])) - mean if _ok(row["ci_high"]) else 0.0)
            if xs:
                ax.errorbar(xs, ys, xerr=[lo, hi], fmt="o", color=colour, capsize=3,
                            label=t.measure(measure))
        ax.set_yticks(range(len(labels)), labels)
        ax.set_ylim(-0.7, len(labels) - 0.3)
        ax.invert_yaxis()
        ax.set_xlabel(t("change_axis"))
        ax.xaxis.set_major_formatter(FuncFormatter(  # decimal comma in sv and da
            lambda value, _pos: f"{round(value, 6):g}".replace("-", "−").replace(
                ".", t.decimal)))
        ax.grid(axis="x", alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False,
                      fontsize=8)
        fig.tight_layout()
        return fig
