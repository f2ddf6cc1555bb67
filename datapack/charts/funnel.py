"""Funnel plots: each place's rate against its size, with limits around the pooled rate, from ``context["funnels"]``.

The pooled rate is a solid line, 95% limits dashed and 99.8% limits
dotted. Other places are small grey dots; the place whose pack this is is
a large diamond labelled with its name, so it is found without colour.
Places whose count is hidden are already left off by the context; if the
pack's own place is hidden it is named on the axis with no value.
"""

from __future__ import annotations

import math
import re
from typing import Any

from matplotlib.lines import Line2D
from matplotlib.transforms import blended_transform_factory

from datapack.charts.style import COLOURS, SPC_COLOURS, fixed_figure, house_style, number, readable_ticks, save

HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 3.3, 0.8, 0.3, 0.15, 1.0
#: Line style of each level of limits.
LEVELS = {0.95: ("95% limits", (0, (5, 3))), 0.998: ("99.8% limits", (0, (1, 2)))}
WHERE = {"peers": "{group} peers", "type": "places of its type", "all": "all places"}  # "all": the estate view
FLAG_WORDS = {"above_99.8": "above the 99.8% limit", "above_95": "above the 95% limit", "within": "within the limits",
              "below_95": "below the 95% limit", "below_99.8": "below the 99.8% limit"}


#: Up to this many other places, each is named beside its point (peers identifiable, issue 10.4).
MAX_LABELLED = 12


def short_name(name: str) -> str:
    """A place's name without its leading service initials: ``Kestrel Moor`` for ``HMP Kestrel Moor``."""
    short = re.sub(r"^(?:(?:[A-Z]{2,}|&)\s+)+", "", str(name)).strip()
    return short or str(name)


def _size_label(per: str, window: str = "12 months") -> str:
    return f"Detentions in the last {window}" if "detention" in per else f"Average population, last {window}"


def _upper_at(section: dict[str, Any], x: float) -> float:
    """The highest upper limit at size ``x``, by interpolation along the curve (0 with no curve)."""
    d = section["curve"]["denominators"]
    tops = [0.0]
    for line in section["curve"]["lines"] if d else []:
        up = line["upper"]
        at = next((i for i in range(1, len(d)) if d[i] >= x), None)
        if x <= d[0] or at is None:
            tops.append(up[0] if x <= d[0] else up[-1])
        else:
            x0, x1 = d[at - 1], d[at]
            tops.append(up[at - 1] + (up[at] - up[at - 1]) * (x - x0) / (x1 - x0 or 1))
    return max(tops)


def funnel_chart(context: dict[str, Any], chart_id: str) -> tuple[str, str, bytes, str] | None:
    """Title, alt text, PNG and SVG of the funnel plot ``funnel-<indicator>``, or None if there is none."""
    section = context.get("funnels", {}).get(chart_id.removeprefix("funnel-"))
    if not section or not section["points"]:
        return None
    points = [{**p, "value": None} if p["hidden"] else p for p in section["points"]]
    this = next((p for p in points if p["this"]), None)
    name = this["label"] if this else context.get("facility", {}).get("name", "This place")
    others = [p for p in points if not p["this"] and p["value"] is not None]
    threshold = context.get("disclosure", {}).get("threshold")
    sizes = section["curve"]["denominators"] + [p["denominator"] for p in section["points"]]
    log_x = max(sizes) > 20 * max(min(sizes), 1e-9)
    title = f"{section['label']}: {name} against {_where(section)}"
    with house_style(chart_id):
        fig, ax = fixed_figure(HEIGHT, LEFT, RIGHT, TOP, BOTTOM)
        if log_x:
            ax.set_xscale("log")
        handles = [Line2D([], [], color=COLOURS["ink"], linewidth=1.2, label="Pooled rate")]
        d = section["curve"]["denominators"]
        for line in sorted(section["curve"]["lines"], key=lambda ln: ln["level"]):
            label, style = LEVELS.get(line["level"], (f"{line['level']:.1%} limits", "-."))
            for side in ("lower", "upper"):
                ax.plot(d, line[side], color=COLOURS["ink"], linewidth=0.9, linestyle=style)
            handles.append(Line2D([], [], color=COLOURS["ink"], linewidth=0.9, linestyle=style, label=label))
        lo_x, hi_x = min(sizes) / (1.25 if log_x else 1.0), max(sizes) * (1.25 if log_x else 1.0)
        if not log_x:
            span = hi_x - lo_x or hi_x or 1.0
            lo_x, hi_x = max(0.0, lo_x - 0.06 * span), hi_x + 0.06 * span
        ax.plot([lo_x, hi_x], [section["target"]] * 2, color=COLOURS["ink"], linewidth=1.2)
        if others:
            style = dict(linestyle="none", marker="o", markersize=5.5, color=SPC_COLOURS["common_cause"],
                         markeredgecolor=COLOURS["grey"], markeredgewidth=0.5)
            ax.plot([p["denominator"] for p in others], [p["value"] for p in others], zorder=3, **style)
            handles.append(Line2D([], [], label="Other places compared", **style))
            if len(others) <= MAX_LABELLED:  # a peer group is few enough to name each place
                for p in others:  # to the left of a point near the right edge, so the name stays inside
                    right = _across(p["denominator"], log_x, lo_x, hi_x) > 0.85
                    ax.annotate(short_name(p["label"]), (p["denominator"], p["value"]), xytext=(-4 if right else 4, 3),
                                textcoords="offset points", ha="right" if right else "left", fontsize=6.5,
                                color=COLOURS["grey"], zorder=3)
        shown = [p["value"] for p in others] + [section["target"]]
        if this and this["value"] is not None:
            shown.append(this["value"])
        top = max(max(shown), _upper_at(section, this["denominator"] if this else d[0] if d else 0.0))
        ax.set_ylim(0, top * 1.1 if top > 0 else 1.0)
        ax.set_xlim(lo_x, hi_x)
        if this:
            _mark_this(ax, this, name, log_x, lo_x, hi_x, threshold)
            handles.append(Line2D([], [], linestyle="none", marker="D", markersize=8, color=COLOURS["blue"],
                                  markeredgecolor=COLOURS["ink"], label=name) if this["value"] is not None else
                           Line2D([], [], linestyle="none", marker="x", markersize=7, color=COLOURS["ink"],
                                  label=f"{name}: not shown"))
        readable_ticks(ax.yaxis)
        ax.xaxis.set_major_formatter(lambda v, _pos: f"{v:,.0f}")
        size = _size_label(section["per"], section.get("window", "12 months"))
        ax.set_xlabel(size + (" (log scale)" if log_x else ""))
        ax.set_ylabel(f"Rate {section['per']}")
        fig.legend(handles=handles, loc="lower left", bbox_to_anchor=(LEFT / 7.0 - 0.01, 0.0), ncols=3,
                   fontsize=7.5, title="Limits allow for over-dispersion" if section["adjusted"] else None,
                   title_fontsize=7.5, alignment="left")
        png, svg = save(fig)
    return title, _alt(section, this, name, others, threshold), png, svg


