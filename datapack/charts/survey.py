"""Survey dot plots: each question's % positive against similar places and the previous survey.

From ``context["survey_comparisons"]``: one row per question. The place's
figure is a marker whose shape says how it compares with similar places
(▲ significantly better, ▼ significantly worse, ● no significant
difference, ○ no valid comparison), coloured too but never by colour
alone; similar places are a hollow square, the previous survey a small
grey bar. The figure and its base are printed at the right. A hidden
figure is not drawn: its row says "not shown".
"""

from __future__ import annotations

import textwrap
from typing import Any

from matplotlib.lines import Line2D

from datapack.charts.style import COLOURS, SPC_COLOURS, fixed_figure, house_style, save

#: Marker of the place's figure by its comparison with similar places: (legend label, marker, face colour).
SHAPES = {
    "better": ("Significantly better than similar places", "^", SPC_COLOURS["improvement"]),
    "worse": ("Significantly worse than similar places", "v", SPC_COLOURS["concern"]),
    "same": ("No significant difference", "o", SPC_COLOURS["common_cause"]),
    "none": ("No valid comparison", "o", "white"),
}
ROW, LEFT, RIGHT, TOP, BOTTOM = 0.4, 2.75, 1.3, 0.3, 1.25
#: Where the right-hand columns start, in inches from the plot's right edge.
FIGURE_AT, BASE_AT = 0.1, 0.8
WRAP, LINES = 46, 2


def _question(row: dict[str, Any]) -> str:
    """The question wrapped to two lines (shortened at a word if longer), with a note when lower is better."""
    lines = textwrap.wrap(row["text"], WRAP, max_lines=LINES, placeholder=" …")
    if row.get("good_direction") == "down":
        lines.append("(lower is better)")
    return "\n".join(lines)


def _shown(fig: dict[str, Any] | None) -> float | None:
    return None if not fig or fig.get("hidden") else fig.get("value")


def survey_chart(context: dict[str, Any], chart_id: str) -> tuple[str, str, bytes, str] | None:
    """Title, alt text, PNG and SVG of the dot plot ``survey-<survey>``, or None if it has no rows."""
    section = next((s for s in context.get("survey_comparisons", []) if s["chart"] == chart_id), None)
    if not section or not section["rows"]:
        return None
    rows = section["rows"]
    name = context.get("facility", {}).get("name", "this place")
    height = TOP + BOTTOM + ROW * len(rows)
    title = f"{section['label']} {section['wave']}: % giving the positive answer, against similar places"
    with house_style(chart_id):
        fig, ax = fixed_figure(height, LEFT, RIGHT, TOP, BOTTOM)
        y = list(range(len(rows)))
        previous = [(i, _shown(r["previous"])) for i, r in enumerate(rows) if _shown(r["previous"]) is not None]
        peers = [(i, _shown(r["peers"])) for i, r in enumerate(rows) if _shown(r["peers"]) is not None]
        prev_style = dict(linestyle="none", marker="|", markersize=9, markeredgewidth=1.6, color=COLOURS["grey"])
        peer_style = dict(linestyle="none", marker="s", markersize=6.5, markerfacecolor="white",
                          markeredgecolor=COLOURS["ink"], markeredgewidth=0.9, color=COLOURS["ink"])
        for i, r in enumerate(rows):
            here, peer = _shown(r["pct"]), _shown(r["peers"])
            if here is not None and peer is not None:
                ax.plot([here, peer], [i, i], color=COLOURS["light"], linewidth=2.2, zorder=1)
        if previous:
            ax.plot([v for _i, v in previous], [i for i, _v in previous], zorder=2, **prev_style)
        if peers:
            ax.plot([v for _i, v in peers], [i for i, _v in peers], zorder=3, **peer_style)
        handles = []
        for kind, (label, marker, face) in SHAPES.items():
            at = [(i, _shown(r["pct"])) for i, r in enumerate(rows)
                  if r["vs_peers"]["kind"] == kind and _shown(r["pct"]) is not None]
            style = dict(linestyle="none", marker=marker, markersize=8.5, markerfacecolor=face,
                         markeredgecolor=COLOURS["ink"], markeredgewidth=0.8, color=face)
            if at:
                ax.plot([v for _i, v in at], [i for i, _v in at], zorder=4, **style)
                handles.append(Line2D([], [], label=label, **style))
        if peers:
            handles.append(Line2D([], [], label="Similar places", **peer_style))
        if previous:
            handles.append(Line2D([], [], label=f"Previous survey ({section['previous_wave']})", **prev_style))
        width = 7.0 - LEFT - RIGHT
        for column, header in ((FIGURE_AT, "Result"), (BASE_AT, "Base")):
            ax.text(1 + column / width, 1.0, header, transform=ax.transAxes, va="bottom", fontsize=7.5,
                    fontweight="bold", color=COLOURS["ink"])
        for i, r in enumerate(rows):
            here = r["pct"]["text"] if _shown(r["pct"]) is not None else (
                "not shown" if r["pct"]["hidden"] else "no data")
            ax.text(1 + FIGURE_AT / width, i, here, transform=ax.get_yaxis_transform(), va="center", fontsize=8,
                    color=COLOURS["ink"])
            ax.text(1 + BASE_AT / width, i, f"n = {r['n']['text']}", transform=ax.get_yaxis_transform(),
                    va="center", fontsize=7.5, color=COLOURS["grey"])
        ax.set_yticks(y, [_question(r) for r in rows], fontsize=7.5)
        ax.set_ylim(len(rows) - 0.5, -0.5)
        ax.set_xlim(0, 100)
        ax.set_xticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"])
        ax.grid(axis="x", color=COLOURS["light"], linewidth=0.6)
        ax.grid(axis="y", visible=False)
        ax.tick_params(axis="y", length=0)
        ax.set_xlabel("% giving the positive answer")
        fig.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.01, 0.0), ncols=2, fontsize=7.5,
                   title=f"{name}, compared with similar places:", title_fontsize=7.5, alignment="left")
        png, svg = save(fig)
    return title, _alt(section, name), png, svg


