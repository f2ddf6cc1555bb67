"""An indicator's figures as a pack prints them.

Figures already public (every row behind them from a source marked ``published: true``) are shown as
the publisher showed them and not suppressed again; a count the publisher did not give keeps its
symbol (``[c]``, ``..``, ``*``) and says why. Indicators read from counts of periods longer than a
month (quarters, years) also list those periods' figures: the trend as published.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from datapack.analysis import counts
from datapack.analysis.text import figure, no_data

#: Why a count is not given, in words.
STATUS_NOTES = {"suppressed": "suppressed by the publisher", "missing": "not available from the publisher",
                "not_applicable": "not applicable"}


def count_figure(a: Any, fid: str, indicator: str, p: dict[str, Any], period: str) -> dict[str, Any]:
    """The count of one period (``last``, ``prev``, ``quarter``), or what stands in its place."""
    value = p.get(f"{period}_count")
    if value is not None and not pd.isna(value):
        return figure(a.control_for(fid, indicator).count(value))
    return _not_given(a, p.get(f"{period}_status"), p.get(f"{period}_symbol"))


def rate_figure(a: Any, fid: str, indicator: str, p: dict[str, Any], period: str, scale: float) -> dict[str, Any]:
    """The rate of one period, hidden where its count is (unless published)."""
    control = a.control_for(fid, indicator)
    return figure(control.rate(_num(p.get(f"{period}_count")), _num(p.get(f"{period}_base")), scale=scale))


def _not_given(a: Any, status: Any, symbol: Any) -> dict[str, Any]:
    if status not in STATUS_NOTES or status == "not_applicable":
        return no_data()
    shown = symbol if isinstance(symbol, str) and symbol.strip() else None
    if status == "suppressed":
        return {"text": shown or a.control.settings.symbol, "value": None, "hidden": True,
                "note": STATUS_NOTES[status]}
    return {"text": shown or "no data", "value": None, "hidden": False, "note": STATUS_NOTES[status]} \
        if shown else no_data()


def _num(x: Any) -> float | None:
    return None if x is None or pd.isna(x) else float(x)


def period_labels(a: Any, indicator: str) -> dict[str, str] | None:
    """The months each period covers, as words (``2025/26``, ``Oct 2025–Sep 2026``)."""
    windows = a.results.window(indicator)
    if windows is None:
        return None
    return {name: counts.period_label(*windows.span(name)) for name in ("last", "prev", "quarter")}


def trend_rows(a: Any, fid: str, ind: Any) -> list[dict[str, Any]]:
    """The facility's published figures for ``ind`` period by period (oldest first), with rates."""
    trends = a.results.trends
    if trends.empty:
        return []
    mine = trends[(trends["facility_id"] == fid) & (trends["indicator"] == ind.id)]
    control = a.published_control if not mine.empty and mine["published"].all() else a.control
    rows = []
    for row in mine.sort_values("first").to_dict("records"):
        count = (figure(control.count(row["count"])) if pd.notna(row["count"])
                 else _not_given(a, row["status"], row["symbol"]))
        rate = figure(control.rate(_num(row["count"]), _num(row["base"]), scale=ind.scale))
        rows.append({"label": row["label"], "count": count, "rate": rate})
    return rows


def rare_reading(a: Any, fid: str, ind: Any) -> str | None:
    """For a rare event (deaths): the latest period against the one before, by an exact Poisson test."""
    if not ind.rare:
        return None
    test = a.signals.rare_vs_previous.get((fid, ind.id))
    if test is None:
        return None
    control = a.control_for(fid, ind.id)
    last, prev = control.count(test.count1), control.count(test.count2)
    if last.hidden or prev.hidden:
        return "Too few to compare with the period before in this pack (small numbers are hidden)."
    per = "rates on the population held" if test.exposure1 != 1.0 else "counts over periods of the same length"
    changed = "a significant change" if test.p_value < a.settings.alpha else "no significant change"
    p = "< 0.001" if test.p_value < 0.001 else f"= {test.p_value:.3f}"
    return (f"{last.text} in the latest period against {prev.text} in the one before ({per}): {changed} "
            f"(exact Poisson test, p {p}).")
