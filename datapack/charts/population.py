"""Population against capacity, month by month (or throughput for short-stay places).

Drawn only from the context's ``population.months``, whose figures have
already been through disclosure control: a hidden or missing month is a
gap in the line, never a value. Months with no figures are kept on the axis
so the gaps show.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from datapack.charts.style import COLOURS, house_style, fixed_figure, month_ticks, readable_ticks, save

#: Series drawn: (key in a month row, legend label, name in alt text, colour, line style, marker).
SERIES = (
    ("population", "Population", "population", COLOURS["blue"], "-", "o"),
    ("in_use_cna", "In-use capacity (CNA)", "in-use capacity", COLOURS["vermillion"], "--", "s"),
    ("operational_capacity", "Operational capacity", "operational capacity", COLOURS["ink"], ":", "^"),
)
THROUGHPUT_SERIES = (("throughput", "Detentions in the month", "detentions", COLOURS["blue"], "-", "o"),)


def _full_range(rows: list[dict[str, Any]]) -> list[str]:
    first, last = pd.Period(rows[0]["month"], freq="M"), pd.Period(rows[-1]["month"], freq="M")
    return [f"{p.year:04d}-{p.month:02d}" for p in pd.period_range(first, last, freq="M")]


def _values(rows: list[dict[str, Any]], keys: list[str], measure: str) -> list[float]:
    by_month = {r["month"]: r[measure]["value"] for r in rows}
    return [math.nan if by_month.get(k) is None else float(by_month[k]) for k in keys]


#: Height and margins in inches: the legend sits above the axes, two-line month labels below.
HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 3.2, 0.85, 0.2, 0.45, 0.5


def population_chart(context: dict[str, Any]) -> tuple[str, str, bytes, str] | None:
    """Title, alt text, PNG and SVG of the population chart, or None when there are no figures."""
    section = context["population"]
    rows = section["months"]
    if not rows:
        return None
    keys = _full_range(rows)
    series = THROUGHPUT_SERIES if section["basis"] == "throughput" else SERIES
    drawn = [(s, _values(rows, keys, s[0])) for s in series]
    drawn = [(s, v) for s, v in drawn if any(not math.isnan(x) for x in v)]
    if not drawn:
        return None
    title = ("Detentions by month" if section["basis"] == "throughput"
             else "Population and capacity by month")
    with house_style("population"):
        fig, ax = fixed_figure(HEIGHT, LEFT, RIGHT, TOP, BOTTOM)
        x = list(range(len(keys)))
        for i, ((_key, label, _name, colour, style, marker), values) in enumerate(drawn):
            # The main series has filled markers, capacities hollow ones: shape, not colour, tells them apart.
            ax.plot(x, values, color=colour, linestyle=style, marker=marker, label=label,
                    markerfacecolor=colour if i == 0 else "white")
        positions, labels = month_ticks(keys, every=3 if len(keys) <= 24 else 6)
        ax.set_xticks(positions, labels)
        ax.set_xlim(-0.5, len(keys) - 0.5)
        top = max(v for _s, values in drawn for v in values if not math.isnan(v))
        ax.set_ylim(0, top * 1.08 if top > 0 else 1)
        readable_ticks(ax.yaxis)
        ax.set_ylabel("People" if section["basis"] == "population" else "Detentions")
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=len(drawn))
        png, svg = save(fig)
    return title, _alt(section, rows, keys, [s for s, _ in drawn]), png, svg


def _alt(section: dict[str, Any], rows: list[dict[str, Any]], keys: list[str], drawn: list[tuple]) -> str:
    """What the chart shows and its main finding, from the shown figures."""
    names = [name for _key, _label, name, *_ in drawn]
    main = names[0]
    against = f" against {' and '.join(names[1:])}" if len(names) > 1 else ""
    span = f"{rows[0]['label']} to {rows[-1]['label']}" if len(keys) > 1 else rows[0]["label"]
    parts = [f"Line chart of {main}{against}, {span}."]
    measure = drawn[0][0]
    shown = [(r["label"], r[measure]) for r in rows if r[measure]["value"] is not None]
    if len(shown) >= 2:
        (l0, a), (l1, b) = shown[0], shown[-1]
        verb = "rose" if b["value"] > a["value"] else "fell" if b["value"] < a["value"] else "was unchanged"
        what = main[0].upper() + main[1:]
        parts.append(f"{what} {verb} from {a['text']} in {l0} to {b['text']} in {l1}."
                     if verb != "was unchanged" else f"{what} was {b['text']} in both {l0} and {l1}.")
    elif shown:
        parts.append(f"{main[0].upper() + main[1:]} was {shown[0][1]['text']} in {shown[0][0]}.")
    if section["basis"] == "population":
        crowded = [r for r in rows if r["crowding"]["value"] is not None]
        above = [r for r in crowded if r["crowding"]["value"] > 100]
        if crowded and above:
            latest = "including the latest" if above[-1] is crowded[-1] else "but not the latest"
            share = (f"all {len(crowded)} months with figures" if len(above) == len(crowded)
                     else f"{len(above)} of the {len(crowded)} months with figures, {latest}")
            parts.append(f"It was above in-use capacity in {share} "
                         f"({crowded[-1]['crowding']['text']} in {crowded[-1]['label']}).")
        elif crowded:
            parts.append("It was within in-use capacity in every month with figures.")
    held = sum(1 for r in rows if r[measure]["value"] is not None)
    if held < len(keys):
        parts.append(f"Figures are held for {held} of the {len(keys)} months; the others are gaps.")
    hidden = sum(1 for r in rows if r[measure]["hidden"])
    if hidden:
        parts.append(f"{hidden} months are not shown because the numbers are small.")
    return " ".join(parts)
