"""The report's charts for 1, 2 and 12 waves: legends, and axes that keep the points
where a reader expects them (one wave in the middle, not P and C at opposite edges)."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from bip_bridge.reports import charts
from bip_bridge.reports.i18n import Translator


def points(waves: int) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for wave in range(waves):
        for measure, level in (("p_index", 4.0), ("c_index", 4.5)):
            mean = level + 0.2 * wave
            out.append({"wave": wave, "measure": measure, "n": 20, "mean": mean,
                        "ci_low": mean - 0.5, "ci_high": mean + 0.5, "suppressed": False})
    return out


@pytest.mark.parametrize("waves", [1, 2, 12])
@pytest.mark.parametrize("language", ["sv", "en"])
def test_index_chart_has_a_legend_and_every_wave_in_view(waves: int, language: str) -> None:
    t = Translator(language)
    labels = {w: str(w) for w in range(waves)}
    fig = charts.index_figure(points(waves), t, labels)
    ax = fig.axes[0]
    legend = ax.get_legend()
    assert legend is not None
    assert [text.get_text() for text in legend.get_texts()] == [t("p_index"), t("c_index")]
    assert [tick.get_text() for tick in ax.get_xticklabels()] == [str(w) for w in range(waves)]
    low, high = ax.get_xlim()
    assert (low, high) == (-0.5, waves - 0.5)
    assert ax.get_ylim() == (1.0, 10.0)
    xs = np.concatenate([line.get_xdata() for line in ax.get_lines() if len(line.get_xdata())])
    width = high - low
    # every point sits inside its wave's slot, well away from the edges
    assert (xs > low + 0.3 / waves * width).all() and (xs < high - 0.3 / waves * width).all()
    if waves == 1:  # P and C side by side in the middle
        assert abs(float(np.mean(xs))) < 0.01 and float(np.ptp(xs)) < 0.2
    png = charts.index_chart(points(waves), t, labels)
    assert base64.b64decode(png).startswith(b"\x89PNG")


def test_group_chart_shows_no_blank_cell() -> None:
    t = Translator("sv")
    rows = [
        {"group_label": "ja", "measure": "d_p", "mean": 0.4, "ci_low": 0.1, "ci_high": 0.7,
         "suppressed": False},
        {"group_label": "nej", "measure": "d_p", "mean": None, "ci_low": None, "ci_high": None,
         "suppressed": True},
        {"group_label": "ja", "measure": "d_c", "mean": 0.3, "ci_low": 0.0, "ci_high": 0.6,
         "suppressed": False},
    ]
    fig = charts.group_figure(rows, t)
    ax = fig.axes[0]
    assert [text.get_text() for text in ax.get_legend().get_texts()] == [
        t.measure("d_p"), t.measure("d_c")]
    assert [tick.get_text() for tick in ax.get_yticklabels()] == ["ja", "nej"]
    means = [(float(x), float(y)) for c in ax.containers
             for x, y in zip(c.lines[0].get_xdata(), c.lines[0].get_ydata(), strict=True)]
    assert sorted(x for x, _ in means) == [0.3, 0.4]
    assert all(abs(y) < 0.5 for _, y in means)  # on the "ja" row only; "nej" has no marker
