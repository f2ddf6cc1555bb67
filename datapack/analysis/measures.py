"""Who is held, and what the place reports of its regime: the population profile and the measures.

Both come from the ``context`` table, worked out once here and only placed by the templates.

* The **profile** (:func:`profile_section`) reads the rows whose ``factor`` is
  ``<Characteristic>: <group>`` (``Age band: 18-20``, ``Legal status: Remand``, ``Nationality:
  British``), the same rows the equality analysis takes its population from. Each characteristic is
  shown at its latest count date: people in each group and their share of those counted. A group of
  fewer than the disclosure threshold is a group of people, so it is never described, in any
  audience (:meth:`datapack.disclosure.Control.groups_mask`): its number and share read "not
  shown", with the reason; where one group alone would be hidden, or the hidden ones could only
  hold one person each, the next smallest is hidden too, so none can be worked out from the total.
* The **measures** (:func:`measures_section`) are the figures of the indicators file's
  ``measures:`` list (time out of cell, settled accommodation on release, receptions ...), read from
  rows whose ``factor`` matches one of a measure's ``factors``. Each is a level, not a count of
  events: its latest value against the value a year before (the latest at or before twelve months
  earlier), and the median of the places of the same type that hold it, when at least
  ``analysis.min_peers`` do (never places of another type). They are not charted or flagged. A
  ``summed`` measure (receptions) is the total of its last 12 months; with an average population
  over the same months it gives the **turnover**: receptions as a multiple of the people held.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pandas as pd

from datapack.adapters.cells import is_blank, normalise_label
from datapack.analysis import population
from datapack.analysis.text import date_label, figure, month_label
from datapack.disclosure import Control

#: The order characteristics are shown in (others follow, by name).
ORDER = ("age band", "age", "legal status", "sentence length", "nationality", "ethnicity", "religion", "sex",
         "gender", "disability", "sexual orientation")

_UNITS = {"hours": "hours", "percent": "%", "people": "people", "days": "days", "number": ""}


def _split(factor: Any) -> tuple[str, str] | None:
    """``("Age band", "18-20")`` for ``Age band: 18-20``; None for a factor that names no group."""
    if is_blank(factor):
        return None
    head, sep, group = str(factor).partition(":")
    return (head.strip(), group.strip()) if sep and head.strip() and group.strip() else None


def profile_section(context: pd.DataFrame, control: Control) -> dict[str, Any]:
    """The ``profile`` key: the people held by each characteristic at its latest count (docs/context.md)."""
    empty = {"available": False, "characteristics": [], "summary": None, "hidden_note": None}
    if context.empty or "factor" not in context:
        return empty
    parts = context["factor"].map(_split)
    rows = context[parts.notna() & pd.to_numeric(context["value"], errors="coerce").notna()]
    if rows.empty:
        return empty
    parts = parts[rows.index]
    rows = rows.assign(_head=parts.str[0], _key=parts.str[0].map(normalise_label), _group=parts.str[1],
                       _value=pd.to_numeric(rows["value"], errors="coerce"),
                       _when=pd.to_datetime(rows["period_start"], errors="coerce"))
    rows = rows.dropna(subset=["_when"])
    out, any_hidden = [], False
    rank = {k: i for i, k in enumerate(ORDER)}
    for key, group in sorted(rows.groupby("_key"), key=lambda kv: (rank.get(kv[0], len(ORDER)), kv[0])):
        latest = group[group["_when"] == group["_when"].max()]
        people = latest.groupby("_group", sort=False)["_value"].sum()
        people = people[people > 0]  # a group with nobody in it says nothing about those held
        total = float(people.sum())
        if total <= 0:
            continue
        hidden = control.groups_mask(people.to_numpy())
        any_hidden |= bool(hidden.any())
        if hidden.all():
            continue  # every group too small to describe: the breakdown would say nothing
        groups = []
        for (name, n), hide in zip(people.items(), hidden):
            if hide:  # the same words for every hidden group: which one is small is not said
                note = (f"Not shown: fewer than {control.min_people} people, or hidden so that such a group "
                        "cannot be worked out from the total")
                gone = {"text": control.settings.symbol, "value": None, "hidden": True, "note": note}
                groups.append({"group": name, "people": gone, "share": dict(gone), "hidden_reason": note})
                continue
            groups.append({"group": name, "people": figure(control.count(float(n))),
                           "share": figure(control.percent(float(n), total)), "hidden_reason": None})
        groups.sort(key=lambda g: -(g["people"]["value"] or 0))
        shown = [g for g in groups if g["share"]["value"] is not None]
        largest = shown[0] if shown else None
        out.append({"name": latest["_head"].iloc[0], "key": key, "count_date": date_label(latest["_when"].iloc[0]),
                    "total": figure(control.count(total)), "groups": groups,
                    "line": "; ".join(f"{g['group']} {g['people']['text']}" + (f" ({g['share']['text']})"
                                      if g["share"]["value"] is not None else "") for g in groups),
                    "largest": f"{largest['group']} ({largest['share']['text']})" if largest else None})
    if not out:
        return empty
    names = ", ".join(c["name"].lower() for c in out)
    return {"available": True, "characteristics": out,
            "summary": f"The people held, as last counted, by {names}.",
            "hidden_note": (f"A group of fewer than {control.min_people} people is not described: its number and "
                            f"share read {control.settings.symbol}. So that it cannot be worked out from the total, the next "
                            "smallest group is not shown either where it would otherwise be the only one."
                            ) if any_hidden else None}


def _rows_for(context: pd.DataFrame, factors: list[str]) -> pd.DataFrame:
    """The context rows of the first of ``factors`` held, by date, with a numeric ``_value``."""
    if context.empty or "factor" not in context:
        return context.iloc[0:0]
    keys = context["factor"].map(normalise_label)
    for factor in factors:
        rows = context[keys == normalise_label(factor)]
        rows = rows.assign(_value=pd.to_numeric(rows["value"], errors="coerce"),
                           _when=pd.to_datetime(rows["period_start"], errors="coerce")).dropna(subset=["_value",
                                                                                                      "_when"])
        rows = rows[np.isfinite(rows["_value"])]
        if not rows.empty:
            return rows.sort_values("_when")
    return context.iloc[0:0]


def measure_value(rows: pd.DataFrame, summed: bool, at: pd.Timestamp | None = None) -> tuple[float, pd.Timestamp,
                                                                                           pd.Timestamp] | None:
    """(value, first, last date) of a measure: the latest at or before ``at``, or its 12 months' total."""
    if at is not None:
        rows = rows[rows["_when"] <= at]
    if rows.empty:
        return None
    last = rows["_when"].max()
    if not summed:
        latest = rows[rows["_when"] == last]
        return float(latest["_value"].iloc[-1]), last, last
    window = rows[rows["_when"] > last - pd.DateOffset(months=12)]
    if window["_when"].dt.to_period("M").nunique() < 12:
        return None  # a 12-month total needs 12 months
    return float(window["_value"].sum()), window["_when"].min(), last