def _listed(rows: list[dict[str, Any]], limit: int = 3) -> str:
    said = [f"{r['text'].rstrip('?.')} ({r['pct']['text']} against {r['peers']['text']})" for r in rows[:limit]]
    more = len(rows) - limit
    return "; ".join(said) + (f"; and {more} more" if more > 0 else "")


def _alt(section: dict[str, Any], name: str) -> str:
    """What the chart shows and where the place differs significantly from similar places."""
    rows = section["rows"]
    parts = [f"Dot plot of {len(rows)} questions from the {section['label'].lower()} {section['wave']}: the "
             f"percentage of respondents giving the positive answer at {name}, against similar places"
             + (f" and the {section['previous_wave']} survey." if section.get("previous_wave") else ".")]
    shown = [r for r in rows if _shown(r["pct"]) is not None]
    for kind, word in (("worse", "worse"), ("better", "better")):
        these = [r for r in shown if r["vs_peers"]["kind"] == kind]
        parts.append(f"Significantly {word} than similar places on {len(these)}: {_listed(these)}." if these
                     else f"Significantly {word} than similar places on none.")
    same = sum(r["vs_peers"]["kind"] == "same" for r in shown)
    none = sum(r["vs_peers"]["kind"] == "none" for r in shown)
    parts.append(f"No significant difference on {same}" + (f"; no valid comparison on {none}." if none else "."))
    if section.get("previous_wave"):
        worse = sum(r["vs_previous"]["kind"] == "worse" for r in shown)
        better = sum(r["vs_previous"]["kind"] == "better" for r in shown)
        parts.append(f"Against the {section['previous_wave']} survey: significantly worse on {worse}, "
                     f"better on {better}.")
    hidden = sum(1 for r in rows if r["pct"]["hidden"])
    if hidden:
        parts.append(f"{hidden} figure{'s are' if hidden > 1 else ' is'} not shown because few people answered.")
    return " ".join(parts)
