"""Bad files made in the test: workbooks with hostile XML, archives that unpack too far, damaged bytes.

Large files are never stored: a decompression bomb is a few kilobytes of
repeated deflate blocks that claim (truthfully) to unpack to a gigabyte.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import openpyxl

SHEET = "xl/worksheets/sheet1.xml"
STRINGS = "xl/sharedStrings.xml"
#: The start of an OLE compound file: an old .xls, or an encrypted (password-protected) .xlsx.
OLE_HEADER = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504


def xlsx(rows: list[list[object]], title: str = "Data") -> bytes:
    """A real workbook holding ``rows`` on one sheet."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rewrite_part(workbook: bytes, part: str, change) -> bytes:
    """``workbook`` with one XML part passed through ``change`` (bytes -> bytes)."""
    source = zipfile.ZipFile(io.BytesIO(workbook))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            target.writestr(info, change(data) if info.filename == part else data)
    return out.getvalue()


def with_doctype(workbook: bytes, part: str = SHEET, declaration: bytes | None = None) -> bytes:
    """A DOCTYPE (by default a small "billion laughs" entity chain) put into one part's prolog."""
    declaration = declaration or (b'<!DOCTYPE x [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
                                  b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>')
    def insert(data: bytes) -> bytes:  # after the XML declaration, or first where there is none
        end = data.find(b"?>") + 2 if data.startswith(b"<?xml") else 0
        return data[:end] + declaration + data[end:]
    return rewrite_part(workbook, part, insert)


def far_cell(workbook: bytes, ref: str = "ZZ200000") -> bytes:
    """One cell far below and to the right: a 1 KB file whose grid is 200,000 by 702."""
    row = ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    cell = f'<row r="{row}"><c r="{ref}" t="inlineStr"><is><t>x</t></is></c></row>'.encode()
    return rewrite_part(workbook, SHEET, lambda d: d.replace(b"</sheetData>", cell + b"</sheetData>"))


def ods(cells_xml: str, sheet: str = "Data", prolog: str = "") -> bytes:
    """An OpenDocument spreadsheet whose one table holds ``cells_xml`` (rows of table cells)."""
    content = (f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
               f'<office:body><office:spreadsheet><table:table table:name="{sheet}">{cells_xml}'
               '</table:table></office:spreadsheet></office:body></office:document-content>')
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" '
                'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                '</manifest:manifest>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        z.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        z.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def ods_row(*values: str, repeat_rows: int = 1, repeat_cols: int = 1) -> str:
    """One ODS row of text cells (each cell repeated ``repeat_cols`` times, the row ``repeat_rows`` times)."""
    cells = "".join(f'<table:table-cell table:number-columns-repeated="{repeat_cols}" office:value-type="string">'
                    f"<text:p>{v}</text:p></table:table-cell>" for v in values)
    return f'<table:table-row table:number-rows-repeated="{repeat_rows}">{cells}</table:table-row>'


def bomb_zip(members: dict[str, bytes], bomb_name: str, block: bytes, copies: int,
             head: bytes = b"", tail: bytes = b"") -> bytes:
    """A valid zip of ``members`` plus ``bomb_name``: ``head``, ``block`` repeated ``copies`` times, ``tail``.

    Each copy is one deflate block after a full flush, which starts afresh,
    so the same few kilobytes repeated make a correct stream; the sizes and
    CRC in the headers are the true ones, so only a check of the listing can
    refuse it in time.
    """
    squeeze = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = squeeze.compress(head) + squeeze.flush(zlib.Z_FULL_FLUSH)
    segment = squeeze.compress(block) + squeeze.flush(zlib.Z_FULL_FLUSH)
    crc = zlib.crc32(head)
    for _ in range(copies):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(tail, crc)
    data = first + segment * copies + _deflate(tail)
    entries = [(name, zlib.crc32(raw), _deflate(raw), len(raw)) for name, raw in members.items()]
    entries.append((bomb_name, crc, data, len(head) + len(block) * copies + len(tail)))
    out, directory = io.BytesIO(), io.BytesIO()
    for name, crc32, packed, size in entries:
        offset = out.tell()
        encoded = name.encode()
        out.write(struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc32, len(packed), size,
                              len(encoded), 0) + encoded + packed)
        directory.write(struct.pack("<4s6H3I5H2I", b"PK\x01\x02", 20, 20, 0, 8, 0, 0x21, crc32, len(packed),
                                    size, len(encoded), 0, 0, 0, 0, 0, offset) + encoded)
    start = out.tell()
    out.write(directory.getvalue())
    out.write(struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(directory.getvalue()),
                          start, 0))
    return out.getvalue()


def _deflate(raw: bytes) -> bytes:
    squeeze = zlib.compressobj(9, zlib.DEFLATED, -15)
    return squeeze.compress(raw) + squeeze.flush()


def xlsx_bomb(copies: int = 1024) -> bytes:
    """A workbook whose shared string unpacks to ``copies`` MiB (1 GiB by default) from about 3 MB.

    The sheet's one text cell points at that string, so a reader builds it
    whole in memory.
    """
    good = zipfile.ZipFile(io.BytesIO(xlsx([["heading"], ["value"]])))
    members = {i.filename: good.read(i.filename) for i in good.infolist() if i.filename != STRINGS}
    head = (b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
            b'spreadsheetml/2006/main" count="2" uniqueCount="2"><si><t>heading</t></si><si><t>')
    return bomb_zip(members, STRINGS, b"a" * (1 << 20), copies, head, b"</t></si></sst>")


def odk_bomb(copies: int = 1024) -> bytes:
    """An ODK Central ``.csv.zip`` whose form.csv unpacks to ``copies`` MiB of submissions."""
    line = b"2025-01-01T10:00:00Z,uuid:1,yes\n"
    block = line * ((1 << 20) // len(line))
    block += b"\n" * ((1 << 20) - len(block))
    return bomb_zip({}, "form.csv", block, copies, head=b"SubmissionDate,KEY,q1\n")
