"""Period labels: financial and calendar years, quarters, months and N-month windows.

Published counts describe periods, not days: ``2019/20``, ``Q3 2019``,
``Jul-Sep 2019``, ``12 months to March 2024``. :func:`parse_period` reads a
label as its first and last day, so a table's ``period_start`` and
``period_end`` both come from one label. A plain date is a period of one
day with no stated end.

``2011-12`` may be the financial year 2011/12 or December 2011. Such a label
carries both readings; :func:`resolve` picks one from the other labels of the
same column, and a column that cannot tell is reported, never guessed.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Callable

import pandas as pd

from datapack.adapters.cells import FINANCIAL_YEAR, is_blank, month_number, parse_date, strptime_formats, whole_number

_MON = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
        r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_FY = r"(?:fy|financial year|fin year)?\s*(?P<y1>\d{4})\s*(?P<sep>[/-])\s*(?P<y2>\d{4}|\d{2})(?:\s*fy)?"
_FY_TO = r"(?:fy|financial year|fin year)\s*(?P<y1>\d{4})\s+(?P<sep>to)\s+(?P<y2>\d{4})"
#: Provisional and revised flags and footnotes after a label: 2023/24p, 2019 (r), Q3 2019 [note 2], 2020*.
_MARKERS = re.compile(r"(?:\s*(?:\[[^\]]*\]|\((?:p|r|provisional|revised)\)|[*†‡]+)|(?<=\d)\s*[pr])+$")
_TO = r"\s+(?:to|ending|ended)\s+(?:(?P<day>\d{1,2})\s+)?(?P<m>" + _MON + r")\s*(?P<y>\d{4})"
_NUMBER_WORDS = {"one": 1, "three": 3, "six": 6, "nine": 9, "twelve": 12, "eighteen": 18, "twenty four": 24,
                 "year": 12, "quarter": 3}

#: Label patterns by grain, tried in this order against the whole label (lower case, dashes unified).
_PATTERNS: dict[str, list[re.Pattern]] = {grain: [re.compile(p) for p in patterns] for grain, patterns in {
    "fy_quarter": [_FY + r"\s*-?\s*q(?P<q>[1-4])", r"q(?P<q>[1-4])\s*-?\s*" + _FY],
    "financial_year": [_FY, _FY_TO],
    "quarter": [r"(?P<y>\d{4})\s*-?\s*q(?P<q>[1-4])", r"(?:q|quarter |qtr )(?P<q>[1-4])\s*[-/]?\s*(?P<y>\d{4})"],
    "months": [r"(?P<m1>" + _MON + r")\s*(?P<y1>\d{4})?\s*(?:-|to)\s*(?P<m2>" + _MON + r")\s*(?P<y2>\d{4})"],
    "window": [r"(?:rolling\s+)?(?:(?P<n>\d+|" + "|".join(_NUMBER_WORDS) + r")\s*(?:months?)?)" + _TO],
    "month": [r"(?P<m>" + _MON + r")\s*[-/]?\s*(?P<y>\d{4})", r"(?P<y>\d{4})\s*-?\s*(?P<m>" + _MON + r")",
              r"(?P<y>\d{4})\s*(?:-|m)\s*(?P<mm>\d{2})", r"(?P<mm>\d{1,2})\s*[/.-]\s*(?P<y>\d{4})"],
    "year": [r"(?:cy|calendar year|year)?\s*(?P<y>\d{4})"],
}.items()}


@dataclass(frozen=True)
class Period:
    """A period read from a label: its first day, its last day (None for a single date) and its grain.

    ``other`` is a second reading of an ambiguous label (``2011-12``: the
    financial year, or December 2011), for :func:`resolve` to choose between.
    """

    start: pd.Timestamp
    end: pd.Timestamp | None
    grain: str  # day, month, quarter, months, year, financial_year, fy_quarter, window
    other: "Period | None" = None


def _month_period(year: int, month: int, count: int = 1, grain: str = "month") -> Period:
    first = pd.Period(year=year, month=month, freq="M")
    return Period(first.start_time, (first + count - 1).end_time.normalize(), grain)


def _fy_start(first: str, second: str) -> int | None:
    """The first calendar year of a financial-year label, or None unless the second year follows the first."""
    year = int(first)
    follows = int(second) == year + 1 if len(second) == 4 else int(second) == (year + 1) % 100
    return year if follows else None


def _label(text: str, year_start: int, force_fy: bool) -> Period | None:
    """A period from label text (already lower case, dashes unified), or None."""
    for grain, patterns in _PATTERNS.items():
        for pattern in patterns:
            if (m := pattern.fullmatch(text)) and (period := _from_match(grain, m.groupdict(), year_start, force_fy)):
                return period
    return None


def _from_match(grain: str, g: dict[str, str | None], year_start: int, force_fy: bool) -> Period | None:
    if grain in ("financial_year", "fy_quarter"):
        first = _fy_start(g["y1"], g["y2"])
        if first is None:
            return None
        if grain == "fy_quarter":
            start = pd.Period(year=first, month=year_start, freq="M") + 3 * (int(g["q"]) - 1)
            return _month_period(start.year, start.month, 3, "fy_quarter")
        period = _month_period(first, year_start, 12, "financial_year")
        if g["sep"] == "-" and len(g["y2"]) == 2 and 1 <= int(g["y2"]) <= 12 and not force_fy:
            # 2011-12 is also December 2011 written as an ISO year and month
            return Period(period.start, period.end, period.grain, _month_period(int(g["y1"]), int(g["y2"])))
        return period
    if grain == "quarter":
        return _month_period(int(g["y"]), 3 * int(g["q"]) - 2, 3, "quarter")
    if grain == "months":
        first_month, last_month, last_year = month_number(g["m1"]), month_number(g["m2"]), int(g["y2"])
        first_year = int(g["y1"]) if g["y1"] else last_year - (first_month > last_month)
        count = (last_year - first_year) * 12 + last_month - first_month + 1
        return _month_period(first_year, first_month, count, "months") if count > 0 else None
    if grain == "window":
        count = _NUMBER_WORDS.get(g["n"]) or int(g["n"])
        if count < 1:
            return None
        if g["day"]:  # to a given day: the window ends on it and starts the day after, count months earlier
            try:
                end = pd.Timestamp(int(g["y"]), month_number(g["m"]), int(g["day"]))
            except ValueError:
                return None
            return Period(end - pd.DateOffset(months=count) + pd.Timedelta(days=1), end, "window")
        last = pd.Period(year=int(g["y"]), month=month_number(g["m"]), freq="M")
        return Period((last - (count - 1)).start_time, last.end_time.normalize(), "window")
    if grain == "month":
        month = int(g["mm"]) if g.get("mm") else month_number(g["m"])
        return _month_period(int(g["y"]), month) if month and 1 <= month <= 12 else None
    year = int(g["y"])
    return Period(pd.Timestamp(year, 1, 1), pd.Timestamp(year, 12, 31), "year")


def _format_grain(fmt: str) -> str:
    """The grain a strptime format describes: a day if it has a day, else a month, else a year."""
    if re.search(r"%[djUWaAuwcxGV]", fmt):
        return "day"
    if re.search(r"%[mbBh]", fmt):
        return "month"
    return "year" if re.search(r"%[yY]", fmt) else "day"


def _grain_period(stamp: pd.Timestamp, grain: str) -> Period:
    if grain == "month":
        return _month_period(stamp.year, stamp.month)
    if grain == "year":
        return Period(pd.Timestamp(stamp.year, 1, 1), pd.Timestamp(stamp.year, 12, 31), "year")
    return Period(stamp, None, "day")


def parse_period(cell: Any, formats: str | list[str] | None = None, dayfirst: bool = True,
                 year_start: int = 4) -> Period | None:
    """The period a cell names, or None when it names none.

    Text is tried against the configured strptime ``formats`` (a format
    without a day names a month, without a month a year), then period labels,
    then as a date. A number from 1000 to 9999 is a calendar year; other
    numbers are dates as :func:`~datapack.adapters.cells.parse_date` reads them
    (Excel serials). A date is a period of one day with no stated end.
    ``year_start`` is the month financial years begin (4, April).
    """
    if is_blank(cell):
        return None
    if isinstance(cell, pd.Period):
        return Period(cell.start_time, cell.end_time.normalize(), "month" if cell.freqstr.startswith("M") else "day")
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        year = whole_number(cell)
        if year is not None and 1000 <= year <= 9999:
            return Period(pd.Timestamp(year, 1, 1), pd.Timestamp(year, 12, 31), "year")
    elif isinstance(cell, str):
        text = cell.strip()
        for fmt in strptime_formats(formats):
            try:
                return _grain_period(pd.Timestamp(dt.datetime.strptime(text, fmt)), _format_grain(fmt))
            except ValueError:
                continue
        keywords = [f.strip().lower() for f in ([formats] if isinstance(formats, str) else formats or [])]
        label = _MARKERS.sub("", re.sub(r"\s+", " ", re.sub("[\u2010-\u2015]", "-", text.lower())))
        if (period := _label(label, year_start, FINANCIAL_YEAR in keywords)) is not None:
            return period
    stamp = parse_date(cell, strptime_formats(formats), dayfirst)
    return Period(stamp, None, "day") if stamp is not None else None


def resolve(periods: dict[Any, Period | None]) -> tuple[dict[Any, Period | None], list[Any]]:
    """One reading for each ambiguous label, chosen from the other labels of its column.

    A column holding an unambiguous financial year (``2012-13``) and no plain
    month reads ``2011-12`` as a financial year; one holding months
    (``2011-11``) and no financial year reads it as December. Labels that
    stay ambiguous are returned (second item) for the caller to report.
    """
    plain = [p for p in periods.values() if p is not None and p.other is None]
    years = any(p.grain in ("financial_year", "fy_quarter") for p in plain)
    months = any(p.grain == "month" for p in plain)
    out, unresolved = {}, []
    for key, p in periods.items():
        if p is None or p.other is None:
            out[key] = p
        elif years != months:
            chosen = p if years else p.other
            out[key] = Period(chosen.start, chosen.end, chosen.grain)
        else:
            out[key], _ = None, unresolved.append(key)
    return out, unresolved


#: Columns read as periods (``month`` only where it is a month column, as in population).
PERIOD_COLUMNS = ("period_start", "period_end", "month")
_GRAIN_WORDS = {"financial_year": "a financial year", "fy_quarter": "a quarter of a financial year",
                "quarter": "a quarter", "months": "a span of months", "window": "a span of months", "year": "a year"}
_PERIOD_HINT = ("write a period as 2019/20, 2019, Q3 2019, 2019/20 Q1, Jul-Sep 2019, Jan 2019 or "
                "12 months to March 2024, or a date; or add its strptime format under 'dates:'")
_LIMIT = 20


def _read(frame: pd.DataFrame, column: str, source: Any, add: Callable[..., None], heading: str) -> list:
    """Each row's period in ``column`` (None where blank or unreadable, which is reported)."""
    values = frame[column].tolist()
    keys = {cell_key(v): v for v in values if not is_blank(v)}
    formats = source.dates.get(column)
    found, unresolved = resolve({k: parse_period(v, formats, source.dayfirst, source.financial_year_start)
                                 for k, v in keys.items()})
    reported = 0
    for value, row in zip(values, frame["_row"].tolist()):
        key = cell_key(value)
        if is_blank(value) or found.get(key) is not None:
            continue
        reported += 1
        if reported > _LIMIT:
            continue
        if key in unresolved:
            label = str(value).strip()
            add("period-ambiguous", f"{label!r} could be the financial year {label.replace('-', '/')} or a month "
                f"({found_month(label)})", row, heading,
                hint="add 'financial_year' under 'dates:' for this column to read financial years, "
                     "or '%Y-%m' to read months")
        else:
            add(f"not-{'month' if column == 'month' else 'date'}", f"{value!r} is not a period or a date", row,
                heading, hint=_PERIOD_HINT)
    if reported > _LIMIT:
        add("more", f"{reported - _LIMIT} more cells like these in this column", column=heading,
            hint="fix the first ones shown; the rest are probably the same")
    return [None if is_blank(v) else found.get(cell_key(v)) for v in values]


