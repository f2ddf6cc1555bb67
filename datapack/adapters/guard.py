"""Checks made before a file is handed to a reader: its size, and what an archive would unpack to.

A workbook (XLSX, ODS) is a zip of XML parts, and readers build the whole
sheet in memory: a 1 MB file can declare a sheet of a billion cells, or one
cell at ``ZZ200000`` that makes the grid 200,000 by 702. So an archive's
listing (sizes, compression ratios) is checked first, every XML part's
prolog is read for DOCTYPE and entity declarations (refused: no export
needs them, and they are how "billion laughs" and external-entity attacks
work), and each sheet's extent is measured by scanning its XML, before
calamine reads anything. The limits are the ``limits:`` settings of the
configuration, made current for a load with :func:`use`.
"""

from __future__ import annotations

import contextvars
import re
import stat
import zipfile
from pathlib import Path
from typing import IO, Iterator
from xml.parsers import expat

from datapack.config_values import Limits
from datapack.problems import InputError, Problem

_LIMITS: contextvars.ContextVar[Limits] = contextvars.ContextVar("datapack_limits", default=Limits())

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MB = 1024 * 1024
_CHUNK = 1 << 20
#: Parts above this size must not be compressed more than ``limits.compression_ratio`` times.
RATIO_FLOOR = 10 * _MB


def use(limits: Limits) -> None:
    """Make ``limits`` the ones every check and reader applies (for this thread or task)."""
    _LIMITS.set(limits)


def limits() -> Limits:
    """The limits in force."""
    return _LIMITS.get()


def _refuse(code: str, message: str, file: str, hint: str, sheet: str | None = None) -> InputError:
    return InputError([Problem(code, message, file=file, sheet=sheet, hint=hint)])


def check_file(path: Path) -> None:
    """Refuse ``path`` when it is not a regular file, is too large, or is an archive that would unpack too far."""
    lim = limits()
    try:
        info = path.stat()
    except OSError as exc:
        raise _refuse("unreadable", f"cannot be read: {exc.strerror or exc}", path.name,
                      "check the file is there and that you may read it") from None
    if not stat.S_ISREG(info.st_mode):
        raise _refuse("not-a-file", "is not an ordinary file (a folder, pipe or device)", path.name,
                      "point 'path' at the exported file itself")
    if info.st_size > lim.file_mb * _MB:
        raise _refuse("too-large", f"is {info.st_size / _MB:,.0f} MB, above limits.file_mb ({lim.file_mb:,.0f} MB)",
                      path.name, "check it is the right file; raise limits.file_mb in the configuration if so")
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(ZIP_MAGIC):
        check_archive(path)
    elif head == OLE_MAGIC and path.suffix.lower() in (".xlsx", ".xlsm", ".ods"):
        raise _refuse("encrypted", "is password-protected (an encrypted workbook)", path.name,
                      "open it, remove the password (File > Info > Protect Workbook), save a copy and use that")


def check_archive(path: Path) -> None:
    """Refuse a zip (workbook or export) whose parts would unpack beyond the limits, or that declares a DTD."""
    lim = limits()
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _refuse("unreadable", f"is not a complete zip archive or workbook ({exc})", path.name,
                      "the file is truncated or damaged: export or download it again") from None
    with archive:
        parts = archive.infolist()
        if len(parts) > lim.members:
            raise _refuse("too-large", f"holds {len(parts):,} parts, above limits.members ({lim.members:,})",
                          path.name, "check it is the right file; raise limits.members if so")
        total = sum(p.file_size for p in parts)
        if total > lim.uncompressed_mb * _MB:
            raise _refuse("too-large", f"would unpack to {total / _MB:,.0f} MB, above limits.uncompressed_mb "
                          f"({lim.uncompressed_mb:,.0f} MB)", path.name,
                          "check it is the right file (a file this size is often a decompression bomb); "
                          "raise limits.uncompressed_mb if it is genuine")
        for part in parts:
            ratio = part.file_size / max(part.compress_size, 1)
            if part.file_size > RATIO_FLOOR and ratio > lim.compression_ratio:
                raise _refuse("too-large", f"part {part.filename!r} is compressed {ratio:,.0f} times, above "
                              f"limits.compression_ratio ({lim.compression_ratio:,.0f})", path.name,
                              "no real export compresses this much: it is probably a decompression bomb; "
                              "raise limits.compression_ratio only if you trust the file")
        for part in parts:
            name = part.filename.lower()
            if not name.endswith((".xml", ".rels", ".vml")):
                continue
            try:
                with archive.open(part) as stream:
                    declared = declares_dtd(stream)
                if declared:
                    raise _refuse("xml-dtd", f"part {part.filename!r} has a {declared} declaration", path.name,
                                  "exports never need one and it can be used to attack the reader: "
                                  "open the file in its program and save it again")
                if _is_sheet(name):
                    with archive.open(part) as stream:
                        _check_extent(sheet_extent(stream, ods=name.endswith("content.xml")), part.filename, path)
            except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
                raise _refuse("unreadable", f"part {part.filename!r} cannot be unpacked ({exc})", path.name,
                              "the file is damaged: export or download it again") from None


