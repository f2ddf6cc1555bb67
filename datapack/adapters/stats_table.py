"""Published statistics tables (MoJ, HMPPS, Home Office): ODS, XLSX or CSV laid out for reading.

Such sheets put title rows above the header (often with the report date in
the text), may stack several tables on one sheet, mix total, sub-total and
section rows into the data, and end with notes. This adapter finds each table
and returns its data rows; configuration, not code, says which table to take
and how totals, sections and notes are told apart.

Cell *values* are left exactly as published: ``88688**``, ``[c]`` and ``..``
reach central mapping untouched, where :func:`datapack.adapters.cells.parse_number`
keeps suppressed, missing and zero apart. Only *headings* are cleaned of
footnote markers (``Population *`` becomes ``Population``); the headings as
published are kept in ``meta["headings_raw"]``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from datapack.adapters import register
from datapack.adapters.base import ROW, RawTable
from datapack.adapters.cells import date_in_text, is_blank, normalise_label, parse_number
from datapack.adapters.csv_text import decode, read_rows, sniff_delimiter
from datapack.adapters.layout import (clean_heading, expected_headings, find_header, is_total_label, join_headings,
                                      looks_like_heading_row, sheet_rows, unique_headings)
from datapack.adapters.spreadsheet import open_sheet
from datapack.problems import InputError, Problem

TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
DEFAULT_NOTES = r"^(notes?|sources?|definitions?)\b"

_NUMERIC_DATE = re.compile(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d{2}-\d{2}")
_DAY_MONTH_YEAR = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+((?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
                             r"[a-z]*)\.?,?\s+(\d{4})\b", re.IGNORECASE)


@dataclass(frozen=True)
class _Settings:
    tables: str
    table_title: re.Pattern | None
    date_row: re.Pattern | None
    notes: re.Pattern
    totals: re.Pattern | None  # None: the shared vocabulary of total labels
    keep_totals: bool
    section_column: str | None
    section_pattern: re.Pattern | None
    end_at_blank: bool


@dataclass
class _Block:
    """Where one stacked table sits: its title rows, (top) header row, heading rows and last row (0-based)."""

    titles: list[int]
    header: int
    end: int = 0
    heading_rows: int = 1

    @property
    def body(self) -> int:
        """The first row below the headings."""
        return self.header + self.heading_rows


@register
class StatsTableAdapter:
    """Published official statistics tables; chosen with ``format: stats_table``."""

    name = "stats_table"
    description = ("Published statistics table (ODS, XLSX or CSV): title rows, report date in text, "
                   "stacked tables, totals, section rows and notes handled by options.")
    extensions: tuple[str, ...] = ()  # a layout, not a file type: named in configuration, never detected
    options = {
        "tables": "'first' (default) or 'all': which of the tables stacked on the sheet to return.",
        "table_title": "Regex: return only the stacked table(s) whose title rows match.",
        "date_row": "Regex: take the report date only from title rows that match.",
        "notes_pattern": "Regex: a row whose first cell matches ends the table (default: Notes, Source, Definitions).",
        "end_at_blank": "true (default): a blank row after data ends the table; false: blank rows are skipped.",
        "total_pattern": "Regex on a row's first filled cell marking totals (default: Total, Sub total, Sub-total, "
                         "Subtotal, Grand total, All ..., England and Wales, National; case and punctuation ignored).",
        "keep_totals": "true: keep total rows (default false: set aside, counted in meta 'dropped_totals' and "
                       "checked against the sum of the rows).",
        "section_column": "Name of a column added to carry section labels (rows with only the first cell filled).",
        "section_pattern": "Regex: only single-cell rows that match are section labels.",
    }

    def read(self, path: Path, source: Any) -> list[RawTable]:
        """Every selected table on the sheet, each with its own title and meta."""
        settings = _settings(getattr(source, "options", None) or {}, path.name)
        sheet, rows, file_meta = _read_grid(path, source)
        where = {"file": path.name, "sheet": sheet}
        if not rows:
            raise InputError([Problem("empty-sheet", "there are no rows", **where,
                                      hint="check 'path' and 'sheet' point at the published table")])
        expected = expected_headings(source)
        heading_rows = getattr(source, "header_rows", 1) or 1
        if getattr(source, "header_rows", 1) == 0:
            raise InputError([Problem("config", "header_rows: 0 (no heading row) is not for format 'stats_table', "
                                      "which finds its tables by their headings", **where,
                                      hint="use format csv, xlsx or ods for a file without headings")])
        blocks = _find_tables(rows, _first_header(rows, source, expected, where, heading_rows), settings, expected,
                              heading_rows)
        chosen = _choose(blocks, rows, settings, where)
        sheet_date = _report_date(rows, blocks[0].titles, settings.date_row, getattr(source, "dayfirst", True))
        out = []
        for number, block in chosen:
            frame, meta = _frame(rows, block, settings, where)
            date = _report_date(rows, block.titles, settings.date_row, getattr(source, "dayfirst", True))
            # A date in the sheet's own title applies to every table stacked below it.
            meta["report_date"] = date or sheet_date
            meta.update(file_meta, table_number=number, titles=[_first_text(rows[i]) for i in block.titles])
            title = meta["titles"][0] if meta["titles"] else None
            out.append(RawTable(frame, file=path.name, sheet=sheet, meta=meta, title=title))
        return out


def _settings(options: dict[str, Any], file: str) -> _Settings:
    """Options checked all at once; every mistake reported with the allowed values."""
    problems: list[Problem] = []

    def bad(key: str, message: str, hint: str) -> None:
        problems.append(Problem("config", f"options.{key}: {message}", file=file, column=f"options.{key}", hint=hint))

    for key in options:
        if key not in StatsTableAdapter.options:
            bad(key, "is not an option of format 'stats_table'", f"use one of: {', '.join(StatsTableAdapter.options)}")

    def pattern(key: str, default: str | None) -> re.Pattern | None:
        text = options.get(key, default)
        if text is None:
            return None
        try:
            return re.compile(str(text), re.IGNORECASE)
        except re.error as exc:
            bad(key, f"is not a valid regular expression ({exc})", "fix the pattern, or quote it in the YAML")
            return None

    def flag(key: str, default: bool) -> bool:
        value = options.get(key, default)
        if not isinstance(value, bool):
            bad(key, f"must be true or false, not {value!r}", "write true or false")
            return default
        return value

    tables = str(options.get("tables", "first")).lower()
    if tables not in ("first", "all"):
        bad("tables", f"must be 'first' or 'all', not {options['tables']!r}", "write first or all")
    section_column = options.get("section_column")
    if section_column is not None and (not isinstance(section_column, str) or not section_column.strip()):
        bad("section_column", "must be a column name", "write the name of the column to add, e.g. section")
    settings = _Settings(tables, pattern("table_title", None), pattern("date_row", None),
                         pattern("notes_pattern", DEFAULT_NOTES), pattern("total_pattern", None),
                         flag("keep_totals", False), section_column, pattern("section_pattern", None),
                         flag("end_at_blank", True))
    if problems:
        raise InputError(problems)
    return settings


def _read_grid(path: Path, source: Any) -> tuple[str | None, list[list[Any]], dict[str, Any]]:
    """The sheet (workbooks) or the whole file (text) as rows of cells."""
    if path.suffix.lower() not in TEXT_SUFFIXES:
        sheet, rows = open_sheet(path, getattr(source, "sheet", None))
        return sheet, rows, {}
    text, encoding = decode(path.read_bytes(), path, getattr(source, "encoding", None))
    delimiter = (getattr(source, "delimiter", None)
                 or ("\t" if path.suffix.lower() == ".tsv" else sniff_delimiter(text)))
    rows = read_rows(text, delimiter, path.name)
    return None, rows, {"encoding": encoding, "delimiter": delimiter}


def _first_header(rows: list[list[Any]], source: Any, expected: set[str], where: dict, heading_rows: int) -> int:
    """The first table's (top) header: the configured row, or found; a sheet with none is an error."""
    if getattr(source, "header_row", None):
        if source.header_row + heading_rows - 1 > len(rows):
            raise InputError([Problem("header-missing", f"header_row is {source.header_row} with {heading_rows} "
                                      f"heading row(s), but there are only {len(rows)} rows", **where,
                                      hint="correct 'header_row' or 'header_rows'")])
        return source.header_row - 1
    header = find_header(rows, expected, header_rows=heading_rows)
    if not looks_like_heading_row(join_headings(rows[header:header + heading_rows]), expected):
        raise InputError([Problem("header-missing", "no header row found in the first 40 rows", **where,
                                  hint="set 'header_row' to the row number of the headings, or name the "
                                       "headings under 'columns' so they can be found")])
    return header


