"""Workbooks (XLSX, XLSM, XLS, ODS), read with the fast calamine reader."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from python_calamine import CalamineWorkbook

from datapack.adapters import register
from datapack.adapters.base import RawTable
from datapack.adapters.layout import grid_to_frame, header_of, heading_rows, sheet_rows
from datapack.problems import InputError, Problem


def open_sheet(path: Path, sheet: str | int | None) -> tuple[str, list[list[Any]]]:
    """The named sheet (or index, or the first) as rows of cells.

    A sheet that is not there is reported with the sheets that are.
    """
    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises several private error types
        raise InputError([Problem("unreadable", f"cannot be opened as a workbook: {exc}", file=path.name,
                                  hint="check it is a real .xlsx/.ods file (not renamed), and re-export it")])
    names = book.sheet_names
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
    return name, sheet_rows(book.get_sheet_by_name(name).to_python(skip_empty_area=False))


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
        frame = grid_to_frame(rows, header, header_rows=heading_rows(source))
        return [RawTable(frame, file=path.name, sheet=name)]


@register
class OdsAdapter(SpreadsheetAdapter):
    """One table on one sheet of an OpenDocument spreadsheet (LibreOffice, government releases)."""

    name = "ods"
    description = "OpenDocument spreadsheet (.ods); one table per sheet."
    extensions = (".ods",)
