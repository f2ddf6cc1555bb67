"""Change over time for every facility x indicator: control charts and rare-event comparisons.

Monthly rates (per 1,000 population or detentions) are charted where a base
is held, so a changing population does not look like a change in
behaviour; counts are charted otherwise. Configured series breaks (a change
of definition) start a new segment with its own limits. Rare events such as
deaths are not charted: the latest period is compared with the previous
one, and with the peer rate, by exact Poisson tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from datapack.analysis.indicators import IndicatorResults
from datapack.analysis.spc import SpcResult, SpcSettings, baseline_chart, xmr
from datapack.analysis.spc_rare import PoissonComparison, compare_poisson

#: Improvement direction for the SPC from the indicator's good direction.
_IMPROVEMENT = {"down": "down", "up": "up", "neutral": "neutral"}


@dataclass(frozen=True)
class Signals:
    """SPC results by (facility_id, indicator), and exact comparisons for rare events."""

    spc: dict[tuple[str, str], SpcResult]
    measure: dict[tuple[str, str], str]            # "rate" or "count": what the chart shows
    rare_vs_previous: dict[tuple[str, str], PoissonComparison]


def control_charts(results: IndicatorResults, settings: SpcSettings = SpcSettings(),
                   baseline: int | None = None) -> Signals:
    """An XmR chart of each facility's monthly series for every indicator that is not rare.

    With ``baseline``, limits come from each segment's first ``baseline`` months and are recalculated
    at a confirmed shift (:func:`datapack.analysis.spc.baseline_chart`); without, from every month.
    """
    spc: dict[tuple[str, str], SpcResult] = {}
    measure: dict[tuple[str, str], str] = {}
    rare: dict[tuple[str, str], PoissonComparison] = {}
    if results.series.empty:
        return Signals(spc, measure, rare)
    for ind in results.definitions.indicators:
        if ind.rare:  # compared period with period, whatever the grain of the counts behind them
            for fid in results.periods.loc[results.periods["indicator"] == ind.id, "facility_id"]:
                found = _rare_previous(results, fid, ind.id)
                if found is not None:
                    rare[(fid, ind.id)] = found
            continue
        series = results.series[results.series["indicator"] == ind.id]
        for fid, part in series.groupby("facility_id", sort=False):
            part = part.sort_values("month")
            if part["count"].notna().sum() == 0:
                continue
            use_rate = part["base"].notna().sum() >= part["count"].notna().sum() and part["base"].gt(0).any()
            values = part["rate"] if use_rate else part["count"]
            values = values.where(np.isfinite(values))
            if values.notna().sum() < 2:
                continue
            periods = [str(p) for p in part["month"]]
            breaks = [b for b in ind.series_breaks if b in periods[1:]]
            if baseline is None:
                spc[(fid, ind.id)] = xmr(values.to_numpy(float), periods, _IMPROVEMENT[ind.good_direction],
                                         rebase_at=breaks, settings=settings, lower_bound=0.0)
            else:
                spc[(fid, ind.id)] = baseline_chart(values.to_numpy(float), periods, _IMPROVEMENT[ind.good_direction],
                                                    rebase_at=breaks, settings=settings, lower_bound=0.0,
                                                    baseline=baseline)
            measure[(fid, ind.id)] = "rate" if use_rate else "count"
    return Signals(spc, measure, rare)


def _rare_previous(results: IndicatorResults, fid: str, indicator: str) -> PoissonComparison | None:
    row = results.periods[(results.periods["facility_id"] == fid) & (results.periods["indicator"] == indicator)]
    if row.empty:
        return None
    r = row.iloc[0]
    with_base = all(pd.notna(r[b]) and r[b] > 0 for b in ("last_base", "prev_base"))
    # rates where both periods have a base, else counts (periods of the same length): never one of each
    exposure_last, exposure_prev = (r["last_base"], r["prev_base"]) if with_base else (1.0, 1.0)
    if pd.isna(r["last_count"]) or pd.isna(r["prev_count"]):
        return None
    return compare_poisson(float(r["last_count"]), float(exposure_last), float(r["prev_count"]), float(exposure_prev))
