"""Position among peers: percentile rank, grouped into quintiles (as the Ofsted IDSR does).

Direction is by value only: rank 100 and quintile 5 hold the highest values.
Whether high is good or bad belongs to the indicator, not here.

Small groups: a rank is still given, but a quintile is not when fewer than
``min_peers`` (default 5) units have a value, because five bands cannot be
filled. The stricter threshold below which nothing at all is said about a
group (the IDSR uses 11) belongs to the rules that write sentences.
"""

from __future__ import annotations

import math

import pandas as pd

MIN_PEERS_FOR_QUINTILE = 5


def percentile_rank(values: pd.Series) -> pd.Series:
    """Percentile rank of each value among the non-missing values, 0-100.

    rank / n * 100, with ties given the mean of the ranks they span (pandas
    ``rank(method="average", pct=True)``), so the lowest of n distinct values
    has 100/n and the highest 100; tied values share one rank. Missing values
    get NaN and do not count in n.
    """
    return values.astype(float).rank(method="average", pct=True, na_option="keep") * 100


def quintile(rank: float | None, n_peers: int | None = None,
             min_peers: int = MIN_PEERS_FOR_QUINTILE) -> int | None:
    """Quintile 1-5 of a percentile rank: 1 = lowest values (rank <= 20), 5 = highest (> 80).

    Bands are (0, 20], (20, 40], (40, 60], (60, 80], (80, 100], so with five
    distinct peers each falls in its own quintile. None when there is no rank,
    or when ``n_peers`` (peers with a value) is below ``min_peers``.
    """
    if rank is None or pd.isna(rank):
        return None
    if n_peers is not None and n_peers < min_peers:
        return None
    if not 0 < rank <= 100:
        raise ValueError(f"a percentile rank is in (0, 100]; got {rank}")
    # Rounded first so a rank of 60 computed as 60.000000000001 stays in band 3.
    return max(1, min(5, math.ceil(round(rank / 20, 9))))


def peer_positions(values: pd.Series, min_peers: int = MIN_PEERS_FOR_QUINTILE) -> pd.DataFrame:
    """Rank, quintile and a note for each unit, indexed like ``values``.

    Columns: ``value``, ``rank`` (0-100, NaN without a value), ``quintile``
    (nullable Int64: missing without a value or in a group too small),
    ``n_peers`` (units with a value) and ``note`` (why a quintile is missing;
    missing when there is one).
    """
    ranks = percentile_rank(values)
    n_peers = int(values.notna().sum())
    rows = []
    for value, rank in zip(values, ranks):
        if pd.isna(value):
            note = "no value: not ranked"
        elif n_peers < min_peers:
            note = f"only {n_peers} peers with a value (fewer than {min_peers}): rank given, no quintile"
        else:
            note = None
        rows.append({"value": value, "rank": rank, "quintile": quintile(rank, n_peers, min_peers),
                     "n_peers": n_peers, "note": note})
    frame = pd.DataFrame(rows, index=values.index)
    frame["quintile"] = frame["quintile"].astype("Int64")
    return frame
