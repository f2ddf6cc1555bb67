"""The Word pack laid out once it is rendered: its tables' column widths, from what the cells hold, and its
contents list.

A template cannot know how long a facility's file names, references or dates
are, and Word's fixed layout (which LibreOffice and Word both honour, unlike
"autofit") splits any word wider than its column: ``Answerin g``. So after
rendering, each table is laid out as a browser lays out an automatic table:
every column gets at least its longest word, the page's spare width goes to
the columns whose text would otherwise wrap most, and a table that fits on one
line per row is widened in proportion. Widths are estimated from Helvetica's
published character widths (Arial and Liberation Sans share them).
"""

from __future__ import annotations

import html
import re

from docx.document import Document
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Emu, Mm, Pt

#: Helvetica advance widths (per 1,000 units of the em) for printable ASCII, space (32) to tilde (126).
_ASCII = (278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
          556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
          1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
          667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
          333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
          556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584)
#: Bold text is about this much wider than regular.
BOLD = 1.1
#: Any other character (an arrow, a letter with an accent) is taken as wide as this.
OTHER = 700
#: Left and right cell margins together, and a little slack for rounding in the layout engines.
CELL_PADDING = Mm(3.8 + 1.7)
#: A longest "word" above this (a path, a hash) is allowed to break rather than take the table.
LONGEST_WORD = Mm(48)


def text_width(text: str, size: Pt, bold: bool = False) -> int:
    """The width of ``text`` on one line, in EMU."""
    units = sum(_ASCII[ord(ch) - 32] if 32 <= ord(ch) <= 126 else OTHER for ch in text)
    return int(units / 1000 * size * (BOLD if bold else 1.0))


def _font_size(paragraph) -> Pt:
    style = paragraph.style
    while style is not None:
        if style.font.size:
            return style.font.size
        style = style.base_style
    return Pt(11)


def _unbreakable(text: str) -> list[str]:
    """The pieces a line cannot be broken within: words, and a hyphenated word's parts ("HSC-202403-R01")."""
    return [piece for word in text.split() for piece in re.findall(r"[^-]+-?|-", word)]


def _measure(cell) -> tuple[int, int]:
    """A cell's narrowest width (its longest word) and its widest (its longest paragraph on one line)."""
    least = most = 0
    for paragraph in cell.paragraphs:
        size = _font_size(paragraph)
        bold = any(run.bold for run in paragraph.runs) or bool(paragraph.style.font.bold)
        text = paragraph.text
        least = max([least] + [min(text_width(w, size, bold), LONGEST_WORD) for w in _unbreakable(text)])
        most = max(most, text_width(text.strip(), size, bold))
    return least + CELL_PADDING, most + CELL_PADDING


def column_widths(least: list[int], most: list[int], available: int) -> list[int]:
    """Widths that share ``available`` as an automatic table layout does.

    Every column gets its narrowest width; if even that is too wide, the widest columns are cut to a common
    width, so a short header or figure is never split and only the longest words break. Otherwise the spare
    width goes to each column in proportion to how much more it would take to set its text on one line, and a
    table whose text all fits on one line is widened in proportion to that.
    """
    if sum(least) >= available:
        cap = available / len(least)  # every column too wide: all the same
        for width in sorted(least):  # the largest cap such that the capped columns fill the page
            kept = [w for w in least if w <= width]
            if sum(kept) + width * (len(least) - len(kept)) > available:
                break
            cap = width
        rest = [w for w in least if w > cap]
        cap = (available - sum(w for w in least if w <= cap)) / len(rest) if rest else cap
        return _whole([min(w, cap) for w in least], available)
    if sum(most) <= available:
        return _whole([w * available / sum(most) for w in most], available)
    spare, wants = available - sum(least), [m - n for n, m in zip(least, most)]
    return _whole([n + spare * w / sum(wants) for n, w in zip(least, wants)], available)


def _whole(widths: list[float], available: int) -> list[int]:
    """Widths in whole units that add up to ``available``: what rounding down loses goes to the widest."""
    whole = [int(w) for w in widths]
    whole[whole.index(max(whole))] += available - sum(whole)
    return whole


