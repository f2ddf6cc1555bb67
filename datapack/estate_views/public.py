"""The public outputs: each facility's public summary (HTML, Word) and easy-read summary, and the estate's.

Written by ``datapack build`` (every facility, unless ``--audience team``) as one folder,
``public/``, beside the team's packs. The figures come from the analysis run for a public audience
(``Control.for_audience("public")``) through :func:`datapack.analysis.public.summary_context`;
nothing here computes a figure. These files carry no classification marking: they are for
publication, and hold nothing the marking protects (no comment, note or name).

Files (flat, so the folder is written whole through :meth:`datapack.writer.Writer.write_folder`):
``index.html``, ``estate-summary.html``, ``estate-summary.docx`` and, per facility,
``<slug>-summary.html``, ``<slug>-summary.docx``, ``<slug>-easy-read.html``.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
from pathlib import Path
from typing import Any, Iterable

import datapack

#: The folder of the public outputs in the output folder.
FOLDER = "public"


def _env(template_dirs: Iterable[Path] | None):
    from datapack.render.html import environment

    env = environment(template_dirs)

    def icon(name: str) -> str:
        source = env.loader.get_source(env, f"public/icons/{name}.svg")[0]
        return "data:image/svg+xml;base64," + base64.b64encode(source.encode()).decode()

    env.globals.update(icon=icon, version=datapack.__version__)
    return env


def render_summary_html(ctx: dict[str, Any], template_dirs: Iterable[Path] | None = None) -> str:
    return _env(template_dirs).get_template("public/summary.html.j2").render(ctx)


def render_easy_read_html(ctx: dict[str, Any], template_dirs: Iterable[Path] | None = None) -> str:
    return _env(template_dirs).get_template("public/easy_read.html.j2").render(ctx)


def render_estate_html(ctx: dict[str, Any], template_dirs: Iterable[Path] | None = None) -> str:
    return _env(template_dirs).get_template("public/estate.html.j2").render(ctx)


def render_index_html(ctx: dict[str, Any], template_dirs: Iterable[Path] | None = None) -> str:
    return _env(template_dirs).get_template("public/index.html.j2").render(ctx)


def _document(title: str, built_iso: str, landscape: bool = False):
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Mm

    doc = Document()
    section = doc.sections[0]
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Mm(297), Mm(210)
    else:
        section.page_width, section.page_height = Mm(210), Mm(297)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(18))
    built = dt.datetime.fromisoformat(built_iso).replace(tzinfo=None)
    props = doc.core_properties
    props.author, props.last_modified_by, props.title = "datapack", "", title
    props.created = props.modified = built
    props.revision = 1
    return doc


def _fig(f: dict[str, Any] | None) -> str:
    return "not held" if f is None else str(f["text"])


def _save(doc: Any) -> bytes:
    from datapack.render.zipnorm import normalise_zip

    buffer = io.BytesIO()
    doc.save(buffer)
    return normalise_zip(buffer.getvalue())


def render_summary_docx(ctx: dict[str, Any]) -> bytes:
    """The public summary in Word: the same words and figures as the HTML."""
    from datapack.estate_views.docx import _table

    f = ctx["facility"]
    doc = _document(f"{f['name']}: public summary", ctx["built_at"]["iso"], landscape=True)
    doc.add_paragraph(ctx["body"])
    doc.add_heading(f"{f['name']}: public summary", level=0)
    where = f", {f['region']}" if f.get("region") else ""
    run_by = f". Run by {f['operator']}" if f.get("operator") else ""
    doc.add_paragraph(f"{f['type_label']}{where}{run_by}. Figures as at {ctx['built_at']['label']}.")
    doc.add_paragraph(f"This summary gives a few figures about {f['name']} before an inspection visit. The figures "
                      "are things to look into. They are not a judgement of the place.")
    doc.add_heading("Headline figures", level=1)
    if ctx["indicators"]:
        p = ctx["periods"]
        if p.get("last"):
            doc.add_paragraph(f"The last 12 months ({p['last']}) and the 12 months before ({p['prev']}).")
        _table(doc, ["Measure", "Last 12 months", "Rate, last 12 months", "12 months before",
                     "Rate, 12 months before", "Change in the rate", "Compared with similar places"],
               [[r["label"], "not a count" if r["crowding"] else _fig(r["last"]),
                 _fig(r["rate"]) + (f" {r['per']}" if r["per"] else ""),
                 "not a count" if r["crowding"] else _fig(r["prev"]),
                 "not given" if r["crowding"] else _fig(r["prev_rate"]), r["change"] or "not given",
                 r["compared"] + (f" (similar places: {r['peer_rate']})" if r["peer_rate"] else "")]
                for r in ctx["indicators"]], size=9)
        doc.add_paragraph("A rate is the number for every 1,000 people held on average (in police custody, for "
                          "every 1,000 people detained), so places of different "
                          f"sizes can be compared. {ctx['disclosure']['symbol']} means the number is not shown.")
    else:
        doc.add_paragraph("No headline figures can be given for this place.")
    doc.add_heading("Progress on recommendations", level=1)
    recs = ctx["recommendations"]
    if recs["available"]:
        n = recs["outstanding"]
        overdue = (f", and {recs['overdue']} of {'it is' if n == 1 else 'these are'} past the date set"
                   if recs["overdue"] else "")
        doc.add_paragraph(f"At past visits, inspectors made {recs['total']} recommendations. {n} "
                          f"{'is' if n == 1 else 'are'} not yet achieved{overdue}.")
        _table(doc, ["Status", "Recommendations"], [[s["label"], _fig(s["count"])] for s in recs["by_status"]],
               size=10)
    else:
        doc.add_paragraph("We do not hold a record of recommendations from past visits.")
    doc.add_heading("What is not held", level=1)
    for line in ctx["not_held"] or ["Every kind of figure in this summary is held for this place."]:
        doc.add_paragraph(line, style="List Bullet" if ctx["not_held"] else None)
    doc.add_heading("How people are protected", level=1)
    doc.add_paragraph(ctx["disclosure"]["rule"])
    doc.add_paragraph("No names, comments or other details about any person are given.")
    return _save(doc)


def render_estate_docx(ctx: dict[str, Any]) -> bytes:
    """The estate's public summary in Word."""
    from datapack.estate_views.docx import _table

    doc = _document("Public summary of every place", ctx["built_at"]["iso"], landscape=True)
    doc.add_paragraph(ctx["body"])
    doc.add_heading("Public summary of every place", level=0)
    last = f", over the last 12 months ({ctx['periods']['last']})" if ctx["periods"].get("last") else ""
    doc.add_paragraph(f"{ctx['count']} places. Figures as at {ctx['built_at']['label']}{last}. The figures are "
                      "things to look into, not a judgement of any place.")
    doc.add_heading("Headline figures by place", level=1)

    def cell(c: dict[str, Any] | None) -> str:
        if c is None:
            return "not held"
        return _fig(c["rate"]) if c["crowding"] else f"{_fig(c['last'])} (rate {_fig(c['rate'])})"

    _table(doc, ["Place", "Type"] + [x["label"] for x in ctx["indicators"]],
           [[r["facility"]["name"], r["facility"]["type_label"]] + [cell(c) for c in r["cells"]] for r in ctx["rows"]],
           size=8)
    symbol = ctx["disclosure"]["symbol"] if ctx["disclosure"] else ""
    doc.add_paragraph("Each rate is for every 1,000 people held on average (in police custody, for every 1,000 "
                      "people detained); for crowding, it is the people held as a share "
                      f"of the places in use. {symbol} means the number is not shown.")
    doc.add_heading("How people are protected", level=1)
    doc.add_paragraph(ctx["disclosure"]["rule"] if ctx["disclosure"] else "")
    doc.add_paragraph("No names, comments or other details about any person are given.")
    return _save(doc)