def peer_values(estate_context: pd.DataFrame) -> Callable[[str, Any], tuple | None]:
    """``value(facility_id, measure)``: a facility's :func:`measure_value` from the estate's context rows,
    each facility's and measure's worked out once."""
    by_facility = {str(fid): rows for fid, rows in estate_context.groupby(
        estate_context["facility_id"].astype(str), sort=False)} if "facility_id" in estate_context else {}
    found: dict[tuple[str, str], tuple | None] = {}

    def value(facility_id: str, measure: Any) -> tuple | None:
        key = (str(facility_id), measure.id)
        if key not in found:
            rows = by_facility.get(key[0])
            found[key] = None if rows is None else measure_value(_rows_for(rows, measure.factors), measure.summed)
        return found[key]
    return value


def _text(value: float, unit: str) -> str:
    if unit == "percent":
        return f"{value:.0f}%"
    if unit in ("people", "number") and float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.1f} {_UNITS[unit]}".strip()


def measures_section(context: pd.DataFrame, estate_context: pd.DataFrame, facility_id: str, same_type: list[str],
                     definitions: Any, framework: str | None, control: Control, min_peers: int,
                     population_months: pd.DataFrame | None = None,
                     peer_value: Callable[[str, Any], tuple | None] | None = None) -> list[dict[str, Any]]:
    """The ``measures`` key: each measure held for the facility (docs/context.md).

    ``peer_value(facility_id, measure)``, when given, is another facility's :func:`measure_value`
    (the estate's analysis works each out once, for every facility's pack that compares with it);
    otherwise it is worked out here from ``estate_context``.
    """
    if peer_value is None:
        peer_value = peer_values(estate_context)
    out = []
    for measure in definitions.measures:
        rows = _rows_for(context, measure.factors)
        now = measure_value(rows, measure.summed)
        if now is None:
            continue
        value, first, last = now
        counted = measure.unit == "people"
        shown = (control.count(value) if counted else None)
        then = measure_value(rows, measure.summed, at=last - pd.DateOffset(months=12))
        peers = []
        for other in same_type:
            theirs = peer_value(other, measure)
            if theirs is not None:
                peers.append(theirs[0])
        row = {"id": measure.id, "label": measure.label, "unit": measure.unit,
               "section": measure.sections.get(framework) if framework else None,
               "good_direction": measure.good_direction,
               "latest": {"text": shown.text if shown else _text(value, measure.unit),
                          "value": None if shown and shown.hidden else value, "hidden": bool(shown and shown.hidden)},
               "when": _when(first, last, measure.summed),
               "then": None, "then_when": None, "change": None,
               "peers": None, "peer_count": len(peers), "turnover": None}
        if then is not None and then[2] < last:
            row["then"] = {"text": _text(then[0], measure.unit), "value": then[0], "hidden": False}
            row["then_when"] = _when(then[1], then[2], measure.summed)
            row["change"] = _change(value, then[0], measure.unit, measure.good_direction)
        if len(peers) >= min_peers and not measure.summed:  # a total depends on size: compare turnover instead
            median = float(np.median(peers))
            row["peers"] = {"text": _text(median, measure.unit), "value": median, "hidden": False}
        average = (population.average_base(population_months, first.to_period("M"), last.to_period("M"),
                                           "population")[0] if population_months is not None else None)
        if measure.summed and counted and average and not row["latest"]["hidden"]:
            row["turnover"] = f"{value / average:.1f} times the average population"
        out.append(row)
    return out


def _when(first: pd.Timestamp, last: pd.Timestamp, summed: bool) -> str:
    """The period a figure describes: the month it starts in, or the 12 months of a total."""
    first, last = first.to_period("M"), last.to_period("M")
    return f"{month_label(first)} to {month_label(last)}" if summed else month_label(last)


def _change(now: float, then: float, unit: str, good: str) -> str:
    diff = now - then
    if abs(diff) < 1e-9:
        return "the same as a year before"
    points = round(abs(diff))
    size = (f"{points:.0f} percentage point{'' if points == 1 else 's'}" if unit == "percent"
            else _text(abs(diff), unit))
    way = "up" if diff > 0 else "down"
    if good == "neutral":
        return f"{way} {size} on a year before"
    better = (diff > 0) == (good == "up")
    return f"{way} {size} on a year before ({'better' if better else 'worse'})"
