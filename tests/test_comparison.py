"""The comparison pack for managers: every facility, the planted signals standing out, disclosure, safe outputs."""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
import os
import re
import shutil
import zipfile
from pathlib import Path

import jinja2
import jinja2.meta
import pytest
from openpyxl import load_workbook

from datapack.analysis.estate import analyse
from datapack.config import load_config
from datapack.disclosure import Control
from datapack.estate_views.charts import comparison_charts
from datapack.estate_views.comparison import comparison_context
from datapack.estate_views.docx import render_comparison_docx
from datapack.estate_views.render import render_comparison_html, render_comparison_json
from datapack.estate_views.schedule import schedule
from datapack.estate_views.xlsx import render_comparison_xlsx
from datapack.ingest import load_estate
from datapack.render.html import environment

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "templates"
BUILT = dt.datetime(2026, 10, 15)  # the shared demo analyses are of this date (conftest.DEMO_AS_OF)
SYMBOL = "[c]"


@pytest.fixture(scope="module")
def analysis(demo_analysis_at):
    return demo_analysis_at(BUILT)


def _made(analysis) -> dict:
    context = comparison_context(analysis, BUILT, priorities=schedule(analysis))
    charts = comparison_charts(context)
    return {"context": context, "charts": charts, "html": render_comparison_html(context, charts)}


@pytest.fixture(scope="module")
def built(analysis):
    """The demo's comparison context, charts and HTML for the team (the default audience), made once."""
    return _made(analysis)


@pytest.fixture(scope="module")
def public(demo_public_analysis_at):
    """The same for a public audience: small counts hidden."""
    return _made(demo_public_analysis_at(BUILT))


def _row(context, fid):
    return next(f for f in context["facilities"] if f["id"] == fid)


def _cell(context, fid, indicator):
    row = _row(context, fid)
    return next(c for c in row["indicators"] if c["id"] == indicator)


def _figures(node):
    if isinstance(node, dict):
        if set(node) in ({"text", "value", "hidden"}, {"text", "value", "hidden", "note"}):
            yield node
        for v in node.values():
            yield from _figures(v)
    elif isinstance(node, list):
        for v in node:
            yield from _figures(v)


# -- content --------------------------------------------------------------------------------------

def test_every_facility_in_the_register_has_one_row(analysis, built):
    ids = [f["id"] for f in built["context"]["facilities"]]
    assert sorted(ids) == sorted(analysis.estate.facilities["facility_id"]) and len(ids) == len(set(ids)) == 12
    assert [r["id"] for r in built["context"]["signal_map"]["rows"]] == ids
    assert built["context"]["count"] == 12


def test_kestrel_moors_self_harm_rise_is_a_concern_in_the_signal_map_and_the_recent_changes(built):
    context = built["context"]
    row = next(r for r in context["signal_map"]["rows"] if r["id"] == "KSM")
    columns = [c["id"] for c in context["signal_map"]["indicators"]]
    cell = row["cells"][columns.index("self_harm")]
    assert cell["spc"]["kind"] == "concern" and cell["spc"]["shape"] == "▲" and cell["level"] == 2
    assert "concern" in cell["text"]
    change = next(c for c in context["changes"] if c["facility_id"] == "KSM" and c["indicator"] == "self_harm")
    assert change["kind"] == "concern" and change["rule"] == "trend" and change["ongoing"]
    assert change["what"].startswith("rising for") and change["since"].endswith("2025")
    assert context["changes"][0]["kind"] == "concern"  # concerns come first
    # the quiet place has no special cause or outlier on the worse side anywhere
    brf = next(r for r in context["signal_map"]["rows"] if r["id"] == "BRF")
    assert not [c for c in brf["cells"] if c["spc"]["kind"] == "concern" or c["funnel"]["side"] == "worse"]


def test_the_planted_places_have_high_severity_areas_for_enquiry_and_brackenfield_none(built):
    context = built["context"]
    for fid in ("NGT", "CSB", "HWM", "KSM"):
        assert _row(context, fid)["enquiry"]["high"] >= 1, fid
    assert _row(context, "BRF")["enquiry"]["total"] == 0 and _row(context, "BRF")["enquiry"]["text"] == "none"


