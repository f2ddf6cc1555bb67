"""Plausibility: dates, counts, populations and durations that cannot be true.

A date after the build or before ``checks.earliest_year``, a negative or
non-finite count (``-263``, ``1e999``), a population of ``1e308`` or far
above the facility's capacity, a visit that ends before it starts: each is
reported where it stands and left out, so that it sets no figure. A row
whose key is implausible (an incident's date, a population's month) is
left out whole; an implausible optional cell (an arrival date, a duration)
is left blank and the row kept. Fifty rows dated 2099 once re-based a whole
estate to "incidents to January 2099"; now they are fifty problems.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd

from datapack.adapters.cells import is_blank, parse_number, strptime_formats
from datapack.tables import schemas
from datapack.tables.checks.rows import RowProblems

#: Dates that must not lie after the build date, by table (facility dates and due dates may).
FUTURE_CHECKED = {
    "incidents": ("occurred", "arrival_date"),
    "population": ("month", "count_date"),
    "incident_counts": ("period_start",),
    "context": ("period_start",),
    "visits": ("start",),
    "recommendations": ("made", "status_date"),
    "survey_responses": ("submitted",),
}
#: Dates that must not lie before ``earliest_year``: the above and the ends of periods.
EARLY_CHECKED = {**FUTURE_CHECKED, "incident_counts": ("period_start", "period_end"), "visits": ("start", "end"),
                 "recommendations": ("made", "status_date", "due")}
#: Columns where an implausible value leaves the whole row out (the row means nothing without it).
ROW_KEYS = {"incidents": ("occurred", "count"), "population": ("month",), "incident_counts": ("period_start", "count"),
            "context": ("period_start",), "visits": ("start",), "survey_results": ("n_answering", "n_positive")}
#: Numbers that cannot be negative, and the setting that bounds them from above.
BOUNDED = {
    "population": {c: "max_population" for c in ("population", "baseline_cna", "in_use_cna", "operational_capacity",
                                                 "throughput")},
    "facilities": {"capacity": "max_population"},
    "incidents": {"count": "max_count", "duration_hours": "max_duration_hours", "days_since_arrival": None},
    "incident_counts": {"count": "max_count", "individuals": "max_count"},
    "survey_results": {"n_answering": "max_count", "n_positive": "max_count"},
}
#: Numbers that may be negative but must be finite.
FINITE = {"context": ("value",), "visits": ("rating_safety", "rating_respect", "rating_purposeful_activity",
                                            "rating_rehabilitation")}
_CAPACITY = ("operational_capacity", "in_use_cna", "baseline_cna")


def check_plausible(tables: dict[str, pd.DataFrame], settings: Any, as_of: pd.Timestamp,
                    out: RowProblems) -> dict[str, pd.DataFrame]:
    """Every table with implausible rows left out and implausible optional cells blanked."""
    result = {}
    for name, frame in tables.items():
        if frame.empty:
            result[name] = frame
            continue
        frame = frame.copy()
        drop = pd.Series(False, index=frame.index)
        drop |= _dates(frame, name, settings, as_of, out)
        drop |= _numbers(frame, name, settings, out)
        if name == "visits":
            drop |= _visit_order(frame, out)
        if name == "survey_results":
            drop |= _answers(frame, out)
        result[name] = frame[~drop]
    if "population" in result and not result["population"].empty:
        result["population"] = _capacity(result["population"], result.get("facilities"), settings, out)
    return result


def _dates(frame: pd.DataFrame, table: str, settings: Any, as_of: pd.Timestamp, out: RowProblems) -> pd.Series:
    drop = pd.Series(False, index=frame.index)
    earliest = pd.Timestamp(settings.earliest_year, 1, 1)
    latest = as_of.normalize() + pd.Timedelta(days=1)   # any time on the build day is not in the future
    for column in EARLY_CHECKED.get(table, ()):
        if column not in frame.columns:
            continue
        when = pd.to_datetime(frame[column], errors="coerce")
        future = when >= latest if column in FUTURE_CHECKED.get(table, ()) else pd.Series(False, index=frame.index)
        early = when < earliest
        bad = future | early
        if not bad.any():
            continue
        whole_row = column in ROW_KEYS.get(table, ())
        what = "the row is left out" if whole_row else "the cell is left blank"
        shown = frame.assign(_when=when)
        out.add_frame(shown[future], "date-implausible", lambda r: (
            f"{r['_when']:%Y-%m-%d} is after the build date {as_of:%Y-%m-%d}; {what}"), column,
            hint="correct the date in the file (a mistyped year, or day and month swapped?)")
        out.add_frame(shown[early], "date-implausible", lambda r: (
            f"{r['_when']:%Y-%m-%d} is before {settings.earliest_year} (checks.earliest_year); {what}"), column,
            hint="correct the date in the file (a mistyped year?), or set checks.earliest_year")
        if whole_row:
            drop |= bad
        else:
            frame.loc[bad, column] = pd.NaT
    return drop


def _numbers(frame: pd.DataFrame, table: str, settings: Any, out: RowProblems) -> pd.Series:
    drop = pd.Series(False, index=frame.index)
    checks = {**BOUNDED.get(table, {}), **{c: "finite" for c in FINITE.get(table, ())}}
    for column, bound in checks.items():
        if column not in frame.columns:
            continue
        values = pd.to_numeric(frame[column], errors="coerce").astype(float)
        infinite = np.isinf(values)
        negative = (values < 0) & ~infinite if bound != "finite" else pd.Series(False, index=frame.index)
        limit = getattr(settings, bound) if bound not in (None, "finite") else None
        huge = (values > limit) & ~infinite if limit is not None else pd.Series(False, index=frame.index)
        bad = infinite | negative | huge
        if not bad.any():
            continue
        whole_row = column in ROW_KEYS.get(table, ())
        what = "the row is left out" if whole_row else "the cell is left blank"

        def message(r: dict, _limit=limit, _bound=bound, _what=what, _column=column) -> str:
            value = r[_column]
            if np.isinf(value):
                why = "is not a finite number"
            elif value < 0:
                why = "is negative"
            else:
                why = f"is more than checks.{_bound} ({_limit:,.0f})"
            return f"{_column.replace('_', ' ')} {_format(value)} {why}; {_what}"

        out.add_frame(frame.loc[bad], "number-implausible", message, column,
                      hint="correct the cell (a unit or a typing slip?), or raise the checks setting named")
        if whole_row:
            drop |= bad
        else:
            frame[column] = frame[column].where(~bad)
    return drop


def _visit_order(frame: pd.DataFrame, out: RowProblems) -> pd.Series:
    if "end" not in frame.columns:
        return pd.Series(False, index=frame.index)
    bad = frame["end"].notna() & frame["start"].notna() & (frame["end"] < frame["start"])
    out.add_frame(frame.loc[bad], "visit-ends-before-start", lambda r: (
        f"the visit ends on {r['end']:%Y-%m-%d}, before it starts ({r['start']:%Y-%m-%d}); the row is left out"),
        "end", hint="correct the start or end date (day and month swapped?)")
    return bad


def _answers(frame: pd.DataFrame, out: RowProblems) -> pd.Series:
    if not {"n_answering", "n_positive"} <= set(frame.columns):
        return pd.Series(False, index=frame.index)
    bad = frame["n_positive"] > frame["n_answering"]
    out.add_frame(frame.loc[bad], "number-implausible", lambda r: (
        f"{_format(r['n_positive'])} positive answers of {_format(r['n_answering'])} answering; the row is left out"),
        "n_positive", hint="correct the counts: positive answers cannot outnumber those answering")
    return bad.fillna(False).astype(bool)


def _capacity(population: pd.DataFrame, facilities: pd.DataFrame | None, settings: Any,
              out: RowProblems) -> pd.DataFrame:
    """Population above ``capacity_ratio`` times capacity left blank: one of the two figures is wrong."""
    if "population" not in population.columns:
        return population
    present = [c for c in _CAPACITY if c in population.columns]
    capacity = population[present].max(axis=1, skipna=True) if present else pd.Series(np.nan, index=population.index)
    if facilities is not None and "capacity" in facilities.columns and not facilities.empty:
        register = facilities.drop_duplicates("facility_id").set_index("facility_id")["capacity"]
        capacity = capacity.fillna(population["facility_id"].map(register))
    capacity = pd.to_numeric(capacity, errors="coerce")
    bad = (capacity > 0) & (population["population"] > settings.capacity_ratio * capacity)
    if not bad.any():
        return population
    shown = population.loc[bad].assign(_capacity=capacity[bad])
    out.add_frame(shown, "population-above-capacity", lambda r: (
        f"population {_format(r['population'])} is more than {settings.capacity_ratio:g} times the capacity "
        f"{_format(r['_capacity'])}; the population is left blank"), "population",
        hint="correct the population or the capacity (a total row, or two places under one name?), "
             "or raise checks.capacity_ratio")
    population = population.copy()
    population["population"] = population["population"].where(~bad)
    return population


def _format(value: Any) -> str:
    if is_blank(value):
        return "blank"
    value = float(value)
    if not np.isfinite(value) or abs(value) >= 1e15:
        return f"{value:g}"
    return f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}"


def unparsed_formats(selected: pd.DataFrame, source: Any, out: Any) -> None:
    """A ``dates:`` format that reads none of its column's text cells is reported (``%Q``, ``%d/%m`` for ISO).

    Without this a wrong format is silently passed over and the cells read
    by guessing, day and month perhaps swapped. Only formats that between
    them read nothing are reported: one of several alternatives unused in a
    file is normal.
    """
    for canonical, formats in source.dates.items():
        if canonical not in selected.columns:
            continue
        formats = strptime_formats(formats)  # keywords such as 'excel' are not strptime formats
        cells = [c for c in pd.unique(selected[canonical].dropna()) if isinstance(c, str) and not is_blank(c)]
        if not cells or not formats:
            continue
        sample = cells[:200]
        if any(_reads(cell, f) for cell in sample for f in formats):
            continue
        first = selected.loc[selected[canonical].isin(sample[:1]), "_row"].iloc[0]
        wanted = source.columns.get(canonical, canonical)
        shown = wanted if isinstance(wanted, str) else wanted[0]
        out.add("date-format-unused", f"none of the formats {', '.join(map(repr, formats))} given under "
                f"'dates: {canonical}' reads any of the {len(cells)} dates in this column (e.g. {sample[0]!r})",
                first, shown, hint="correct the format: e.g. '%d/%m/%Y' reads 03/04/2024, '%Y-%m-%d %H:%M' reads "
                "2024-04-03 10:15 (see Python's strptime codes)")


def _reads(cell: str, fmt: str) -> bool:
    try:
        dt.datetime.strptime(cell.strip(), fmt)
    except ValueError:
        return False
    return True


def drop_non_finite(selected: pd.DataFrame, source: Any, out: Any) -> pd.DataFrame:
    """Cells that read as an infinite number (``1e999``) reported before parsing; their rows or cells left out.

    Checked on the cells as written, because a whole-number column cannot
    hold infinity at all: the row would otherwise stop the whole file.
    """
    numeric = [c.name for c in schemas.columns(source.table) if c.kind in ("int", "float") and c.name in selected]
    drop = pd.Series(False, index=selected.index)
    for column in numeric:
        infinite = {v for v in pd.unique(selected[column].dropna()) if _infinite(v)}
        if not infinite:
            continue
        bad = selected[column].isin(list(infinite))
        whole_row = column in ROW_KEYS.get(source.table, ())
        wanted = source.columns.get(column, column)
        shown = wanted if isinstance(wanted, str) else wanted[0]
        for row, value in zip(selected.loc[bad, "_row"].head(20), selected.loc[bad, column].head(20)):
            out.add("number-implausible", f"{value!r} is not a finite number; "
                    + ("the row is left out" if whole_row else "the cell is left blank"), row, shown,
                    hint="correct the cell (a formula error or a typing slip?)")
        if whole_row:
            drop |= bad
        else:
            selected = selected.assign(**{column: selected[column].where(~bad)})
    return selected[~drop]


def _infinite(cell: Any) -> bool:
    """A cell written as an infinite number: ``1e999``, ``inf`` (which :func:`parse_number` refuses as a number)."""
    if isinstance(cell, float):
        return not math.isfinite(cell) and not math.isnan(cell)
    text = str(cell).strip().replace(",", "")
    try:
        value = float(text)
    except ValueError:
        return False
    return math.isinf(value)
