"""Workbooks (XLSX, XLSM, XLS, ODS), read with the fast calamine reader."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from python_calamine import CalamineWorkbook

from datapack.adapters import guard, register
from datapack.adapters.base import RawTable
from datapack.adapters.layout import (duplicate_headings, expected_headings, grid_to_frame, header_of, heading_rows,
                                      join_headings, sheet_rows)
from datapack.problems import InputError, Problem


def _unreadable(path: Path, exc: Exception, sheet: str | None = None) -> InputError:
    text = str(exc)
    if "password" in text.lower() or "encrypt" in text.lower():
        hint = "remove the workbook's password, save a copy and use that"
    else:
        hint = "check it is a real .xlsx/.ods file (not renamed, truncated or damaged), and re-export it"
    return InputError([Problem("unreadable", f"cannot be read as a workbook: {text or type(exc).__name__}",
                               file=path.name, sheet=sheet, hint=hint)])


def open_sheet(path: Path, sheet: str | int | None) -> tuple[str, list[list[Any]]]:
    """The named sheet (or index, or the first) as rows of cells.

    A sheet that is not there is reported with the sheets that are; a sheet
    wider or longer than the limits is refused.
    """
    try:
        book = CalamineWorkbook.from_path(str(path))
        names = book.sheet_names
    except Exception as exc:  # calamine raises several private error types
        raise _unreadable(path, exc) from None
    if not names:
        raise InputError([Problem("sheet-missing", "the workbook has no sheets", file=path.name,
                                  hint="check it is the export itself, and re-export it")])
    if sheet is None:
        name = names[0]
    elif isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            raise InputError([Problem("sheet-missing", f"there is no sheet number {sheet} (0-based)",
                                      file=path.name, hint=f"sheets are: {', '.join(names)}")])
        name = names[sheet]
    else:
        matches = [n for n in names if n.strip().lower() == sheet.strip().lower()]
        if not matches:
            raise InputError([Problem("sheet-missing", f"there is no sheet called {sheet!r}", file=path.name,
                                      sheet=sheet, hint=f"set 'sheet' to one of: {', '.join(names)}")])
        name = matches[0]
    try:
        grid = book.get_sheet_by_name(name)
        lim = guard.limits()
        if grid.height > lim.rows or grid.width > lim.columns or grid.height * grid.width > lim.cells:
            raise InputError([Problem("too-large", f"the sheet is {grid.height:,} rows by {grid.width:,} columns, "
                                      "above the limits (limits.rows, limits.columns, limits.cells)",
                                      file=path.name, sheet=name,
                                      hint="delete empty rows and columns far from the table and save again; "
                                      "raise the limits in the configuration if it is genuine")])
        rows = grid.to_python(skip_empty_area=False)
    except InputError:
        raise
    except Exception as exc:
        raise _unreadable(path, exc, name) from None
    return name, sheet_rows(rows)


@register
class SpreadsheetAdapter:
    """One table on one sheet of a workbook."""

    name = "xlsx"
    description = "Excel workbook (.xlsx, .xlsm, .xls); one table per sheet."
    extensions = (".xlsx", ".xlsm", ".xls")
    options: dict[str, str] = {}

    def read(self, path: Path, source: Any) -> list[RawTable]:
        name, rows = open_sheet(path, source.sheet)
        if not rows:
            raise InputError([Problem("empty-sheet", "the sheet has no rows", file=path.name, sheet=name,
                                      hint="check 'sheet' names the sheet with the data")])
        header = header_of(rows, source, {"file": path.name, "sheet": name})
        n = heading_rows(source)
        frame = grid_to_frame(rows, header, header_rows=n)
        problems = duplicate_headings(join_headings(rows[header:header + n]), header + n, expected_headings(source),
                                      path.name, name) if n else []
        if frame.empty:
            problems.append(Problem("no-rows", "the sheet has headings but no rows of data", file=path.name,
                                    sheet=name, row=header + max(n, 1), severity="warning",
                                    hint="check 'sheet' names the sheet with the data"))
        return [RawTable(frame, file=path.name, sheet=name, problems=problems)]


@register
class OdsAdapter(SpreadsheetAdapter):
    """One table on one sheet of an OpenDocument spreadsheet (LibreOffice, government releases)."""

    name = "ods"
    description = "OpenDocument spreadsheet (.ods); one table per sheet."
    extensions = (".ods",)
