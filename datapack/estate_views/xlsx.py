"""``comparison.xlsx`` and ``schedule.xlsx``: the estate-wide tables, a sheet each.

Written with the facility workbook's own helpers (:mod:`datapack.render.xlsx`),
so the same rules hold: a hidden figure is only ever its symbol, shown
figures are numbers formatted as printed, and text a spreadsheet could
read as a formula is stored as plain text. The same context gives the
same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import Any, Callable

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.writer.excel import ExcelWriter

from datapack.analysis.figures import rate_label
from datapack.render.zipnorm import normalise_zip
from datapack.render.xlsx import Table, _columns, _fill, _header_footer_text, _put, sheet_name

Sheet = tuple[str, str, Callable[[dict], Table]]


def _about(ctx: dict, title: str, sheets: list[Sheet]) -> Table:
    disc = ctx["disclosure"]
    rows = [["Title", title], ["Prepared by", ctx["project"]["body"]], ["Marking", ctx["project"]["marking"]],
            ["As at", ctx["as_of"]["label"]], ["Built", ctx["built_at"]["label"]], ["Version", ctx["version"]],
            ["Reading", ctx["reminder"]], ["Disclosure rule", disc["rule"]], ["Suppression symbol", disc["symbol"]]]
    rows += [[f"Sheet: {name}", about] for name, about, _ in sheets]
    return ["Item", "Value"], rows


def workbook(ctx: dict, title: str, sheets: list[Sheet]) -> bytes:
    """A workbook with an About sheet (marking first) and one sheet per ``(name, about, build)``."""
    marking = ctx["project"]["marking"] or ""
    built = dt.datetime.fromisoformat(ctx["built_at"]["iso"]).replace(tzinfo=None)
    wb = Workbook()
    wb.remove(wb.active)
    taken: set[str] = set()
    for name, _, build in [("About", "this workbook", lambda c: _about(c, title, sheets))] + sheets:
        ws = wb.create_sheet(sheet_name(name, taken))
        head, rows = build(ctx)
        first_row = 1
        if name == "About":  # the marking leads the workbook, above the About table
            _put(ws.cell(1, 1), marking)
            ws.cell(1, 1).font = Font(bold=True, size=14)
            first_row = 2
        _fill(ws, head, rows, first_row)
        ws.oddHeader.center.text = _header_footer_text(marking)
        ws.oddFooter.center.text = _header_footer_text(marking)
        ws.oddFooter.left.text = _header_footer_text(title)
        ws.oddFooter.right.text = "Page &P of &N"
    props = wb.properties
    props.creator, props.lastModifiedBy = "datapack", None
    props.title = ILLEGAL_CHARACTERS_RE.sub("", title)
    props.created = props.modified = built
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).write_data()
    return normalise_zip(buffer.getvalue())


# -- the comparison -------------------------------------------------------------------------------

def _facilities(ctx: dict) -> Table:
    return _columns(ctx["facilities"], [
        ("Id", "id"), ("Facility", "name"), ("Type", "type_label"), ("Peer group", "peer_group"),
        ("Region", "region"), ("Body", "body"), ("Operator", "operator"), ("Basis", "basis"),
        ("Priority rank", "priority.rank"), ("Priority score", "priority.score"),
        ("Suggested visit", "priority.band.label"), ("Band set by", "priority.band.source"),
        ("Gateway rules", lambda f: "; ".join(g["reason"] for g in f["priority"]["gateways"]) or None),
        ("Deaths, last 12 months", "deaths.last_12_months"),
        ("Self-inflicted deaths, last 12 months", "deaths.self_inflicted_last_12_months"),
        ("Deaths since the last visit", "deaths.since_last_visit"),
        ("Self-inflicted deaths since the last visit", "deaths.self_inflicted_since_last_visit"),
        ("Deaths counted from", "deaths.counted_from"),
        ("Recommendations held", "recommendations.total"), ("Not yet achieved", "recommendations.open"),
        ("Past their due date", "recommendations.overdue"), ("Outstanding repeats", "recommendations.repeats"),
        ("Last visit", lambda f: _date(f["last_visit"]["iso"])), ("Last visit type", "last_visit.type"),
        ("Days since the last visit", "last_visit.days"),
        ("Last in-depth visit", lambda f: _date(f["last_full_visit"]["iso"])),
        ("Days since the last in-depth visit", "last_full_visit.days"),
        *((f"Areas for enquiry: {sev}", lambda f, sev=sev: f["enquiry"]["text"] if f["enquiry"]["error"]
           else f["enquiry"][sev]) for sev in ("high", "medium", "low"))])


def _indicators(ctx: dict) -> Table:
    labels = {i["id"]: i["label"] for i in ctx["indicators"]}
    cells = [{**cell, "of": f, "label": labels[cell["id"]]} for f in ctx["facilities"] for cell in f["indicators"]]
    return _columns(cells, [
        ("Facility", "of.name"), ("Indicator id", "id"), ("Indicator", "label"), ("Last 12 months", "count"),
        ("Rate", "rate"), ("Per", lambda c: rate_label(c["of"]["basis"])),
        ("Position", "position.text"), ("Control chart", "spc.text"), ("Shape", "spc.shape"),
        ("Funnel flag", "funnel.text"), ("Funnel shape", "funnel.shape"), ("Worse or better", "funnel.side")])


def _signal_map(ctx: dict) -> Table:
    labels = {i["id"]: i["label"] for i in ctx["signal_map"]["indicators"]}
    cells = [{**cell, "of": row, "label": labels[cell["indicator"]]}
             for row in ctx["signal_map"]["rows"] for cell in row["cells"]]
    return _columns(cells, [("Facility", "of.name"), ("Indicator id", "indicator"), ("Indicator", "label"),
                            ("Control chart", "spc.text"), ("Shape", "spc.shape"), ("Funnel", "funnel.text"),
                            ("Funnel shape", "funnel.shape"), ("Reading", "text"), ("Attention (0-2)", "level")])


def _changes(ctx: dict) -> Table:
    return _columns(ctx["changes"], [
        ("Facility", "facility"), ("Indicator id", "indicator"), ("Indicator", "label"), ("Signal", "word"),
        ("Shape", "shape"), ("What", "what"), ("Since", "since"), ("Latest signal", "latest"),
        ("In the latest month", "ongoing")])


def _funnels(ctx: dict) -> Table:
    points = [{**p, "of": f} for f in ctx["funnels"].values() for p in f["points"]]
    return _columns(points, [
        ("Indicator id", "of.indicator"), ("Indicator", "of.label"), ("Per", "of.per"), ("Pooled rate", "of.target"),
        ("Limits widened for over-dispersion", "of.adjusted"), ("Facility", "label"),
        ("Denominator", "denominator"), ("Rate", "value"), ("Against the limits", "flag_text"),
        ("Left off (small numbers)", lambda p: ", ".join(p["of"]["left_off"]) or None)])


def _priority_parts(ctx: dict) -> Table:
    parts = [{**p, "of": f} for f in ctx["schedule"]["order"] for p in f["parts"]]
    return _columns(parts, [("Rank", "of.rank"), ("Facility", "of.name"), ("Factor", "label"),
                            ("Score (0-1)", "score_text"), ("Points", lambda p: p["points_text"]
                                                            if p["points_text"] == "no data" else p["points"])])


COMPARISON_SHEETS: list[Sheet] = [
    ("Facilities", "one row per facility: deaths, recommendations, visits, areas for enquiry, priority", _facilities),
    ("Key indicators", "each facility's key indicators: count, rate, position, control chart, funnel", _indicators),
    ("Signal map", "facility x indicator: control chart reading and funnel outliers", _signal_map),
    ("Recent changes", "special-cause signals in the latest months", _changes),
    ("Funnels", "every point of the estate funnel plots", _funnels),
    ("Priority parts", "the points each factor adds to the priority score", _priority_parts),
]


def render_comparison_xlsx(context: dict[str, Any]) -> bytes:
    """``comparison.xlsx`` from :func:`~datapack.estate_views.comparison.comparison_context`."""
    return workbook(context, "Comparison across facilities", COMPARISON_SHEETS)


# -- the visit programme --------------------------------------------------------------------------

def _programme(ctx: dict) -> Table:
    return _columns(ctx["facilities"], [
        ("Rank", "rank"), ("Id", "id"), ("Facility", "name"), ("Type", "type_label"), ("Peer group", "peer_group"),
        ("Region", "region"), ("Body", "body"), ("Score", "score"), ("Suggested visit", "band.label"),
        ("Within (months)", "band.months"), ("Band set by", "band.source"), ("Band from the score", "score_band.label"),
        ("Gateway rules", lambda f: "; ".join(g["reason"] for g in f["gateways"]) or None),
        ("Reasons", lambda f: "\n".join(f["reasons"])),
        ("Last visit", lambda f: _date(f["last_visit"]["iso"])), ("Last visit type", "last_visit.type"),
        ("Last in-depth visit", lambda f: _date(f["last_full_visit"]["iso"]))])


def _parts(ctx: dict) -> Table:
    parts = [{**p, "of": f} for f in ctx["facilities"] for p in f["factors"]]
    return _columns(parts, [
        ("Rank", "of.rank"), ("Facility", "of.name"), ("Factor id", "id"), ("Factor", "label"),
        ("What it rests on", "raw"), ("Score (0-1)", lambda p: "no data" if p["score"] is None else p["score"]),
        ("Weight", "weight"), ("Share of 100", "effective_weight"),
        ("Points", lambda p: "no data" if p["score"] is None else p["points"]), ("Reason", "reason")])


def _model(ctx: dict) -> Table:
    s = ctx["settings"]
    rows = [["Factor", f["label"], f["how"], f["weight"], f["share"]] for f in s["factors"]]
    rows += [["Band", b["label"], f"from a score of {b['min_score']:g}", b["months"], None] for b in s["bands"]]
    rows += [["Gateway", g["rule"], g["band"], None, None] for g in s["gateways"]]
    rows += [["Missing data", s["missing"], None, None, None], ["In-depth visits", s["in_depth_visits"], None, None,
                                                                 None]]
    return ["Part", "Name", "How", "Weight or months", "Share of 100"], rows


SCHEDULE_SHEETS: list[Sheet] = [
    ("Programme", "each facility's suggested visit, most urgent first, with its reasons", _programme),
    ("Score parts", "each factor's basis, score, weight and points (the points add up to the score)", _parts),
    ("Model", "the factors, weights, bands and gateway rules used", _model),
]


def render_schedule_xlsx(context: dict[str, Any]) -> bytes:
    """``schedule.xlsx`` from :func:`~datapack.estate_views.schedule.schedule_context`."""
    return workbook(context, "Visit programme", SCHEDULE_SHEETS)


def _date(iso: str | None) -> Any:
    return dt.date.fromisoformat(iso) if iso else None