def _is_sheet(name: str) -> bool:
    return (name.startswith("xl/worksheets/") and name.endswith(".xml")) or name == "content.xml"


class _Stop(Exception):
    """Raised inside the expat handlers to stop reading at the first element."""


def declares_dtd(stream: IO[bytes]) -> str | None:
    """``"DOCTYPE"`` or ``"ENTITY"`` when the XML's prolog declares one; None when it reaches an element first.

    expat reads the encoding declaration and byte-order mark itself, so a
    UTF-16 part is read as such; reading stops at the root element, where a
    prolog ends. Malformed XML is left for the reader to report.
    """
    parser = expat.ParserCreate()
    found: list[str] = []

    def doctype(*_args: object) -> None:
        found.append("DOCTYPE")
        raise _Stop

    def entity(*_args: object) -> None:
        found.append("ENTITY")
        raise _Stop

    def element(*_args: object) -> None:
        raise _Stop

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = entity
    parser.StartElementHandler = element
    try:
        for chunk in iter(lambda: stream.read(64 * 1024), b""):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except _Stop:
        pass
    except expat.ExpatError:
        return None
    return found[0] if found else None


_XLSX_TOKEN = re.compile(rb'<(?:[\w.-]+:)?(row|c)\b[^>]*?\br="([A-Z]*)([0-9]+)"')
_ODS_TOKEN = re.compile(rb"<(/?)(?:[\w.-]+:)?(table-row|table-cell|covered-table-cell|table)(?=[\s/>])([^>]*?)(/?)>")
_REPEAT = re.compile(rb'number-(rows|columns)-repeated="([0-9]+)"')
_VALUE = re.compile(rb"value-type=")


def _chunks(stream: IO[bytes]) -> Iterator[bytes]:
    """The stream in pieces that end just before a ``<``, so no tag is cut in two."""
    carry = b""
    for chunk in iter(lambda: stream.read(_CHUNK), b""):
        buffer = carry + chunk
        cut = buffer.rfind(b"<")
        if cut <= 0 or len(buffer) - cut > _CHUNK:  # a tag longer than a chunk is no tag a reader needs
            yield buffer
            carry = b""
        else:
            yield buffer[:cut]
            carry = buffer[cut:]
    if carry:
        yield carry


def _column_number(letters: bytes) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + ch - 64
    return number


def sheet_extent(stream: IO[bytes], ods: bool) -> tuple[int, int]:
    """(rows, columns) of the grid a reader would build from one sheet's XML (the largest table for ODS).

    XLSX cells carry their reference (``r="ZZ200000"``), so the grid reaches
    the furthest one. ODS repeats rows and cells by count
    (``number-rows-repeated``); repeated *empty* cells and rows at the end
    add nothing, since a reader stops at the last cell with a value.
    """
    if not ods:
        rows = columns = 0
        for chunk in _chunks(stream):
            for kind, letters, digits in _XLSX_TOKEN.findall(chunk):
                rows = max(rows, int(digits))
                if kind == b"c" and letters:
                    columns = max(columns, _column_number(letters))
        return rows, columns
    best = (0, 0)
    height = width = row_at = 0
    row_repeat, col_at, last_col = 1, 0, 0
    for chunk in _chunks(stream):
        for closing, name, attrs, empty in _ODS_TOKEN.findall(chunk):
            repeats = dict(_REPEAT.findall(attrs))
            if name == b"table":
                if not closing:
                    height = width = row_at = 0
                else:
                    best = max(best, (height, width), key=lambda e: e[0] * e[1] or e[0] + e[1])
            elif name == b"table-row":
                if closing:
                    row_at += row_repeat
                    if last_col:
                        height, width = row_at, max(width, last_col)
                elif not empty:
                    row_repeat, col_at, last_col = int(repeats.get(b"rows", 1)), 0, 0
                else:
                    row_at += int(repeats.get(b"rows", 1))
            elif not closing:  # a cell: it has content unless it is empty and self-closing without a value
                span = int(repeats.get(b"columns", 1))
                col_at += span
                if not empty or _VALUE.search(attrs):
                    last_col = col_at
    if height or width:
        best = max(best, (height, width), key=lambda e: e[0] * e[1] or e[0] + e[1])
    return best


def _check_extent(extent: tuple[int, int], part: str, path: Path) -> None:
    rows, columns = extent
    lim = limits()
    hint = ("a sheet this size is usually a mistake (a stray cell far below or to the right) or an attack: "
            "delete the empty rows and columns and save again; raise limits.rows, limits.columns or "
            "limits.cells if it is genuine")
    if rows > lim.rows or columns > lim.columns or rows * columns > lim.cells:
        raise _refuse("too-large", f"part {part!r} would be a grid of {rows:,} rows by {columns:,} columns, "
                      f"above the limits ({lim.rows:,} rows, {lim.columns:,} columns, {lim.cells:,} cells)",
                      path.name, hint)