def test_areas_for_enquiry_match_the_facility_pack_and_a_build_can_pass_its_counts_in(analysis, built):
    from datapack.analysis import facility_context

    pack = facility_context(analysis.estate, "KSM", analysis.control, BUILT, analysis=analysis)
    ksm = _row(built["context"], "KSM")["enquiry"]
    assert {k: ksm[k] for k in ("high", "medium", "low")} == pack["enquiry"]["counts"]
    counts = {f["id"]: {k: f["enquiry"][k] for k in ("high", "medium", "low")} for f in built["context"]["facilities"]}
    again = comparison_context(analysis, BUILT, priorities=schedule(analysis), enquiry=counts)
    assert again == built["context"]


def test_recommendations_and_visits_are_counted_to_the_analysis_date(built):
    csb = _row(built["context"], "CSB")
    assert csb["recommendations"]["open"]["value"] == 14 and csb["recommendations"]["repeats"]["value"] == 6
    assert csb["recommendations"]["overdue"]["value"] == 14
    assert _row(built["context"], "BRF")["recommendations"]["open"]["value"] == 0
    assert csb["last_visit"]["iso"] == "2025-08-18" and csb["last_visit"]["type"] == "full"
    assert csb["last_visit"]["days"]["value"] == (BUILT.date() - dt.date(2025, 8, 18)).days


def test_in_public_a_death_under_the_threshold_shows_the_symbol_not_a_number(public):
    deaths = _row(public["context"], "HWM")["deaths"]
    for key in ("last_12_months", "self_inflicted_last_12_months", "since_last_visit",
                "self_inflicted_since_last_visit"):
        assert deaths[key] == {"text": SYMBOL, "value": None, "hidden": True, "note": "Hidden: small number"}, key
    assert _row(public["context"], "BRF")["deaths"]["last_12_months"]["text"] == "0"


def test_the_teams_comparison_shows_a_single_death_and_a_single_serious_assault(built):
    deaths = _row(built["context"], "HWM")["deaths"]
    assert deaths["self_inflicted_last_12_months"] == {"text": "1", "value": 1, "hidden": False}
    cell = _cell(built["context"], "LLS", "serious_assaults")
    assert cell["count"] == {"text": "1", "value": 1, "hidden": False} and not cell["rate"]["hidden"]
    # the one secure hospital is on no estate funnel: it is never plotted against prisons
    assert "LLS" not in {p["id"] for f in built["context"]["funnels"].values() for p in f["points"]}
    assert any(name.startswith("Linden Lodge Secure Unit") for name in built["context"]["not_plotted"])
    assert not [f for f in _figures(built["context"]) if f["hidden"] and f.get("note") is None]


def test_in_public_a_small_count_shows_the_suppression_symbol_rather_than_a_number(public):
    context, html = public["context"], public["html"]
    cell = _cell(context, "LLS", "serious_assaults")   # one serious assault at the small hospital
    assert cell["count"] == {"text": SYMBOL, "value": None, "hidden": True, "note": "Hidden: small number"}
    assert cell["rate"]["hidden"] and cell["rate"]["text"] == SYMBOL
    row = re.search(r'<tr data-facility="LLS".*?</tr>', html, re.S).group(0)
    assert f'<span class="suppressed" title="Hidden: small number">{SYMBOL}</span>' in row
    # a place whose count is hidden is left off its type's estate funnel, and out of its pooled rate
    for f in context["funnels"].values():
        for p in f["points"]:
            assert not _cell(context, p["id"], f["indicator"])["count"]["hidden"], (f["id"], p["id"])
        for name in f["left_off"]:
            fid = next(r["id"] for r in context["facilities"] if r["name"] == name)
            assert _cell(context, fid, f["indicator"])["count"]["hidden"], (f["id"], name)


def test_an_estate_funnel_holds_places_of_one_type_only(built, demo_estate):
    kinds = demo_estate.facilities.set_index("facility_id")["facility_type"]
    funnels = built["context"]["funnels"]
    assert funnels
    for f in funnels.values():
        assert {kinds[p["id"]] for p in f["points"]} == {f["type"]} and len(f["points"]) >= 3
    # the demo has six prisons, and one place of each other type with a population: only prisons are plotted
    assert {f["type"] for f in funnels.values() if f["basis"] == "population"} == {"prison"}
    named = " ".join(built["context"]["not_plotted"])
    for fid in ("LLS", "HWM", "WRF", "FBK"):
        assert demo_estate.facilities.set_index("facility_id").loc[fid, "name"] in named


