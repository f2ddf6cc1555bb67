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

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from datapack.adapters.cells import normalise_label
from datapack.analysis import counts
from datapack.indicators import Indicator, IndicatorSet
from datapack.tables import schemas

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
    relative change in rate, last against prev), ``<p>_status`` and ``<p>_symbol`` (why a count is
    unknown, and what its publisher printed), ``published`` (every row behind it is public already) and
    ``end`` (the last month compared). ``series``: one row per facility x indicator x month with
    ``count``, ``base`` and ``rate``. ``trends``: for indicators read from counts longer than a month,
    each published period's figure (``label`` such as ``2019/20``), with base and rate.
    """

    windows: Windows | None
    periods: pd.DataFrame
    series: pd.DataFrame
    definitions: IndicatorSet
    from_counts: dict[str, set[str]] = field(default_factory=dict)   # indicator -> measures of incident_counts
    own_windows: dict[str, Windows] = field(default_factory=dict)    # indicator -> its periods, where they differ
    trends: pd.DataFrame = field(default_factory=pd.DataFrame)        # published figures period by period

    def window(self, indicator: str) -> Windows | None:
        """The periods an indicator's figures compare: the estate's, or its own published periods."""
        return self.own_windows.get(indicator, self.windows)


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


def _reads_counts(ind: Indicator, incidents: pd.DataFrame, prepared: pd.DataFrame) -> bool:
    """Whether an indicator comes from published counts: it names measures, or events hold none of it."""
    if ind.numerator.measures:
        return True
    return (not prepared.empty and not incidents["category"].isin(ind.numerator.categories).any()
            and prepared["measure"].eq(measure_name(ind)).any())


def _sum_known(values: pd.Series, keys: list[pd.Series]) -> pd.Series:
    """Sum by ``keys``; unknown (NaN) where any part is unknown (a suppressed or missing count)."""
    return values.groupby(keys).sum().where(~values.isna().groupby(keys).any())


def _measures(ind: Indicator) -> set[str]:
    return set(ind.numerator.measures) or {measure_name(ind)}


def _from_counts(monthly: pd.DataFrame, longer: pd.DataFrame, facilities: pd.DataFrame, ind: Indicator,
                 grid: pd.MultiIndex, windows: Windows) -> tuple[pd.Series, pd.Series, dict[str, Any]]:
    """Monthly counts on ``grid``, whether recorded, and what the published rows give per period.

    A month is known where the facility has a row for it; where it has none but the publisher
    gave that month for another facility, none was recorded (zero); otherwise it is unknown.
    """
    measures = _measures(ind)
    column = "individuals" if ind.numerator.count == "individuals" else "count"
    rows = monthly[monthly["measure"].isin(measures)]
    values = rows[column].where(rows["status"].ne("not_applicable"), 0.0)
    summed = _sum_known(values, [rows["facility_id"], rows["month"]])
    monthly_counts = summed.reindex(grid)
    absent = ~grid.isin(summed.index) & grid.get_level_values(1).isin(set(rows["month"]))
    monthly_counts[absent] = 0.0
    own = pd.concat([rows, longer[longer["measure"].isin(measures)]])
    has_rows = facilities["facility_id"].isin(own["facility_id"])
    types = set(facilities.loc[has_rows, "facility_type"])
    recorded = has_rows & (True if ind.rare else facilities["facility_type"].isin(types))
    given: dict[str, Any] = {"totals": {}, "month_status": {}, "with_rows": {},
                             "published": own.groupby("facility_id")["published"].all() if not own.empty
                             else pd.Series(dtype=bool)}
    for name in PERIODS:
        first, last = windows.span(name)
        found = counts.totals(longer, measures, column, first, last, add_up=column != "individuals")
        if not found.empty:
            given["totals"][name] = found
        given["month_status"][name] = counts.month_status(rows, measures, first, last)
        overlapping = own[(own["last"] >= first) & (own["first"] <= last)]
        given["with_rows"][name] = set(overlapping["facility_id"])
    return monthly_counts, pd.Series(recorded.to_numpy(), index=facilities["facility_id"].to_numpy()), given


def _latest(*months: pd.Series) -> pd.Period | None:
    found = [m.dropna().max() for m in months if not m.dropna().empty]
    return max(found) if found else None


def _grid(facilities: pd.DataFrame, windows: Windows) -> pd.MultiIndex:
    months = pd.period_range(windows.series_start, windows.end, freq="M")
    return pd.MultiIndex.from_product([facilities["facility_id"], months], names=["facility_id", "month"])


def _bases_on(grid: pd.MultiIndex, bases: pd.DataFrame, basis: pd.Series) -> tuple[pd.DataFrame, np.ndarray]:
    base_grid = bases.set_index(["facility_id", "month"]).reindex(grid)
    use_throughput = basis.reindex(grid.get_level_values(0)).eq("throughput").to_numpy()
    return base_grid, np.where(use_throughput, base_grid["throughput"], base_grid["population"])


def compute(estate, definitions: IndicatorSet, window_months: int = 12) -> IndicatorResults:
    """Every indicator for every facility in the register.

    An indicator comes from the event rows of ``incidents``, or from the published aggregates of
    ``incident_counts`` when it names ``numerator.measures`` or when no event of its categories is
    held (see :func:`measure_name`); a count with a suppressed or missing part is unknown. The
    periods compared end with the latest month of events (or of monthly counts) in the estate; an
    indicator read only from counts longer than a month ends with the latest of its own periods,
    and failing any of those the population's latest month ends them (for crowding).
    """
    facilities = estate.facilities
    incidents = estate.table("incidents")
    incidents = incidents.assign(month=incidents["occurred"].dt.to_period("M"))
    prepared = counts.prepare(estate.table("incident_counts"), counts.published_sources(estate.config))
    monthly, longer = counts.by_grain(prepared)
    bases = monthly_bases(estate.table("population"))
    end = _latest(incidents["month"], monthly["month"]) or _latest(longer["last"]) or _latest(bases["month"])
    if end is None or facilities.empty:  # nothing dated to compare: every indicator is "no data"
        return IndicatorResults(None, pd.DataFrame(columns=_PERIOD_COLUMNS), pd.DataFrame(columns=_SERIES_COLUMNS),
                                definitions)
    windows = Windows(end, window_months)
    basis = basis_of(facilities)
    published_events = _published_events(incidents, counts.published_sources(estate.config))
    series_parts, period_rows, trend_parts = [], [], []
    from_counts, own_windows = {}, {}
    for ind in definitions.indicators:
        ind_windows = windows
        reads_counts = ind.kind != "crowding" and _reads_counts(ind, incidents, prepared)
        if reads_counts and not monthly["measure"].isin(_measures(ind)).any():
            own_end = counts.latest_month(longer, _measures(ind))
            if own_end is not None and own_end != end:
                ind_windows = own_windows[ind.id] = Windows(own_end, window_months)
        grid = _grid(facilities, ind_windows)
        base_grid, monthly_base = _bases_on(grid, bases, basis)
        published = None
        if ind.kind == "crowding":
            values = base_grid["population"]
            base = base_grid["in_use_cna"]
            recorded = pd.Series(True, index=facilities["facility_id"].to_numpy())
            scale, no_base = 100.0, False
            rows = None
        elif reads_counts:
            values, recorded, rows = _from_counts(monthly, longer, facilities, ind, grid, ind_windows)
            from_counts[ind.id] = _measures(ind)
            published = rows["published"]
            base = pd.Series(monthly_base, index=grid) if ind.denominator != "none" else pd.Series(np.nan, index=grid)
            scale, no_base = ind.scale, ind.denominator == "none"
            trend_parts.append(_trend(pd.concat([longer, _sparse_months(monthly, _measures(ind))]), ind, bases, basis))
        else:
            rows = _selected(incidents, ind)
            values = _aggregate(rows, ind, ["facility_id", "month"]).reindex(grid, fill_value=0.0)
            recorded = _recorded(incidents, facilities, ind)
            published = published_events(rows)
            base = pd.Series(monthly_base, index=grid) if ind.denominator != "none" else pd.Series(np.nan, index=grid)
            scale, no_base = ind.scale, ind.denominator == "none"
        known = recorded.reindex(grid.get_level_values(0)).to_numpy()
        frame = pd.DataFrame({"count": np.where(known, values.to_numpy(dtype=float), np.nan),
                              "base": base.to_numpy(dtype=float)}, index=grid).reset_index()
        frame["rate"] = frame["count"] / frame["base"] * scale
        frame["indicator"] = ind.id
        series_parts.append(frame)
        out = _periods(frame, rows, ind, ind_windows, basis, recorded, scale, no_base)
        out["published"] = (published.reindex(out["facility_id"]).fillna(False).astype(bool).to_numpy()
                            if published is not None else False)
        out["end"] = str(ind_windows.end)
        period_rows.append(out)
    periods = pd.concat(period_rows, ignore_index=True)
    series = pd.concat(series_parts, ignore_index=True)
    trends = pd.concat([t for t in trend_parts if not t.empty] or [_TREND_EMPTY], ignore_index=True)
    return IndicatorResults(windows, periods, series, definitions, from_counts, own_windows, trends)


def _published_events(incidents: pd.DataFrame, published: set[str]):
    """A function: for an indicator's event rows, whether each facility's rows all come from published sources."""
    def by_facility(rows: pd.DataFrame) -> pd.Series:
        if not published or rows.empty:
            return pd.Series(dtype=bool)
        return rows["_source"].isin(published).groupby(rows["facility_id"]).all()
    return by_facility


_PERIOD_COLUMNS = ["facility_id", "indicator", "basis", "recorded", "published", "end", "change"] + [
    f"{p}_{c}" for p in PERIODS for c in ("count", "base", "rate", "status", "symbol")]
_SERIES_COLUMNS = ["facility_id", "month", "count", "base", "rate", "indicator"]
_TREND_EMPTY = pd.DataFrame(columns=["facility_id", "indicator", "first", "last", "label", "count", "status",
                                     "symbol", "published", "base", "rate"])


def _sparse_months(monthly: pd.DataFrame, measures: set[str]) -> pd.DataFrame:
    """Monthly counts of these measures with months missing between their first and last (e.g. three
    months published in a year): shown period by period, since no window of them is complete."""
    rows = monthly[monthly["measure"].isin(measures)]
    if rows.empty:
        return rows
    months = rows["month"].drop_duplicates()
    span = (months.max() - months.min()).n + 1
    return rows if len(months) < span else rows.iloc[0:0]


def _trend(longer: pd.DataFrame, ind: Indicator, bases: pd.DataFrame, basis: pd.Series) -> pd.DataFrame:
    """The indicator's published figures period by period (at their commonest grain), with base and rate."""
    column = "individuals" if ind.numerator.count == "individuals" else "count"
    found = counts.trend(longer, _measures(ind), column)
    if found.empty:
        return found
    found = found.assign(indicator=ind.id, base=np.nan)
    if ind.denominator != "none" and not bases.empty:
        for i, row in found.iterrows():
            own = bases[(bases["facility_id"] == row["facility_id"]) & (bases["month"] >= row["first"])
                        & (bases["month"] <= row["last"])]
            kind = basis.get(row["facility_id"], "population")
            values = own[kind].dropna()
            if not values.empty:
                found.at[i, "base"] = float(values.sum() if kind == "throughput" else values.mean())
    found["rate"] = found["count"] / found["base"] * ind.scale
    return found


