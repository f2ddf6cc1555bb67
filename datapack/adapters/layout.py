"""Finding the table in a grid of cells: header row, data rows, where they end.

Shared by every adapter that reads a grid (CSV, spreadsheets). The header is
the configured row, or else the row that holds most of the headings the
configuration expects, or else the first row that looks like headings.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

import pandas as pd

from datapack.adapters.base import ROW
from datapack.problems import InputError, Problem
from datapack.tables.cells import is_blank, normalise_label


def expected_headings(source: Any) -> set[str]:
    """Normalised headings the configuration names for ``source`` (for header detection)."""
    found: set[str] = set()
    for value in getattr(source, "columns", {}).values():
        for v in [value] if isinstance(value, str) else value:
            if not v.startswith(("@", "path:")):
                found.add(normalise_label(v))
    for heading in getattr(source, "skip_rows", {}):
        found.add(normalise_label(heading))
    unpivot = getattr(source, "unpivot", None)
    for heading in (getattr(unpivot, "columns", None) or []):
        found.add(normalise_label(heading))
    return found - {""}


def _looks_like_header(row: Sequence[Any], width: int) -> bool:
    cells = [c for c in row if not is_blank(c)]
    if len(cells) < max(2, (width + 1) // 2):
        return False
    texts = [c for c in cells if isinstance(c, str)]
    return len(texts) >= 0.8 * len(cells)


def find_header(rows: Sequence[Sequence[Any]], expected: set[str] | None = None, scan: int = 40) -> int:
    """0-based index of the header row in ``rows``."""
    head = rows[:scan]
    if expected:
        best, best_hits = -1, 0
        for i, row in enumerate(head):
            hits = len({normalise_label(c) for c in row if not is_blank(c)} & expected)
            if hits > best_hits:
                best, best_hits = i, hits
        if best >= 0:
            return best
    width = max((len(r) for r in head), default=0)
    for i, row in enumerate(head):
        if _looks_like_header(row, width):
            return i
    return 0


def header_from_config(rows: Sequence[Sequence[Any]], source: Any, file: str, sheet: str | None = None) -> int:
    """0-based index of the configured ``header_row``; a row past the end is a problem saying how many there are."""
    if source.header_row > len(rows):
        raise InputError([Problem("header-missing", f"header_row is {source.header_row} but there are only "
                                  f"{len(rows)} rows", file=file, sheet=sheet,
                                  hint="correct 'header_row', or remove it to have the header found")])
    return source.header_row - 1


def duplicate_headings(row: Sequence[Any], row_number: int, expected: set[str], file: str,
                       sheet: str | None = None) -> list[Problem]:
    """Warnings for configured headings that appear more than once in the header row (the first is used)."""
    seen: dict[str, list[int]] = {}
    for i, cell in enumerate(row, start=1):
        key = normalise_label(cell)
        if key and key in expected:
            seen.setdefault(key, []).append(i)
    return [Problem("heading-duplicate", f"heading {str(row[places[0] - 1]).strip()!r} appears {len(places)} "
                    f"times (columns {', '.join(map(str, places))}); the first is used", file=file, sheet=sheet,
                    row=row_number, column=str(row[places[0] - 1]).strip(), severity="warning",
                    hint="rename the other columns in the export, or check which one holds the data")
            for places in seen.values() if len(places) > 1]


def unique_headings(row: Sequence[Any]) -> list[str]:
    """Headings as text, blanks named ``column_N`` and repeats suffixed ``_2``, ``_3``."""
    out: list[str] = []
    seen: dict[str, int] = {}
    for i, cell in enumerate(row, start=1):
        name = f"column_{i}" if is_blank(cell) else str(cell).strip()
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 1
        out.append(name)
    return out


def grid_to_frame(rows: Sequence[Sequence[Any]], header: int, first_row_number: int = 1,
                  stop_at_blank: bool = False) -> pd.DataFrame:
    """Cells below ``header`` as a frame with a ``_row`` column; blank rows dropped.

    With ``stop_at_blank`` the table ends at the first wholly blank row (notes
    below a published table are then left out).
    """
    headings = unique_headings(rows[header])
    width = len(headings)
    records: list[list[Any]] = []
    numbers: list[int] = []
    for offset, row in enumerate(rows[header + 1:], start=header + 1):
        cells = list(row[:width]) + [None] * (width - len(row))
        if all(is_blank(c) for c in cells):
            if stop_at_blank and records:
                break
            continue
        records.append([None if is_blank(c) else c for c in cells])
        numbers.append(offset + first_row_number)
    frame = pd.DataFrame(records, columns=headings, dtype=object)
    frame[ROW] = pd.array(numbers, dtype="Int64")
    return frame


def sheet_rows(rows: Iterable[Sequence[Any]]) -> list[list[Any]]:
    """Rows as lists, trailing blank rows removed."""
    out = [list(r) for r in rows]
    while out and all(is_blank(c) for c in out[-1]):
        out.pop()
    return out


# Helpers for published statistics tables (kept here so other grid adapters can share them).
import re  # noqa: E402

from datapack.tables.cells import parse_number  # noqa: E402

#: Footnote markers published after a heading: ``Population *``, ``Deaths [note 3]``, ``Rate¹``.
_HEADING_MARKER = re.compile(
    r"(?:\s*(?:\[\s*note[^\]]*\]|\[\d+\]|\(note\s*\d+\)|[*~†‡#]+|[¹²³⁴⁵⁶⁷⁸⁹⁰]+))+\s*$",
    re.IGNORECASE)


def clean_heading(cell: Any) -> Any:
    """A heading without trailing footnote markers and with runs of whitespace made one space.

    ``Population *`` -> ``Population``; ``Operational\\nCapacity [note 2]`` ->
    ``Operational Capacity``. Blank or non-text cells come back unchanged, and a
    heading that is nothing but a marker is kept as it is.
    """
    if not isinstance(cell, str) or is_blank(cell):
        return cell
    text = re.sub(r"\s+", " ", cell).strip()
    stripped = _HEADING_MARKER.sub("", text).strip()
    return stripped or text


def looks_like_heading_row(row: Sequence[Any], expected: set[str] | None = None) -> bool:
    """True when ``row`` could be a header: two or more cells, and mostly words or expected headings.

    Unlike :func:`find_header`'s fallback, numbers written as text (as every
    cell of a CSV is) do not count as words, so a data row is not mistaken for
    a header.
    """
    cells = [c for c in row if not is_blank(c)]
    if len(cells) < 2:
        return False
    if expected and len({normalise_label(c) for c in cells} & expected) >= min(2, len(expected)):
        return True
    # A bare letter is a word here ("X" as a heading); bracketed symbols such as "[x]" are not.
    words = [c for c in cells if isinstance(c, str) and (parse_number(c) is None or c.strip().isalpha())]
    return len(words) >= 0.8 * len(cells)
