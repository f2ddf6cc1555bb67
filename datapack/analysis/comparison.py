"""Each facility against its peers: funnel limits and position (percentile rank, quintile).

Peers are facilities with the same ``function`` in the register (its peer
group), as HMPPS groups prisons. A funnel needs at least ``MIN_UNITS``
facilities with a usable base; a peer group smaller than that falls back to
facilities of the same type (``compared_with`` = "type"), and failing that
to every facility measured on the same basis ("all"). Positions against
"all" are shown for context only: a YOI is not an adult prison's peer, so
rules raise nothing from them. Facilities with no data for an indicator are left
out, never counted as zero.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from datapack.analysis.funnel import FunnelSettings, funnel, placeable
from datapack.analysis.indicators import IndicatorResults
from datapack.analysis.peers import percentile_rank, quintile

#: Fewest facilities a funnel is drawn for.
MIN_UNITS = 3


def peer_groups(facilities: pd.DataFrame) -> pd.Series:
    """Peer group of each facility: its function, or its type where no function is given."""
    table = facilities.set_index("facility_id")
    return table["function"].fillna(table["facility_type"]).astype(str)


def compare(results: IndicatorResults, facilities: pd.DataFrame, overdispersion: bool = True,
            threshold: int = 0) -> pd.DataFrame:
    """One row per facility x indicator: the peer rate, funnel flag, and position among peers and all.

    Columns: facility_id, indicator, peer_group, compared_with ("peers" or
    "all"), n_compared, target (the pooled rate), flag, z, rank_peers,
    quintile_peers, rank_all, quintile_all.

    Facilities whose count is below the disclosure ``threshold`` are left
    out of the funnel and of the pooled rate: a pooled rate printed beside
    the other places' figures would give their count away. Indicators
    measured in hours are not placed on a Poisson funnel.
    """
    if results.periods.empty:
        return pd.DataFrame()
    groups = peer_groups(facilities)
    settings = FunnelSettings(overdispersion=True if overdispersion else False, method="rate")
    rows = []
    periods = results.periods
    for ind in results.definitions.indicators:
        part = periods[(periods["indicator"] == ind.id)].copy()
        part["peer_group"] = groups.reindex(part["facility_id"]).to_numpy()
        if ind.numerator.count == "duration_hours":
            continue  # hours are not event counts: no Poisson funnel
        small = (part["last_count"] > 0) & (part["last_count"] < threshold)
        if "published" in part:  # counts already public are not hidden again
            small &= ~part["published"].fillna(False).astype(bool)
        usable = part[placeable(part["last_count"], part["last_base"]) & ~small]
        scale = 100.0 if ind.kind == "crowding" else ind.scale
        for basis, same_basis in usable.groupby("basis"):
            all_rank = percentile_rank(same_basis.set_index("facility_id")["last_rate"])
            kinds = facilities.set_index("facility_id")["facility_type"]
            for group, members in same_basis.groupby("peer_group"):
                same_type = same_basis[kinds.reindex(same_basis["facility_id"]).to_numpy()
                                       == kinds.get(members["facility_id"].iloc[0])]
                if len(members) >= MIN_UNITS:
                    pool, compared_with = members, "peers"
                elif len(same_type) >= MIN_UNITS:
                    pool, compared_with = same_type, "type"
                else:
                    pool, compared_with = same_basis, "all"
                # no funnel around a zero rate: every limit would be zero and every z undefined
                drawable = ind.kind != "crowding" and len(pool) >= MIN_UNITS and pool["last_count"].sum() > 0
                fun = _funnel(pool, settings, scale) if drawable else None
                peer_rank = percentile_rank(members.set_index("facility_id")["last_rate"])
                for fid in members["facility_id"]:
                    unit = fun.get(fid) if fun else None
                    rows.append({
                        "facility_id": fid, "indicator": ind.id, "peer_group": group, "basis": basis,
                        "compared_with": compared_with, "n_compared": len(pool), "n_peers": len(members),
                        "target": fun["_target"] if fun else _pooled(pool, scale),
                        "flag": unit.flag if unit else None, "z": unit.z_adjusted if unit else np.nan,
                        "adjusted": bool(fun["_adjusted"]) if fun else False,
                        "rank_peers": peer_rank.get(fid, np.nan),
                        "quintile_peers": quintile(peer_rank.get(fid), len(members)),
                        "rank_all": all_rank.get(fid, np.nan),
                        "quintile_all": quintile(all_rank.get(fid), len(same_basis))})
    return pd.DataFrame(rows)


def _pooled(pool: pd.DataFrame, scale: float) -> float:
    base = pool["last_base"].sum()
    return float(pool["last_count"].sum() / base * scale) if base else np.nan


def _funnel(pool: pd.DataFrame, settings: FunnelSettings, scale: float) -> dict:
    result = funnel(pool["last_count"].to_numpy(float), pool["last_base"].to_numpy(float),
                    labels=pool["facility_id"].tolist(), kind="rate",
                    settings=FunnelSettings(levels=settings.levels, overdispersion=settings.overdispersion,
                                            method="rate", scale=scale))
    units = {u.label: u for u in result.units}
    units["_target"] = result.target
    units["_adjusted"] = result.adjusted
    return units