def _first_text(row: Sequence[Any]) -> str:
    return next((str(c).strip() for c in row if not is_blank(c)), "")


def _filled(row: Sequence[Any]) -> list[Any]:
    return [c for c in row if not is_blank(c)]


def _next_header(rows: list[list[Any]], start: int, settings: _Settings, expected: set[str],
                 stop_at_data: bool, heading_rows: int = 1) -> _Block | None:
    """The next stacked table's header at or after ``start``, with the title rows just above it.

    Single-cell rows are titles, except a notes block (a notes row up to the
    next blank row), after which titles start again. A data-like row either
    means no new table here (``stop_at_data``) or is skipped as stray notes.
    With several heading rows, see :func:`_top_heading_row`.
    """
    titles: list[int] = []
    in_notes = False
    for j in range(start, len(rows)):
        cells = _filled(rows[j])
        if not cells or in_notes:
            in_notes = in_notes and bool(cells)
            continue
        if settings.notes.search(_first_text(rows[j])):
            titles, in_notes = [], True
        elif len(cells) < 2:
            titles.append(j)
        elif looks_like_heading_row(rows[j], expected):
            top = _top_heading_row(rows, j, titles, expected, heading_rows)
            return _Block([t for t in titles if t < top], top, heading_rows=heading_rows)
        elif stop_at_data:
            return None
        else:
            titles = []
    return None