def public_files(analysis: Any, built_at: dt.datetime, template_dirs: Iterable[Path] | None = None,
                 facilities: Iterable[str] | None = None) -> dict[str, bytes]:
    """Every public output, name -> bytes (the folder :data:`FOLDER`)."""
    files, summaries = facility_files(analysis, built_at, template_dirs, facilities)
    return files | estate_files(summaries, built_at, analysis.estate.config.project.body, template_dirs)


def facility_files(analysis: Any, built_at: dt.datetime, template_dirs: Iterable[Path] | None = None,
                   facilities: Iterable[str] | None = None) -> tuple[dict[str, bytes], list[dict[str, Any]]]:
    """Each facility's public files (name -> bytes), and their summary contexts, for :func:`estate_files`.

    Each facility's summary is worked out on its own, so the facilities can be shared out between
    processes and the parts joined, in the register's order, into the same files.
    """
    from datapack.analysis.public import easy_read, summary_context

    estate = analysis.estate
    wanted = [str(f) for f in (facilities if facilities is not None else estate.facilities["facility_id"])]
    summaries = [summary_context(estate, fid, analysis.control, built_at, analysis) for fid in wanted]
    files: dict[str, bytes] = {}
    for ctx in summaries:
        slug = ctx["facility"]["slug"]
        files[f"{slug}-summary.html"] = render_summary_html(ctx, template_dirs).encode()
        files[f"{slug}-summary.docx"] = render_summary_docx(ctx)
        files[f"{slug}-easy-read.html"] = render_easy_read_html(easy_read(ctx), template_dirs).encode()
    return files, summaries


def estate_files(summaries: list[dict[str, Any]], built_at: dt.datetime, body: str,
                 template_dirs: Iterable[Path] | None = None) -> dict[str, bytes]:
    """The estate's public summary and the index, from every facility's summary context."""
    from datapack.analysis.public import estate_summary

    estate = estate_summary(summaries, built_at, body)
    return {"estate-summary.html": render_estate_html(estate, template_dirs).encode(),
            "estate-summary.docx": render_estate_docx(estate),
            "index.html": render_index_html(estate, template_dirs).encode()}
