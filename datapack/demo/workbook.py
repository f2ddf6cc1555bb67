"""Small, fast, byte-for-byte reproducible XLSX and ODS writers for the demo files.

The demo writes hundreds of thousands of rows for national-scale runs; a
general-purpose library writes a cell at a time and stamps the time of
writing into the file. These writers build each column's XML at once and
fix every date inside the zip, so the same seed gives the same bytes.
Cells are text, numbers, dates or date-times; nothing else is needed.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

_FIXED = (1980, 1, 1, 0, 0, 0)
_ESCAPE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})
_EPOCH = np.datetime64("1899-12-30T00:00:00", "s")
#: Style numbers in styles.xml: 0 plain, 1 date, 2 date-time, 3 bold heading.
DATE, DATETIME, BOLD = 1, 2, 3


def _zip(path: Path, parts: list[tuple[str, str]], stored_first: tuple[str, str] | None = None) -> None:
    with zipfile.ZipFile(path, "w") as z:
        if stored_first:
            z.writestr(zipfile.ZipInfo(stored_first[0], _FIXED), stored_first[1], compress_type=zipfile.ZIP_STORED)
        for name, text in parts:
            z.writestr(zipfile.ZipInfo(name, _FIXED), text.encode("utf-8"), compress_type=zipfile.ZIP_DEFLATED,
                       compresslevel=1)


def _letters(i: int) -> str:
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def _text_cell(ref: str, value: str, style: int = 0) -> str:
    s = f' s="{style}"' if style else ""
    space = ' xml:space="preserve"' if value != value.strip() or "\n" in value else ""
    return f'<c r="{ref}" t="inlineStr"{s}><is><t{space}>{value.translate(_ESCAPE)}</t></is></c>'


def _cell(ref: str, value: Any, style: int = 0) -> str:
    """One cell of any supported kind ('' for a blank)."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NaT or value is pd.NA:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return _text_cell(ref, "TRUE" if value else "FALSE", style)
    if isinstance(value, (int, float, np.integer, np.floating)):
        s = f' s="{style}"' if style else ""
        return f'<c r="{ref}"{s}><v>{_number(value)}</v></c>'
    if isinstance(value, (pd.Timestamp, np.datetime64)) or hasattr(value, "isoformat"):
        stamp = pd.Timestamp(value)
        serial = (stamp - pd.Timestamp("1899-12-30")) / pd.Timedelta(days=1)
        whole = stamp == stamp.normalize()
        return f'<c r="{ref}" s="{DATE if whole else DATETIME}"><v>{_number(serial)}</v></c>'
    text = str(value)
    return _text_cell(ref, text, style) if text else ""


def _number(value: Any) -> str:
    v = float(value)
    return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(round(v, 8))


def _column_cells(series: pd.Series, letter: str, first_row: int) -> list[str]:
    """XML for a whole column at once (the fast path for typed columns)."""
    n = len(series)
    refs = [f"{letter}{r}" for r in range(first_row, first_row + n)]
    if pd.api.types.is_datetime64_any_dtype(series):
        stamps = series.to_numpy().astype("datetime64[s]")
        ok = ~np.isnat(stamps)
        serial = (stamps - _EPOCH).astype("int64") / 86400.0
        whole = (stamps.astype("int64") % 86400) == 0
        return [f'<c r="{ref}" s="{DATE if w else DATETIME}"><v>{_number(v)}</v></c>' if o else ""
                for ref, v, w, o in zip(refs, serial, whole, ok)]
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        values = series.to_numpy(dtype=float, na_value=np.nan)
        return [f'<c r="{ref}"><v>{_number(v)}</v></c>' if v == v else "" for ref, v in zip(refs, values)]
    values = series.tolist()
    if all(v is None or isinstance(v, str) for v in values):
        esc = _ESCAPE
        return [f'<c r="{ref}" t="inlineStr"><is><t>{v.translate(esc)}</t></is></c>' if v else ""
                for ref, v in zip(refs, values)]
    return [_cell(ref, v) for ref, v in zip(refs, values)]