def _top_heading_row(rows: list[list[Any]], found: int, titles: list[int], expected: set[str],
                     heading_rows: int) -> int:
    """The top heading row of a table whose first heading-like row is ``found``.

    An upper heading row with a single heading merged across columns looks
    like a title. So title rows directly above ``found`` are taken as upper
    heading rows when the expected headings say so, or, without them, when
    the rows below ``found`` are not headings themselves.
    """
    candidates = [t for t in range(found - heading_rows + 1, found + 1) if all(i in titles for i in range(t, found))]
    if heading_rows == 1 or len(candidates) == 1:
        return found
    if expected:
        hits = {t: len({normalise_label(c) for c in join_headings(rows[t:t + heading_rows]) if c} & expected)
                for t in candidates}
        if max(hits.values()) > 0:
            return max(candidates, key=lambda t: (hits[t], t))
    below = rows[found + 1:found + heading_rows]
    return found if all(looks_like_heading_row(r, expected) for r in below) else candidates[0]


def _find_tables(rows: list[list[Any]], header: int, settings: _Settings, expected: set[str],
                 heading_rows: int = 1) -> list[_Block]:
    """Every table on the sheet, top to bottom; the first starts at ``header``."""
    block = _Block([i for i in range(header) if _filled(rows[i])], header, heading_rows=heading_rows)
    blocks = []
    while block is not None:
        block.end = _table_end(rows, block.body - 1, settings, expected)
        blocks.append(block)
        block = _next_header(rows, block.end + 1, settings, expected, stop_at_data=False, heading_rows=heading_rows)
    return blocks


def _table_end(rows: list[list[Any]], header: int, settings: _Settings, expected: set[str]) -> int:
    """0-based index of the last row that belongs to the table under ``header``."""
    last = header
    for i in range(header + 1, len(rows)):
        if not _filled(rows[i]):
            # Blank rows between the header and the first data row never end a table. Without
            # end_at_blank only a new title-and-header below does (a notes row ends it anyway).
            if last > header and (settings.end_at_blank
                                  or _next_header(rows, i, settings, expected, stop_at_data=True)):
                return last
            continue
        if settings.notes.search(_first_text(rows[i])):
            return last
        last = i
    return last


