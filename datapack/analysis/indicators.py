"""Every indicator for every facility at once: monthly series and period figures.

Computed for the whole estate in one pass (vectorised), so comparisons with
peers cost nothing extra. Periods end at the latest month of incident data
anywhere in the estate, so all facilities are compared over the same months:

* ``last``: the latest ``window`` months (12 by default), ``prev``: the
  ``window`` months before, ``quarter``: the latest three months;
* the base is the average monthly population over the period (per 1,000
  population), or the total throughput for short-stay places (per 1,000
  detentions);
* a facility has **no data** for an indicator (rather than zero) when it has
  no incident rows at all, or when the indicator's categories are recorded
  nowhere among facilities of its type.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from datapack.indicators import Indicator, IndicatorSet
from datapack.tables import schemas
from datapack.tables.cells import normalise_label

PERIODS = ("last", "prev", "quarter")
#: What an ``incident_counts`` measure may count besides events: ``<measure>:<what>``.
COUNTED = ("serious", "hospital", "duration_hours")


@dataclass(frozen=True)
class Windows:
    """The months compared, ending with the latest month of incident data in the estate."""

    end: pd.Period
    months: int = 12

    def span(self, period: str) -> tuple[pd.Period, pd.Period]:
        if period == "last":
            return self.end - (self.months - 1), self.end
        if period == "prev":
            return self.end - (2 * self.months - 1), self.end - self.months
        if period == "quarter":
            return self.end - 2, self.end
        raise KeyError(period)

    @property
    def series_start(self) -> pd.Period:
        return self.end - (3 * self.months - 1)


@dataclass(frozen=True)
class IndicatorResults:
    """Figures for every facility x indicator.

    ``periods``: one row per facility x indicator with, for each of last /
    prev / quarter, ``<p>_count``, ``<p>_base`` and ``<p>_rate``, plus
    ``basis`` (population or throughput), ``recorded`` and ``change`` (the
    relative change in rate, last against prev). ``series``: one row per
    facility x indicator x month with ``count``, ``base`` and ``rate``.
    """

    windows: Windows | None
    periods: pd.DataFrame
    series: pd.DataFrame
    definitions: IndicatorSet


def basis_of(facilities: pd.DataFrame) -> pd.Series:
    """``throughput`` for short-stay places, else ``population``, by facility id."""
    kinds = facilities.set_index("facility_id")["facility_type"]
    return kinds.isin(schemas.THROUGHPUT_TYPES).map({True: "throughput", False: "population"})


def monthly_bases(population: pd.DataFrame) -> pd.DataFrame:
    """Population, throughput and in-use capacity per facility and month (latest count in a month)."""
    if population.empty:
        return pd.DataFrame(columns=["facility_id", "month", "population", "throughput", "in_use_cna"])
    data = population.assign(month=population["month"].dt.to_period("M"))
    if "count_date" in data:
        data = data.sort_values(["month", "count_date"], na_position="first")
    cols = [c for c in ("population", "throughput", "in_use_cna") if c in data]
    return data.groupby(["facility_id", "month"], as_index=False)[cols].last()


def _selected(incidents: pd.DataFrame, ind: Indicator) -> pd.DataFrame:
    rows = incidents[incidents["category"].isin(ind.numerator.categories)]
    if ind.numerator.subcategories:
        wanted = {normalise_label(s) for s in ind.numerator.subcategories}
        rows = rows[rows["subcategory"].map(normalise_label).isin(wanted)]
    count = ind.numerator.count
    if count == "hospital":
        rows = rows[rows["hospital"].fillna(False).astype(bool)]
    elif count == "serious":
        rows = rows[rows["serious"].fillna(False).astype(bool)]
    weight = (rows["duration_hours"].fillna(0) if count == "duration_hours"
              else rows["count"].fillna(1).astype(float))
    return rows.assign(_w=weight.to_numpy())


def _aggregate(rows: pd.DataFrame, ind: Indicator, keys: list[str]) -> pd.Series:
    if ind.numerator.count == "individuals":
        return rows.dropna(subset=["person_ref"]).groupby(keys)["person_ref"].nunique().astype(float)
    return rows.groupby(keys)["_w"].sum()


def _recorded(incidents: pd.DataFrame, facilities: pd.DataFrame, ind: Indicator) -> pd.Series:
    """Whether the indicator can be zero (rather than unknown) at each facility."""
    has_rows = facilities["facility_id"].isin(incidents["facility_id"].unique())
    kinds = facilities.set_index("facility_id")["facility_type"]
    types_recording = set(kinds.reindex(incidents.loc[incidents["category"].isin(ind.numerator.categories),
                                                      "facility_id"].unique()).dropna())
    recorded = has_rows.to_numpy() & facilities["facility_type"].isin(types_recording).to_numpy()
    if ind.rare:  # a death is recorded wherever incidents are; none is a true zero
        recorded = has_rows.to_numpy()
    return pd.Series(recorded, index=facilities["facility_id"].to_numpy())


def measure_name(ind: Indicator) -> str:
    """The ``incident_counts`` measure an indicator reads when its ``numerator.measures`` is empty.

    Its categories (joined by ``+``), then ``/`` and its sub-categories when it names any, then
    ``:serious``, ``:hospital`` or ``:duration_hours`` when it counts those: ``self_harm``,
    ``use_of_force/planned``, ``self_harm:hospital``. People (``count: individuals``) are read from
    the ``individuals`` column of the events measure. A row covering exactly a compared period gives
    that period's figure; otherwise months are added up (never for people).
    """
    num = ind.numerator
    name = "+".join(sorted(num.categories)) + ("/" + "+".join(sorted(num.subcategories)) if num.subcategories else "")
    return name + (f":{num.count}" if num.count in COUNTED else "")


def _counts_by_grain(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``incident_counts`` rows of one month (with ``month``), and rows covering longer periods."""
    if table.empty:
        return table.assign(month=pd.Series(dtype="period[M]")), table
    month = table["period_start"].dt.to_period("M")
    single = table["period_end"].isna() | (table["period_end"].dt.to_period("M") == month)
    return table[single].assign(month=month[single]), table[~single]


