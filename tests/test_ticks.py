"""Y-axis ticks read sensibly at any scale (issue 10.7): never 0.1, 0.1, 0.1."""

from __future__ import annotations

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from datapack.charts.style import readable_ticks, tick_decimals


@pytest.mark.parametrize("ticks, decimals", [([0, 0.05, 0.1, 0.15], 2), ([0, 200, 400], 0), ([0, 2.5, 5, 7.5], 1),
                                             ([1000, 1500, 2000], 0), ([0, 0.02, 0.04], 2), ([3], 0)])
def test_the_decimals_are_the_fewest_that_show_each_tick_as_it_is(ticks, decimals):
    assert tick_decimals(ticks) == decimals


@pytest.mark.parametrize("top", [0.012, 0.15, 3.0, 45_000.0])
def test_a_drawn_axis_never_repeats_a_label(top):
    fig = Figure()
    ax = fig.subplots()
    ax.plot([0, 1], [0, top])
    readable_ticks(ax.yaxis)
    FigureCanvasAgg(fig).draw()
    low, high = ax.get_ylim()
    labels = [t.get_text() for t in ax.get_yticklabels() if low <= t.get_position()[1] <= high]
    assert len(labels) >= 2 and len(set(labels)) == len(labels), labels
    if top >= 1000:
        assert any("," in label for label in labels)
