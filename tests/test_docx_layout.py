"""The Word pack's layout once rendered: column widths from the cells, the contents list, the reading time.

Expectations are worked by hand from Helvetica's published widths and from the
documents the tests make; the demo's own packs are checked for the two faults
a reader sees (a word split across lines in a table, an empty contents list).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from datapack.render.words import reading_time, short_date
from datapack.render.docx_layout import (CELL_PADDING, column_widths, count_words, fill_contents, fit_tables,
                                         text_width)

ROOT = Path(__file__).resolve().parents[1]


def test_text_width_follows_helvetica_widths():
    # "Rate" in Helvetica: R 722 + a 556 + t 278 + e 556 = 2,112 thousandths of the em; at 10 pt, 21.12 pt.
    assert text_width("Rate", Pt(10)) == int(2112 / 1000 * Pt(10))
    assert text_width("Rate", Pt(10), bold=True) > text_width("Rate", Pt(10))


def test_column_widths_share_the_page_as_an_automatic_table_does():
    # Fits on one line: widened in proportion to the one-line widths.
    assert column_widths([10, 10], [20, 30], 100) == [40, 60]
    # Between: each gets its longest word, the spare 60 goes by what it lacks of one line (10 and 50).
    assert column_widths([20, 20], [30, 70], 100) == [30, 70]
    assert column_widths([10, 30], [20, 130], 100) == [15, 85]
    # Too wide even word by word: the short columns keep their words, the widest share what is left.
    assert column_widths([10, 20, 60, 60], [10, 20, 60, 60], 100) == [10, 20, 35, 35]
    assert column_widths([30, 30, 30], [30, 30, 30], 60) == [20, 20, 20]


def _document_with_table(rows: list[list[str]]) -> docx.Document:
    document = docx.Document()
    section = document.sections[0]
    section.page_width, section.left_margin, section.right_margin = Mm(210), Mm(20), Mm(20)
    table = document.add_table(rows=len(rows), cols=len(rows[0]))
    for row, texts in zip(table.rows, rows):
        for cell, text in zip(row.cells, texts):
            cell.text = text
            cell.paragraphs[0].runs[0].font.size = Pt(9)
    return document


def _grid(document) -> list[int]:
    return [int(c.get(qn("w:w"))) for c in document.tables[0]._tbl.tblGrid.findall(qn("w:gridCol"))]


def test_no_column_is_narrower_than_its_longest_word_and_the_table_fills_the_text_width():
    rows = [["Ref", "Recommendation", "Due"],
            ["KSM-202403-R01", "Offender management should be regular and meaningful for everyone held, with "
             "a named officer who sees each person at least once a month.", "15 Jul 2024"]]
    document = _document_with_table(rows)
    for paragraph in (c.paragraphs[0] for c in document.tables[0].rows[0].cells):
        paragraph.runs[0].font.size = None
        paragraph.style.font.size = Pt(9)
    fit_tables(document)
    widths = _grid(document)
    # The text width of the page is 170 mm; widths are in twips (1 mm = 56.7).
    assert sum(widths) == pytest.approx(Mm(170).twips, abs=len(widths))
    for i in range(3):
        longest = max(text_width(piece, Pt(9)) for r in rows for piece in r[i].replace("-", "- ").split())
        assert widths[i] >= (longest + CELL_PADDING) / 635 - 1, (i, widths)
    # The sentence takes the room the short columns do not need.
    assert widths[1] > widths[0] + widths[2]


def test_the_contents_list_names_every_chapter_and_links_to_it():
    document = docx.Document(str(ROOT / "templates" / "pack.docx"))
    paragraphs = [p for p in document.paragraphs if "TOC" in "".join(t.text or "" for t in p._p.iter(qn("w:instrText")))]
    assert paragraphs, "the template has no contents field"
    made = docx.Document()
    made.add_heading("1. At a glance", level=1)
    toc = made.add_paragraph()
    for node in paragraphs[0]._p:
        toc._p.append(node.__copy__())
    made.add_heading("2. The facility & its population", level=1)
    made.add_heading("Areas for enquiry", level=2)
    assert fill_contents(made) == 2
    links = toc._p.findall(qn("w:hyperlink"))
    assert ["".join(t.text for t in link.iter(qn("w:t"))) for link in links] == [
        "1. At a glance", "2. The facility & its population"]
    marks = {b.get(qn("w:name")) for b in made.element.body.iter(qn("w:bookmarkStart"))}
    assert {link.get(qn("w:anchor")) for link in links} <= marks
    assert "Right-click" not in "".join(t.text or "" for t in toc._p.iter(qn("w:t")))


def test_words_are_counted_up_to_the_first_appendix():
    document = docx.Document()
    document.add_heading("1. At a glance", level=1)
    document.add_paragraph("one two three")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "four five", "six"
    document.add_heading("Appendix A: incidents by month", level=1)
    document.add_paragraph("not counted at all")
    assert count_words(document) == 4 + 3 + 3  # the heading's four words, the paragraph's three, the table's three


def test_reading_time_and_short_dates():
    assert reading_time(5109) == "about 26 minutes (5,109 words before the appendices)"
    assert reading_time(90) == "about 1 minute (90 words before the appendices)"
    assert short_date("21 September 2025") == "21 Sep 2025"
    assert short_date("September 2025") == "September 2025"  # a month is not a date
    assert short_date(None) is None


@pytest.fixture(scope="module")
def demo_docx(tmp_path_factory):
    from datapack.build import build
    from datapack.config import load_config
    import datetime as dt
    out = tmp_path_factory.mktemp("layout")
    result = build(load_config(ROOT / "datapack.yaml"), output=out / "packs", reporter=None, formats=("docx",),
                   built_at=dt.datetime(2026, 11, 1, 9, 0), facilities=["HSC"])
    assert not result.failed
    return result.output / "hsc" / "datapack.docx"


def test_a_demo_pack_has_its_contents_filled_and_its_reading_time_on_the_cover(demo_docx):
    document = docx.Document(str(demo_docx))
    body = "\n".join(p.text for p in document.paragraphs)
    assert "Right-click" not in body
    chapters = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    links = ["".join(t.text for t in link.iter(qn("w:t"))) for link in document.element.body.iter(qn("w:hyperlink"))]
    assert all(chapter in links for chapter in chapters), (chapters, links)
    cover = {row.cells[0].text: row.cells[1].text for row in document.tables[0].rows}
    words = count_words(document) - len(cover["Reading time"].split())  # counted before the time was written
    assert cover["Reading time"] == reading_time(words)
