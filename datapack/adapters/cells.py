"""Reading single cells: numbers with footnote markers, suppression symbols, dates.

Published statistics keep three things apart that a careless reader merges:
a suppressed value (``[c]``), a true zero, and a missing value (``[x]``,
``..``). ``parse_number`` returns the value *and* its status so the
difference survives all the way to the page.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

Status = Literal["value", "suppressed", "missing", "not_applicable"]

#: Symbols used by UK government statistics for values that are not shown.
#: Keys are compared after stripping whitespace and lower-casing.
SYMBOLS: dict[str, Status] = {
    "[c]": "suppressed",
    "c": "suppressed",
    "*": "suppressed",
    "~": "suppressed",
    "[low]": "suppressed",
    "[x]": "missing",
    "x": "missing",
    "..": "missing",
    ":": "missing",
    "[u]": "missing",
    "n/a": "missing",
    "na": "missing",
    "[z]": "not_applicable",
    "z": "not_applicable",
    "-": "not_applicable",
    "–": "not_applicable",
}

#: Longer text is never a number or a date (and is not handed to the patterns, which would be slow on it).
MAX_NUMBER_CHARS = 100
MAX_DATE_CHARS = 64
#: The dates a canonical table can hold (pandas' nanosecond range, whole days inside it).
EARLIEST = pd.Timestamp("1678-01-01")
LATEST = pd.Timestamp("2261-12-31 23:59:59")

_NUMBER = re.compile(r"^\s*([-+]?\(?[£$]?\s*[-+]?[\d,]*\.?\d+(?:[eE][-+]?\d+)?\)?)\s*%?\s*(?:\[[^\]]*\]|[*~†‡#a-zA-Z]{0,3}\d?)?\s*$")


@dataclass(frozen=True)
class Number:
    """A parsed numeric cell: ``value`` is None unless ``status == 'value'``."""

    value: float | None
    status: Status
    raw: Any = None
    footnote: bool = False


def is_blank(cell: Any) -> bool:
    """True for None, NaN, and strings that are empty after stripping."""
    if cell is None:
        return True
    if isinstance(cell, float) and math.isnan(cell):
        return True
    if cell is pd.NA or cell is pd.NaT:
        return True
    return isinstance(cell, str) and not cell.strip()


def parse_number(cell: Any, symbols: dict[str, Status] | None = None) -> Number | None:
    """Parse a numeric cell, keeping suppressed, missing and zero apart.

    Returns None when the cell is not a number at all (the caller reports it),
    and for infinities and values too large for a float (``1e999``): no
    count or population is infinite. Footnote markers after the digits
    (``88688**``, ``17~``, ``12[note 3]``) are dropped and flagged; thousands
    separators are removed.
    """
    symbols = SYMBOLS if symbols is None else symbols
    if is_blank(cell):
        return Number(None, "missing", cell)
    if isinstance(cell, bool):
        return Number(float(cell), "value", cell)
    if isinstance(cell, (int, float)):
        try:
            value = float(cell)
        except OverflowError:
            return None
        return Number(value, "value", cell) if math.isfinite(value) else None
    text = str(cell).strip()
    key = text.lower()
    if key in symbols:
        return Number(None, symbols[key], cell)
    if len(text) > MAX_NUMBER_CHARS:
        return None
    match = _NUMBER.match(text)
    if not match:
        return None
    digits = match.group(1)
    negative = digits.startswith("(") and digits.endswith(")")
    digits = re.sub(r"[(),£$\s]", "", digits)
    try:
        value = float(digits)
    except ValueError:
        return None
    if not math.isfinite(value):
        return None
    footnote = match.end(1) < len(text.rstrip()) and not text.rstrip().endswith("%")
    return Number(-value if negative else value, "value", cell, footnote)


_DATE_IN_TEXT = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})")
_ISO_IN_TEXT = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_MONTH_YEAR = re.compile(
    r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(\d{4})\b", re.IGNORECASE
)
_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}


def date_in_text(text: Any, dayfirst: bool = True) -> dt.date | None:
    """Find a date inside free text such as ``Report Date : 26/1/2024``.

    Tries d/m/yyyy (or m/d when ``dayfirst`` is False), then ISO, then
    "Month YYYY" (the first of that month).
    """
    if is_blank(text):
        return None
    if isinstance(text, dt.datetime):
        return text.date()
    if isinstance(text, dt.date):
        return text
    text = str(text)
    if m := _ISO_IN_TEXT.search(text):
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            pass
    if m := _DATE_IN_TEXT.search(text):
        a, b, year = int(m[1]), int(m[2]), int(m[3])
        year = year + 2000 if year < 100 else year
        day, month = (a, b) if dayfirst else (b, a)
        try:
            return dt.date(year, month, day)
        except ValueError:
            return None
    if m := _MONTH_YEAR.search(text):
        return dt.date(int(m[2]), _MONTHS[m[1][:3].lower()], 1)
    return None


#: ``dates:`` keyword: numbers are Excel serial day numbers (42615 is 2 September 2016).
EXCEL = "excel"
#: ``dates:`` keyword: ``2011-12`` is the financial year 2011/12, not December 2011.
FINANCIAL_YEAR = "financial_year"
#: Words allowed among the strptime formats under ``dates:``.
DATE_KEYWORDS = (EXCEL, FINANCIAL_YEAR)
#: Numbers read as Excel serial day numbers: 18 May 1927 to 1 March 2201. No year (at most four
#: digits), YYYYMM (six, from 190001) or YYYYMMDD (eight) falls in this range, so none is misread.
SERIAL_RANGE = (10_000, 110_000)
_EXCEL_EPOCH = pd.Timestamp(1899, 12, 30)  # serial 1 is 1 January 1900 (Excel counts a 29 February 1900)


def strptime_formats(formats: str | list[str] | None) -> list[str]:
    """The strptime formats among ``dates:`` settings, without the keywords."""
    formats = [formats] if isinstance(formats, str) else list(formats or [])
    return [f for f in formats if f.strip().lower() not in DATE_KEYWORDS]


def serial_number(cell: Any) -> float | None:
    """The number in ``cell`` when it is in :data:`SERIAL_RANGE` (a number or digits as text), else None."""
    if isinstance(cell, bool):
        return None
    if isinstance(cell, (int, float)):
        value = float(cell)
    elif isinstance(cell, str) and re.fullmatch(r"\s*\d+(\.\d+)?\s*", cell):
        value = float(cell)
    else:
        return None
    return value if SERIAL_RANGE[0] <= value < SERIAL_RANGE[1] else None


def from_serial(value: float) -> pd.Timestamp:
    """The date (and time, from the fraction) of an Excel serial day number, to the second."""
    return (_EXCEL_EPOCH + pd.Timedelta(days=value)).round("s")


def cell_text(cell: Any) -> str:
    """A cell as text, whole numbers without ``.0`` (spreadsheets give 2019 as 2019.0)."""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def parse_date(cell: Any, formats: list[str] | None = None, dayfirst: bool = True) -> pd.Timestamp | None:
    """Parse one date or date-time cell; None when it cannot be read.

    Spreadsheet dates arrive as ``datetime``; a number in :data:`SERIAL_RANGE`
    is an Excel serial day number; text is tried against the configured
    ``formats`` first, then ISO, then day-first guessing (UK exports write
    03/04/2024 for 3 April). A date outside the years a table can hold
    (:data:`EARLIEST` to :data:`LATEST`, e.g. 1066) is None.
    """
    stamp = _parse_date(cell, formats, dayfirst)
    if stamp is None or pd.isna(stamp):
        return None
    if stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)
    return stamp if EARLIEST <= stamp <= LATEST else None


def _parse_date(cell: Any, formats: list[str] | None, dayfirst: bool) -> pd.Timestamp | None:
    if is_blank(cell):
        return None
    if isinstance(cell, pd.Timestamp):
        return cell
    if isinstance(cell, (dt.datetime, dt.date)):
        return pd.Timestamp(cell)
    if isinstance(cell, pd.Period):
        return cell.start_time
    if (serial := serial_number(cell)) is not None:
        return from_serial(serial)
    text = cell_text(cell)
    if len(text) > MAX_DATE_CHARS:
        return None
    for fmt in strptime_formats(formats):
        try:
            return pd.Timestamp(dt.datetime.strptime(text, fmt))
        except ValueError:
            continue
    try:
        if re.match(r"^\d{4}-\d{2}(-\d{2})?([T ][\d:.]+)?(Z|[+-]\d{2}:?\d{2})?$", text):
            stamp = pd.Timestamp(text)
            return stamp.tz_localize(None) if stamp.tzinfo else stamp  # keep local wall time
        if re.match(r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}([ T][\d:]+)?$", text):
            return pd.Timestamp(pd.to_datetime(text, dayfirst=dayfirst))
    except (ValueError, OverflowError, pd.errors.OutOfBoundsDatetime):
        return None
    return None


_MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
                "october", "november", "december")


def month_number(cell: Any) -> int | None:
    """1-12 from a month name (``Jan``, ``January``, ``Sept``, ``JAN.``) or number (``1``, ``01``, 1.0)."""
    if is_blank(cell) or isinstance(cell, bool):
        return None
    text = cell_text(cell).lower().rstrip(".")
    if text.isdigit():
        return int(text) if 1 <= int(text) <= 12 else None
    if len(text) < 3:
        return None
    for number, name in enumerate(_MONTH_NAMES, start=1):
        if name.startswith(text) or (number == 9 and text == "sept"):
            return number
    return None


def whole_number(cell: Any) -> int | None:
    """A whole number from a number or digits as text (``2019``, 2019.0, ``07``); None otherwise."""
    if is_blank(cell) or isinstance(cell, bool):
        return None
    if isinstance(cell, float):
        return int(cell) if cell.is_integer() else None
    if isinstance(cell, int):
        return cell
    text = str(cell).strip()
    text = text[:-2] if text.endswith(".0") else text
    return int(text) if text.isdigit() else None


_TIME = re.compile(r"(\d{1,2})(?:[:.](\d{2})(?:[:.](\d{2})(?:\.\d+)?)?)?\s*([ap])?\.?(m\.?)?", re.IGNORECASE)


def parse_time(cell: Any) -> dt.time | None:
    """A time of day: ``14:05``, ``14:05:30``, ``2:05 pm``, ``2pm``, ``1405``, a time or date-time cell, or a
    fraction of a day (0.5 is noon, as spreadsheets store times). None when it is not one."""
    if isinstance(cell, dt.datetime):
        return cell.time()
    if isinstance(cell, dt.time):
        return cell
    if isinstance(cell, dt.timedelta):
        return (dt.datetime.min + cell).time() if dt.timedelta(0) <= cell < dt.timedelta(days=1) else None
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        if not 0 <= cell < 1:
            return None
        seconds = round(cell * 86400)
        return dt.time(*divmod(divmod(seconds, 60)[0], 60), seconds % 60) if seconds < 86400 else None
    if is_blank(cell):
        return None
    text = str(cell).strip()
    if re.fullmatch(r"\d{3,4}", text):  # 1405, 905: hours and minutes without a separator
        text = f"{text[:-2]}:{text[-2:]}"
    match = _TIME.fullmatch(text)
    if not match or (match[2] is None and match[4] is None):  # a bare number is not a time
        return None
    hour, minute, second = int(match[1]), int(match[2] or 0), int(match[3] or 0)
    if match[4]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if match[4].lower() == "p" else 0)
    try:
        return dt.time(hour, minute, second)
    except ValueError:
        return None


def normalise_label(text: Any) -> str:
    """Case- and punctuation-insensitive key for matching labels and headings."""
    if is_blank(text):
        return ""
    text = str(text).strip().lower().replace("&", " and ")
    text = re.sub(r"['’]", "", text)
    text = re.sub(r"[\W_]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()
