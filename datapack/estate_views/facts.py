"""Facts about one facility that the comparison pack and the visit programme both need.

Visits, deaths since the last visit, recommendations open and overdue, and
areas for enquiry by severity: plain numbers here, read from the canonical
tables and the :class:`~datapack.analysis.estate.EstateAnalysis`. Numbers
become shown figures (through :mod:`datapack.disclosure`) only in the
modules that put them on a page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from datapack.adapters.cells import normalise_label
from datapack.analysis.followup import OUTSTANDING

SELF_INFLICTED = "self inflicted"


@dataclass(frozen=True)
class Visits:
    """The facility's latest visit and latest in-depth visit up to the analysis date (None when none)."""

    last_start: pd.Timestamp | None
    last_end: pd.Timestamp | None
    last_type: str | None
    last_body: str | None
    full_start: pd.Timestamp | None
    full_type: str | None
    held: bool  # whether any visit record is held for the estate at all
    records_from: pd.Timestamp | None  # the earliest visit held for any facility: how far back records go

    def days_since(self, as_of: pd.Timestamp, full: bool = False) -> int | None:
        """Whole days from the start of the latest (in-depth) visit to ``as_of``."""
        start = self.full_start if full else self.last_start
        return None if start is None else int((as_of.normalize() - start.normalize()).days)


@dataclass(frozen=True)
class Deaths:
    """Deaths in the last 12 months (the analysis window) and since the last visit; None = no data."""

    last_12: float | None
    self_inflicted_12: float | None
    since_visit: float | None
    self_inflicted_since_visit: float | None
    since: pd.Timestamp | None  # first day counted: the day after the last visit, or the window's start


@dataclass(frozen=True)
class Recommendations:
    """Counts of recommendations held for the facility (None for ``total`` when none are held)."""

    total: int | None
    outstanding: int
    overdue: int
    repeats: int  # outstanding ones that repeat an earlier recommendation
    assessed: int  # judged achieved, partly achieved or not achieved
    not_achieved: int


def visits(analysis: Any, facility_id: str, full_types: tuple[str, ...] = ("full",)) -> Visits:
    """The latest visit that had started by the analysis date, and the latest in-depth one."""
    table = analysis.estate.table("visits")
    held = not table.empty
    records_from = pd.Timestamp(pd.to_datetime(table["start"]).min()) if held else None
    rows = table[table["facility_id"].astype(str) == facility_id] if held else table
    if not rows.empty:
        rows = rows[pd.to_datetime(rows["start"]) <= analysis.as_of].sort_values("start")
    if rows.empty:
        return Visits(None, None, None, None, None, None, held, records_from)
    last = rows.iloc[-1]
    wanted = {normalise_label(t) for t in full_types}
    full = rows[rows["visit_type"].map(normalise_label).isin(wanted)]
    end = last.get("end")
    return Visits(pd.Timestamp(last["start"]), None if end is None or pd.isna(end) else pd.Timestamp(end),
                  _text(last.get("visit_type")), _text(last.get("body")),
                  pd.Timestamp(full.iloc[-1]["start"]) if not full.empty else None,
                  _text(full.iloc[-1].get("visit_type")) if not full.empty else None, True, records_from)


def deaths(analysis: Any, facility_id: str, seen: Visits) -> Deaths:
    """Deaths from the indicators (last 12 months) and from the incident log (since the last visit).

    "Since the last visit" counts deaths after the visit's last day (its
    first day when no end is held), up to the analysis date; with no visit
    on record it counts from the start of the 12-month window.
    """
    last = analysis.period(facility_id, "deaths") or {}
    last_si = analysis.period(facility_id, "deaths_self_inflicted") or {}
    incidents = analysis.estate.table("incidents")
    mine = incidents[incidents["facility_id"].astype(str) == facility_id]
    windows = analysis.results.windows
    if seen.last_start is not None:
        since = (seen.last_end or seen.last_start).normalize() + pd.Timedelta(days=1)
    elif windows is not None:
        since = windows.span("last")[0].to_timestamp()
    else:
        since = None
    if mine.empty or since is None:
        after = si_after = None
    else:
        dead = mine[(mine["category"] == "death") & (mine["occurred"] >= since)
                    & (mine["occurred"] < analysis.as_of.normalize() + pd.Timedelta(days=1))]
        after = float(len(dead) if "count" not in dead else dead["count"].fillna(1).sum())
        si = dead[dead["subcategory"].map(normalise_label) == SELF_INFLICTED]
        si_after = float(len(si) if "count" not in si else si["count"].fillna(1).sum())
    return Deaths(_num(last.get("last_count")), _num(last_si.get("last_count")), after, si_after, since)


def recommendations(analysis: Any, facility_id: str) -> Recommendations:
    """Recommendations outstanding, past their due date (at the analysis date) and repeated."""
    recs = analysis.recommendations(facility_id)
    if recs.empty:
        return Recommendations(None, 0, 0, 0, 0, 0)
    open_ = recs[recs["status"].isin(OUTSTANDING)]
    due = pd.to_datetime(open_["due"])
    overdue = int((due.notna() & (due < analysis.as_of)).sum())
    repeats = int(open_["repeats_ref"].notna().sum()) if "repeats_ref" in open_ else 0
    assessed = recs["status"].isin(("achieved", "partly_achieved", "not_achieved"))
    return Recommendations(len(recs), len(open_), overdue, repeats, int(assessed.sum()),
                           int((recs["status"] == "not_achieved").sum()))


def _text(value: Any) -> str | None:
    return None if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA \
        else (str(value).strip() or None)


def _num(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)