def test_no_hidden_figure_carries_a_value_anywhere_in_the_context(public):
    figures = list(_figures(public["context"]))
    assert len(figures) > 100
    hidden = [f for f in figures if f["hidden"]]
    assert hidden and all(f["value"] is None and f["text"] == SYMBOL for f in hidden)


def test_the_context_is_plain_json_and_round_trips(built):
    text = render_comparison_json(built["context"])
    assert json.loads(text) == built["context"]


def test_every_name_a_template_uses_is_a_context_key(built):
    env = environment([TEMPLATES])
    allowed = set(built["context"]) | {"charts"}
    for name in ("comparison.html.j2", *(f"comparison/{p.name}" for p in (TEMPLATES / "comparison").glob("*.j2"))):
        used = jinja2.meta.find_undeclared_variables(env.parse((TEMPLATES / name).read_text(encoding="utf-8")))
        assert used <= allowed, f"{name} uses {sorted(used - allowed)}"


# -- HTML -----------------------------------------------------------------------------------------

def test_the_html_has_the_marking_top_and_bottom_and_says_it_is_not_a_judgement(built):
    html = built["html"]
    assert html.count('aria-label="Classification marking">OFFICIAL-SENSITIVE</div>') == 2
    assert html.index("marking-top") < html.index("<main") < html.rindex("marking-bottom")
    assert "a starting point for planning, not a judgement" in html.lower()
    assert re.findall(r"<h([1-3])\b", html)[:2] == ["1", "2"]


def test_the_table_sorts_with_header_buttons_and_filters_by_type_peer_group_region_and_body(built):
    html = built["html"]
    table = re.search(r'<table id="facility-table".*?</table>', html, re.S).group(0)
    head = re.search(r"<thead>.*?</thead>", table, re.S).group(0)
    headers = re.findall(r"<th\b[^>]*>", head)
    assert headers and all('scope="col"' in h and 'aria-sort="none"' in h for h in headers)
    assert head.count('<button type="button" class="sort">') == len(headers)
    for key in ("type", "peer_group", "region", "body"):
        assert f'<select id="filter-{key}" name="{key}">' in html
        assert f'data-filter-{key}="' in table
    assert '<option value="Category B reception">Category B reception</option>' in html
    assert "addEventListener" in html and "aria-sort" in html  # the inline script


def test_the_html_asks_for_nothing_over_the_network(built):
    html = built["html"]
    for attr, value in re.findall(r'\b(src|href|action)\s*=\s*["\']([^"\']*)', html, re.I):
        assert not re.match(r"(?i)(https?:|//|ftp:)", value.strip()), (attr, value)
    assert "<link" not in html and "@import" not in html and "url(http" not in html
    assert "default-src 'none'" in html
    assert len(built["charts"]) == len(built["context"]["charts"]) >= 3
    assert html.count('<svg role="img"') == len(built["charts"])


def test_text_from_the_data_is_escaped(built):
    context = copy.deepcopy(built["context"])
    evil = "<script>alert(1)</script>"
    context["facilities"][0]["name"] = evil
    context["facilities"][0]["filters"]["region"] = '"><img src=x onerror=alert(1)>'
    context["filters"][2]["options"].append(evil)
    context["changes"][0]["facility"] = evil
    html = render_comparison_html(context, built["charts"])
    assert evil not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'data-filter-region="&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"' in html


# -- Excel and Word -------------------------------------------------------------------------------

