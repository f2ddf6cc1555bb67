"""Published aggregates (``incident_counts``) of any grain: months, quarters, years, 12-month windows.

A row counts one measure at one facility over ``period_start`` to ``period_end`` (a blank end means
the month of the start). Rows of one month feed the monthly series. A longer row gives a compared
period's figure when it covers that period exactly; rows of one grain that tile the period without
gap or overlap (four quarters make a year) are added up, except people, who cannot be. A figure with
a suppressed or missing part is unknown, and keeps the publisher's status and symbol (``[c]``,
``..``), so a pack can show what was published. Rows of a grain longer than a month also make a
trend: one figure per period, as published.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable

import numpy as np
import pandas as pd

from datapack.analysis.text import span_label

#: The columns :func:`totals` and :func:`trend` return, besides ``facility_id``.
FIGURE_COLUMNS = ("count", "status", "symbol", "published")


def published_sources(config: Any) -> set[str]:
    """Names of the sources marked ``published: true`` (their figures are public already)."""
    return {s.name for s in config.sources if getattr(s, "published", False)}


def prepare(table: pd.DataFrame, published: set[str]) -> pd.DataFrame:
    """``incident_counts`` with ``first`` and ``last`` month, ``months`` (length, whole months only;
    NaN otherwise) and ``published``."""
    if table.empty:
        return table.assign(first=pd.Series(dtype="period[M]"), last=pd.Series(dtype="period[M]"),
                            months=pd.Series(dtype=float), published=pd.Series(dtype=bool))
    start = pd.to_datetime(table["period_start"])
    first = start.dt.to_period("M")
    end = pd.to_datetime(table["period_end"]).fillna(first.dt.end_time.dt.normalize())
    last = end.dt.to_period("M")
    whole = (start.dt.day == 1) & (end == last.dt.end_time.dt.normalize()) & (last >= first)
    length = (last.dt.year - first.dt.year) * 12 + (last.dt.month - first.dt.month) + 1
    return table.assign(first=first, last=last, months=length.where(whole).astype(float),
                        published=table["_source"].isin(published))


def by_grain(prepared: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows of one month (with ``month``), and rows of whole months longer than one."""
    single = prepared[prepared["months"] == 1]
    return single.assign(month=single["first"]), prepared[prepared["months"] > 1]


def _value(row: Any, column: str) -> tuple[float, str, Any]:
    """(value or NaN, status, symbol) of one row; not applicable counts as zero."""
    status = row.status if isinstance(row.status, str) else "value"
    if status == "not_applicable":
        return 0.0, "value", None
    value = getattr(row, column)
    if status != "value" or value is None or pd.isna(value):
        return np.nan, status if status != "value" else "missing", row.symbol
    return float(value), "value", None


def _combine(rows: list, column: str) -> tuple[float, str, Any, bool]:
    """The sum of ``rows`` (unknown where any part is), its status and symbol, and whether all are published."""
    total, status, symbol = 0.0, "value", None
    for row in rows:
        value, part_status, part_symbol = _value(row, column)
        if part_status != "value" and status == "value":
            status, symbol = part_status, part_symbol
        total += 0.0 if np.isnan(value) else value
    return (total if status == "value" else np.nan), status, symbol, all(bool(r.published) for r in rows)


def _tiles(rows: list, first: pd.Period, last: pd.Period) -> bool:
    """Whether the rows of each measure cover first..last month by month, with no gap or overlap."""
    by_measure: dict[str, list] = defaultdict(list)
    for row in rows:
        by_measure[row.measure].append(row)
    for parts in by_measure.values():
        parts.sort(key=lambda r: r.first)
        if parts[0].first != first or parts[-1].last != last:
            return False
        if any(b.first != a.last + 1 for a, b in zip(parts, parts[1:])):
            return False
    return bool(by_measure)


def _unique(rows: Iterable) -> list:
    """One row per measure and period: a repeated row is the same figure, not a second one."""
    seen, out = set(), []
    for row in rows:
        key = (row.measure, row.first, row.last)
        if key not in seen:
            seen.add(key)
            out.append(row)
    return out


def totals(longer: pd.DataFrame, measures: set[str], column: str, first: pd.Period, last: pd.Period,
           add_up: bool = True) -> pd.DataFrame:
    """Each facility's figure for first..last month from rows longer than a month (see the module)."""
    rows = longer[longer["measure"].isin(measures) & (longer["first"] >= first) & (longer["last"] <= last)]
    found: dict[str, list] = defaultdict(list)
    for row in rows.itertuples(index=False):
        found[row.facility_id].append(row)
    out = {}
    for fid, candidates in found.items():
        candidates = _unique(candidates)
        exact = [r for r in candidates if r.first == first and r.last == last]
        parts = exact
        if not exact and add_up:
            for grain in sorted({r.months for r in candidates}, reverse=True):
                same = [r for r in candidates if r.months == grain]
                if _tiles(same, first, last):
                    parts = same
                    break
        if parts:
            out[fid] = _combine(parts, column)
    return pd.DataFrame.from_dict(out, orient="index", columns=list(FIGURE_COLUMNS))


def latest_month(prepared: pd.DataFrame, measures: set[str]) -> pd.Period | None:
    """The last month any row of these measures covers."""
    rows = prepared.loc[prepared["measure"].isin(measures) & prepared["months"].notna(), "last"]
    return None if rows.empty else rows.max()


def period_label(first: pd.Period, last: pd.Period) -> str:
    """``2019/20`` (an April-March year), ``2019`` (a calendar year), else the months (``Oct 2025–Sep 2026``)."""
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    if months == 12 and first.month == 4:
        return f"{first.year}/{str(first.year + 1)[2:]}"
    if months == 12 and first.month == 1:
        return str(first.year)
    return span_label(first, last)


def trend(longer: pd.DataFrame, measures: set[str], column: str) -> pd.DataFrame:
    """One figure per facility and period at the commonest grain of these measures' rows (as published)."""
    rows = longer[longer["measure"].isin(measures)]
    if rows.empty:
        return pd.DataFrame(columns=["facility_id", "first", "last", "label", *FIGURE_COLUMNS])
    grain = rows["months"].mode().iloc[0]
    grouped: dict[tuple, list] = defaultdict(list)
    for row in rows[rows["months"] == grain].itertuples(index=False):
        grouped[(row.facility_id, row.first, row.last)].append(row)
    out = [(fid, first, last, period_label(first, last), *_combine(_unique(parts), column))
           for (fid, first, last), parts in sorted(grouped.items())]
    return pd.DataFrame(out, columns=["facility_id", "first", "last", "label", *FIGURE_COLUMNS])


def month_status(monthly: pd.DataFrame, measures: set[str], first: pd.Period, last: pd.Period) -> pd.DataFrame:
    """For facilities with an unknown month in first..last: the first such month's status and symbol."""
    rows = monthly[monthly["measure"].isin(measures) & (monthly["month"] >= first) & (monthly["month"] <= last)
                   & monthly["status"].isin(("suppressed", "missing"))].sort_values("month")
    rows = rows.drop_duplicates("facility_id")
    return rows.set_index("facility_id")[["status", "symbol"]]
