"""Incidents by category over the last 24 months: one small panel per category.

Drawn only from the cells of the context's ``incidents.table``, the same
cells the pack's table shows after primary and secondary suppression, in
the same periods (months, or quarters when too many months would be
hidden). A hidden cell is a hatched band, not a bar, so no small count can
be read from the chart.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from datapack.analysis.text import SMALL_NOTE, month_label
from datapack.charts.style import COLOURS, WIDTH, fixed_grid, house_style, month_ticks, save, set_title

#: Panel height, margins and gaps in inches: room for a title above each panel, the two-line month
#: labels below the last row, and the legend with its title under them.
PANEL, LEFT, RIGHT, TOP, BOTTOM, HGAP, WGAP = 1.3, 0.5, 0.15, 0.3, 0.95, 0.4, 0.45

#: At most this many panels; further categories are in the table only (the alt text says so).
MAX_PANELS = 8


def _series(table: dict[str, Any]) -> tuple[list[str], list[list[dict]], int]:
    """Period keys across both windows, the cells per category, and where the last window starts."""
    keys, columns = [], [[] for _ in table["columns"]]
    split = 0
    for block in table["blocks"]:
        if block["name"] == "last":
            split = len(keys)
        for row in block["rows"]:
            if row["is_total"]:
                continue
            keys.append(row["key"])
            for i, cell in enumerate(row["cells"]):
                columns[i].append(cell)
    return keys, columns, split


def _ticks(keys: list[str], quarters: bool, narrow: bool) -> tuple[list[int], list[str]]:
    if not quarters:
        return month_ticks(keys, every=6 if narrow else 3)
    starts = [k.split("/")[0] for k in keys]
    return month_ticks(starts, every=2 if narrow else 1)


def incidents_chart(context: dict[str, Any]) -> tuple[str, str, bytes, str] | None:
    """Title, alt text, PNG and SVG of the incidents chart, or None when there is no table."""
    section = context["incidents"]
    table = section.get("table")
    if not table or not table["columns"]:
        return None
    keys, columns, split = _series(table)
    quarters = table["period"] == "quarter"
    panels = list(zip(table["columns"], columns))[:MAX_PANELS]
    ncols = 1 if len(panels) == 1 else 2 if len(panels) <= 4 else 3  # three across keeps eight panels to a page
    nrows = math.ceil(len(panels) / ncols)
    title = f"Incidents by category, by {'quarter' if quarters else 'month'}"
    any_hidden = any(c["hidden"] for _col, cells in panels for c in cells)
    with house_style("incidents"):
        fig, axes = fixed_grid(nrows, ncols, PANEL, LEFT, RIGHT, TOP, BOTTOM, HGAP, WGAP)
        x = list(range(len(keys)))
        positions, labels = _ticks(keys, quarters, narrow=ncols == 3)
        for ax, (column, cells) in zip(axes.ravel(), panels):
            heights = [c["value"] if c["value"] is not None else 0 for c in cells]
            ax.bar(x, heights, width=0.75, color=COLOURS["blue"], edgecolor=COLOURS["ink"], linewidth=0.4)
            for i, cell in enumerate(cells):
                if cell["hidden"]:
                    # A full-height hatched band: plainly "not shown", never a value.
                    ax.axvspan(i - 0.4, i + 0.4, facecolor="none", edgecolor=COLOURS["grey"], hatch="////",
                               linewidth=0)
                elif cell["value"] == 0:
                    # A short dash on the axis: a recorded zero, not a gap.
                    ax.plot([i - 0.3, i + 0.3], [0, 0], color=COLOURS["ink"], linewidth=1.6, clip_on=False)
            ax.axvline(split - 0.5, color=COLOURS["grey"], linestyle="--", linewidth=0.8)
            set_title(ax, column["label"])
            ax.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
            ax.set_ylim(bottom=0, top=max(max(heights), 1) * 1.15)
            if max(heights) == 0:
                ax.set_yticks([0])  # nothing shown above zero: a scale would suggest values
            ax.set_xticks(positions, labels)
            ax.set_xlim(-0.6, len(keys) - 0.4)
        for ax in axes.ravel()[len(panels):]:
            ax.set_visible(False)
        handles = [Patch(facecolor=COLOURS["blue"], edgecolor=COLOURS["ink"], label="Incidents")]
        if any_hidden:
            others = any(c["hidden"] and c.get("note", SMALL_NOTE) != SMALL_NOTE for _col, cells in panels
                         for c in cells)
            handles.append(Patch(facecolor="white", edgecolor=COLOURS["grey"], hatch="////",
                                 label="Hidden: small number" if not others else
                                 "Hidden: small, or so another cannot be worked out"))
        if any(c["value"] == 0 for _col, cells in panels for c in cells):
            handles.append(Line2D([0], [0], color=COLOURS["ink"], linewidth=1.6, label="None recorded"))
        fig.legend(handles=handles, loc="lower left", bbox_to_anchor=(LEFT / WIDTH - 0.01, 0.0), ncols=3,
                   title=f"Dashed line: start of the last {section.get('window', '12 months')}", title_fontsize=8.5,
                   alignment="left")
        png, svg = save(fig)
    return title, _alt(section, table, panels, keys, quarters), png, svg


def _alt(section: dict[str, Any], table: dict[str, Any], panels: list, keys: list[str], quarters: bool) -> str:
    """What the chart shows and its main finding, from the shown figures."""
    n = len(panels)
    unit = "quarter" if quarters else "month"
    windows = section["windows"]
    span = (f"{month_label(pd.Period(windows['previous']['first'], freq='M'))} to "
            f"{month_label(pd.Period(windows['last']['last'], freq='M'))}")
    parts = [f"Bar chart{'s' if n > 1 else ''} of incidents by {unit} for {n} "
             f"categor{'ies' if n > 1 else 'y'}, {span}."]
    by_id = {c["category"]: c for c in section["categories"]}
    for column, _cells in panels:
        c = by_id[column["category"]]
        w = section.get("window", "12 months")
        parts.append(f"{c['label']}: {c['last']['text']} in the last {w} against {c['previous']['text']} "
                     f"in the previous {w} ({c['change']['text']}).")
    left_out = len(table["columns"]) - n
    if left_out > 0:
        parts.append(f"{left_out} further categories are in the table only.")
    hidden = sum(1 for _col, cells in panels for c in cells if c["hidden"])
    if hidden:
        others = sum(1 for _col, cells in panels for c in cells if c["hidden"] and c.get("note", SMALL_NOTE) != SMALL_NOTE)
        why = ("the numbers are small" if not others else
               f"{hidden - others} {'is' if hidden - others == 1 else 'are'} small and {others} "
               f"{'is' if others == 1 else 'are'} hidden so that another hidden figure cannot be worked out")
        parts.append(f"{hidden} of the {len(keys) * n} bars are hidden: {why}; they are shown as hatched bands.")
    return " ".join(parts)
