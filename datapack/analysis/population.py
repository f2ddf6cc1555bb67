"""Population, capacity and crowding of one facility, month by month.

Crowding is the population as a percentage of in-use certified normal
accommodation (CNA): above 100% the place holds more people than it has
uncrowded places. Short-stay places (see ``schemas.THROUGHPUT_TYPES``) are
measured by throughput (detentions in the month) instead.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from datapack.analysis.text import figure, month_key, month_label, no_data
from datapack.disclosure import Control
from datapack.tables import schemas

#: How many of the latest months the pack lists (the chart shows the same run).
MONTHS_SHOWN = 36

_MEASURES = ("population", "baseline_cna", "in_use_cna", "operational_capacity", "throughput")


def basis_for(facility_type: str | None) -> str:
    """``throughput`` for short-stay places, else ``population``."""
    return "throughput" if facility_type in schemas.THROUGHPUT_TYPES else "population"


def monthly(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per month (the latest count when a month has several), indexed by period."""
    if frame.empty:
        return pd.DataFrame(columns=list(_MEASURES), index=pd.PeriodIndex([], freq="M"))
    data = frame.assign(_period=pd.to_datetime(frame["month"]).dt.to_period("M"))
    if "count_date" in data.columns:
        data = data.sort_values(["_period", "count_date"], na_position="first")
    cols = [c for c in _MEASURES if c in data.columns]
    out = data.groupby("_period")[cols].last()
    return out.reindex(columns=list(_MEASURES))


def _percent_of(control: Control, part: Any, whole: Any) -> dict[str, Any]:
    # A rate on scale 100, not Control.percent: population and capacity are both
    # shown, so a population close to capacity reveals nobody.
    shown = control.rate(_num(part), _num(whole), scale=100, digits=0)
    fig = figure(shown)
    if fig["value"] is not None:
        fig["text"] = f"{fig['text']}%"
    return fig


def _num(x: Any) -> float | None:
    return None if x is None or pd.isna(x) else float(x)


def _row(control: Control, period: pd.Period, values: pd.Series) -> dict[str, Any]:
    row: dict[str, Any] = {"month": month_key(period), "label": month_label(period)}
    for col in _MEASURES:
        row[col] = figure(control.count(_num(values.get(col))))
    row["crowding"] = _percent_of(control, values.get("population"), values.get("in_use_cna"))
    return row


def population_section(frame: pd.DataFrame, basis: str, control: Control) -> dict[str, Any]:
    """The ``population`` key of the context (see docs/context.md)."""
    months = monthly(frame)
    basis_label = "throughput (detentions in the month)" if basis == "throughput" else "population"
    if months.empty:
        return {"available": False, "basis": basis, "basis_label": basis_label, "months": [], "latest": None,
                "summary": "No population or capacity figures are held for this facility."}
    months = months.iloc[-MONTHS_SHOWN:]
    rows = [_row(control, period, values) for period, values in months.iterrows()]
    latest = rows[-1]
    return {"available": True, "basis": basis, "basis_label": basis_label, "months": rows,
            "latest": latest, "summary": _summary(rows, basis)}


def _summary(rows: list[dict[str, Any]], basis: str) -> str:
    """One plain sentence on the latest month, from shown figures only."""
    latest = rows[-1]
    if basis == "throughput":
        return (f"In {latest['label']} there were {latest['throughput']['text']} detentions."
                if latest["throughput"]["value"] is not None else
                f"No throughput figure is shown for {latest['label']}.")
    pop = latest["population"]
    if pop["value"] is None:
        return f"No population figure is shown for {latest['label']}."
    text = f"In {latest['label']} the population was {pop['text']}"
    cna, crowd = latest["in_use_cna"], latest["crowding"]
    if cna["value"] is not None and crowd["value"] is not None:
        where = "above" if crowd["value"] > 100 else "within"
        text += f", {crowd['text']} of in-use capacity ({cna['text']} places): {where} its uncrowded capacity"
    run_start = _run_start(rows)
    if run_start:
        text += f", and has been since {run_start}"
    return text + "."


def _run_start(rows: list[dict[str, Any]]) -> str | None:
    """Label of the first month of the latest unbroken run above in-use capacity."""
    start, after = None, None
    for r in reversed(rows):
        value = r["crowding"]["value"]
        period = pd.Period(r["month"], freq="M")
        # A month with no figure breaks the run: we cannot say what it was.
        if value is None or value <= 100 or (after is not None and (after - period).n != 1):
            break
        start, after = r["label"], period
    return start if start != rows[-1]["label"] else None


def average_base(months: pd.DataFrame, first: pd.Period, last: pd.Period, basis: str) -> tuple[float | None, int]:
    """The rate base over a window: average population, or total throughput; and months with data."""
    window = months.loc[(months.index >= first) & (months.index <= last), basis].dropna()
    if window.empty:
        return None, 0
    value = float(window.sum()) if basis == "throughput" else float(window.mean())
    return value, int(window.size)


def latest_figure(frame: pd.DataFrame, basis: str, control: Control) -> dict[str, Any]:
    """The latest population (or throughput) as a figure, for the estate index."""
    months = monthly(frame)[basis].dropna() if not frame.empty else pd.Series(dtype=float)
    if months.empty:
        return no_data()
    return figure(control.count(float(months.iloc[-1])))
