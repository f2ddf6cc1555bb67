"""Forest plots of disproportionality: each group's relative rate of a practice, from ``context["equality"]``.

One row per group: the relative rate (the group's rate against everyone
else's) with its confidence interval, on a log scale so that twice and
half as likely sit the same distance from 1. A solid line marks 1 (no
difference) and dotted lines the threshold a ratio must pass to be
flagged. A flagged group is a diamond and says "flagged" in words; a group
too small to report is listed with no figures at all.
"""

from __future__ import annotations

from typing import Any

from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, NullLocator

from datapack.charts.style import COLOURS, SPC_COLOURS, fixed_figure, house_style, save

ROW, LEFT, RIGHT, TOP, BOTTOM = 0.34, 1.7, 1.55, 0.2, 1.0
TICKS = (0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20)


def _ratio(x: float) -> str:
    return f"{x:.2f}"


def _row_label(row: dict[str, Any]) -> str:
    """The group, and in words whether it is flagged (so the flag does not rest on colour or shape)."""
    if not row["flagged"]:
        return row["group"]
    return f"{row['group']}\nflagged: {'higher' if row['ratio'] > 1 else 'lower'}"


def equality_chart(context: dict[str, Any], chart_id: str) -> tuple[str, str, bytes, str] | None:
    """Title, alt text, PNG and SVG of the forest plot ``equality-<practice>-<characteristic>``, or None."""
    section = next((s for s in context.get("equality", []) if s["chart"] == chart_id), None)
    rows = section["rows"] if section else []
    shown = [r for r in rows if r["reportable"] and r["ratio"] is not None]
    if not shown:
        return None
    threshold = float(section["threshold"])
    title = (f"{section['practice_label']} by {section['characteristic_label']}: "
             f"relative rate with {section['confidence']}% interval")
    height = TOP + BOTTOM + ROW * len(rows)
    ends = [v for r in shown for v in (r["ratio"], r["low"], r["high"]) if v is not None and v > 0]
    lo = min(ends + [1 / threshold]) / 1.25
    hi = max(ends + [threshold]) * 1.25
    with house_style(chart_id):
        fig, ax = fixed_figure(height, LEFT, RIGHT, TOP, BOTTOM)
        ax.set_xscale("log")
        ax.axvline(1, color=COLOURS["ink"], linewidth=1.0, zorder=1)
        for x in (threshold, 1 / threshold):
            ax.axvline(x, color=COLOURS["grey"], linewidth=0.9, linestyle=(0, (1, 2)), zorder=1)
        plain = dict(linestyle="none", marker="o", markersize=6.5, color=SPC_COLOURS["common_cause"],
                     markeredgecolor=COLOURS["ink"], markeredgewidth=0.7)
        flagged = dict(linestyle="none", marker="D", markersize=8, color=SPC_COLOURS["concern"],
                       markeredgecolor=COLOURS["ink"], markeredgewidth=0.8)
        width = 7.0 - LEFT - RIGHT
        for i, r in enumerate(rows):
            if not (r["reportable"] and r["ratio"] is not None):
                ax.text(1, i, "too few to report", ha="center", va="center", fontsize=8, style="italic",
                        color=COLOURS["grey"], bbox=dict(facecolor="white", edgecolor="none", pad=1))
                ax.text(1 + 0.1 / width, i, "—", transform=ax.get_yaxis_transform(), va="center", fontsize=8,
                        color=COLOURS["grey"])
                continue
            if r["low"] is not None and r["high"] is not None:
                ax.plot([r["low"], r["high"]], [i, i], color=COLOURS["ink"], linewidth=1.3, zorder=2)
            ax.plot([r["ratio"]], [i], zorder=3, **(flagged if r["flagged"] else plain))
            interval = f" ({_ratio(r['low'])}–{_ratio(r['high'])})" if r["low"] is not None else ""
            ax.text(1 + 0.1 / width, i, f"{_ratio(r['ratio'])}{interval}", transform=ax.get_yaxis_transform(),
                    va="center", fontsize=8, color=COLOURS["ink"], fontweight="bold" if r["flagged"] else "normal")
        ax.set_yticks(range(len(rows)), [_row_label(r) for r in rows], fontsize=8.5)
        ax.set_ylim(len(rows) - 0.5, -0.6)
        ax.set_xlim(lo, hi)
        ticks = sorted({*TICKS, threshold, 1 / threshold})
        ax.xaxis.set_major_locator(FixedLocator([t for t in ticks if lo <= t <= hi]))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_formatter(lambda v, _pos: f"{v:.3g}")
        ax.grid(axis="y", visible=False)
        ax.tick_params(axis="y", length=0)
        ax.set_xlabel("Relative rate against everyone else (log scale)")
        ax.text(1 + 0.1 / width, 1.0, f"Ratio ({section['confidence']}% interval)", transform=ax.transAxes,
                va="bottom", fontsize=7.5, fontweight="bold", color=COLOURS["ink"])
        handles = [Line2D([], [], label="No disproportion flagged", **plain)]
        if any(r["flagged"] for r in shown):
            handles.append(Line2D([], [], label="Flagged for enquiry", **flagged))
        handles += [Line2D([], [], color=COLOURS["ink"], linewidth=1.3, label=f"{section['confidence']}% interval"),
                    Line2D([], [], color=COLOURS["grey"], linewidth=0.9, linestyle=(0, (1, 2)),
                           label=f"Flag threshold ({threshold:g} or {1 / threshold:.2g})")]
        fig.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.01, 0.0), ncols=2, fontsize=7.5)
        png, svg = save(fig)
    return title, _alt(section, shown, rows, threshold), png, svg


def _alt(section: dict[str, Any], shown: list[dict[str, Any]], rows: list[dict[str, Any]], threshold: float) -> str:
    """What the chart shows and which groups, if any, are flagged."""
    practice = section["practice_label"]
    what = practice[:1].lower() + practice[1:] if practice[1:2].islower() else practice
    parts = [f"Forest plot of the relative rate of {what} by {section['characteristic_label']} for "
             f"{len(shown)} group{'s' if len(shown) != 1 else ''}, with {section['confidence']}% intervals "
             f"(a relative rate of 1 means no difference from everyone else)."]

    def said(r: dict[str, Any]) -> str:
        interval = f" ({_ratio(r['low'])} to {_ratio(r['high'])})" if r["low"] is not None else ""
        return f"{r['group']} {_ratio(r['ratio'])}{interval}"

    flagged = [r for r in shown if r["flagged"]]
    rule = (f"a flag needs a ratio of at least {threshold:g} or at most {1 / threshold:.2g} "
            "with an interval that excludes 1")
    if flagged:
        parts.append(f"Flagged for enquiry: {'; '.join(said(r) for r in flagged)} ({rule}).")
    else:
        parts.append(f"No group is flagged ({rule}).")
        top = max(shown, key=lambda r: (r["ratio"], r["group"]))
        parts.append(f"Highest: {said(top)}.")
    few = [r["group"] for r in rows if not (r["reportable"] and r["ratio"] is not None)]
    if few:
        parts.append(f"Too few to report: {', '.join(few)}.")
    return " ".join(parts)