def cell_key(cell: Any) -> Any:
    """A hashable key for a cell (lists and NaN made comparable)."""
    return repr(cell) if isinstance(cell, (list, dict, float)) else cell


def found_month(label: str) -> str:
    """``December 2011`` for ``2011-12``."""
    year, month = label.split("-")
    return pd.Timestamp(int(year), int(month), 1).strftime("%B %Y")


def _stamps(values: list) -> pd.Series:
    return pd.Series(pd.to_datetime(pd.Series(values, dtype=object)), dtype="datetime64[ns]")


def coerce_periods(frame: pd.DataFrame, table: str, source: Any, add: Callable[..., None],
                   heading_of: Callable[[Any, str], str]) -> set[str]:
    """``period_start`` and ``period_end`` (and a monthly table's ``month``) read as periods, in place.

    A label mapped to ``period_start`` gives ``period_end`` too, where that
    is not given. A ``month`` must name a month (or a date in it). Returns the
    columns done, which the caller then leaves alone.
    """
    from datapack.tables import schemas

    kinds = {c.name: c.kind for c in schemas.columns(table)}
    done: set[str] = set()
    read = {c: _read(frame, c, source, add, heading_of(source, c))
            for c in ("period_start", "period_end") if c in kinds and c in frame.columns}
    if "period_start" in read:
        frame["period_start"] = _stamps([p.start if p else None for p in read["period_start"]]).dt.normalize().values
        done.add("period_start")
    if "period_end" in kinds and read:
        starts = read.get("period_start", [None] * len(frame))
        ends = read.get("period_end", [None] * len(frame))
        # an end given wins (a date is its own end); else the end of the start's label
        values = [(e.end if e.end is not None else e.start) if e else (s.end if s else None)
                  for s, e in zip(starts, ends)]
        frame["period_end"] = _stamps(values).dt.normalize().values
        done.add("period_end")
    for column in [c for c, kind in kinds.items() if kind == "month" and c in frame.columns]:
        months = []
        for p, row in zip(_read(frame, column, source, add, heading_of(source, column)), frame["_row"].tolist()):
            if p is not None and p.grain not in ("day", "month"):
                add("not-month", f"{p.start:%d %B %Y} to {p.end:%d %B %Y} is {_GRAIN_WORDS[p.grain]}, not a month",
                    row, heading_of(source, column), hint=f"the {table} table holds one row per month: map a month "
                    "or a date, or put one together from year and month columns with 'date_parts'")
                p = None
            months.append(p.start if p else None)
        frame[column] = _stamps(months).dt.to_period("M").dt.to_timestamp().values
        done.add(column)
    return done
