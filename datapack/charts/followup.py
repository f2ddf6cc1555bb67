"""Recommendations from past visits by status: one horizontal bar per status, from ``context["recommendations"]``.

Each status has its own hatching as well as its own shade, so the bars
read in greyscale; the count is printed at the end of each bar. Statuses
that still need action are marked in their label. A count hidden by the
disclosure control (none are, at present: these are counts of documents)
would be a hatched band with "not shown", never a bar.
"""

from __future__ import annotations

from typing import Any

from datapack.analysis.followup import OUTSTANDING
from datapack.charts.style import COLOURS, SPC_COLOURS, fixed_figure, house_style, save

#: Fill and hatching of each status (anything else: white, no hatching).
LOOK = {
    "achieved": (SPC_COLOURS["improvement"], ""),
    "partly_achieved": ("#fbd3b0", "///"),
    "not_achieved": (SPC_COLOURS["concern"], "xxx"),
    "open": ("white", "..."),
    "no_longer_applicable": (COLOURS["light"], "---"),
}
ROW, LEFT, RIGHT, TOP, BOTTOM = 0.32, 2.0, 0.45, 0.15, 0.5


def _label(row: dict[str, Any]) -> str:
    return f"{row['label']} (needs action)" if row["status"] in OUTSTANDING else row["label"]


def recommendations_chart(context: dict[str, Any]) -> tuple[str, str, bytes, str] | None:
    """Title, alt text, PNG and SVG of the recommendations chart, or None when none are held."""
    section = context.get("recommendations") or {}
    rows = section.get("by_status") or []
    if not section.get("available") or not rows:
        return None
    values = [r["count"]["value"] for r in rows if not r["count"]["hidden"] and r["count"]["value"] is not None]
    if not any(values) and not any(r["count"]["hidden"] for r in rows):
        return None
    top = max(values + [1])
    title = "Recommendations from past visits by status"
    with house_style("recommendations"):
        fig, ax = fixed_figure(TOP + BOTTOM + ROW * len(rows), LEFT, RIGHT, TOP, BOTTOM)
        for i, r in enumerate(rows):
            face, hatch = LOOK.get(r["status"], ("white", ""))
            count = r["count"]
            if count["hidden"] or count["value"] is None:
                ax.barh(i, top, height=0.62, facecolor="none", edgecolor=COLOURS["grey"], hatch="////", linewidth=0)
                ax.text(top * 0.02, i, "not shown", va="center", fontsize=8, color=COLOURS["ink"],
                        bbox=dict(facecolor="white", edgecolor="none", pad=1))
                continue
            ax.barh(i, count["value"], height=0.62, color=face, hatch=hatch, edgecolor=COLOURS["ink"], linewidth=0.6)
            ax.text(count["value"] + top * 0.015, i, count["text"], va="center", fontsize=8.5, color=COLOURS["ink"])
        ax.set_yticks(range(len(rows)), [_label(r) for r in rows], fontsize=8.5)
        ax.set_ylim(len(rows) - 0.5, -0.5)
        ax.set_xlim(0, top * 1.12)
        ax.grid(axis="y", visible=False)
        ax.grid(axis="x", color=COLOURS["light"], linewidth=0.6)
        ax.tick_params(axis="y", length=0)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_xlabel("Recommendations")
        png, svg = save(fig)
    return title, _alt(section, rows), png, svg


def _alt(section: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    """The counts by status and how many still need action."""
    counts = ", ".join(f"{r['count']['text']} {r['label'].lower()}" for r in rows)
    parts = [f"Bar chart of the {section['total']['text']} recommendations from past visits by status: {counts}."]
    need = [r for r in rows if r["status"] in OUTSTANDING]
    if need and not any(r["count"]["hidden"] for r in need):
        n = sum(r["count"]["value"] or 0 for r in need)
        parts.append(f"{n} still need{'s' if n == 1 else ''} action (not achieved, partly achieved or open)."
                     if n else "None still needs action.")
    return " ".join(parts)
