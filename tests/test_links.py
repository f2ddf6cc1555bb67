"""From any area for enquiry to the chart or table behind it, in both formats."""

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import pytest

from datapack.analysis import facility_context
from datapack.analysis.estate import analyse
from datapack.charts import facility_charts
from datapack.config import load_config
from datapack.disclosure import Control
from datapack.ingest import load_estate
from datapack.render import render_docx, render_html

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow  # three packs rendered in every format
FACILITIES = ("KSM", "CSB", "LLS")  # a large prison, one with a death, a small unit


@pytest.fixture(scope="module")
def packs(demo_analysis):
    analysis = demo_analysis
    estate, control = analysis.estate, analysis.control
    out = {}
    for fid in FACILITIES:
        context = facility_context(estate, fid, control, dt.datetime(2026, 10, 15), analysis=analysis)
        charts = facility_charts(context)
        out[fid] = (context, render_html(context, charts), render_docx(context, charts))
    return out


@pytest.mark.parametrize("fid", FACILITIES)
def test_every_evidence_link_in_html_lands_on_an_element(packs, fid):
    context, html, _ = packs[fid]
    ids = set(re.findall(r'\sid="([^"]+)"', html))
    targets = {t for f in context["enquiry"]["findings"] for t in f["evidence"]["links"].values()}
    assert targets, "each of these facilities has areas for enquiry"
    assert targets <= ids, sorted(targets - ids)
    for target in targets:
        assert f'href="#{target}"' in html


@pytest.mark.parametrize("fid", FACILITIES)
def test_every_link_in_word_lands_on_a_bookmark(packs, fid):
    context, _, word = packs[fid]
    xml = zipfile.ZipFile(io.BytesIO(word)).read("word/document.xml").decode()
    links = set(re.findall(r'<w:hyperlink w:anchor="([^"]+)"', xml))
    marks = re.findall(r'<w:bookmarkStart w:id="\d+" w:name="([^"]+)"', xml)
    n_links = sum(len(f["evidence"]["links"]) for f in context["enquiry"]["findings"])
    assert len(links) > 0 and n_links > 0
    assert links <= set(marks), sorted(links - set(marks))
    assert len(marks) == len(set(marks)), "bookmark names must be unique"


@pytest.mark.parametrize("fid", FACILITIES)
def test_every_finding_names_its_source_files_in_both_formats(packs, fid):
    context, html, word = packs[fid]
    xml = zipfile.ZipFile(io.BytesIO(word)).read("word/document.xml").decode()
    for finding in context["enquiry"]["findings"]:
        for source in finding["evidence"]["sources"]:
            assert source in html and source.replace("...", "…")[:20] in xml.replace("...", "…")
