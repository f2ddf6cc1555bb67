"""``comparison.docx``: the comparison pack in Word, built with python-docx (no template).

Landscape A4, the marking in every page's header and footer, real
headings, the facility table with a header row that repeats on each page,
and the funnel plots with their alt text (``descr``) and title set on the
picture, as the facility pack does. The same context gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any, Iterable

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from datapack.render.zipnorm import normalise_zip

CHART_WIDTH = Mm(200)


def _repeat_header(row: Any) -> None:
    """Mark a table row as a header row that Word repeats at the top of each page."""
    props = row._tr.get_or_add_trPr()
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    props.append(flag)


def _table(doc: Any, head: list[str], rows: list[list[str]], size: float = 7.5) -> None:
    table = doc.add_table(rows=1, cols=len(head))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, head):
        cell.text = ""
        run = cell.paragraphs[0].add_run(text)
        run.bold, run.font.size = True, Pt(size)
    _repeat_header(table.rows[0])
    for values in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, values):
            cell.text = ""
            cell.paragraphs[0].add_run(text or "").font.size = Pt(size)


def _page(doc: Any, marking: str) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(12))
    for part in (section.header, section.footer):
        para = part.paragraphs[0]
        para.alignment = 1  # centred
        para.add_run(marking).bold = True


def _facility_rows(ctx: dict) -> tuple[list[str], list[list[str]]]:
    head = ["Facility", "Type", "Peer group", "Region", "Score", "Suggested visit"]
    head += [i["label"] for i in ctx["indicators"]]
    head += ["Deaths, 12 months", "Deaths since last visit", "Recs not achieved", "Overdue", "Days since last visit",
             "Areas for enquiry (H, M, L)"]
    rows = []
    for f in ctx["facilities"]:
        cells = [f["name"], f["type_label"], f["peer_group"], f["region"] or "", f["priority"]["score_text"],
                 f["priority"]["band"]["label"]]
        for c in f["indicators"]:
            flag = f"; {c['funnel']['shape']} {c['funnel']['word']}" if c["funnel"]["shape"] else ""
            cells.append(f"{c['rate']['text']} ({c['count']['text']})\n{c['spc']['shape']} {c['spc']['word']}{flag}")
        recs = f["recommendations"]
        cells += [f["deaths"]["last_12_months"]["text"], f["deaths"]["since_last_visit"]["text"],
                  recs["open"]["text"] if recs["held"] else "none held",
                  recs["overdue"]["text"] if recs["held"] else "none held",
                  f["last_visit"]["days"]["text"],
                  f["enquiry"]["text"] if f["enquiry"]["error"]
                  else f"{f['enquiry']['high']}, {f['enquiry']['medium']}, {f['enquiry']['low']}"]
        rows.append(cells)
    return head, rows


def render_comparison_docx(context: dict[str, Any], charts: Iterable[Any] = ()) -> bytes:
    """The comparison pack as Word document bytes."""
    ctx = context
    doc = Document()
    _page(doc, ctx["project"]["marking"] or "")
    built = dt.datetime.fromisoformat(ctx["built_at"]["iso"]).replace(tzinfo=None)
    props = doc.core_properties
    props.author, props.last_modified_by, props.title = "datapack", "", "Comparison across facilities"
    props.created = props.modified = built
    props.revision = 1
    doc.add_paragraph(ctx["project"]["body"])
    doc.add_heading("Comparison across facilities", level=0)
    doc.add_paragraph(f"{ctx['count']} facilities. Incidents {ctx['period']['label']}; recommendations and visits as "
                      f"at {ctx['as_of']['label']}. Built {ctx['built_at']['label']} by datapack {ctx['version']}.")
    doc.add_paragraph().add_run(ctx["reminder"]).bold = True

    doc.add_heading("1. Facilities", level=1)
    doc.add_paragraph("Rates per 1,000 (population, or detentions for police custody) over the last 12 months, "
                      "count in brackets; under each, the control chart's latest reading and any funnel outlier "
                      f"among like places. {ctx['disclosure']['symbol']} = hidden (small number).")
    _table(doc, *_facility_rows(ctx))

    doc.add_heading("2. Recent special-cause changes", level=1)
    if ctx["changes"]:
        _table(doc, ["Facility", "Indicator", "Signal", "What", "Since"],
               [[c["facility"], c["label"], f"{c['shape']} {c['word']}", c["what"], c["since"]]
                for c in ctx["changes"]], size=8.5)
    else:
        doc.add_paragraph(f"No control chart shows a special cause in the latest {ctx['signal_months']} months.")

    doc.add_heading("3. Funnel plots", level=1)
    for chart in charts:
        doc.add_heading(chart.title, level=2)
        shape = doc.add_paragraph().add_run().add_picture(io.BytesIO(chart.png), width=CHART_WIDTH)
        shape._inline.docPr.set("name", f"Chart: {chart.title}")
        shape._inline.docPr.set("descr", chart.alt)
        shape._inline.docPr.set("title", chart.title)
        doc.add_paragraph(chart.alt)

    doc.add_heading("4. Priority for visiting", level=1)
    doc.add_paragraph("An aid to prioritising, not a rating: the points from each factor add up to the score. "
                      + ctx["schedule"]["settings"]["missing"])
    factors = [f["label"] for f in ctx["schedule"]["settings"]["factors"]]
    _table(doc, ["Rank", "Facility", "Score", "Suggested visit"] + factors,
           [[str(p["rank"]), p["name"], p["score_text"], p["band"]] + [x["points_text"] for x in p["parts"]]
            for p in ctx["schedule"]["order"]])

    doc.add_heading("5. Disclosure control", level=1)
    doc.add_paragraph(ctx["disclosure"]["rule"])
    buffer = io.BytesIO()
    doc.save(buffer)
    return normalise_zip(buffer.getvalue())
