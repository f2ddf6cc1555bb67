"""Moments of heightened risk: incidents soon after arrival.

For each facility and kind of incident, the share that happened within 1,
7 and 28 days of the person's arrival in the latest period, against the
facility's own previous period and against its peers (pooled, the facility
itself left out). Only incidents with a known arrival date count. Short-stay
places (police custody, court cells) are left out: everyone there is in
their first day.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from datapack.analysis.indicators import Windows
from datapack.analysis.survey_stats import compare_proportions
from datapack.tables import schemas

#: Days since arrival that mark the early period, and how they are named.
THRESHOLDS = ((1, "first 24 hours"), (7, "first 7 days"), (28, "first 28 days"))
#: Incident groups looked at.
GROUPS = {"self_harm": ("self_harm",), "assaults": ("assault", "assault_on_staff", "assault_on_detainee", "fight"),
          "use_of_force": ("use_of_force",)}


@dataclass(frozen=True)
class EarlyShare:
    """Incidents within ``days`` of arrival, in one period, against a comparison."""

    facility_id: str
    group: str
    days: int
    label: str
    early: int
    known: int
    prev_early: int
    prev_known: int
    peer_early: int
    peer_known: int
    p_vs_prev: float | None
    p_vs_peers: float | None
    higher_than_prev: bool
    higher_than_peers: bool


def early_shares(incidents: pd.DataFrame, facilities: pd.DataFrame, windows: Windows,
                 alpha: float = 0.01) -> list[EarlyShare]:
    """Every facility x incident group x threshold (facilities held for hours are left out)."""
    if incidents.empty or "days_since_arrival" not in incidents or windows is None:
        return []
    long_stay = facilities.loc[~facilities["facility_type"].isin(schemas.THROUGHPUT_TYPES), "facility_id"]
    peer_of = facilities.set_index("facility_id")["function"].fillna(facilities.set_index("facility_id")["facility_type"])
    month = incidents["occurred"].dt.to_period("M")
    known = incidents[incidents["days_since_arrival"].notna() & incidents["facility_id"].isin(long_stay)]
    out: list[EarlyShare] = []
    spans = {p: windows.span(p) for p in ("last", "prev")}
    for group, categories in GROUPS.items():
        rows = known[known["category"].isin(categories)]
        rows_month = month.loc[rows.index]
        counts = {}
        for period, (first, last) in spans.items():
            part = rows[(rows_month >= first) & (rows_month <= last)]
            for days, _label in THRESHOLDS:
                early = (part["days_since_arrival"] < days).groupby(part["facility_id"]).sum()
                total = part.groupby("facility_id").size()
                counts[(period, days)] = (early, total)
        for fid in long_stay:
            peers = [f for f in peer_of.index[peer_of == peer_of.get(fid)] if f != fid]
            for days, label in THRESHOLDS:
                early, total = counts[("last", days)]
                prev_early, prev_total = counts[("prev", days)]
                e, n = int(early.get(fid, 0)), int(total.get(fid, 0))
                pe, pn = int(prev_early.get(fid, 0)), int(prev_total.get(fid, 0))
                qe, qn = int(early.reindex(peers).fillna(0).sum()), int(total.reindex(peers).fillna(0).sum())
                vs_prev = compare_proportions(e, n, pe, pn, alpha) if n and pn else None
                vs_peers = compare_proportions(e, n, qe, qn, alpha) if n and qn else None
                out.append(EarlyShare(
                    fid, group, days, label, e, n, pe, pn, qe, qn,
                    None if vs_prev is None else vs_prev.p_value, None if vs_peers is None else vs_peers.p_value,
                    bool(vs_prev and vs_prev.significant and vs_prev.direction == "higher"),
                    bool(vs_peers and vs_peers.significant and vs_peers.direction == "higher")))
    return out
