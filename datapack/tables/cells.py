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


def parse_date(cell: Any, formats: list[str] | None = None, dayfirst: bool = True) -> pd.Timestamp | None:
    """Parse one date or date-time cell; None when it cannot be read.

    Spreadsheet dates arrive as ``datetime``; text is tried against the
    configured ``formats`` first, then ISO, then day-first guessing (UK
    exports write 03/04/2024 for 3 April). A date outside the years a
    table can hold (:data:`EARLIEST` to :data:`LATEST`, e.g. 1066) is None.
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
    text = str(cell).strip()
    if len(text) > MAX_DATE_CHARS:
        return None
    for fmt in formats or []:
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


def normalise_label(text: Any) -> str:
    """Case- and punctuation-insensitive key for matching labels and headings."""
    if is_blank(text):
        return ""
    text = str(text).strip().lower().replace("&", " and ")
    text = re.sub(r"['’]", "", text)
    text = re.sub(r"[\W_]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()
