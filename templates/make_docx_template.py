"""Make ``templates/pack.docx``, the Word template of a facility's pack (docxtpl / Jinja tags).

Run it again after changing it: ``.venv/bin/python templates/make_docx_template.py``.
An installed wheel ships it too (as ``datapack/templates/``): ``python -m
datapack.templates.make_docx_template my-templates/pack.docx`` writes the template to the
path given (by default ``pack.docx`` beside this script).
The output is committed so analysts can restyle it in Word (keep the
``{{ }}``, ``{%p %}`` and ``{%tr %}`` tags intact; each loop or condition tag
sits in a paragraph or table row of its own). The tags use the context
documented in docs/context.md, with ``charts[id]`` = {image, title, alt}.
Same script, same bytes: dates and zip timestamps are fixed.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import sys
from pathlib import Path

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt, RGBColor

# In a checkout the package sits beside templates/; an installed copy imports the installed package.
_CHECKOUT = Path(__file__).resolve().parents[1]
if (_CHECKOUT / "datapack" / "__init__.py").is_file():
    sys.path.insert(0, str(_CHECKOUT))
from datapack.render.docx import normalise_zip  # noqa: E402

ACCENT = RGBColor(0x0B, 0x4F, 0x7C)
INK = RGBColor(0x22, 0x22, 0x22)
OUT = Path(__file__).resolve().with_name("pack.docx")


def _styles(doc) -> None:
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size, normal.font.color.rgb = "Arial", Pt(10), INK
    normal.paragraph_format.space_after = Pt(4)
    for name, size in (("Title", 26), ("Heading 1", 16), ("Heading 2", 13), ("Heading 3", 11)):
        style = doc.styles[name]
        style.font.name, style.font.size, style.font.color.rgb, style.font.bold = "Arial", Pt(size), ACCENT, True
    # Chapters run on (a printed pack is read through); only "At a glance" starts a page, after the cover.
    doc.styles["Heading 1"].paragraph_format.keep_with_next = True
    table_text = doc.styles.add_style("Table Text", WD_STYLE_TYPE.PARAGRAPH)
    table_text.base_style = normal
    table_text.font.size = Pt(9)
    table_text.paragraph_format.space_after = Pt(0)
    doc.styles["Caption"].font.color.rgb = INK
    # English (UK) for the spell checker and screen readers.
    rpr = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    rpr.append(parse_xml(f'<w:lang {nsdecls("w")} w:val="en-GB"/>'))


def _page(doc) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(20)
    section.top_margin = section.bottom_margin = Mm(22)
    for part in (section.header, section.footer):
        p = part.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.add_run("{{ project.marking }}").bold = True
    p = section.footer.add_paragraph("{{ facility.name }}: {{ project.title }}. Page ")
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _field(p, "PAGE")


def _field(paragraph, code: str) -> None:
    """A Word field (PAGE, TOC): begin, instruction, separate, placeholder result, end (five runs)."""
    for part in ("begin", "instr", "separate", "result", "end"):
        run = paragraph.add_run("1" if part == "result" else None)
        if part == "instr":
            run._r.append(parse_xml(f'<w:instrText {nsdecls("w")} xml:space="preserve"> {code} </w:instrText>'))
        elif part != "result":
            run._r.append(parse_xml(f'<w:fldChar {nsdecls("w")} w:fldCharType="{part}"/>'))


def _areas(doc, which: str, offset) -> None:
    """The areas for enquiry that ``which`` selects: title, prompt, then each finding with its evidence."""
    _para(doc, "{%p for area in enquiry.areas|" + which + " %}")
    p = _para(doc, "{{ loop.index + " + str(offset) + " }}. [{{ area.severity|upper }}] {{ area.title }}. ", bold=True)
    p.add_run("{{ area.prompt or '' }}")
    _para(doc, "{%p for i in area.findings %}")
    _para(doc, "{{ enquiry.findings[i].sentence }}", style="List Bullet")
    _para(doc, "Evidence: {% for fig in enquiry.findings[i].evidence.figures %}{{ fig.label }}: {{ fig.text }}"
               "{% if not loop.last %}; {% endif %}{% endfor %}. Compared with: "
               "{{ enquiry.findings[i].evidence.compared_with }}."
               "{% for kind, target in enquiry.findings[i].evidence.links.items() %} "
               "{{ doclink(target, 'See the ' ~ kind) }}.{% endfor %}", italic=True)
    _para(doc, "{%p endfor %}")
    _para(doc, "{%p if area.sources %}")
    _para(doc, "Source files: {{ area.sources|join(', ') }}.", italic=True)
    _para(doc, "{%p endif %}")
    _para(doc, "{%p endfor %}")


def _para(doc, text: str, style: str | None = None, bold: bool = False, italic: bool = False):
    p = doc.add_paragraph(style=style)
    run = p.add_run(text)
    run.bold, run.italic = bold, italic
    return p


def _header_row(row, labels: list[str]) -> None:
    """Bold, shaded, and repeated at the top of every page the table runs onto (w:tblHeader)."""
    row._tr.get_or_add_trPr().append(parse_xml(f'<w:tblHeader {nsdecls("w")} w:val="true"/>'))
    for cell, label in zip(row.cells, labels):
        cell.text = ""
        cell.paragraphs[0].add_run(label).bold = True
        cell._tc.get_or_add_tcPr().append(parse_xml(f'<w:shd {nsdecls("w")} w:val="clear" w:color="auto" w:fill="EDEDEB"/>'))


#: Text width of the page (A4 less the margins of :func:`_page`), in mm.
TEXT_WIDTH = 170.0


def _set_widths(table, widths: list[float]) -> None:
    """Fixed column widths, in the grid and in every cell (a row docxtpl repeats keeps its cells' widths).

    The template's columns are equal; each pack's are set from what its cells hold when it is rendered
    (:func:`datapack.render.docx_layout.fit_tables`), so a column is never narrower than its longest word."""
    table.autofit = False
    table._tbl.tblPr.append(parse_xml(f'<w:tblLayout {nsdecls("w")} w:type="fixed"/>'))
    for col, width in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths):
        col.set(qn("w:w"), str(int(Mm(width).twips)))
    for row in table.rows:
        for cell, width in zip(row.cells, widths):
            cell.width = Mm(width)


def _table(doc, caption: str, headers: list[str], cells: list[str], loop: str | None) -> None:
    """A captioned table: a header row, then one templated row repeated by ``{%tr for %}``."""
    _para(doc, caption, style="Caption")
    rows = 4 if loop else 2
    table = doc.add_table(rows=rows, cols=len(headers))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    _set_widths(table, [TEXT_WIDTH / len(headers)] * len(headers))
    tbl_pr = table._tbl.tblPr
    plain = re.sub(r"\{\{ anchor\([^}]*\) \}\}", "", caption)  # a bookmark cannot sit in an attribute
    tbl_pr.append(parse_xml(f'<w:tblCaption {nsdecls("w")} w:val="{plain}"/>'))
    _header_row(table.rows[0], headers)
    body = 2 if loop else 1
    if loop:
        table.rows[1].cells[0].text = f"{{%tr {loop} %}}"
        table.rows[3].cells[0].text = "{%tr endfor %}"
    for cell, text in zip(table.rows[body].cells, cells):
        cell.text = text
    for row in table.rows:
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                paragraph.style = doc.styles["Table Text"]


def _text_control(doc, tag: str, alias: str) -> None:
    """A plain-text content control (a box the team can type into in Word)."""
    doc.add_paragraph()  # keeps the control out of the heading before it
    sdt = parse_xml(
        f'<w:sdt {nsdecls("w")}><w:sdtPr><w:alias w:val="{alias}"/><w:tag w:val="{tag}"/><w:showingPlcHdr/>'
        '<w:text w:multiLine="1"/></w:sdtPr><w:sdtContent><w:p><w:r><w:rPr><w:color w:val="6B6B6B"/></w:rPr>'
        '<w:t>Click or tap here to enter text.</w:t></w:r></w:p></w:sdtContent></w:sdt>')
    body = doc.element.body
    body.insert(len(body) - 1, sdt)  # before the final section properties


def _chart_body(doc, key: str) -> None:
    """A chart's picture and caption (with its bookmark); ``key`` is a Jinja expression for its id."""
    _para(doc, f"{{{{ charts[{key}].image }}}}")
    _para(doc, f"{{{{ anchor('chart-' ~ {key}) }}}}{{{{ charts[{key}].title }}}}. {{{{ charts[{key}].alt }}}}",
          style="Caption")


def _chart(doc, key: str) -> None:
    """A chart, when it was drawn; ``key`` is a Jinja expression for its id (``"'population'"``)."""
    _para(doc, f"{{%p if {key} in charts %}}")
    _chart_body(doc, key)
    _para(doc, "{%p endif %}")


def build() -> Document:
    """The template document."""
    doc = Document()
    package = doc.part.package
    for rel_id, rel in list(package.rels.items()):
        if rel.reltype.endswith("/thumbnail"):  # python-docx's stock preview of a blank page
            del package.rels[rel_id]
    _styles(doc)
    _page(doc)
    props = doc.core_properties
    props.title, props.subject = "{{ facility.name }}: {{ project.title }}", "Pre-visit datapack"
    props.author = props.last_modified_by = "datapack"
    props.created = props.modified = dt.datetime(2026, 1, 1)
    props.revision = 1

    _para(doc, "{{ project.marking }}", bold=True).alignment = WD_ALIGN_PARAGRAPH.CENTER
    _para(doc, "{{ facility.name }}", style="Title")
    _para(doc, "{{ project.title }}{% if project.body %}: {{ project.body }}{% endif %}", style="Subtitle")
    _para(doc, "{{ facility.type_label }}{% if facility.function %}, {{ facility.function }}{% endif %}")
    _table(doc, "About this facility and this pack", ["Item", "Detail"], [], None)
    facts = doc.tables[-1]
    for label, value in (("Operator", "{{ facility.operator or 'not recorded' }}"),
                         ("Region", "{{ facility.region or 'not recorded' }}"),
                         ("Capacity", "{{ facility.capacity.text }}"),
                         ("Who is held", "{{ facility.population_group or 'not recorded' }}"),
                         ("Responsible body", "{{ facility.body or 'not recorded' }}"),
                         ("Data covers", "{{ period.label }}"),
                         ("Pack built", "{{ built_at.label }} (datapack {{ version }})"),
                         ("Reading time", "{{ reading_time }}"),
                         ("Marking", "{{ project.marking }}")):
        cells = facts.add_row().cells
        cells[0].text, cells[1].text = label, value
    facts._tbl.remove(facts.rows[1]._tr)
    _para(doc, "{%p if held.register %}")
    _para(doc, "{{ held.register }}", italic=True)
    _para(doc, "{%p endif %}")
    _para(doc, "This pack is a starting point for enquiry, not a judgement. ", bold=True).add_run(
        "Figures show where to look and what to ask; they do not say what is happening or why.")
    # Ask Word to refresh the contents (and page numbers) when the pack is opened.
    settings = doc.settings.element
    settings.append(parse_xml(f'<w:updateFields {nsdecls("w")} w:val="true"/>'))
    _para(doc, "Contents", style="Heading 2")
    toc = doc.add_paragraph()
    _field(toc, 'TOC \\o "1-1" \\h \\z \\u')
    toc.runs[3].text = "Right-click here and choose Update Field to list the contents."

    doc.add_heading("1. At a glance", level=1).paragraph_format.page_break_before = True
    _para(doc, "{%p for sentence in glance.sentences %}")
    _para(doc, "{{ sentence }}", style="List Bullet")
    _para(doc, "{%p endfor %}")
    doc.add_heading("Areas for enquiry", level=2)
    _para(doc, "Things the data suggest are worth looking into, one area per theme, most severe first, each with "
               "whom to ask and what to look at, and every finding behind it. Each is a starting point for questions, "
               "not a finding. Areas: high {{ enquiry.area_counts.high }}, medium {{ enquiry.area_counts.medium }}, "
               "low {{ enquiry.area_counts.low }}; findings: {{ enquiry.findings|length }}.{% if enquiry.version %} "
               "Master list version {{ enquiry.version }}.{% endif %}")
    _areas(doc, "selectattr('first_page')", 0)
    _para(doc, "{%p if enquiry.areas|rejectattr('first_page')|list %}")
    doc.add_heading("More areas for enquiry", level=3)
    _areas(doc, "rejectattr('first_page')", "enquiry.areas|selectattr('first_page')|list|length")
    _para(doc, "{%p endif %}")
    _para(doc, "{%p if not enquiry.areas %}")
    _para(doc, "Nothing in the data held was raised for enquiry.")
    _para(doc, "{%p endif %}")
    _para(doc, "{%p if enquiry.reviewed %}")
    doc.add_heading("Reviewed: nothing to highlight", level=3)
    # One paragraph, not a bullet each: the list is long for a small unit and says the same kind of thing.
    _para(doc, "{% for r in enquiry.reviewed %}{{ r.title }} ({{ r.subjects }}){% if not loop.last %}; "
               "{% else %}.{% endif %}{% endfor %}")
    _para(doc, "{%p endif %}")
    _para(doc, "{%p if indicators %}")
    # One rate unit for the whole table goes above it, not in every row (it would wrap each row to five lines).
    units = "indicators|map(attribute='per')|reject('equalto', '')|unique|list"
    _para(doc, "{%p if " + units + "|length == 1 %}")
    _para(doc, "Rates in this table are {{ (" + units + ")|first }}.")
    _para(doc, "{%p endif %}")
    # Where every indicator has the same position among peers (none compared, say), it is said once above.
    same = "(indicators|map(attribute='peer.text')|unique|list|length == 1 and not indicators|selectattr('peer.band')|list)"
    _para(doc, "{%p if " + same + " %}")
    _para(doc, "Among peers, every indicator: {{ indicators[0].peer.text }}.")
    _para(doc, "{%p endif %}")
    _table(doc, "{{ anchor('table-indicators') }}Key indicators: the last {{ indicators[0].window }}, against the "
           "previous {{ indicators[0].window }} and against peers",
           ["Indicator", "Last {{ indicators[0].window }}", "Rate", "Change", "Among peers", "Control chart"],
           ["{{ row.label }}", "{{ row.last.text }}", "{{ row.rate.text }}{% if row.rate.value is not none and (" + units + ")|length > 1 %} "
            "{{ row.per }}{% endif %}", "{{ row.change.arrow }} {{ row.change.text }}",
            "{% if " + same + " %}as above{% else %}{{ row.peer.text }}{% if row.peer.flag and row.peer.flag != "
            "'within' %}; {{ row.peer.band }} ({{ row.peer.flag_text|lower }}){% endif %}{% endif %}", "{{ row.spc.text }}"], "for row in indicators")
    _para(doc, "{%p else %}")
    _table(doc, "Key indicators", ["Indicator", "Figure", "Note"],
           ["{{ row.label }}", "{{ row.figure.text }}", "{{ row.note or '' }}"], "for row in glance.indicators")
    _para(doc, "{%p endif %}")

    doc.add_heading("2. The facility and its population", level=1)
    _para(doc, "{{ population.summary }}")
    _chart(doc, "'population'")
    _para(doc, "{%p if population.available %}")
    _para(doc, "The figures by month are in the HTML pack and in data.xlsx (sheet \"Population\").")
    _para(doc, "{%p endif %}")
    _para(doc, "{%p if population.profile.available or measures|rejectattr('section')|list %}")
    _para(doc, "Who is held", style="Heading 2")
    _para(doc, "{%p if population.profile.available %}")
    _para(doc, "{{ population.profile.summary }}")
    _para(doc, "{%p for c in population.profile.characteristics %}")
    _para(doc, "{{ c.name }} ({{ c.count_date|short_date }}, {{ c.total.text }} counted): {{ c.line }}.")
    _para(doc, "{%p endfor %}")
    _para(doc, "{%p if population.profile.hidden_note %}")
    _para(doc, "{{ population.profile.hidden_note }}")
    _para(doc, "{%p endif %}")
    _para(doc, "{%p else %}")
    _para(doc, "{{ held.profile }}")
    _para(doc, "{%p endif %}")
    _para(doc, "{%p for r in measures|rejectattr('section') %}")
    _para(doc, "{{ r.label }}: {{ r.latest.text }} ({{ r.when }}){% if r.turnover %}, {{ r.turnover }}{% endif %}"
               "{% if r.then %}; {{ r.then.text }} a year before ({{ r.then_when }}), {{ r.change }}{% endif %}"
               "{% if r.peers %}; median of {{ r.peer_count }} places of its type {{ r.peers.text }}{% endif %}.")
    _para(doc, "{%p endfor %}")
    _para(doc, "{%p elif held.profile %}")
    _para(doc, "{{ held.profile }}")
    _para(doc, "{%p endif %}")

    doc.add_heading("3. {{ framework.title }}", level=1)
    _para(doc, "Each indicator: its latest and previous figures and a one-line reading, with a control chart of its "
               "monthly rate (Making Data Count rules: a u-chart on the population held, Laney's u′ where the months vary "
               "more than chance; by quarter where months with any are few; deaths as the days between them) and, "
               "where there are enough similar places, a funnel plot "
               "against them{% if settings.get('charts', 'signals') != 'all' %}, drawn where an area for enquiry points to them or they "
               "show a signal{% endif %}.{% if disclosure.threshold > 1 %} Months with "
               "fewer than {{ disclosure.threshold }} incidents are not shown.{% endif %}")
    _para(doc, "{%p if held.indicators %}")
    _para(doc, "{{ held.indicators }}")
    _para(doc, "{%p endif %}")
    _para(doc, "{%p if held.funnels %}")
    _para(doc, "{{ held.funnels }}")
    _para(doc, "{%p endif %}")
    _para(doc, "{%p for section in framework.sections %}")
    _para(doc, "{{ section.title }}", style="Heading 2")
    _para(doc, "{%p if not indicators|selectattr('section', 'equalto', section.id)|list and not "
               "measures|selectattr('section', 'equalto', section.id)|list %}")
    _para(doc, "No indicator for {{ section.title|lower }} is held for this facility.")
    _para(doc, "{%p endif %}")
    _para(doc, "{%p for row in indicators|selectattr('section', 'equalto', section.id) %}")
    _para(doc, "{%p if row.detail %}")
    _para(doc, "{{ row.label }}", style="Heading 3")
    _para(doc, "Last {{ row.window }} ({{ row.periods.last }}): {{ row.last.text }}{% if row.rate.value is not none %} "
               "({{ row.rate.text }} {{ row.per }}){% endif %}; previous {{ row.window }} ({{ row.periods.prev }}): "
               "{{ row.prev.text }}; {{ row.change.text }}.{% if row.id in spc %} {{ spc[row.id].summary }}{% endif %}"
               "{% if row.rare %} {{ row.rare }}{% endif %}")
    _chart(doc, "row.spc.chart")
    _chart(doc, "('funnel-' ~ row.id)")
    _para(doc, "{%p if row.trend %}")
    _table(doc, "{{ row.label }} by period{% if row.published %}, as published{% endif %}",
           ["Period", "Count", "Rate {{ row.per }}"], ["{{ t.label }}", "{{ t.count.text }}", "{{ t.rate.text }}"],
           "for t in row.trend")
    _para(doc, "{%p endif %}")
    _para(doc, "{%p endif %}")
    _para(doc, "{%p endfor %}")
    _para(doc, "{%p if indicators|selectattr('section', 'equalto', section.id)|selectattr('reviewed')|list %}")
    _para(doc, "Nothing to highlight (no signal on the control chart, within the funnel's limits; figures in the key "
               "indicators table and data.xlsx): {{ indicators|selectattr('section', 'equalto', section.id)|"
               "selectattr('reviewed')|map(attribute='label')|join('; ') }}.")
    _para(doc, "{%p endif %}")
    _para(doc, "{%p if indicators|selectattr('section', 'equalto', section.id)|selectattr('too_few')|list %}")
    _para(doc, "{{ indicators|selectattr('section', 'equalto', section.id)|selectattr('too_few')|"
               "map(attribute='too_few')|join(' ') }}")
    _para(doc, "{%p endif %}")
    _para(doc, "{%p if measures|selectattr('section', 'equalto', section.id)|list %}")
    _table(doc, "{{ section.title }}: measures the place reports",
           ["Measure", "Latest", "A year before", "Change", "Places of its type (median)"],
           ["{{ r.label }}", "{{ r.latest.text }} ({{ r.when }})",
            "{% if r.then %}{{ r.then.text }} ({{ r.then_when }}){% else %}not held{% endif %}", "{{ r.change or '' }}",
            "{% if r.peers %}{{ r.peers.text }} ({{ r.peer_count }} places){% else %}too few hold it{% endif %}"],
           "for r in measures|selectattr('section', 'equalto', section.id)")
    _para(doc, "{%p endif %}")
    _para(doc, "{%p endfor %}")

    doc.add_heading("4. People, moments and practices at heightened risk", level=1)
    doc.add_heading("Deaths {% if deaths.since %}since {{ deaths.since }}{% else %}in custody{% endif %}", level=2)
    _para(doc, "{%p if deaths.summary %}")
    _para(doc, "{{ deaths.summary }}")
    _para(doc, "{%p endif %}")
    _para(doc, "{%p if deaths.rows %}")
    _table(doc, "Deaths since {{ deaths.since }}, earliest first (no name or other identifier is shown)",
           ["Date", "Apparent cause", "Investigation"],
           ["{{ r.date|short_date }}", "{{ r.cause }}", "{{ r.investigation or 'not held' }}"], "for r in deaths.rows")
    _para(doc, "{%p endif %}")
    doc.add_heading("Practices by group", level=2)
    _para(doc, "{%p if not equality %}")
    _para(doc, "{{ held.mix or 'No practice can be compared by group for this facility: too few people, or no group "
               "recorded on the incidents.' }}")
    _para(doc, "{%p endif %}")
    _para(doc, "{%p for block in equality|selectattr('flagged') %}")
    _para(doc, "{{ block.practice_label }} by {{ block.characteristic_label }}", style="Heading 3")
    _chart(doc, "block.chart")
    _table(doc, "People involved against the people held ({{ block.confidence }}% confidence interval)",
           ["Group", "People involved", "Share involved", "Share held", "Relative rate (CI)", "Reading"],
           ["{{ r.group }}", "{{ r.people.text }}", "{{ r.share or '' }}", "{{ r.population_share or '' }}",
            "{% if r.reportable %}{{ '%.2f'|format(r.ratio) }}{% if r.low is not none %} ({{ '%.2f'|format(r.low) }}"
            " to {{ '%.2f'|format(r.high) }}){% endif %}{% endif %}", "{{ r.label }}"], "for r in block.rows")
    _para(doc, "{%p endfor %}")
    _para(doc, "{%p if equality|rejectattr('flagged')|list %}")
    _para(doc, "No group was raised (each interval includes 1, the rate is within the threshold, or the group is too "
               "few to report; each group's "
               "figures are in the HTML pack and data.xlsx, sheet \"Equality\"): {% for block in "
               "equality|rejectattr('flagged') %}{{ block.practice_label|lower }} by {{ block.characteristic_label }}"
               "{{ '; ' if not loop.last }}{% endfor %}.")
    _para(doc, "{%p endif %}")
    doc.add_heading("Survey answers by group", level=2)
    _para(doc, "{%p if survey_groups|selectattr('rows')|list %}")
    _table(doc, "Survey answers that differ significantly by group",
           ["Survey", "Group", "Question", "Group", "Everyone else", "Reading"],
           ["{{ r.survey }}", "{{ r.group }}", "{{ r.question }}", "{{ r.pct.text }}", "{{ r.rest.text }}",
            "{{ r.shade.shape }} {{ r.label }}"],
           "for r in survey_groups|map(attribute='rows')|sum(start=[])")
    _para(doc, "{%p else %}")
    _para(doc, "No group of respondents answered significantly differently from everyone else, or no answers "
               "by group are held.")
    _para(doc, "{%p endif %}")
    doc.add_heading("Moments of risk: the first days after arrival", level=2)
    _para(doc, "{%p if early_days %}")
    _table(doc, "{{ anchor('table-early-days') }}Incidents soon after arrival, as a share of incidents with a known "
           "arrival date",
           ["Incidents", "Within", "Number", "Share", "Previous 12 months", "Peers"],
           ["{{ r.group }}", "{{ r.window }}", "{{ r.early.text }} of {{ r.known.text }}", "{{ r.pct.text }}",
            "{{ r.previous.text }}", "{{ r.peers.text }}"], "for r in early_days")
    _para(doc, "{%p else %}")
    _para(doc, "No arrival dates are held for this facility's incidents (or it holds people for hours only).")
    _para(doc, "{%p endif %}")

    doc.add_heading("5. What detained people and staff say", level=1)
    _para(doc, "{%p if survey_comparisons %}")
    _para(doc, "The share giving the positive answer to each question, with its base, against the previous survey "
               "and similar places pooled. ▲ significantly better, ▼ significantly worse, ● no significant "
               "difference, ○ no valid comparison.")
    _para(doc, "{%p for s in survey_comparisons %}")
    _para(doc, "{{ s.label }} {{ s.wave }}", style="Heading 2")
    _chart(doc, "s.chart")
    _table(doc, "{{ anchor('table-survey-' ~ s.survey) }}% positive against the previous survey and similar places",
           ["Question", "Answering", "% positive", "Previous", "Against previous", "Similar places", "Against similar"],
           ["{{ r.text }}", "{{ r.n.text }}", "{{ r.pct.text }}", "{{ r.previous.text }}",
            "{{ r.vs_previous.shape }} {{ r.vs_previous.label }}", "{{ r.peers.text }}",
            "{{ r.vs_peers.shape }} {{ r.vs_peers.label }}"], "for r in s.rows")
    _para(doc, "{%p endfor %}")
    _para(doc, "{%p else %}")
    _para(doc, "{%p if not surveys %}")
    _para(doc, "{{ held.surveys or 'No survey results are held for this facility.' }}")
    _para(doc, "{%p endif %}")
    _para(doc, "{%p for s in surveys %}")
    _para(doc, "{{ s.label }}", style="Heading 2")
    _para(doc, "Respondents: {{ s.respondents.text }}{% if s.respondents_note %} ({{ s.respondents_note }})"
               "{% endif %}{% if s.when %}; surveyed {{ s.when }}{% endif %}.")
    _table(doc, "Share giving the answer counted, of those answering",
           ["Question", "Answer counted", "%", "Giving it", "Answering", "Reading"],
           ["{{ q.text }}", "{{ q.positive_answers }}", "{{ q.percent.text }}", "{{ q.positive.text }}",
            "{{ q.answering.text }}", "{{ q.reading }}"], "for q in s.questions")
    _para(doc, "{%p endfor %}")

    _para(doc, "{%p endif %}")
    doc.add_heading("Culture: staff and detained people on the same themes", level=2)
    _para(doc, "{%p if culture.gaps %}")
    _table(doc, "{{ anchor('table-culture') }}The share giving the favourable answer, staff against detained people",
           ["Theme", "Staff question", "Staff", "Detained people's question", "Detained people", "Gap", "Reading"],
           ["{{ g.theme }}", "{{ g.staff_question }}", "{{ g.staff.text }}", "{{ g.detainee_question }}",
            "{{ g.detainees.text }}", "{{ g.gap if g.gap is not none else '' }}", "{{ g.label }}"], "for g in culture.gaps")
    _para(doc, "{%p else %}")
    _para(doc, "No matched staff and detainee questions are held for this facility.")
    _para(doc, "{%p endif %}")
    _para(doc, "{%p if culture.comments %}")
    doc.add_heading("Comments, by theme", level=2)
    _para(doc, "Identifying details are removed before any comment is used; themes with fewer than "
               "{{ disclosure.min_people }} comments are not quoted.")
    _para(doc, "{%p for c in culture.comments %}")
    _para(doc, "{{ c.survey|capitalize }} survey {{ c.wave }}: {{ c.theme }} ({{ c.count.text }})", style="Heading 3")
    _para(doc, "{%p for q in c.quotes %}")
    _para(doc, "“{{ q }}”", style="List Bullet")
    _para(doc, "{%p endfor %}")
    _para(doc, "{%p endfor %}")
    _para(doc, "{%p endif %}")

    doc.add_heading("6. Follow-up of past visits", level=1)
    _para(doc, "{{ recommendations.summary }}")
    _para(doc, "{%p if recommendations.available %}")
    _table(doc, "Recommendations by status", ["Status", "Recommendations"],
           ["{{ s.label }}", "{{ s.count.text }}"], "for s in recommendations.by_status")
    _para(doc, "Total: {{ recommendations.total.text }} recommendations.")
    _para(doc, "{%p endif %}")
    _chart(doc, "'recommendations'")
    _para(doc, "{%p if followup_progress.since_last_visit %}")
    _para(doc, "Since the last visit ({{ followup_progress.since_last_visit.visit }}): of "
               "{{ followup_progress.since_last_visit.made_before.text }} recommendations made before it, "
               "{{ followup_progress.since_last_visit.achieved.text }} are now achieved and "
               "{{ followup_progress.since_last_visit.outstanding.text }} are still outstanding.")
    _para(doc, "{%p endif %}")
    then = "indicators|selectattr('then')|list"
    moved = "indicators|selectattr('then')|selectattr('then.change.word', 'in', ['up', 'down'])|list"
    steady = "indicators|selectattr('then')|rejectattr('then.change.word', 'in', ['up', 'down'])|list"
    _para(doc, "{%p if " + then + " %}")
    _para(doc, "{%p if " + moved + " %}")
    _table(doc, "{{ anchor('table-then-and-now') }}The key indicators then and now: the {{ (" + then + ")[0].window }} "
           "before the last visit ({{ (" + then + ")[0].then.period }}) against the last {{ (" + then + ")[0].window }} "
           "({{ (" + then + ")[0].periods.last }}), those that moved",
           ["Indicator", "Before the visit", "Rate then", "Rate now", "Change"],
           ["{{ row.label }}", "{{ row.then.count.text }}", "{{ row.then.rate.text }}", "{{ row.then.now.text }}",
            "{{ row.then.change.arrow }} {{ row.then.change.text }}"], "for row in " + moved)
    _para(doc, "{%p endif %}")
    _para(doc, "Rates {{ (" + then + ")[0].per }}.{% if " + steady + " %} About the same as before the visit, or too few "
               "to compare: {{ (" + steady + ")|map(attribute='label')|join('; ') }}.{% endif %} Counts of people, "
               "crowding and figures published for longer periods are not set against the visit; every figure is in "
               "the HTML pack.")
    _para(doc, "{%p elif followup_progress.since_last_visit and indicators %}")
    _para(doc, "The key indicators are not set against the months before the last visit: the monthly figures do not "
               "reach back a whole {{ indicators[0].window }} before it.")
    _para(doc, "{%p endif %}")
    _para(doc, "{%p if followup_progress.repeated_themes %}")
    _para(doc, "Themes raised at more than one visit: {% for t in followup_progress.repeated_themes %}{{ t.theme }} "
               "({{ t.visits }} visits, {{ t.outstanding }} outstanding){% if not loop.last %}; {% endif %}{% endfor %}.")
    _para(doc, "{%p endif %}")
    _para(doc, "{%p if followup_progress.escalate %}")
    _para(doc, "For escalation", style="Heading 2")
    _table(doc, "Outstanding recommendations that repeat an earlier one, or are over a year past their due date",
           ["Ref", "Recommendation", "Theme", "Why"],
           ["{{ r.ref }}", "{{ r.text or '' }}", "{{ r.theme or '' }}", "{{ r.why }}"], "for r in followup_progress.escalate")
    _para(doc, "{%p endif %}")
    _para(doc, "{%p if recommendations.outstanding %}")
    _para(doc, "Recommendations not yet achieved", style="Heading 2")
    _table(doc, "{{ anchor('table-recommendations') }}Open, not achieved and partly achieved recommendations, "
           "longest overdue first",
           ["Ref", "Recommendation", "Theme", "Made", "Due", "Status", "Days overdue", "Repeats"],
           ["{{ r.ref }}", "{{ r.text or '' }}", "{{ r.theme or '' }}", "{{ r.made|short_date or '' }}", "{{ r.due|short_date or '' }}",
            "{{ r.status_label }}", "{{ r.overdue_days.text if r.overdue_days else '' }}", "{{ r.repeats_ref or '' }}"],
           "for r in recommendations.outstanding")
    _para(doc, "{%p endif %}")
    _para(doc, "Past visits", style="Heading 2")
    _para(doc, "{%p if visits %}")
    _para(doc, "{%p if judgements %}")
    _para(doc, "{{ judgements }}")
    _para(doc, "{%p endif %}")
    _table(doc, "Past visits, latest first", ["Started", "Ended", "Type", "Body", "Judgements"],
           ["{{ v.start|short_date }}", "{{ v.end|short_date or '' }}", "{{ v.type or '' }}", "{{ v.body or '' }}",
            "{{ v.ratings_text or '' }}"], "for v in visits")
    _para(doc, "{%p else %}")
    _para(doc, "{{ held.visits or 'No past visits are recorded for this facility.' }}")
    _para(doc, "{%p endif %}")

    doc.add_heading("7. Notes for the team", level=1)
    for tag, title in (("notes-enquiry", "Lines of enquiry agreed"), ("notes-people", "People to speak to"),
                       ("notes-documents", "Documents to ask for")):
        doc.add_heading(title, level=2)
        _text_control(doc, tag, title)

    doc.add_heading("Appendix A: incidents by month", level=1)
    _para(doc, "{{ incidents.summary }}")
    _para(doc, "{%p if incidents.available %}")
    _para(doc, "The last 12 months are {{ incidents.windows.last.label }}; the previous 12 months are "
               "{{ incidents.windows.previous.label }}. Rates are {{ incidents.rate_label }}: "
               "{{ incidents.base_label }} {{ incidents.base.last.text }} in the last 12 months (figures for "
               "{{ incidents.base.last.months }} of 12 months) and {{ incidents.base.previous.text }} in the previous "
               "12 (figures for {{ incidents.base.previous.months }} of 12 months).")
    _para(doc, "{%p endif %}")
    _para(doc, "{%p if incidents.categories %}")
    _table(doc, "Incidents by category: last 12 months against the previous 12 months",
           ["Category", "Last 12 months", "Rate", "Previous 12 months", "Rate", "Change"],
           ["{{ c.label }}", "{{ c.last.text }}", "{{ c.rate_last.text }}", "{{ c.previous.text }}",
            "{{ c.rate_previous.text }}", "{{ c.change.text }}"], "for c in incidents.categories")
    _para(doc, "{%p endif %}")
    _chart(doc, "'incidents'")
    _para(doc, "{%p if incidents.table %}")
    _para(doc, "The counts by {{ incidents.table.period }} and category are in the HTML pack and in data.xlsx "
               "(sheet \"Incidents by month\"). Categories are not added together: one incident can fall under "
               "more than one.")
    _para(doc, "{%p endif %}")

    doc.add_heading("Appendix B: data, sources and methods", level=1)
    _para(doc, "{%p if sources %}")
    _table(doc, "Sources behind this facility's figures (rows are this facility's rows in the files)",
           ["Source", "Table", "Files", "File names", "Rows", "From", "To"],
           ["{{ g.source }}", "{{ g.table }}", "{{ g.files }}", "{{ g.names }}", "{{ g.rows.text }}",
            "{{ g.first|short_date or '' }}", "{{ g.last|short_date or '' }}"], "for g in source_groups")
    _para(doc, "Each file, with its SHA-256, is in the HTML pack, in data.xlsx (sheet \"Sources\") and in "
               "manifest.json.")
    _para(doc, "{%p else %}")
    _para(doc, "No source file supplied rows for this facility.")
    _para(doc, "{%p endif %}")
    doc.add_heading("Data quality", level=2)
    _para(doc, "{%p for d in data_quality %}")
    _para(doc, "{{ d.severity|upper }}: {{ d.text }}", style="List Bullet")
    _para(doc, "{%p endfor %}")
    _para(doc, "{%p if not data_quality %}")
    _para(doc, "No problems were found in this facility's rows.")
    _para(doc, "{%p endif %}")
    doc.add_heading("What is not held", level=2)
    _para(doc, "{%p for line in held.lines %}")
    _para(doc, "{{ line }}", style="List Bullet")
    _para(doc, "{%p endfor %}")
    _para(doc, "{%p if not held.lines %}")
    _para(doc, "Every table and column this pack draws on is held.")
    _para(doc, "{%p endif %}")
    doc.add_heading("Disclosure control", level=2)
    _para(doc, "{{ disclosure.rule }}")
    doc.add_heading("About this pack", level=2)
    _para(doc, "Built {{ built_at.label }} by datapack {{ version }}. Data covers: {{ period.label }}. "
               "Every figure in this pack is also in pack.json.")
    _para(doc, "{{ project.marking }}", bold=True).alignment = WD_ALIGN_PARAGRAPH.CENTER
    return doc


def main(out: Path = OUT) -> Path:
    """Write the template to ``out`` (``pack.docx`` beside this script) and return its path."""
    buffer = io.BytesIO()
    build().save(buffer)
    out.write_bytes(normalise_zip(buffer.getvalue()))
    return out


if __name__ == "__main__":
    if len(sys.argv) > 2 or (len(sys.argv) == 2 and sys.argv[1].startswith("-")):
        sys.exit("usage: make_docx_template.py [OUT.docx]  (default: pack.docx beside this script)")
    print(main(Path(sys.argv[1]) if len(sys.argv) == 2 else OUT))