def _sheet_xml(frame: pd.DataFrame | None, top: Sequence[Sequence[Any]], header: bool) -> str:
    rows: list[str] = []
    r = 0
    for r, cells in enumerate(top, start=1):
        row = "".join(_cell(f"{_letters(j)}{r}", v) for j, v in enumerate(cells))
        rows.append(f'<row r="{r}">{row}</row>' if row else "")
    width = max([len(t) for t in top] + [len(frame.columns) if frame is not None else 0, 1])
    if frame is not None:
        if header:
            r += 1
            row = "".join(_cell(f"{_letters(j)}{r}", str(c), BOLD) for j, c in enumerate(frame.columns))
            rows.append(f'<row r="{r}">{row}</row>')
        first = r + 1
        columns = [_column_cells(frame.iloc[:, j], _letters(j), first) for j in range(frame.shape[1])]
        for k, cells in enumerate(zip(*columns)):
            rows.append(f'<row r="{first + k}">{"".join(cells)}</row>')
        r += len(frame)
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f'<dimension ref="A1:{_letters(width - 1)}{max(r, 1)}"/><sheetData>{"".join(rows)}</sheetData></worksheet>')


_STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="2">\
<numFmt numFmtId="164" formatCode="dd/mm/yyyy"/><numFmt numFmtId="165" formatCode="dd/mm/yyyy hh:mm"/></numFmts>\
<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font>\
</fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/>\
</fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="4">\
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>\
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>"""


def write_xlsx(path: Path, sheets: Sequence[tuple[str, pd.DataFrame | None, Sequence[Sequence[Any]]]],
               header: bool = True) -> None:
    """Write sheets of (name, table, rows above the table) to ``path``."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    names = "".join(f'<sheet name="{n.translate(_ESCAPE)}" sheetId="{i}" r:id="rId{i}"/>'
                    for i, (n, _, _) in enumerate(sheets, start=1))
    links = "".join(f'<Relationship Id="rId{i}" Type="{rel}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                    for i in range(1, len(sheets) + 1))
    overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
                        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                        for i in range(1, len(sheets) + 1))
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    parts = [
        ("[Content_Types].xml", head + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
         '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
         '<Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
         'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
         '<Override PartName="/xl/styles.xml" ContentType="application/'
         f'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>{overrides}</Types>'),
        ("_rels/.rels", head + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
         f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        ("xl/workbook.xml", head + f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>{names}</sheets></workbook>'),
        ("xl/_rels/workbook.xml.rels", head + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
         f'relationships">{links}<Relationship Id="rId{len(sheets) + 1}" Type="{rel}/styles" '
         'Target="styles.xml"/></Relationships>'),
        ("xl/styles.xml", _STYLES),
    ]
    parts += [(f"xl/worksheets/sheet{i}.xml", _sheet_xml(frame, top, header))
              for i, (_, frame, top) in enumerate(sheets, start=1)]
    _zip(path, parts)


def _ods_cell(value: Any) -> str:
    if value is None or value == "" or (isinstance(value, float) and value != value):
        return "<table:table-cell/>"
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return f'<table:table-cell office:value-type="float" office:value="{_number(value)}"><text:p>' \
               f'{_number(value)}</text:p></table:table-cell>'
    text = str(value).translate(_ESCAPE)
    return f'<table:table-cell office:value-type="string"><text:p>{text}</text:p></table:table-cell>'


def write_ods(path: Path, sheet: str, rows: Sequence[Sequence[Any]]) -> None:
    """Write one sheet of rows (text and numbers) as an OpenDocument spreadsheet."""
    ns = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')
    body = "".join(f"<table:table-row>{''.join(_ods_cell(v) for v in row) or '<table:table-cell/>'}"
                   "</table:table-row>" for row in rows)
    head = '<?xml version="1.0" encoding="UTF-8"?>\n'
    content = (f'{head}<office:document-content {ns} office:version="1.2"><office:body><office:spreadsheet>'
               f'<table:table table:name="{sheet.translate(_ESCAPE)}">{body}</table:table>'
               '</office:spreadsheet></office:body></office:document-content>')
    styles = f'{head}<office:document-styles {ns} office:version="1.2"/>'
    manifest = (f'{head}<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
                'manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="'
                'application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path='
                '"content.xml" manifest:media-type="text/xml"/><manifest:file-entry manifest:full-path="styles.xml" '
                'manifest:media-type="text/xml"/></manifest:manifest>')
    _zip(path, [("content.xml", content), ("styles.xml", styles), ("META-INF/manifest.xml", manifest)],
         stored_first=("mimetype", "application/vnd.oasis.opendocument.spreadsheet"))