def _periods(frame: pd.DataFrame, rows: pd.DataFrame | dict | None, ind: Indicator, windows: Windows,
             basis: pd.Series, recorded: pd.Series, scale: float, no_base: bool) -> pd.DataFrame:
    """Figures per period; ``rows`` are the events (or, from published counts, what the rows give per period).

    ``<p>_status`` says why a count is unknown (suppressed or missing, as published) and
    ``<p>_symbol`` what the publisher printed instead.
    """
    out = pd.DataFrame({"facility_id": recorded.index, "indicator": ind.id})
    fids = out["facility_id"]
    out["basis"] = basis.reindex(fids).to_numpy()
    out["recorded"] = recorded.to_numpy()
    from_counts = isinstance(rows, dict)
    for name in PERIODS:
        first, last = windows.span(name)
        part = frame[(frame["month"] >= first) & (frame["month"] <= last)]
        status = pd.Series(np.where(recorded.to_numpy(), "value", None), index=fids.to_numpy(), dtype=object)
        symbol = pd.Series(None, index=fids.to_numpy(), dtype=object)
        if ind.kind == "crowding":  # the latest month's figures, not a sum
            latest = part.dropna(subset=["count", "base"]).groupby("facility_id").last()
            count, base = latest["count"], latest["base"]
        else:
            if ind.numerator.count == "individuals" and not from_counts and rows is not None:
                in_window = rows[(rows["month"] >= first) & (rows["month"] <= last)]
                count = _aggregate(in_window, ind, ["facility_id"])
                count = count.reindex(fids, fill_value=0.0).where(recorded.to_numpy())
            elif ind.numerator.count == "individuals":  # people cannot be added up from months
                count = pd.Series(np.nan, index=fids.to_numpy())
            summed, base = window_figures(part, basis)
            if ind.numerator.count != "individuals":
                count = summed
            if from_counts:
                count, status, symbol = _given(count, rows, name, fids, recorded, status, symbol)
        out[f"{name}_count"] = pd.Series(count).reindex(fids).to_numpy()
        out[f"{name}_base"] = np.nan if no_base else pd.Series(base).reindex(fids).to_numpy()
        out[f"{name}_rate"] = out[f"{name}_count"] / out[f"{name}_base"] * scale
        known = out[f"{name}_count"].notna().to_numpy()
        out[f"{name}_status"] = np.where(known, "value", status.reindex(fids).where(
            status.reindex(fids) != "value", "missing").to_numpy())
        out.loc[~recorded.to_numpy(), f"{name}_status"] = None
        out[f"{name}_symbol"] = np.where(known, None, symbol.reindex(fids).to_numpy())
    with np.errstate(divide="ignore", invalid="ignore"):
        left = out["last_rate"].where(out["last_base"].notna(), out["last_count"])
        right = out["prev_rate"].where(out["prev_base"].notna(), out["prev_count"])
        out["change"] = np.where(right > 0, left / right - 1, np.nan)
    return out