PAYLOADS = ['=HYPERLINK("http://x","y")', "+1", "@SUM(A1)", "-2+3", "\t=1+1"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_xlsx_cells_that_look_like_formulas_are_stored_as_text(built, payload):
    context = copy.deepcopy(built["context"])
    context["facilities"][0]["name"] = payload
    context["changes"][0]["what"] = payload + " more"
    context["schedule"]["order"][0]["name"] = payload
    data = render_comparison_xlsx(context)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert not re.search(rb"<f[ >]", archive.read(name)), name
    found = 0
    for ws in load_workbook(io.BytesIO(data)):
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f"
                if isinstance(cell.value, str) and cell.value.startswith(payload):
                    assert cell.data_type == "s" and cell.quotePrefix, (ws.title, cell.coordinate)
                    found += 1
    assert found >= 3


def test_xlsx_hidden_figures_read_as_the_symbol_and_shown_ones_as_numbers(public):
    book = load_workbook(io.BytesIO(render_comparison_xlsx(public["context"])))
    assert book["About"]["A1"].value == "OFFICIAL-SENSITIVE"
    rows = list(book["Key indicators"].iter_rows(values_only=True))
    head, body = rows[0], [dict(zip(rows[0], r)) for r in rows[1:]]
    lls = next(r for r in body
               if r["Facility"] == "Linden Lodge Secure Unit" and r["Indicator id"] == "serious_assaults")
    assert lls["Last 12 months"] == SYMBOL and lls["Rate"] == SYMBOL
    ksm = next(r for r in body if r["Facility"] == "HMP Kestrel Moor" and r["Indicator id"] == "self_harm")
    assert isinstance(ksm["Last 12 months"], (int, float)) and ksm["Last 12 months"] > 0
    assert "Last 12 months" in head


def test_the_word_pack_has_headings_a_repeating_header_row_and_described_charts(built):
    import docx

    data = render_comparison_docx(built["context"], built["charts"])
    document = docx.Document(io.BytesIO(data))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:2] == ["1. Facilities", "2. Recent special-cause changes"]
    main = document.tables[0]
    assert 'w:tblHeader w:val="true"' in main.rows[0]._tr.xml or "tblHeader" in main.rows[0]._tr.xml
    assert len(main.rows) == 13
    pictures = document.inline_shapes
    assert len(pictures) == len(built["charts"])
    assert all(p._inline.docPr.get("descr") for p in pictures)
    section = document.sections[0]
    assert section.header.paragraphs[0].text == section.footer.paragraphs[0].text == "OFFICIAL-SENSITIVE"
    assert render_comparison_docx(copy.deepcopy(built["context"]), built["charts"]) == data
    assert render_comparison_xlsx(copy.deepcopy(built["context"])) == render_comparison_xlsx(built["context"])


# -- in a real browser ------------------------------------------------------------------------------

def _browser_or_skip() -> str:
    path = os.environ.get("DATAPACK_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        path = ""
    if not path or not Path(path).is_file():
        message = "Chromium and Playwright are needed: apt-get install chromium; pip install -e '.[test]'"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def test_in_chromium_the_headers_sort_by_mouse_and_keyboard_and_the_filters_hide_rows(built, tmp_path):
    chromium = _browser_or_skip()
    from playwright.sync_api import sync_playwright

    page_file = tmp_path / "comparison.html"
    page_file.write_text(built["html"], encoding="utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_context(offline=True).new_page()
            errors, requests = [], []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(page_file.as_uri())
            score = "#facility-table thead th:nth-child(6)"
            page.click(f"{score} button")
            assert page.get_attribute(score, "aria-sort") == "ascending"
            scores = page.eval_on_selector_all("#facility-table tbody tr td:nth-child(6)",
                                               "cells => cells.map(c => parseFloat(c.dataset.sort))")
            assert scores == sorted(scores)
            page.focus(f"{score} button")
            page.keyboard.press("Enter")
            assert page.get_attribute(score, "aria-sort") == "descending"
            first = page.eval_on_selector("#facility-table tbody tr", "r => r.dataset.facility")
            assert first == max(built["context"]["facilities"], key=lambda f: f["priority"]["score"])["id"]
            page.select_option("#filter-type", "Prison")
            shown = page.eval_on_selector_all("#facility-table tbody tr:not([hidden])", "rs => rs.length")
            prisons = sum(1 for f in built["context"]["facilities"] if f["type"] == "prison")
            assert shown == prisons and f"Showing {prisons} of 12" in page.inner_text("#filter-status")
            page.click("#filter-reset")
            assert page.eval_on_selector_all("#facility-table tbody tr:not([hidden])", "rs => rs.length") == 12
            assert not errors and requests == [page_file.as_uri()]
        finally:
            browser.close()
