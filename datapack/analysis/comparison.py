"""Each facility against its peers: funnel limits and position (percentile rank, quintile, place).

Peers are facilities with the same ``function`` in the register (its peer
group), as HMPPS groups prisons. A place is compared with its peer group
when the group has at least ``min_peers`` facilities with a usable base
(``analysis.min_peers``, default 5); a smaller group falls back to the
facilities of the same type (``compared_with`` = "type"), and failing that
it is compared with nothing ("none"): a secure hospital is never put on a
funnel of prisons, nor a YOI among adult prisons of another type.
Positions (``rank_all``, ``quintile_all``) are among the places of the same
type measured the same way. Facilities with no data for an indicator are
left out, never counted as zero. Ties are kept as ties: ``place_peers`` is
1 + the number of peers with a higher rate, ``tied_peers`` how many share it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from datapack.analysis.funnel import FunnelSettings, funnel, placeable
from datapack.analysis.indicators import IndicatorResults
from datapack.analysis.peers import percentile_rank, quintile

#: Fewest facilities a funnel is drawn for.
MIN_UNITS = 3
#: Fewest facilities a place is compared with (``analysis.min_peers``).
MIN_PEERS = 5


def peer_groups(facilities: pd.DataFrame) -> pd.Series:
    """Peer group of each facility: its function, or its type where no function is given."""
    table = facilities.set_index("facility_id")
    return table["function"].fillna(table["facility_type"]).astype(str)


def compare(results: IndicatorResults, facilities: pd.DataFrame, overdispersion: bool = True,
            threshold: int = 0, min_peers: int = MIN_PEERS) -> pd.DataFrame:
    """One row per facility x indicator: the peer rate, funnel flag, and position among peers and its type.

    Columns: facility_id, indicator, peer_group, basis, compared_with ("peers",
    "type" or "none"), n_compared (places in the pool, itself included; of its
    type where none), n_peers, target (the pooled rate), flag, z, adjusted,
    rank_peers, quintile_peers, place_peers, tied_peers, rank_all, quintile_all
    (among its type).

    Facilities whose count is below the disclosure ``threshold`` (public
    outputs only) are left out of the funnel and of the pooled rate: a
    pooled rate printed beside the other places' figures would give their
    count away. Indicators measured in hours are not placed on a Poisson funnel.
    """
    if results.periods.empty:
        return pd.DataFrame()
    groups = peer_groups(facilities)
    kinds = facilities.set_index("facility_id")["facility_type"]
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
            kind_of = kinds.reindex(same_basis["facility_id"]).to_numpy()
            for kind in pd.unique(kind_of):
                same_type = same_basis[kind_of == kind]
                type_rank = percentile_rank(same_type.set_index("facility_id")["last_rate"])
                for group, members in same_type.groupby("peer_group"):
                    if len(members) >= min_peers:
                        pool, compared_with = members, "peers"
                    elif len(same_type) >= min_peers:
                        pool, compared_with = same_type, "type"
                    else:
                        pool, compared_with = None, "none"
                    # no funnel around a zero rate: every limit would be zero and every z undefined
                    drawable = (pool is not None and ind.kind != "crowding" and len(pool) >= MIN_UNITS
                                and pool["last_count"].sum() > 0)
                    fun = _funnel(pool, settings, scale) if drawable else None
                    rates = members.set_index("facility_id")["last_rate"]
                    peer_rank = percentile_rank(rates)
                    for fid in members["facility_id"]:
                        unit = fun.get(fid) if fun else None
                        rate = rates.get(fid)
                        rows.append({
                            "facility_id": fid, "indicator": ind.id, "peer_group": group, "basis": basis,
                            "compared_with": compared_with,
                            "n_compared": len(pool) if pool is not None else len(same_type),
                            "n_peers": len(members),
                            "target": (fun["_target"] if fun else _pooled(pool, scale)) if pool is not None
                            else np.nan,
                            "flag": unit.flag if unit else None, "z": unit.z_adjusted if unit else np.nan,
                            "adjusted": bool(fun["_adjusted"]) if fun else False,
                            "rank_peers": peer_rank.get(fid, np.nan),
                            "quintile_peers": quintile(peer_rank.get(fid), len(members)),
                            "place_peers": int((rates > rate).sum()) + 1 if pd.notna(rate) else None,
                            "tied_peers": int((rates == rate).sum()) if pd.notna(rate) else None,
                            "rank_all": type_rank.get(fid, np.nan),
                            "quintile_all": quintile(type_rank.get(fid), len(same_type))})
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
