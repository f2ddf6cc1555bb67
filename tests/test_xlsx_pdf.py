"""data.xlsx (the tables behind the pack, after disclosure control, safe to open) and the PDF pack."""

from __future__ import annotations

import copy
import datetime as dt
import io
import os
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from datapack.analysis import facility_context
from datapack.analysis.estate import analyse
from datapack.config import load_config
from datapack.disclosure import Control
from datapack.ingest import load_estate
from datapack.render import pdf
from datapack.render.xlsx import number_format_for, render_xlsx, sheet_name

ROOT = Path(__file__).resolve().parents[1]
BUILT = dt.datetime(2026, 10, 15)
SYMBOL = "[c]"
CANARY = 987654


@pytest.fixture(scope="module")
def contexts(demo_public_analysis_at):
    """Contexts of the demo estate for a public audience: KSM (large) and LLS (small, so many figures are hidden)."""
    analysis = demo_public_analysis_at("2026-10-15")
    estate, control = analysis.estate, analysis.control
    return {fid: facility_context(estate, fid, control, BUILT, analysis=analysis) for fid in ("KSM", "LLS")}


def _book(context):
    return load_workbook(io.BytesIO(render_xlsx(context)))


def _records(ws, header_row: int = 1) -> list[dict]:
    """The sheet's rows as dicts keyed by header, read back independently of the renderer."""
    rows = list(ws.iter_rows(min_row=header_row, values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def _figures(node):
    if isinstance(node, dict):
        if set(node) == {"text", "value", "hidden"}:
            yield node
        for v in node.values():
            yield from _figures(v)
    elif isinstance(node, list):
        for v in node:
            yield from _figures(v)


def _expected(fig):
    """What a figure's cell must hold: the symbol when hidden, the text when missing, else the value."""
    return fig["text"] if fig["hidden"] or fig["value"] is None else pytest.approx(fig["value"])


@pytest.mark.parametrize("fid", ["KSM", "LLS"])
def test_every_sheet_has_a_bold_frozen_filtered_header_and_the_marking(contexts, fid):
    context = contexts[fid]
    marking = context["project"]["marking"]
    book = _book(context)
    assert book.sheetnames[0] == "About" and book["About"]["A1"].value == marking
    names = [n.lower() for n in book.sheetnames]
    assert len(set(names)) == len(names)
    for ws in book:
        assert len(ws.title) <= 31 and not re.search(r"[\[\]:*?/\\]", ws.title)
        row = 2 if ws.title == "About" else 1
        header = [c for c in ws[row] if c.value is not None]
        assert header and all(isinstance(c.value, str) and c.font.bold for c in header), ws.title
        assert ws.freeze_panes == f"A{row + 1}", ws.title
        assert ws.auto_filter.ref.startswith(f"A{row}:"), ws.title
        assert ws.oddHeader.center.text == marking and ws.oddFooter.center.text == marking, ws.title
        assert all(ws.column_dimensions[c.column_letter].width >= 8 for c in header), ws.title
    for expected in ("Indicators", "Areas for enquiry", "Population", "Incidents by month", "Control charts",
                     "Funnels", "Surveys", "Equality", "Early days", "Culture", "Recommendations", "Visits",
                     "Sources"):
        assert expected in book.sheetnames


@pytest.mark.parametrize("fid", ["KSM", "LLS"])
def test_indicators_sheet_holds_the_context_figure_values(contexts, fid):
    context = contexts[fid]
    rows = _records(_book(context)["Indicators"])
    assert [r["Id"] for r in rows] == [i["id"] for i in context["indicators"]]
    columns = {"Last 12 months": "last", "Previous 12 months": "prev", "Latest quarter": "quarter",
               "Rate": "rate", "Previous rate": "prev_rate"}
    for row, indicator in zip(rows, context["indicators"]):
        for header, key in columns.items():
            assert row[header] == _expected(indicator[key]), (indicator["id"], header)


def test_shown_numbers_are_numbers_formatted_as_the_pack_prints_them(contexts):
    context = contexts["KSM"]
    ws = _book(context)["Indicators"]
    first = context["indicators"][0]
    assert ws["F2"].value == first["last"]["value"] and ws["F2"].number_format == "#,##0"
    assert ws["I2"].number_format == number_format_for(first["rate"]["text"])
    assert number_format_for("1,136") == "#,##0" and number_format_for("5.2") == "#,##0.0"
    assert number_format_for("30%") == '0"%"' and number_format_for(SYMBOL) == "General"


def test_hidden_figures_read_as_the_symbol_for_a_small_facility(contexts):
    context = contexts["LLS"]
    book = _book(context)
    assert context["disclosure"]["symbol"] == SYMBOL

    table = context["incidents"]["table"]
    shown = [r for r in book["Incidents by month"].iter_rows(min_row=2, values_only=True)]
    cells = [cell for block in table["blocks"] for row in block["rows"] for cell in [row["cells"]]]
    assert len(shown) == len(cells)
    hidden = 0
    for values, figures in zip(shown, cells):
        for value, fig in zip(values[3:], figures):
            assert value == _expected(fig)
            hidden += fig["hidden"]
    assert hidden, "LLS should have hidden monthly incident cells"

    points = [p for chart in context["spc"].values() for p in chart["points"]]
    rows = _records(book["Control charts"])
    assert len(rows) == len(points) and any(p["hidden"] for p in points)
    for row, point in zip(rows, points):
        if point["hidden"]:
            assert row["Value"] == SYMBOL
        elif point["value"] is not None:
            assert row["Value"] == pytest.approx(point["value"])

    points = [p for f in context["funnels"].values() for p in f["points"]]
    rows = _records(book["Funnels"])
    # A place whose count is small is left off the funnel altogether (and out of its pooled rate),
    # so every point a funnel sheet lists has a rate that may be shown.
    assert len(rows) == len(points)
    for row, point in zip(rows, points):
        assert (row["Rate"] == SYMBOL) == point["hidden"]
        assert not point["hidden"] or point["this"]

    for row, item in zip(_records(book["Early days"]), context["early_days"]):
        for header, key in {"Early": "early", "Known": "known", "Percent": "pct", "Previous": "previous",
                            "Peers": "peers"}.items():
            assert row[header] == _expected(item[key])


def test_a_hidden_flag_wins_over_any_stray_value(contexts):
    """Even if a context wrongly carried a number beside a hidden flag, the workbook shows only the symbol."""
    context = copy.deepcopy(contexts["LLS"])
    planted = 0
    for fig in _figures(context):
        if fig["hidden"]:
            fig["value"], planted = CANARY, planted + 1
    for section in (*context["spc"].values(), *context["funnels"].values()):
        for point in section["points"]:
            if point["hidden"]:
                point["value"], planted = CANARY, planted + 1
    assert planted
    for ws in _book(context):
        for row in ws.iter_rows(values_only=True):
            assert CANARY not in row and not any(str(CANARY) in str(v) for v in row), ws.title


PAYLOADS = ['=HYPERLINK("http://x","y")', "+1", "@SUM(A1)", "-2+3", "\t=1+1", "\r=1+1", "  =1+1"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_text_that_looks_like_a_formula_is_stored_as_plain_text(contexts, payload):
    context = copy.deepcopy(contexts["LLS"])
    context["facility"]["name"] = payload
    context["enquiry"]["findings"][0]["sentence"] = payload + " more to ask"
    context["recommendations"]["outstanding"][0]["text"] = payload
    data = render_xlsx(context)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:  # the raw XML: no formula element anywhere
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert not re.search(rb"<f[ >]", archive.read(name)), name
    book = load_workbook(io.BytesIO(data))
    found = 0
    for ws in book:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate)
                if isinstance(cell.value, str) and cell.value.startswith(payload):
                    assert cell.data_type == "s" and cell.quotePrefix, (ws.title, cell.coordinate)
                    found += 1
    assert found >= 3  # the facility name on About, the sentence and the recommendation
    assert book["About"]["B3"].value == payload  # kept exactly: not evaluated, no visible quote added


def test_the_same_context_gives_the_same_bytes(contexts):
    context = contexts["KSM"]
    data = render_xlsx(context)
    assert render_xlsx(copy.deepcopy(context)) == data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert load_workbook(io.BytesIO(data)).properties.modified == BUILT


def test_sheet_names_are_made_valid_and_unique():
    taken: set[str] = set()
    assert sheet_name("About", taken) == "About"
    assert sheet_name("about", taken) == "about (2)"
    long = sheet_name("Rates: [self-harm]/assaults*? " * 3, taken)
    assert len(long) <= 31 and not re.search(r"[\[\]:*?/\\]", long)
    again = sheet_name("Rates: [self-harm]/assaults*? " * 3, taken)
    assert again != long and len(again) <= 31


@pytest.mark.skipif(not pdf.libreoffice_available(), reason="LibreOffice is not installed")
def test_the_word_pack_converts_to_pdf(contexts):
    from datapack.charts import facility_charts
    from datapack.render import render_docx

    context = contexts["LLS"]
    data = pdf.convert_to_pdf(render_docx(context, facility_charts(context)))
    assert data.startswith(b"%PDF")
    if shutil.which("pdftotext"):
        import subprocess
        text = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout
        assert context["facility"]["name"].encode() in text
        assert context["project"]["marking"].encode() in text


def test_missing_libreoffice_raises_with_the_install_hint(monkeypatch):
    monkeypatch.setattr(pdf.shutil, "which", lambda name: None)
    monkeypatch.setattr(pdf, "INSTALL_PATHS", ())
    assert pdf.libreoffice_available() is None
    with pytest.raises(pdf.PdfUnavailable) as caught:
        pdf.convert_to_pdf(b"PK")
    message = str(caught.value)
    assert "apt-get install libreoffice-writer-nogui" in message and "libreoffice.org" in message
    assert "HTML and Word packs were still written" in message


@pytest.mark.skipif(os.name != "posix", reason="uses a shell script as a stand-in for LibreOffice")
def test_a_conversion_that_hangs_is_stopped_at_the_timeout(monkeypatch, tmp_path):
    fake = tmp_path / "soffice"
    fake.write_text("#!/bin/sh\nsleep 60\n")
    fake.chmod(0o755)
    monkeypatch.setattr(pdf, "libreoffice_available", lambda: str(fake))
    started = dt.datetime.now()
    with pytest.raises(pdf.PdfConversionFailed, match="longer than 1 seconds"):
        pdf.convert_to_pdf(b"PK", timeout=1)
    assert (dt.datetime.now() - started).total_seconds() < 30
