"""Finding the table in a grid of cells: header row, data rows, where they end.

Shared by every adapter that reads a grid (CSV, spreadsheets). The header is
the configured row, or else the row that holds most of the headings the
configuration expects, or else the first row that looks like headings.
The vocabulary of total rows' labels (:func:`is_total_label`) is here too:
adapters set total rows aside with it, and :mod:`datapack.tables.checks.totals`
checks the tables with the same words.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable, Sequence

import pandas as pd

from datapack.adapters.base import ROW
from datapack.adapters.cells import is_blank, normalise_label
from datapack.problems import InputError, Problem


def expected_headings(source: Any) -> set[str]:
    """Normalised headings the configuration names for ``source`` (for header detection)."""
    found: set[str] = set()
    for value in getattr(source, "columns", {}).values():
        for v in [value] if isinstance(value, str) else value:
            if not v.startswith(("@", "path:")):
                found.add(normalise_label(v))
    for heading in getattr(source, "skip_rows", {}):
        found.add(normalise_label(heading))
    for spec in getattr(source, "date_parts", {}).values():
        for options in spec.headings().values():
            found.update(normalise_label(v) for v in options)
    for headings in getattr(source, "sums", {}).values():
        for h in headings:
            found.update(normalise_label(v) for v in ([h] if isinstance(h, str) else h))
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


def find_header(rows: Sequence[Sequence[Any]], expected: set[str] | None = None, scan: int = 40,
                header_rows: int = 1) -> int:
    """0-based index of the (top) header row in ``rows``.

    With ``header_rows`` above 1, each candidate is judged by the names its
    heading rows join into (see :func:`join_headings`).
    """
    # No heading row is wholly blank: a candidate spanning a blank row names nothing.
    head = [join_headings(rows[i:i + header_rows]) if all(any(not is_blank(c) for c in r)
                                                          for r in rows[i:i + header_rows]) else []
            for i in range(min(scan, max(len(rows) - header_rows + 1, 1)))] if header_rows > 1 else rows[:scan]
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


#: What joins the parts of a heading spread over several rows: 'Self-harm / Incidents'.
HEADING_JOIN = " / "


def heading_text(cell: Any) -> str | None:
    """A heading cell as text: whole numbers without '.0' (2019, not 2019.0), midnight dates as ISO days."""
    if is_blank(cell):
        return None
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, dt.datetime) and cell.time() == dt.time(0):
        return cell.date().isoformat()
    return str(cell).strip()


def join_headings(rows: Sequence[Sequence[Any]]) -> list[str | None]:
    """One name per column from one or more heading rows, parts joined with :data:`HEADING_JOIN`.

    A blank cell in an upper row takes the heading to its left (a heading
    merged across columns leaves the cells after its first blank), as long as
    a row below names the column and no row above starts a new group there.
    Blank columns stay blank (None); a part repeated below is not repeated.
    """
    width = max((len(r) for r in rows), default=0)
    grid = [[heading_text(c) for c in list(r) + [None] * (width - len(r))] for r in rows]
    filled = [row[:] for row in grid]
    for r in range(len(grid) - 1):
        carry = None
        for c in range(width):
            if grid[r][c] is not None:
                carry = grid[r][c]
            elif any(grid[k][c] is not None for k in range(r)):
                carry = None  # a new group starts above: the heading to the left does not reach here
            elif carry is not None and any(grid[k][c] is not None for k in range(r + 1, len(grid))):
                filled[r][c] = carry
            else:
                carry = None  # nothing below names this column, so the merged heading ended before it
    names: list[str | None] = []
    for c in range(width):
        parts: list[str] = []
        for r in range(len(grid)):
            if filled[r][c] is not None and (not parts or parts[-1] != filled[r][c]):
                parts.append(filled[r][c])
        names.append(HEADING_JOIN.join(parts) if parts else None)
    return names


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
        name = heading_text(cell) or f"column_{i}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 1
        out.append(name)
    return out


def heading_rows(source: Any) -> int:
    """How many heading rows a source's table has (``header_rows``; 1 unless set, 0 for none)."""
    value = getattr(source, "header_rows", 1)
    return 1 if value is None else value


def header_of(rows: Sequence[Sequence[Any]], source: Any, where: dict[str, Any]) -> int:
    """0-based top header row: the configured ``header_row``, or found; heading rows past the end are refused.

    With no heading rows (``header_rows: 0``) it is the first data row: ``header_row``, or the first row.
    """
    header_rows = heading_rows(source)
    if source.header_row:
        header = source.header_row - 1
    else:
        header = find_header(rows, expected_headings(source), header_rows=header_rows) if header_rows else 0
    if header + max(header_rows, 1) > len(rows):
        raise InputError([Problem("header-missing", f"the heading rows ({header + 1} to {header + header_rows}) "
                                  f"go past the last row ({len(rows)})", **where,
                                  hint="correct 'header_row' or 'header_rows'")])
    return header


def grid_to_frame(rows: Sequence[Sequence[Any]], header: int, first_row_number: int = 1,
                  stop_at_blank: bool = False, header_rows: int = 1) -> pd.DataFrame:
    """Cells below the heading rows as a frame with a ``_row`` column; blank rows dropped.

    ``header`` is the (top) heading row and ``header_rows`` how many rows of
    headings there are, joined by :func:`join_headings`; with none, columns are
    named ``column_1``, ``column_2``, ... and ``header`` is the first data row.
    With ``stop_at_blank`` the table ends at the first wholly blank row (notes
    below a published table are then left out).
    """
    if header_rows:
        headings = unique_headings(join_headings(rows[header:header + header_rows]))
    else:
        headings = unique_headings([None] * max((len(r) for r in rows[header:]), default=0))
    width = len(headings)
    records: list[list[Any]] = []
    numbers: list[int] = []
    for offset, row in enumerate(rows[header + header_rows:], start=header + header_rows):
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

from datapack.adapters.cells import parse_number  # noqa: E402

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


# --- total rows' labels: one vocabulary, read by stats_table and by tables.checks.totals ---

#: Labels of total rows, matched against :func:`normalise_label` of the cell.
TOTAL_LABEL = re.compile(
    r"^(?:grand |sub |overall |national |estate |all )?totals?\b"   # Total, Sub total, Sub-total, Grand total
    r"|^subtotals?\b"                                               # Subtotal, SUBTOTAL male estate
    r"|^all\b"                                                      # All establishments, All prisons, All forces
    r"|^(?:england and wales|england|national|nationally|whole estate)(?: total)?$")  # & reads as 'and'


def is_total_label(text: Any, extra: Iterable[str] = ()) -> bool:
    """True when ``text`` reads as a total row's label (``Sub total``, ``England & Wales`` ...).

    ``extra`` are more labels (configured), matched as the whole label or its
    first words.
    """
    if is_blank(text):
        return False
    key = normalise_label(text)
    if TOTAL_LABEL.search(key):
        return True
    return any(key == label or key.startswith(label + " ") for label in map(normalise_label, extra) if label)