def _across(x: float, log_x: bool, lo_x: float, hi_x: float) -> float:
    """How far across the axis ``x`` lies, 0 (left) to 1 (right)."""
    if log_x:
        return (math.log(x) - math.log(lo_x)) / (math.log(hi_x) - math.log(lo_x))
    return (x - lo_x) / (hi_x - lo_x)


def _mark_this(ax: Any, this: dict[str, Any], name: str, log_x: bool, lo_x: float, hi_x: float,
               threshold: Any) -> None:
    """The pack's own place: a large labelled diamond, or its name on the axis when its figure is hidden."""
    x = this["denominator"]
    where = _across(x, log_x, lo_x, hi_x)
    ha, dx = ("right", -9) if where > 0.6 else ("left", 9)
    if this["value"] is None:
        on_axis = blended_transform_factory(ax.transData, ax.transAxes)
        ax.plot([x], [0.0], transform=on_axis, marker="x", markersize=7, color=COLOURS["ink"], clip_on=False,
                zorder=4)
        few = f"fewer than {threshold}" if threshold else "small number"
        ax.annotate(f"{name}: {few}, not shown", (x, 0.0), xycoords=on_axis, xytext=(dx, 8),
                    textcoords="offset points", ha=ha, fontsize=8, color=COLOURS["ink"])
        return
    ax.plot([x], [this["value"]], linestyle="none", marker="D", markersize=9, color=COLOURS["blue"],
            markeredgecolor=COLOURS["ink"], markeredgewidth=0.8, zorder=5)
    ax.annotate(name, (x, this["value"]), xytext=(dx, 6), textcoords="offset points", ha=ha, fontsize=8.5,
                fontweight="bold", color=COLOURS["ink"])


def _where(section: dict[str, Any]) -> str:
    return WHERE.get(section["compared_with"], "other places").format(group=section["group"])


def _alt(section: dict[str, Any], this: dict[str, Any] | None, name: str, others: list[dict[str, Any]],
         threshold: Any) -> str:
    """What the chart shows, the place's position against the limits and, where they are named on the chart,
    the other places' rates."""
    n_others = len(others)
    label = section["label"]
    what = label[:1].lower() + label[1:] if label[1:2].islower() else label
    places = f"{n_others or 'no'} other place{'s' if n_others != 1 else ''}"
    window = section.get("window", "12 months")
    parts = [f"Funnel plot of the rate of {what} {section['per']} over the last {window} against size, "
             f"for {name} and {places} ({_where(section)})."]
    flag = section.get("flag") if isinstance(section.get("flag"), str) else None
    position = FLAG_WORDS.get(flag) if flag else None
    target = f"pooled rate {number(section['target'])}"
    if this is None or this["value"] is None:
        few = f" (fewer than {threshold})" if threshold else ""
        parts.append(f"{name}'s figure is not shown because the number is small{few}"
                     + (f"; it is {position} ({target})." if position else f"; {target}."))
    else:
        value = f"{number(this['value'])} {section['per']}"
        parts.append(f"{name}: {value}, {position} ({target})." if position else
                     f"{name}: {value} ({target}); no position against the limits is given.")
    if others and n_others <= MAX_LABELLED:
        ranked = sorted(others, key=lambda p: (-p["value"], p["label"]))
        parts.append("Other places, highest rate first: "
                     + "; ".join(f"{short_name(p['label'])} {number(p['value'])}" for p in ranked) + ".")
    if section["adjusted"]:
        parts.append("The limits allow for over-dispersion between places.")
    parts.append("Places whose counts are too small to show are left off.")
    return " ".join(parts)