def _reads_counts(ind: Indicator, incidents: pd.DataFrame, monthly: pd.DataFrame) -> bool:
    """Whether an indicator comes from published counts: it names measures, or events hold none of it."""
    if ind.numerator.measures:
        return True
    return (not monthly.empty and not incidents["category"].isin(ind.numerator.categories).any()
            and monthly["measure"].eq(measure_name(ind)).any())


def _sum_known(values: pd.Series, keys: list[pd.Series]) -> pd.Series:
    """Sum by ``keys``; unknown (NaN) where any part is unknown (a suppressed or missing count)."""
    return values.groupby(keys).sum().where(~values.isna().groupby(keys).any())


def _from_counts(monthly: pd.DataFrame, longer: pd.DataFrame, facilities: pd.DataFrame, ind: Indicator,
                 grid: pd.MultiIndex, windows: Windows) -> tuple[pd.Series, pd.Series, dict[str, pd.Series]]:
    """Monthly counts on ``grid``, whether recorded, and totals given per period, from ``incident_counts``."""
    measures = set(ind.numerator.measures) or {measure_name(ind)}
    column = "individuals" if ind.numerator.count == "individuals" else "count"
    rows = monthly[monthly["measure"].isin(measures)]
    values = rows[column].where(rows["status"].ne("not_applicable"), 0.0)
    counts = _sum_known(values, [rows["facility_id"], rows["month"]]).reindex(grid, fill_value=0.0)
    has_rows = facilities["facility_id"].isin(pd.concat([monthly["facility_id"], longer["facility_id"]]))
    types = set(facilities.loc[facilities["facility_id"].isin(rows["facility_id"]), "facility_type"])
    recorded = has_rows & (True if ind.rare else facilities["facility_type"].isin(types))
    totals = {}
    for name in PERIODS:
        first, last = windows.span(name)
        span = longer[longer["measure"].isin(measures) & (longer["period_start"] == first.start_time)
                      & (longer["period_end"] == last.end_time.normalize())]
        if not span.empty:
            totals[name] = _sum_known(span[column], [span["facility_id"]])
    return counts, pd.Series(recorded.to_numpy(), index=facilities["facility_id"].to_numpy()), totals


_PERIOD_COLUMNS = ["facility_id", "indicator", "basis", "recorded", "last_count", "last_base", "last_rate",
                   "prev_count", "prev_base", "prev_rate", "quarter_count", "quarter_base", "quarter_rate", "change"]
_SERIES_COLUMNS = ["facility_id", "month", "count", "base", "rate", "indicator"]


