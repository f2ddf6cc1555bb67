"""Control charts of one indicator, from ``context["spc"]``: month by month (XmR, u-chart or Laney's
u-prime, as the section's ``chart`` says), by quarter where the months are too sparse (``grain``), or
for a rare event the days between events (``kind`` "between": a t-chart whose limits are in days).

Each point is coloured by its type (NHS "Making Data Count" colours) and
also has its own shape, so the chart reads in greyscale: common cause a
small circle, improvement a diamond, concern a triangle pointing the way
the series moved, neutral a square. The mean is a solid line, the limits
dashed, recalculated at a series break (a dashed vertical line). A month
whose count is below the disclosure threshold is a gap with a small ×
on the axis; its value is never in the context, so it cannot reach the chart.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.transforms import blended_transform_factory

from datapack.analysis.text import SMALL_NOTE, lower_first, period_label
from datapack.charts.style import COLOURS, SPC_COLOURS, fixed_figure, house_style, month_ticks, number, readable_ticks, save

#: (legend label, marker, size) of each kind of point; concern splits by the side of the mean.
MARKS = {
    "common_cause": ("Common cause", "o", 4.5),
    "improvement": ("Special cause: improvement", "D", 6.5),
    "concern_high": ("Special cause: concern (high)", "^", 8),
    "concern_low": ("Special cause: concern (low)", "v", 8),
    "neutral": ("Special cause: neither better nor worse", "s", 6.5),
}
HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 3.1, 0.8, 0.25, 0.25, 1.0
#: Shown points in a row needed for a trend (rising or falling) or a shift (one side of the mean).
TREND, SHIFT = 7, 7
#: The chart's name in its title, by ``chart``.
CHART_NAMES = {"u": "u-chart", "laney": "Laney u′ chart", "t": "t-chart"}


def _concern_side(context: dict[str, Any], indicator: str, between: bool = False) -> str | None:
    """``high`` or ``low``: concern always lies against the indicator's good direction (None if unknown);
    on a chart of the days between events, short gaps are the concern where fewer events are better."""
    good = next((r.get("good_direction") for r in context.get("indicators", []) if r.get("id") == indicator), None)
    if between:
        good = {"down": "up", "up": "down"}.get(good)
    return {"down": "high", "up": "low"}.get(good)


def _grain(section: dict[str, Any]) -> str:
    """What one point covers: ``month``, ``quarter`` or ``event``."""
    return section.get("grain") or "month"


def _title(section: dict[str, Any]) -> str:
    name = CHART_NAMES.get(section.get("chart") or "")
    if section.get("kind") == "between":
        what = "days between events"
    else:
        what = f"{'quarterly' if _grain(section) == 'quarter' else 'monthly'} control chart"
    extras = [x for x in (name, "trial limits" if section["trial"] else None) if x]
    return f"{section['label']}: {what}" + (f" ({', '.join(extras)})" if extras else "")


def _kind(p: dict[str, Any], side: str | None) -> str | None:
    if p["value"] is None or p["type"] not in SPC_COLOURS:
        return None
    if p["type"] == "concern":
        # A rising trend that starts below the mean is still a concern about high values.
        if side is None:
            side = "high" if p["mean"] is None or p["value"] >= p["mean"] else "low"
        return f"concern_{side}"
    return p["type"]


def _lines(points: list[dict[str, Any]], key: str) -> tuple[list[float], list[float]]:
    """x and y of a per-point line, broken (NaN) where a new segment starts."""
    xs, ys = [], []
    for i, p in enumerate(points):
        if i and p["segment"] != points[i - 1]["segment"]:
            xs.append(i - 0.5)
            ys.append(math.nan)
        xs.append(i)
        ys.append(math.nan if p[key] is None else p[key])
    return xs, ys


def _breaks(section: dict[str, Any], points: list[dict[str, Any]]) -> list[int]:
    """Indices where a series break falls inside the chart (a new segment or a listed definition change)."""
    at = set(_definition_breaks(section, points))
    at |= {i for i in range(1, len(points)) if points[i]["segment"] != points[i - 1]["segment"]}
    return sorted(at)


def _definition_breaks(section: dict[str, Any], points: list[dict[str, Any]]) -> list[int]:
    """Indices of the configured series breaks (a change of definition); the other breaks are confirmed shifts."""
    periods = [p["period"] for p in points]
    return sorted({periods.index(b) for b in section.get("breaks", []) if b in periods[1:]})


def _decimals(section: dict[str, Any]) -> int:
    """One decimal place for the whole chart, or none when its figures reach the thousands or are counts."""
    top = max((abs(v) for p in section["points"] for v in (p["value"], p["ucl"]) if v is not None), default=0)
    return 0 if top >= 1000 or section["measure"] in ("count", "days") and section["unit"] != "%" else 1


def _fmt(section: dict[str, Any], value: float) -> str:
    text = number(value, _decimals(section))
    return f"{text}%" if section["unit"] == "%" else text


def spc_chart(context: dict[str, Any], chart_id: str) -> tuple[str, str, bytes, str] | None:
    """Title, alt text, PNG and SVG of the control chart ``spc-<indicator>``, or None if nothing is shown."""
    indicator = chart_id.removeprefix("spc-")
    section = context.get("spc", {}).get(indicator)
    if not section:
        return None
    # A hidden month is drawn as hidden even if a value slipped through: the chart must not show it.
    points = [{**p, "value": None} if p["hidden"] else p for p in section["points"]]
    section = {**section, "points": points}
    shown = [(i, p) for i, p in enumerate(points) if p["value"] is not None]
    if not shown:
        return None
    threshold = context.get("disclosure", {}).get("threshold")
    others = any(p["hidden"] and p.get("note", SMALL_NOTE) != SMALL_NOTE for p in points)
    hidden_label = (f"Fewer than {threshold}: not shown" if threshold else "Small number: not shown") if not others \
        else "Not shown: small, or hidden so another cannot be worked out"
    title = _title(section)
    x = list(range(len(points)))
    with house_style(chart_id):
        fig, ax = fixed_figure(HEIGHT, LEFT, RIGHT, TOP, BOTTOM)
        values = [math.nan if p["value"] is None else p["value"] for p in points]
        ax.plot(x, values, color=COLOURS["grey"], linewidth=0.9, zorder=2)
        ax.plot(*_lines(points, "mean"), color=COLOURS["ink"], linewidth=1.1, zorder=1)
        for key in ("ucl", "lcl"):
            ax.plot(*_lines(points, key), color=COLOURS["ink"], linewidth=0.9, linestyle=(0, (5, 3)), zorder=1)
        centre = "Centre line" if section.get("kind") == "between" else "Mean"
        handles = [Line2D([], [], color=COLOURS["ink"], linewidth=1.1, label=centre),
                   Line2D([], [], color=COLOURS["ink"], linewidth=0.9, linestyle=(0, (5, 3)),
                          label="Control limits" + (" (trial)" if section["trial"] else ""))]
        side = _concern_side(context, indicator, section.get("kind") == "between")
        for kind, (label, marker, size) in MARKS.items():
            at = [i for i, p in shown if _kind(p, side) == kind]
            if not at:
                continue
            colour = SPC_COLOURS[kind.split("_")[0] if kind.startswith("concern") else kind]
            style = dict(color=colour, marker=marker, markersize=size, markeredgecolor=COLOURS["ink"],
                         markeredgewidth=0.5, linestyle="none")
            ax.plot(at, [values[i] for i in at], zorder=3, **style)
            handles.append(Line2D([], [], label=label, **style))
        hidden = [i for i, p in enumerate(points) if p["hidden"]]
        if hidden:
            # On the axis, not at a height: a hidden month has no value to place.
            on_axis = blended_transform_factory(ax.transData, ax.transAxes)
            ax.plot(hidden, [0.0] * len(hidden), transform=on_axis, linestyle="none", marker="x", markersize=5,
                    color=COLOURS["grey"], clip_on=False, zorder=4)
            handles.append(Line2D([], [], linestyle="none", marker="x", markersize=5, color=COLOURS["grey"],
                                  label=hidden_label))
        breaks = _breaks(section, points)
        definitions = set(_definition_breaks(section, points))
        for i in breaks:
            ax.axvline(i - 0.5, color=COLOURS["ink"], linestyle="--", linewidth=0.8)
            ax.text(i - 0.4, 1.0, "Series break" if i in definitions else "Limits recalculated",
                    transform=blended_transform_factory(ax.transData, ax.transAxes),
                    fontsize=7.5, va="bottom", color=COLOURS["ink"])
        lows = [v for p in points for v in (p["value"], p["lcl"], p["mean"]) if v is not None]
        highs = [v for p in points for v in (p["value"], p["ucl"], p["mean"]) if v is not None]
        lo, hi = min(lows), max(highs)
        pad = (hi - lo) * 0.12 or max(abs(hi), 1) * 0.1
        ax.set_ylim(max(0.0, lo - pad) if lo >= 0 else lo - pad, hi + pad)
        ax.set_xlim(-0.6, len(points) - 0.4)
        last_i, last = shown[-1]
        ax.annotate(_fmt(section, last["value"]), (last_i, last["value"]), xytext=(0, 8),
                    textcoords="offset points", ha="center", fontsize=8.5, fontweight="bold", color=COLOURS["ink"])
        if _grain(section) == "month":
            positions, labels = month_ticks([p["period"] for p in points], every=3 if len(points) <= 24 else 6)
        else:  # quarters and events by their own labels, thinned to about 8
            every = max(1, math.ceil(len(points) / 8))
            positions = list(range(0, len(points), every))
            labels = [points[i]["label"].replace(" ", "\n", 1) if _grain(section) == "quarter"
                      else points[i]["label"].rsplit(" ", 1)[0] + "\n" + points[i]["label"].rsplit(" ", 1)[1]
                      for i in positions]
        ax.set_xticks(positions, labels)
        readable_ticks(ax.yaxis)
        ax.set_ylabel(_axis_label(section))
        if section["trial"]:
            fig.text(LEFT / 7.0, 1 - 0.08 / HEIGHT, "Trial limits: fewer than 12 points", va="top", fontsize=8,
                     style="italic", color=COLOURS["ink"])
        fig.legend(handles=handles, loc="lower left", bbox_to_anchor=(LEFT / 7.0 - 0.01, 0.0), ncols=3,
                   fontsize=7.5, handlelength=2.2, columnspacing=1.2)
        png, svg = save(fig)
    return title, _alt(section, points, breaks, threshold), png, svg


def _axis_label(section: dict[str, Any]) -> str:
    if section.get("kind") == "between":
        return "Days since the one before"
    if section["unit"] == "%":
        return "Per cent"
    if section["measure"] == "rate":
        return f"Rate {section['unit']}"
    return f"Number in the {_grain(section)}"


def _month(period: str) -> str:
    """A point's period in words (a month, a quarter, or an event's date)."""
    if len(period) == 10:  # an event's date, YYYY-MM-DD
        return pd.Timestamp(period).strftime("%d %B %Y").lstrip("0")
    return period_label(period)


def _what(section: dict[str, Any]) -> str:
    ly = "quarterly" if _grain(section) == "quarter" else "monthly"
    if section["unit"] == "%":
        return f"the {ly} {lower_first(section['label'])} (per cent)"
    if section["measure"] == "rate":
        return f"the {ly} rate of {lower_first(section['label'])} {section['unit']}"
    return f"the {ly} number of {lower_first(section['label'])}"


def _reasons(section: dict[str, Any], points: list[dict[str, Any]], kind: str) -> list[str]:
    """Why the latest point is a special cause, read back from the shown points of its segment."""
    last = points[-1]
    run = [p for p in points if p["segment"] == last["segment"]]
    reasons = []
    if last["ucl"] is not None and last["value"] > last["ucl"]:
        reasons.append(f"it is above the upper limit of {_fmt(section, last['ucl'])}")
    elif last["lcl"] is not None and last["value"] < last["lcl"]:
        reasons.append(f"it is below the lower limit of {_fmt(section, last['lcl'])}")
    noun = "rate" if section["measure"] == "rate" else "figure"
    for sign, verb in ((1, "rose"), (-1, "fell")):
        steps = 0
        for a, b in zip(run[-2::-1], run[::-1]):
            if a["value"] is None or b["value"] is None or (b["value"] - a["value"]) * sign <= 0:
                break
            steps += 1
        if steps + 1 >= TREND:
            reasons.append(f"the {noun} {verb} for {steps} consecutive {_grain(section)}s")
    if last["mean"] is not None and not reasons:
        side = 1 if last["value"] > last["mean"] else -1
        same = 0
        for p in reversed(run):
            if p["value"] is None or (p["value"] - p["mean"]) * side <= 0:
                break
            same += 1
        if same >= SHIFT:
            reasons.append(f"the last {same} {_grain(section)}s were all {'above' if side > 0 else 'below'} the mean")
    if not reasons and kind != "common_cause":
        reasons.append(f"two of the last three {_grain(section)}s were close to a limit")
    return reasons


VERDICT = {"common_cause": "shows common cause variation only",
           "improvement": "is a special cause of improvement", "concern": "is a special cause of concern",
           "neutral": "is a special cause (unusual, neither better nor worse)"}


def _alt(section: dict[str, Any], points: list[dict[str, Any]], breaks: list[int], threshold: Any) -> str:
    """What the chart shows and its main finding, from the shown figures only."""
    if section.get("kind") == "between":
        # one point per event: the reading is the section's own, word for word, so the two never differ
        return (f"Chart of the days between {lower_first(section['label'])}, one point per event from "
                f"{_month(points[0]['period'])} to {_month(points[-1]['period'])}, with a centre line and control "
                f"limits in days (Nelson's transformation). {section['summary']}")
    grain = _grain(section)
    span = f"{_month(points[0]['period'])} to {_month(points[-1]['period'])}"
    name = CHART_NAMES.get(section.get("chart") or "")
    parts = [f"Control chart{f' ({name})' if name else ''} of {_what(section)}, {span}."]
    if grain == "quarter":
        parts.append("Charted by quarter: by month there are too few incidents to chart.")
    last = points[-1]
    if last["value"] is None:
        why = ("no figure is held" if not last["hidden"] else "the number is small"
               if last.get("note", SMALL_NOTE) == SMALL_NOTE else "it is hidden so that another hidden figure "
               "cannot be worked out")
        parts.append(f"The latest {grain}, {_month(last['period'])}, is not shown because {why}.")
        prior = next(p for p in reversed(points) if p["value"] is not None)
        parts.append(f"The latest point shown is {_fmt(section, prior['value'])} in {_month(prior['period'])}.")
    else:
        verdict = VERDICT.get(last["type"], "is not classified")
        reasons = _reasons(section, points, last["type"]) if last["type"] in VERDICT and \
            last["type"] != "common_cause" else []
        parts.append(f"The latest point, {_fmt(section, last['value'])} in {_month(last['period'])}, {verdict}"
                     + (f": {' and '.join(reasons)}." if reasons else "."))
    if last["mean"] is not None:
        limits = (f"; limits {_fmt(section, last['lcl'])} to {_fmt(section, last['ucl'])}"
                  if last["lcl"] is not None and last["ucl"] is not None else "")
        since = f"Since {_month(points[breaks[-1]]['period'])}: mean" if breaks else "Mean"
        parts.append(f"{since} {_fmt(section, last['mean'])}{limits}.")
    if section["trial"]:
        parts.append("These are trial limits, from fewer than 12 points.")
    if breaks:
        definitions = set(_definition_breaks(section, points))
        kinds = [k for k, there in (("a series break (a change of definition)", bool(definitions)),
                                    ("a sustained shift confirmed after the baseline",
                                     bool(set(breaks) - definitions))) if there]
        parts.append(f"A dashed vertical line marks {' or '.join(kinds)}; "
                     "the limits are calculated separately on each side.")
    if section.get("chart") in ("u", "laney"):
        base = "detentions" if "detentions" in str(section.get("unit")) else "population"
        parts.append(f"The limits vary with each {grain}'s {base}"
                     + (f", widened for variation beyond chance (σz {section['sigma_z']:.1f})."
                        if section.get("chart") == "laney" and section.get("sigma_z") is not None else "."))
    hidden = sum(p["hidden"] for p in points)
    if hidden:
        few = f" (fewer than {threshold})" if threshold else ""
        others = sum(1 for p in points if p["hidden"] and p.get("note", SMALL_NOTE) != SMALL_NOTE)
        why = (f"the numbers are small{few}" if not others else
               f"{hidden - others} {'is' if hidden - others == 1 else 'are'} small{few} and {others} "
               f"{'is' if others == 1 else 'are'} hidden so that another hidden figure cannot be worked out")
        parts.append(f"{hidden} of the {len(points)} {grain}s {'is' if hidden == 1 else 'are'} not shown: "
                     f"{why}; {'it is' if hidden == 1 else 'they are'} marked × on the axis.")
    missing = sum(1 for p in points if p["value"] is None and not p["hidden"])
    if missing:
        parts.append(f"No figures are held for {missing} {grain}{'s' if missing > 1 else ''}.")
    return " ".join(parts)