def fit_tables(document: Document) -> None:
    """Set every table's column widths (grid and cells) from its rendered text."""
    section = document.sections[0]
    available = int(section.page_width - section.left_margin - section.right_margin)
    for table in document.tables:
        grid = table._tbl.tblGrid.findall(qn("w:gridCol"))
        if not grid or not table.rows:
            continue
        least, most = [Mm(12)] * len(grid), [Mm(12)] * len(grid)
        spanned = False
        for row in table.rows:
            cells = row._tr.findall(qn("w:tc"))
            if len(cells) != len(grid):  # a merged cell: its width is not one column's
                spanned = True
                continue
            for i, tc in enumerate(row.cells):
                n, m = _measure(tc)
                least[i], most[i] = max(least[i], n), max(most[i], m)
        if spanned and len(table.rows) == 1:
            continue
        widths = column_widths(least, most, available)
        for col, width in zip(grid, widths):
            col.set(qn("w:w"), str(int(Emu(width).twips)))
        for row in table.rows:
            if len(row._tr.findall(qn("w:tc"))) == len(grid):
                for cell, width in zip(row.cells, widths):
                    cell.width = Emu(width)


#: The heading styles the contents list holds, by level (the template's TOC field asks for the same: ``\o "1-1"``).
CONTENTS_STYLES = ("Heading 1",)


def fill_contents(document: Document) -> int:
    """Write the contents list into the template's TOC field, so it reads right before Word updates it.

    Each chapter heading gets a ``_Toc`` bookmark and the field's result becomes one linked line per heading
    (page numbers are Word's to add: updating the field there, or printing from it, fills them in). Returns the
    number of entries; a template without a TOC field is left as it is.
    """
    field = _toc_field(document)
    if field is None:
        return 0
    paragraph, separate, end = field
    entries = []
    for n, heading in enumerate(p for p in document.paragraphs if p.style.name in CONTENTS_STYLES):
        name = f"_Toc{n + 1:08d}"
        mark = 90000 + n  # clear of the ids docxtpl's anchors use
        heading._p.insert(1 if heading._p.pPr is not None else 0, parse_xml(
            f'<w:bookmarkStart {nsdecls("w")} w:id="{mark}" w:name="{name}"/>'))
        heading._p.append(parse_xml(f'<w:bookmarkEnd {nsdecls("w")} w:id="{mark}"/>'))
        entries.append((name, heading.text.strip()))
    if not entries:
        return 0
    for node in list(paragraph._p)[list(paragraph._p).index(separate) + 1:list(paragraph._p).index(end)]:
        paragraph._p.remove(node)
    at = list(paragraph._p).index(end)
    for i, (name, text) in enumerate(entries):
        link = parse_xml(f'<w:hyperlink {nsdecls("w")} w:anchor="{name}" w:history="1"><w:r>'
                         f'{"<w:br/>" if i else ""}<w:t xml:space="preserve">{html.escape(text)}</w:t></w:r>'
                         '</w:hyperlink>')
        paragraph._p.insert(at + i, link)
    return len(entries)


def _toc_field(document: Document):
    """The paragraph holding a TOC field, with the runs that separate and end it; None if there is none."""
    for paragraph in document.paragraphs:
        instr = "".join(t.text or "" for t in paragraph._p.iter(qn("w:instrText")))
        if not instr.strip().startswith("TOC"):
            continue
        separate = end = None
        for run in paragraph._p.findall(qn("w:r")):
            char = run.find(qn("w:fldChar"))
            kind = char.get(qn("w:fldCharType")) if char is not None else None
            if kind == "separate":
                separate = run
            elif kind == "end" and separate is not None:
                end = run
        return (paragraph, separate, end) if separate is not None and end is not None else None
    return None


def count_words(document: Document, mark: str = "") -> int:
    """Words of the document's body (paragraphs and tables, in order) before its first appendix heading."""
    words = 0
    for block in document.element.body.iterchildren():
        paragraphs = [block] if block.tag == qn("w:p") else list(block.iter(qn("w:p")))
        texts = ["".join(t.text or "" for t in p.iter(qn("w:t"))) for p in paragraphs]
        style = block.find(f"{qn('w:pPr')}/{qn('w:pStyle')}") if block.tag == qn("w:p") else None
        if style is not None and style.get(qn("w:val")) == "Heading1" and texts[0].strip().startswith("Appendix"):
            break
        words += sum(len((text.replace(mark, " ") if mark else text).split()) for text in texts)
    return words


def fill_reading_time(document: Document, mark: str, text: str) -> None:
    """Put ``text`` where the template printed ``mark`` (the cover's reading time)."""
    for t in document.element.body.iter(qn("w:t")):
        if t.text and mark in t.text:
            t.text = t.text.replace(mark, text)