def compute(estate, definitions: IndicatorSet, window_months: int = 12) -> IndicatorResults:
    """Every indicator for every facility in the register.

    An indicator comes from the event rows of ``incidents``, or from the published aggregates of
    ``incident_counts`` when it names ``numerator.measures`` or when no event of its categories is
    held (see :func:`measure_name`); a count with a suppressed or missing part is unknown.
    """
    facilities = estate.facilities
    incidents = estate.table("incidents")
    incidents = incidents.assign(month=incidents["occurred"].dt.to_period("M"))
    monthly, longer = _counts_by_grain(estate.table("incident_counts"))
    if incidents.empty and monthly.empty:  # no incidents held: empty results, with their columns
        return IndicatorResults(None, pd.DataFrame(columns=_PERIOD_COLUMNS), pd.DataFrame(columns=_SERIES_COLUMNS),
                                definitions)
    windows = Windows((incidents if not incidents.empty else monthly)["month"].max(), window_months)
    bases = monthly_bases(estate.table("population"))
    basis = basis_of(facilities)
    months = pd.period_range(windows.series_start, windows.end, freq="M")
    grid = pd.MultiIndex.from_product([facilities["facility_id"], months], names=["facility_id", "month"])
    base_grid = bases.set_index(["facility_id", "month"]).reindex(grid)
    use_throughput = basis.reindex(grid.get_level_values(0)).eq("throughput").to_numpy()
    monthly_base = np.where(use_throughput, base_grid["throughput"], base_grid["population"])
    series_parts, period_rows = [], []
    for ind in definitions.indicators:
        if ind.kind == "crowding":
            counts = base_grid["population"]
            base = base_grid["in_use_cna"]
            recorded = pd.Series(True, index=facilities["facility_id"].to_numpy())
            scale, no_base = 100.0, False
        elif _reads_counts(ind, incidents, monthly):
            counts, recorded, rows = _from_counts(monthly, longer, facilities, ind, grid, windows)
            base = pd.Series(monthly_base, index=grid) if ind.denominator != "none" else pd.Series(np.nan, index=grid)
            scale, no_base = ind.scale, ind.denominator == "none"
        else:
            rows = _selected(incidents, ind)
            counts = _aggregate(rows, ind, ["facility_id", "month"]).reindex(grid, fill_value=0.0)
            recorded = _recorded(incidents, facilities, ind)
            base = pd.Series(monthly_base, index=grid) if ind.denominator != "none" else pd.Series(np.nan, index=grid)
            scale, no_base = ind.scale, ind.denominator == "none"
        known = recorded.reindex(grid.get_level_values(0)).to_numpy()
        frame = pd.DataFrame({"count": np.where(known, counts.to_numpy(dtype=float), np.nan),
                              "base": base.to_numpy(dtype=float)}, index=grid).reset_index()
        frame["rate"] = frame["count"] / frame["base"] * scale
        frame["indicator"] = ind.id
        series_parts.append(frame)
        period_rows.append(_periods(frame, rows if ind.kind != "crowding" else None, ind, windows, basis,
                                    recorded, scale, no_base))
    periods = pd.concat(period_rows, ignore_index=True)
    series = pd.concat(series_parts, ignore_index=True)
    return IndicatorResults(windows, periods, series, definitions)


def _periods(frame: pd.DataFrame, rows: pd.DataFrame | dict | None, ind: Indicator, windows: Windows,
             basis: pd.Series, recorded: pd.Series, scale: float, no_base: bool) -> pd.DataFrame:
    """Figures per period; ``rows`` are the events (or, from published counts, the totals given per period)."""
    out = pd.DataFrame({"facility_id": recorded.index, "indicator": ind.id})
    out["basis"] = basis.reindex(out["facility_id"]).to_numpy()
    out["recorded"] = recorded.to_numpy()
    for name in PERIODS:
        first, last = windows.span(name)
        part = frame[(frame["month"] >= first) & (frame["month"] <= last)]
        grouped = part.groupby("facility_id")
        if ind.kind == "crowding":  # the latest month's figures, not a sum
            latest = part.dropna(subset=["count", "base"]).groupby("facility_id").last()
            count, base = latest["count"], latest["base"]
        else:
            if isinstance(rows, dict) and (name in rows or ind.numerator.count == "individuals"):
                # a total given for the period; people cannot be added up from months
                count = rows.get(name, pd.Series(dtype=float)).reindex(out["facility_id"], fill_value=0.0)
                count = count.where(recorded.to_numpy() & (name in rows))
            elif ind.numerator.count == "individuals" and rows is not None:
                in_window = rows[(rows["month"] >= first) & (rows["month"] <= last)]
                count = _aggregate(in_window, ind, ["facility_id"])
                count = count.reindex(out["facility_id"], fill_value=0.0).where(recorded.to_numpy())
            else:
                count = grouped["count"].sum(min_count=1).where(grouped["count"].count() == grouped.size())
            # population: the average month; throughput: the total over the period
            base = grouped["base"].mean()
            totals = grouped["base"].sum(min_count=1)
            use_total = basis.reindex(base.index).eq("throughput")
            base = base.where(~use_total, totals)
        out[f"{name}_count"] = pd.Series(count).reindex(out["facility_id"]).to_numpy()
        out[f"{name}_base"] = np.nan if no_base else pd.Series(base).reindex(out["facility_id"]).to_numpy()
        out[f"{name}_rate"] = out[f"{name}_count"] / out[f"{name}_base"] * scale
    with np.errstate(divide="ignore", invalid="ignore"):
        left = out["last_rate"].where(out["last_base"].notna(), out["last_count"])
        right = out["prev_rate"].where(out["prev_base"].notna(), out["prev_count"])
        out["change"] = np.where(right > 0, left / right - 1, np.nan)
    return out
