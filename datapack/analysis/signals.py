"""Change over time for every facility x indicator: control charts and rare-event comparisons.

Which chart (the choice is made here, once; every caption, reading and area reads the result):

* a count of events with a base (population or throughput) held for its months: a **u-chart** of the
  monthly rate per 1,000 (limits from each month's own base), or **Laney's u-prime** where the baseline's
  sigma_z is above :data:`~datapack.analysis.spc.LANEY_ABOVE` (see :mod:`datapack.analysis.spc`);
* a figure that is not a count of events (hours, the crowding per cent) with a base: an **XmR** of the rate;
* no base held: an **XmR** of the monthly count.

Configured series breaks (a change of definition) start a new segment with its own limits.

A series **too sparse by month** (fewer than :data:`~datapack.analysis.spc.SPARSE_MONTHS` months with any
event and no signal) is charted **by quarter** (``by_quarter``): three-month blocks counted back from the
last month (earlier months that do not fill one are left out), a count summed, a population base averaged
and a throughput summed, the same chart rules; where fewer than
:data:`~datapack.analysis.spc.SPARSE_QUARTERS` quarters have any event, nothing is charted (the pack says so).

**Rare events** (``rare: true``, deaths) are not charted by month. Read from event rows, the days between
events are charted (``between``: :func:`datapack.analysis.spc_rare.rare_events`, a t-chart) over the
months of the series; and the latest period is compared with the previous one, and with the peer rate, by
exact Poisson tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from datapack.analysis.indicators import IndicatorResults
from datapack.analysis.indicators import _selected
from datapack.analysis.spc import SPARSE_MONTHS, SPARSE_QUARTERS, SpcResult, SpcSettings, baseline_chart, xmr
from datapack.analysis.spc_rare import PoissonComparison, RareResult, compare_poisson, rare_events

#: Improvement direction for the SPC from the indicator's good direction.
_IMPROVEMENT = {"down": "down", "up": "up", "neutral": "neutral"}


@dataclass(frozen=True)
class Signals:
    """SPC results by (facility_id, indicator), and exact comparisons for rare events.

    ``spc`` holds every monthly chart; ``by_quarter`` the quarterly chart of a series too sparse by month
    (the pack draws and reads that one: :meth:`chart`); ``between`` the time-between-events chart of a
    rare event read from event rows.
    """

    spc: dict[tuple[str, str], SpcResult]
    measure: dict[tuple[str, str], str]            # "rate" or "count": what the chart shows
    rare_vs_previous: dict[tuple[str, str], PoissonComparison]
    by_quarter: dict[tuple[str, str], SpcResult] = field(default_factory=dict)
    between: dict[tuple[str, str], RareResult] = field(default_factory=dict)

    def chart(self, facility_id: str, indicator: str) -> SpcResult | None:
        """The control chart the pack shows: by quarter where the months are too sparse, else by month."""
        key = (facility_id, indicator)
        return self.by_quarter.get(key) or self.spc.get(key)


def control_charts(results: IndicatorResults, settings: SpcSettings = SpcSettings(),
                   baseline: int | None = None, incidents: pd.DataFrame | None = None) -> Signals:
    """A control chart of each facility's monthly series for every indicator that is not rare (see the module).

    With ``baseline``, limits come from each segment's first ``baseline`` points and are recalculated
    at a confirmed shift (:func:`datapack.analysis.spc.baseline_chart`); without, from every point.
    With ``incidents`` (the event rows), rare events read from them get a time-between-events chart.
    """
    spc: dict[tuple[str, str], SpcResult] = {}
    measure: dict[tuple[str, str], str] = {}
    rare: dict[tuple[str, str], PoissonComparison] = {}
    quarterly: dict[tuple[str, str], SpcResult] = {}
    between: dict[tuple[str, str], RareResult] = {}
    if results.series.empty:
        return Signals(spc, measure, rare, quarterly, between)
    bases = results.periods.drop_duplicates("facility_id").set_index("facility_id")["basis"]
    for ind in results.definitions.indicators:
        if ind.rare:  # compared period with period, whatever the grain of the counts behind them
            for fid in results.periods.loc[results.periods["indicator"] == ind.id, "facility_id"]:
                found = _rare_previous(results, fid, ind.id)
                if found is not None:
                    rare[(fid, ind.id)] = found
            if incidents is not None and ind.id not in results.from_counts and results.windows is not None:
                between |= _between(results, ind, incidents, settings)
            continue
        series = results.series[results.series["indicator"] == ind.id]
        improvement = _IMPROVEMENT[ind.good_direction]
        events = ind.kind != "crowding" and ind.numerator.count != "duration_hours"  # counts of events

        def chart(values, periods, exposure=None, grain="month"):
            breaks = [b for b in ind.series_breaks if b in periods[1:]] if grain == "month" else []
            shape = dict(rebase_at=breaks, settings=settings, lower_bound=0.0, exposure=exposure, grain=grain)
            if baseline is None:
                return xmr(values, periods, improvement, **shape)
            return baseline_chart(values, periods, improvement, baseline=baseline, **shape)

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
            u_chart = use_rate and events
            counts = part["count"].where(values.notna()).to_numpy(float)
            exposure = (part["base"] / ind.scale).to_numpy(float) if u_chart else None
            result = chart(counts if u_chart else values.to_numpy(float), periods, exposure)
            spc[(fid, ind.id)] = result
            measure[(fid, ind.id)] = "rate" if use_rate else "count"
            months_with = int((values.dropna() > 0).sum())
            if months_with < SPARSE_MONTHS and result.variation_icon in (None, "common_cause"):
                found = _by_quarter(part, use_rate, u_chart, bases.get(fid), ind.scale, chart)
                if found is not None:
                    quarterly[(fid, ind.id)] = found
    return Signals(spc, measure, rare, quarterly, between)


def quarters(months: list[str]) -> list[list[str]]:
    """Three-month blocks of ``months`` (``YYYY-MM``, in order) counted back from the last; a shorter first
    block is left out."""
    start = len(months) % 3
    return [months[i:i + 3] for i in range(start, len(months), 3)]


def quarter_key(months: list[str]) -> str:
    """``YYYY-MM/YYYY-MM``: a quarter by its first and last month (as the incidents table keys its rows)."""
    return f"{months[0]}/{months[-1]}"


def _by_quarter(part: pd.DataFrame, use_rate: bool, u_chart: bool, basis: Any, scale: float,
                chart: Any) -> SpcResult | None:
    """The quarterly chart of a monthly series, or None where fewer than SPARSE_QUARTERS quarters have any."""
    months = [str(p) for p in part["month"]]
    rows = part.assign(_m=months).set_index("_m")
    blocks = quarters(months)
    if len(blocks) < 2:
        return None
    counts = np.array([rows.loc[b, "count"].sum(min_count=3) for b in blocks], dtype=float)  # unknown if any is
    if use_rate:
        base = [rows.loc[b, "base"] for b in blocks]
        # a population is a stock (its average over the quarter), a throughput a flow (its sum)
        base = np.array([(b.sum(min_count=3) if basis == "throughput" else b.mean()) if b.notna().all() and
                         (b > 0).all() else np.nan for b in base], dtype=float)
        values = counts / base * scale
    else:
        base, values = None, counts
    known = values[np.isfinite(values)]
    if known.size < 2 or int((known > 0).sum()) < SPARSE_QUARTERS:
        return None
    keys = [quarter_key(b) for b in blocks]
    if u_chart:
        return chart(counts, keys, base / scale, grain="quarter")
    return chart(np.where(np.isfinite(values), values, np.nan), keys, grain="quarter")


def _between(results: IndicatorResults, ind: Any, incidents: pd.DataFrame,
             settings: SpcSettings) -> dict[tuple[str, str], RareResult]:
    """The time-between-events chart of a rare indicator at each facility that records it, over the series'
    months (an event row counted ``count`` times: several on one day are gaps of 0)."""
    windows = results.windows
    start, end = windows.series_start.start_time, (windows.end + 1).start_time
    rows = _selected(incidents, ind)
    rows = rows[rows["occurred"].notna()]
    periods = results.periods[(results.periods["indicator"] == ind.id) & results.periods["recorded"].fillna(False)
                              .astype(bool)]
    improvement = {"down": "up", "up": "down", "neutral": "neutral"}[ind.good_direction]  # longer gaps: fewer
    out = {}
    for fid in periods["facility_id"]:
        own = rows[rows["facility_id"] == fid]
        days = pd.to_datetime(own["occurred"]).dt.normalize()
        dates = [d for d, w in zip(days, own["_w"]) for _ in range(max(int(round(w)), 0))]
        out[(fid, ind.id)] = rare_events(dates, start, end, improvement=improvement, settings=settings)
    return out


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
