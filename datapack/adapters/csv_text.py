"""Delimited text (CSV, TSV): encoding and delimiter detected, BOM handled."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from datapack.adapters import guard, register
from datapack.adapters.base import RawTable
from datapack.adapters.layout import (duplicate_headings, expected_headings, grid_to_frame, header_of, heading_rows,
                                      join_headings, sheet_rows)
from datapack.problems import InputError, Problem

ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
#: Control characters that never appear in a text export (tab, CR, LF and form feed do).
_CONTROL = {chr(c) for c in range(32) if chr(c) not in "\t\r\n\f"} | {chr(0x7F)}


def _utf16_without_bom(data: bytes) -> str | None:
    """``utf-16-le`` or ``utf-16-be`` when the bytes look like UTF-16 text with no byte-order mark.

    Text that is mostly ASCII has a zero byte in every other position: after
    each character (little-endian) or before it (big-endian).
    """
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def _not_text(data: bytes, path: Path) -> InputError | None:
    """Why ``data`` is not a text export (a workbook or binary under a text name), or None."""
    if data.startswith(guard.ZIP_MAGIC):
        return InputError([Problem("not-text", "is a zip archive (an .xlsx or .ods workbook?), not a text file",
                                   file=path.name, hint="give the file its real extension (.xlsx, .ods), "
                                   "or set 'format' to xlsx or ods for this source")])
    if data.startswith(guard.OLE_MAGIC):
        return InputError([Problem("not-text", "is an Office file (an old .xls, or a password-protected "
                                   "workbook), not a text file", file=path.name,
                                   hint="give the file its real extension (.xls), or save it as CSV")])
    return None


def decode(data: bytes, path: Path, encoding: str | None) -> tuple[str, str]:
    """Text and the encoding used. UTF-8 (with or without BOM) first, then Windows-1252.

    UTF-16 is recognised with or without a byte-order mark; a workbook or
    binary file under a text name is refused with a problem saying so.
    """
    if (refused := _not_text(data, path)) is not None:
        raise refused
    if encoding:
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise InputError([Problem("encoding", f"cannot be read as {encoding}: {exc}", file=path.name,
                                      hint="remove 'encoding' to let datapack detect it, or save the file as UTF-8")])
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text, encoding = _decode_utf16(data, "utf-16", path), "utf-16"
    elif (utf16 := _utf16_without_bom(data)) is not None:
        text, encoding = _decode_utf16(data, utf16, path), utf16
    else:
        for enc in ENCODINGS:
            try:
                text, encoding = data.decode(enc), enc
                break
            except UnicodeDecodeError:
                continue
    text = text.lstrip("\ufeff")  # a file saved twice with a BOM carries two
    sample = text[:8192]
    if "\x00" in text or (sample and sum(ch in _CONTROL for ch in sample) > 0.01 * len(sample) + 1):
        raise InputError([Problem("not-text", "does not look like text: it holds binary data", file=path.name,
                                  hint="check it is the export itself (not a renamed workbook or a damaged "
                                  "download); export it again as CSV")])
    return text, encoding


def _decode_utf16(data: bytes, encoding: str, path: Path) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputError([Problem("encoding", f"looks like UTF-16 but cannot be read as such: {exc}",
                                  file=path.name, hint="save the file again as UTF-8 CSV")]) from None


def sniff_delimiter(text: str) -> str:
    """The delimiter of ``text``: csv.Sniffer over common candidates, comma by default."""
    sample = "\n".join(text.splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        counts = {d: sample.count(d) for d in ",;\t|"}
        return max(counts, key=counts.get) if any(counts.values()) else ","


def read_rows(text: str, delimiter: str, file: str) -> list[list[str]]:
    """Rows of delimited ``text``, within ``limits.rows``, ``limits.columns`` and ``limits.cell_chars``.

    A row the csv module cannot read is reported with its line number (a
    cell too long is nearly always a quote that is never closed).
    """
    lim = guard.limits()
    previous = csv.field_size_limit(lim.cell_chars)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[list[str]] = []
    try:
        while True:
            line = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            if len(row) > lim.columns or len(rows) >= lim.rows:
                what = f"{len(row):,} columns" if len(row) > lim.columns else f"more than {lim.rows:,} rows"
                raise InputError([Problem("too-large", f"has {what}, above the limits (limits.rows, limits.columns)",
                                          file=file, row=line, hint="check the delimiter and that it is the right "
                                          "file; raise the limit in the configuration if it is genuine")])
            rows.append(row)
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            message = f"a cell holds more than {lim.cell_chars:,} characters"
            hint = ("usually a quote (\") opened in this row and never closed: correct the row; "
                    "raise limits.cell_chars if the cell is genuine")
        else:
            message, hint = f"cannot be read as delimited text ({exc})", "export the file again as CSV (UTF-8)"
        raise InputError([Problem("csv-malformed", message, file=file, row=line, hint=hint)]) from None
    finally:
        csv.field_size_limit(previous)
    return sheet_rows(rows)


@register
class CsvAdapter:
    """Comma-, semicolon-, tab- or pipe-separated text."""

    name = "csv"
    description = "Delimited text; encoding (UTF-8, BOM, UTF-16, Windows-1252) and delimiter detected."
    extensions = (".csv", ".tsv", ".txt")
    options: dict[str, str] = {}

    def read(self, path: Path, source: Any) -> list[RawTable]:
        text, encoding = decode(path.read_bytes(), path, source.encoding)
        delimiter = source.delimiter or ("\t" if path.suffix.lower() == ".tsv" else sniff_delimiter(text))
        rows = read_rows(text, delimiter, path.name)
        if not rows:
            raise InputError([Problem("empty-file", "the file has no rows", file=path.name,
                                      hint="check the export finished; re-export it")])
        header = header_of(rows, source, {"file": path.name})
        n = heading_rows(source)
        frame = grid_to_frame(rows, header, header_rows=n)
        problems = duplicate_headings(join_headings(rows[header:header + n]), header + n, expected_headings(source),
                                      path.name) if n else []
        if frame.empty:
            problems.append(Problem("no-rows", "the file has headings but no rows of data", file=path.name,
                                    row=header + max(n, 1), severity="warning",
                                    hint="check the export covered the period you wanted"))
        return [RawTable(frame, file=path.name, meta={"encoding": encoding, "delimiter": delimiter},
                         problems=problems)]