def _choose(blocks: list[_Block], rows: list[list[Any]], settings: _Settings, where: dict) -> list[tuple[int, _Block]]:
    """The tables the options ask for, numbered from 1 in sheet order."""
    numbered = list(enumerate(blocks, start=1))
    if settings.table_title:
        numbered = [(n, b) for n, b in numbered
                    if any(settings.table_title.search(" ".join(map(str, _filled(rows[i])))) for i in b.titles)]
        if not numbered:
            found = "; ".join(f"{_first_text(rows[b.titles[0]]) if b.titles else '(no title)'} "
                              f"(header row {b.header + 1})" for b in blocks)
            raise InputError([Problem("table-missing", f"no table has a title matching "
                                      f"{settings.table_title.pattern!r}", **where,
                                      hint=f"change 'table_title'; the tables found are: {found}")])
    return numbered if settings.tables == "all" else numbered[:1]


def _frame(rows: list[list[Any]], block: _Block, settings: _Settings, where: dict) -> tuple[pd.DataFrame, dict]:
    """The data rows of one table as a frame (headings cleaned, ``_row`` added) and its meta."""
    heading_rows = rows[block.header:block.body]
    raw = join_headings(heading_rows)
    cleaned = join_headings([[clean_heading(c) for c in r] for r in heading_rows])
    while raw and is_blank(raw[-1]):  # stray blank cells right of the table are not columns
        raw.pop()
    headings = unique_headings(cleaned[:len(raw)])
    width = len(headings)
    if settings.section_column in headings:
        raise InputError([Problem("config", f"options.section_column {settings.section_column!r} is already a "
                                  "heading in the table", **where, row=block.header + 1,
                                  hint="choose another name for the added column")])
    records, numbers, sections, totals, section = [], [], [], [], None
    for i in range(block.body, block.end + 1):
        cells = list(rows[i][:width]) + [None] * (width - len(rows[i]))
        filled = _filled(cells)
        if not filled:
            continue
        first = str(filled[0]).strip()
        if not settings.keep_totals and (settings.totals.search(first) if settings.totals else is_total_label(first)):
            # Set aside, not lost: central mapping checks the total against the sum of the rows.
            totals.append({**dict(zip(headings, [None if is_blank(c) else c for c in cells])), ROW: i + 1})
            continue
        if settings.section_column and _is_section(cells, first, settings):
            section = first
            continue
        records.append([None if is_blank(c) else c for c in cells])
        numbers.append(i + 1)
        sections.append(section)
    frame = pd.DataFrame(records, columns=headings, dtype=object)
    if settings.section_column:
        frame[settings.section_column] = pd.Series(sections, dtype=object)
    frame[ROW] = pd.array(numbers, dtype="Int64")
    meta = {"header_row": block.header + 1, "dropped_totals": len(totals), "total_rows": totals,
            "keep_totals": settings.keep_totals,
            "headings_raw": {h: r for h, r in zip(headings, raw)}}
    return frame, meta


def _is_section(cells: list[Any], first: str, settings: _Settings) -> bool:
    """Only the first cell filled, with words rather than a number (and matching ``section_pattern``)."""
    if is_blank(cells[0]) or _filled(cells[1:]) or parse_number(cells[0]) is not None:
        return False
    return settings.section_pattern is None or bool(settings.section_pattern.search(first))


def _report_date(rows: list[list[Any]], titles: list[int], date_row: re.Pattern | None,
                 dayfirst: bool) -> dt.date | None:
    """The date in the title rows: the first full day-month-year, else the first month-year."""
    partial = None
    for i in titles:
        cells = _filled(rows[i])
        if date_row and not date_row.search(" ".join(map(str, cells))):
            continue
        for cell in cells:
            full = _full_date(cell, dayfirst)
            if full:
                return full
            partial = partial or date_in_text(cell, dayfirst)
    return partial


def _full_date(cell: Any, dayfirst: bool) -> dt.date | None:
    """A date with its day: a date cell, ``26/1/2024``, ``2024-01-26`` or ``30 December 2024``."""
    if isinstance(cell, (dt.date, dt.datetime)):
        return date_in_text(cell)
    text = str(cell)
    if _NUMERIC_DATE.search(text):
        return date_in_text(text, dayfirst)
    if m := _DAY_MONTH_YEAR.search(text):
        try:
            return dt.datetime.strptime(f"{m[1]} {m[2][:3]} {m[3]}", "%d %b %Y").date()
        except ValueError:
            return None
    return None
