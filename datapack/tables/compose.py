"""Canonical columns put together from several headings: a date from its parts, a sum of columns.

``date_parts`` builds a date from year, month and day columns (a month alone
is a period of a month), or a date and time from two columns. ``sums`` adds
several count columns (population = male + female). A part that cannot be
read is reported at its own heading and row; a sum with a suppressed or
missing part is not a number, and says which.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable

import numpy as np
import pandas as pd

from datapack.adapters.cells import is_blank, month_number, parse_date, parse_number, parse_time, whole_number

Report = Callable[..., None]

#: What a sum is when a part is not a value, worst first; written as the symbol its status reads back as.
SUM_SYMBOLS = {"unreadable": "[x]", "suppressed": "[c]", "missing": "[x]"}
_LIMIT = 20  # cells reported one by one per column; the rest are counted


class _Bad:
    """Bad cells of one composed column: the first few reported with their place, the rest counted."""

    def __init__(self, add: Report, code: str):
        self.add, self.code, self.count = add, code, 0

    def __call__(self, message: str, row: Any, heading: str, hint: str, code: str | None = None) -> None:
        self.count += 1
        if self.count <= _LIMIT:
            self.add(code or self.code, message, row, heading, hint=hint)

    def summary(self, heading: str) -> None:
        if self.count > _LIMIT:
            self.add("more", f"{self.count - _LIMIT} more cells like these", column=heading,
                     hint="fix the first ones shown; the rest are probably the same")


_PART_HINT = ("correct the cell: date_parts reads a year such as 2019, a month as a name (Jan, January, Sept) "
              "or a number 1-12, a day 1-31, a time such as 14:05")


def _from_year_month(cells: dict[str, Any], where: dict[str, str], row: Any, bad: _Bad) -> Any:
    year, month = whole_number(cells["year"]), month_number(cells["month"])
    if year is None or not 1678 <= year <= 2261:  # the dates pandas can hold
        return bad(f"{cells['year']!r} is not a year", row, where["year"], _PART_HINT)
    if month is None:
        return bad(f"{cells['month']!r} is not a month", row, where["month"], _PART_HINT)
    if "day" not in cells:
        return pd.Period(year=year, month=month, freq="M")
    day = whole_number(cells["day"])
    try:
        stamp = pd.Timestamp(year, month, day) if day is not None else None
    except ValueError:
        stamp = None
    if stamp is None:
        return bad(f"{cells['day']!r} is not a day of {stamp_month(year, month)}", row, where["day"], _PART_HINT)
    return stamp


def stamp_month(year: int, month: int) -> str:
    """``March 2024``: a month in words, for messages."""
    return dt.date(year, month, 1).strftime("%B %Y")


def _one_date(cells: dict[str, Any], where: dict[str, str], formats: list[str] | None, dayfirst: bool,
              row: Any, bad: _Bad) -> Any:
    """One composed value: a Timestamp, a month Period, or None (blank, or bad and reported)."""
    wanted = [p for p in cells if p != "time"]
    blank = [p for p in wanted if is_blank(cells[p])]
    if len(blank) == len(wanted):
        return None
    if blank:
        given = ", ".join(f"{p} {cells[p]}" for p in wanted if p not in blank)
        return bad(f"no {blank[0]} given ({given})", row, where[blank[0]],
                   "fill the cell, or remove the row if it is not a record", code="value-missing")
    if "date" in cells:
        stamp = parse_date(cells["date"], formats, dayfirst)
        if stamp is None:
            return bad(f"{cells['date']!r} is not a date", row, where["date"],
                       "correct the cell, or add its format under 'dates:'")
    else:
        stamp = _from_year_month(cells, where, row, bad)
        if stamp is None:
            return None
    if "time" not in cells or is_blank(cells["time"]):
        return stamp  # no time recorded: the date alone
    time = parse_time(cells["time"])
    if time is None:
        return bad(f"{cells['time']!r} is not a time of day", row, where["time"], _PART_HINT)
    return pd.Timestamp(stamp).normalize() + pd.Timedelta(hours=time.hour, minutes=time.minute, seconds=time.second)


def combine_date(parts: dict[str, pd.Series], where: dict[str, str], kind: str, formats: list[str] | None,
                 dayfirst: bool, rows: pd.Series, add: Report) -> pd.Series:
    """One date (or month, or date and time) per row from its ``parts`` (year, month, day, date, time).

    ``where`` names each part's heading for messages. Without a day the value
    is the month (a :class:`pandas.Period`), which a period column reads as
    the whole month; a blank time gives the date alone.
    """
    bad = _Bad(add, f"not-{kind}")
    names = list(parts)
    keys = list(zip(*(parts[n].tolist() for n in names)))
    seen: dict[tuple, Any] = {}
    out = []
    for key, row in zip(keys, rows.tolist()):
        if key in seen:
            out.append(seen[key])
            continue
        before = bad.count
        value = _one_date(dict(zip(names, key)), where, formats, dayfirst, row, bad)
        if bad.count == before:  # a bad value is reported at every row it is in, so only good ones are cached
            seen[key] = value
        out.append(value)
    bad.summary(next(iter(where.values())))
    return pd.Series(out, index=rows.index, dtype=object)


def sum_columns(parts: list[pd.Series], headings: list[str], rows: pd.Series, add: Report) -> pd.Series:
    """The row sum of count columns; a part that is not a value decides what the sum is.

    A part that cannot be read is reported and makes the sum missing; else a
    suppressed part makes it suppressed (``[c]``), a missing or blank part
    missing (``[x]``); a not-applicable part (``[z]``, ``-``) counts as 0,
    and a sum of only not-applicable parts is not applicable.
    """
    total = np.zeros(len(rows))
    worst = np.full(len(rows), "", dtype=object)
    all_na = np.ones(len(rows), dtype=bool)
    for series, heading in zip(parts, headings):
        bad = _Bad(add, "not-float")
        numbers = [parse_number(c) for c in series.tolist()]
        for i, (n, cell, row) in enumerate(zip(numbers, series.tolist(), rows.tolist())):
            status = "unreadable" if n is None else n.status
            if n is None:
                bad(f"{cell!r} is not a number", row, heading,
                    "correct the cell; symbols such as [c], [x], .. are understood")
            all_na[i] &= status == "not_applicable"
            if status == "value":
                total[i] += n.value
            elif status in SUM_SYMBOLS and (not worst[i] or list(SUM_SYMBOLS).index(status)
                                            < list(SUM_SYMBOLS).index(worst[i])):
                worst[i] = status
        bad.summary(heading)
    values = [SUM_SYMBOLS[w] if w else ("[z]" if na else float(t)) for w, na, t in zip(worst, all_na, total)]
    return pd.Series(values, index=rows.index, dtype=object)