def window_figures(part: pd.DataFrame, basis: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Per facility, the count over a run of monthly rows and its base: the one rule for every window.

    The count is unknown when any month's is; the base is the average month of a population and the total
    of a throughput (``basis`` by facility).
    """
    grouped = part.groupby("facility_id")
    count = grouped["count"].sum(min_count=1).where(grouped["count"].count() == grouped.size())
    base = grouped["base"].mean()
    totals = grouped["base"].sum(min_count=1)
    use_total = basis.reindex(base.index).eq("throughput")
    return count, base.where(~use_total, totals)


def _given(count: pd.Series, given: dict[str, Any], name: str, fids: pd.Series, recorded: pd.Series,
           status: pd.Series, symbol: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Counts of one period from published rows: a row for the period wins over its months added up.

    Where the publisher gave this period for some facility and a recorded facility has no row
    overlapping it, none was recorded there (zero).
    """
    count = pd.Series(count).reindex(fids).to_numpy(dtype=float)
    count = pd.Series(count, index=fids.to_numpy())
    months = given["month_status"][name]
    unknown = count.index[count.isna() & count.index.isin(months.index)]
    status[unknown] = months.loc[unknown, "status"]
    symbol[unknown] = months.loc[unknown, "symbol"]
    totals = given["totals"].get(name)
    if totals is not None:
        has = count.index.isin(totals.index)
        mine = totals.reindex(count.index)
        count[has] = mine.loc[has, "count"].astype(float)
        status[has] = mine.loc[has, "status"]
        symbol[has] = mine.loc[has, "symbol"]
        none_there = ~has & ~count.index.isin(list(given["with_rows"][name])) & recorded.to_numpy()
        count[none_there] = 0.0
    return count.where(recorded.to_numpy()), status, symbol
