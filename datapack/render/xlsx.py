"""``data.xlsx``: the table behind every chart and figure of a facility's pack, a sheet each.

Built from the pack context alone (the same object as ``pack.json``), so the
workbook can show nothing the pack hides: a figure with ``hidden: true`` is
written as its suppression text (``[c]``), never as a number, whatever else
the figure holds. Shown figures are written as numbers with a number format
taken from their printed text, so Excel displays what the pack prints.

Every text cell that a spreadsheet could read as a formula (``=``, ``+``,
``-``, ``@``, tab or carriage return first) is stored as a string with
Excel's quote prefix: it is never evaluated, not even after the cell is
edited. The same context always gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from typing import Any, Callable, Iterable

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from datapack.render.zipnorm import normalise_zip

Row = list[Any]
Table = tuple[list[str], list[Row]]

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_like(text: str) -> bool:
    """True when a spreadsheet could read ``text`` as a formula (also after leading spaces)."""
    return text.startswith(_FORMULA_STARTS) or text.lstrip().startswith(_FORMULA_STARTS)
_NUMBER_TEXT = re.compile(r"(-?)(\d[\d,]*)(?:\.(\d+))?(%?)")
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_WIDTH_MIN, _WIDTH_MAX, _WRAP_OVER = 8, 60, 60
_BOLD = Font(bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")


# -- cell values ------------------------------------------------------------------------------

def _is_figure(item: Any) -> bool:
    return isinstance(item, dict) and {"text", "value", "hidden"} <= item.keys()


def number_format_for(text: str) -> str:
    """The Excel number format that prints a value as the pack printed ``text`` (``General`` if unsure)."""
    match = _NUMBER_TEXT.fullmatch(text.strip())
    if not match:
        return "General"
    decimals = "." + "0" * len(match.group(3)) if match.group(3) else ""
    # Percentages in a context are points (58.3 for 58%), so the % sign is a literal, not Excel's x100.
    return f'0{decimals}"%"' if match.group(4) else f"#,##0{decimals}"


def _text_figure(text: str | None) -> Any:
    """A plain formatted number held as text (``"9%"``, ``"861.2"``) as a shown figure; else the text."""
    if text is None or not _NUMBER_TEXT.fullmatch(text.strip()):
        return text
    return {"text": text, "value": float(text.strip().rstrip("%").replace(",", "")), "hidden": False}


def _date(iso: str | None) -> Any:
    return dt.date.fromisoformat(iso) if iso else None


def _put(cell, item: Any) -> None:
    """Write one item: a figure, text, number, bool or date. Hidden figures only ever as their text."""
    if _is_figure(item):
        if item["hidden"] or item["value"] is None:
            item = item["text"]  # the symbol or "no data": the pack prints no number here
        else:
            cell.value = item["value"]
            cell.number_format = number_format_for(item["text"])
            return
    if isinstance(item, bool):
        item = "yes" if item else "no"
    if isinstance(item, dt.date):
        cell.value, cell.number_format = item, "d mmm yyyy"
    elif isinstance(item, str):
        text = ILLEGAL_CHARACTERS_RE.sub("", item)  # control characters would make the file invalid
        cell.value = text
        cell.data_type = "s"  # never "f": openpyxl would otherwise store a leading "=" as a formula
        if formula_like(text):
            cell.quotePrefix = True  # Excel's own "typed with a leading '" mark: stays text when edited
        if len(text) > _WRAP_OVER:
            cell.alignment = _WRAP
    else:
        cell.value = item


def _shown(item: Any) -> str:
    """The text a cell shows, for sizing its column."""
    if _is_figure(item):
        return item["text"]
    return "" if item is None else str(item)


# -- sheets: each a pure function of the context ------------------------------------------------

def _about(ctx: dict) -> Table:
    fac, disc = ctx["facility"], ctx["disclosure"]
    note = (f"Every figure in this workbook is after disclosure control, exactly as the pack shows it: "
            f"a hidden figure reads {disc['symbol']}, never a number, and 'no data' means none is held. "
            "Numbers are the numbers as shown (before any display rounding of decimals).")
    rows = [["Facility", fac["name"]], ["Facility id", fac["id"]], ["Type", fac["type_label"]],
            ["Function", fac["function"]], ["Operator", fac["operator"]], ["Region", fac["region"]],
            ["Period", ctx["period"]["label"]], ["Built", ctx["built_at"]["label"]],
            ["Version", ctx["version"]], ["Marking", ctx["project"]["marking"]],
            ["Prepared by", ctx["project"]["body"]], ["Disclosure rule", disc["rule"]],
            ["Suppression symbol", disc["symbol"]], ["Note", note]]
    rows += [[f"Sheet: {name}", about] for name, about, _ in SHEETS[1:]]
    return ["Item", "Value"], rows


def _get(item: dict, path: str) -> Any:
    """``item["a"]["b"]`` for ``"a.b"``; ``None`` where a level is missing."""
    for key in path.split("."):
        item = item.get(key) if isinstance(item, dict) else None
    return item


def _columns(items: Iterable[dict], spec: list[tuple[str, str | Callable[[dict], Any]]]) -> Table:
    """A table with one column per ``(header, dotted key or function of the item)``."""
    getters = [g if callable(g) else (lambda item, path=g: _get(item, path)) for _, g in spec]
    return [h for h, _ in spec], [[get(item) for get in getters] for item in items]


def _each(outer: Iterable[dict], inner: str, name: str = "of") -> list[dict]:
    """One item per ``inner`` entry of each outer item, the outer item kept under ``name``."""
    return [{**row, name: o} for o in outer for row in o[inner]]


def _glance(ctx: dict) -> Table:
    return _columns(ctx["glance"]["indicators"], [("Indicator", "label"), ("Figure", "figure"), ("Note", "note")])


def _enquiry(ctx: dict) -> Table:
    reviewed = [{**r, "severity": "nothing found", "subject": r["subjects"]} for r in ctx["enquiry"]["reviewed"]]
    return _columns(ctx["enquiry"]["findings"] + reviewed, [
        ("Id", "id"), ("Severity", "severity"), ("Title", "title"), ("Subject", "subject"),
        ("Sentence", "sentence"),
        ("Figures", lambda f: "; ".join(f"{x['label']}: {x['text']}" for x in _get(f, "evidence.figures") or [])
         or None),
        ("Compared with", "evidence.compared_with"),
        ("Sources", lambda f: "; ".join(_get(f, "evidence.sources") or []) or None)])


def _indicators(ctx: dict) -> Table:
    return _columns(ctx["indicators"], [
        ("Id", "id"), ("Indicator", "label"), ("Section", "section_title"), ("Basis", "basis"), ("Per", "per"),
        ("Last 12 months", "last"), ("Previous 12 months", "prev"), ("Latest quarter", "quarter"),
        ("Rate", "rate"), ("Previous rate", "prev_rate"), ("Change", "change.text"),
        ("Peer position", "peer.text"), ("Peer flag", "peer.flag_text"), ("Compared with", "peer.compared_with"),
        ("Peer group", "peer.group"), ("Peers", "peer.n"),
        ("Pooled rate", lambda i: _text_figure(_get(i, "peer.target"))), ("Control chart", "spc.text")])


def _population(ctx: dict) -> Table:
    return _columns(ctx["population"]["months"], [
        ("Month", "month"), ("Label", "label"), ("Population", "population"), ("Baseline CNA", "baseline_cna"),
        ("In-use CNA", "in_use_cna"), ("Operational capacity", "operational_capacity"),
        ("Throughput", "throughput"), ("Crowding (% of in-use CNA)", "crowding")])


def _incidents_by_month(ctx: dict) -> Table:
    table = ctx["incidents"]["table"]
    if not table:
        return ["Window", "Period", "Key"], []
    rows = [[block["label"], row["label"], row["key"], *row["cells"]]
            for block in table["blocks"] for row in block["rows"]]
    return ["Window", table["period"].capitalize(), "Key", *(c["label"] for c in table["columns"])], rows


def _incident_totals(ctx: dict) -> Table:
    return _columns(ctx["incidents"]["categories"], [
        ("Category", "category"), ("Label", "label"), ("Previous 12 months", "previous"),
        ("Rate, previous", "rate_previous"), ("Last 12 months", "last"), ("Rate, last", "rate_last"),
        ("Change", "change.text")])


def _point_value(symbol: str) -> Callable[[dict], Any]:
    # A point is hidden by its flag alone: no stray value is ever shown beside the symbol.
    return lambda p: symbol if p["hidden"] else ("no data" if p["value"] is None else p["value"])


def _control_charts(ctx: dict) -> Table:
    charts = [{**chart, "key": key} for key, chart in ctx["spc"].items()]
    return _columns(_each(charts, "points"), [
        ("Indicator id", "of.key"), ("Indicator", "of.label"), ("Measure", "of.measure"), ("Unit", "of.unit"),
        ("Month", "period"), ("Label", "label"), ("Value", _point_value(ctx["disclosure"]["symbol"])),
        ("Type", "type"), ("Mean", "mean"), ("Lower limit", "lcl"), ("Upper limit", "ucl"),
        ("Segment", "segment"), ("Trial limits", "of.trial")])


def _funnels(ctx: dict) -> Table:
    funnels = [{**f, "key": key} for key, f in ctx["funnels"].items()]
    return _columns(_each(funnels, "points"), [
        ("Indicator id", "of.key"), ("Indicator", "of.label"), ("Per", "of.per"),
        ("Compared with", "of.compared_with"), ("Group", "of.group"), ("Pooled rate", "of.target"),
        ("Limits widened for over-dispersion", "of.adjusted"), ("Facility", "label"), ("This facility", "this"),
        ("Denominator", "denominator"), ("Rate", _point_value(ctx["disclosure"]["symbol"])), ("Flag", "flag")])


def _funnel_limits(ctx: dict) -> Table:
    rows = [[key, f["label"], line["level"], d, lo, hi]
            for key, f in ctx["funnels"].items() for line in f["curve"]["lines"]
            for d, lo, hi in zip(f["curve"]["denominators"], line["lower"], line["upper"])]
    return ["Indicator id", "Indicator", "Level", "Denominator", "Lower limit", "Upper limit"], rows


def _surveys(ctx: dict) -> Table:
    return _columns(_each(ctx["surveys"], "questions"), [
        ("Survey", "of.survey"), ("Wave", "of.wave"), ("Label", "of.label"), ("When", "of.when"),
        ("Respondents", "of.respondents"), ("Question", "question"), ("Text", "text"), ("Theme", "theme"),
        ("Answers counted", "positive_answers"), ("Reading", "reading"), ("Percent", "percent"),
        ("Giving a counted answer", "positive"), ("Answering", "answering")])


def _survey_comparisons(ctx: dict) -> Table:
    return _columns(_each(ctx["survey_comparisons"], "rows"), [
        ("Survey", "of.survey"), ("Wave", "of.wave"), ("Previous wave", "of.previous_wave"),
        ("Peers included", "of.peers_included"), ("Question", "question"), ("Text", "text"), ("Theme", "theme"),
        ("Answers counted", "positive"), ("Answering", "n"), ("Percent", "pct"), ("Previous", "previous"),
        ("Peers", "peers"),
        ("Against previous", lambda r: f"{r['vs_previous']['shape']} {r['vs_previous']['label']}"),
        ("Against peers", lambda r: f"{r['vs_peers']['shape']} {r['vs_peers']['label']}")])


def _equality(ctx: dict) -> Table:
    return _columns(_each(ctx["equality"], "rows"), [
        ("Practice", "of.practice_label"), ("Characteristic", "of.characteristic_label"), ("Group", "group"),
        ("Reportable", "reportable"), ("People", "people"), ("Share", lambda r: _text_figure(r["share"])),
        ("Share of population", lambda r: _text_figure(r["population_share"])), ("Ratio", "ratio"),
        ("Low", "low"), ("High", "high"), ("Confidence (%)", "of.confidence"), ("Threshold", "of.threshold"),
        ("Flagged", "flagged"), ("Reading", "label")])


def _early_days(ctx: dict) -> Table:
    return _columns(ctx["early_days"], [
        ("Incidents", "group"), ("Window", "window"), ("Days", "days"), ("Early", "early"), ("Known", "known"),
        ("Percent", "pct"), ("Previous", "previous"), ("Peers", "peers"),
        ("Higher than peers", "higher_than_peers"), ("Higher than previous", "higher_than_previous")])


def _culture(ctx: dict) -> Table:
    return _columns(ctx["culture"]["gaps"], [
        ("Theme", "theme"), ("Staff question", "staff_question"), ("Detainee question", "detainee_question"),
        ("Staff", "staff"), ("Detainees", "detainees"), ("Gap (points)", "gap"), ("Reading", "label")])


def _comments(ctx: dict) -> Table:
    quotes = [{"quote": q, "of": c} for c in ctx["culture"]["comments"] for q in c["quotes"]]
    return _columns(quotes, [("Survey", "of.survey"), ("Wave", "of.wave"), ("Theme", "of.theme"),
                             ("Comments on theme", "of.count"), ("Comment (redacted)", "quote"),
                             ("Note", "of.note")])


def _recommendations(ctx: dict) -> Table:
    return _columns(ctx["recommendations"].get("outstanding", []), [
        ("Ref", "ref"), ("Recommendation", "text"), ("Theme", "theme"), ("Priority", "priority"),
        ("Owner", "owner"), ("Made", lambda r: _date(r["made_iso"])), ("Due", lambda r: _date(r["due_iso"])),
        ("Status", "status_label"), ("Status as written", "status_raw"), ("Overdue", "overdue"),
        ("Days overdue", "overdue_days"), ("Repeats", "repeats_ref")])


def _rec_status(ctx: dict) -> Table:
    return _columns(ctx["recommendations"].get("by_status", []),
                    [("Status", "status"), ("Label", "label"), ("Recommendations", "count")])


def _visits(ctx: dict) -> Table:
    # One row per rating; a visit without ratings still gets its row.
    rated = [{**r, "of": v} for v in ctx["visits"] for r in (v["ratings"] or [{}])]
    return _columns(rated, [
        ("Visit", "of.id"), ("Start", lambda r: _date(r["of"]["start_iso"])), ("End", "of.end"),
        ("Type", "of.type"), ("Body", "of.body"), ("Framework", "of.framework"), ("Overall", "of.overall"),
        ("Test", "test"), ("Score", "score"), ("Rating", "label")])


def _profile(ctx: dict) -> Table:
    profile = ctx["population"].get("profile") or {"characteristics": []}
    return _columns(_each(profile["characteristics"], "groups"), [
        ("Characteristic", "of.name"), ("Count date", "of.count_date"), ("Counted", "of.total"), ("Group", "group"),
        ("People", "people"), ("Share", "share"), ("Not shown because", "hidden_reason")])


def _measures(ctx: dict) -> Table:
    return _columns(ctx.get("measures", []), [
        ("Measure", "label"), ("Section", "section"), ("Latest", "latest"), ("When", "when"),
        ("A year before", "then"), ("Then", "then_when"), ("Change", "change"), ("Places of its type (median)", "peers"),
        ("Places holding it", "peer_count"), ("Turnover", "turnover")])


def _sources(ctx: dict) -> Table:
    return _columns(ctx["sources"], [
        ("File", "file"), ("SHA-256", "sha256"), ("Rows", "rows"), ("Source", "source"), ("Table", "table"),
        ("Format", "format"), ("First", "first"), ("Last", "last")])


def _data_quality(ctx: dict) -> Table:
    return _columns(ctx["data_quality"], [("Severity", "severity"), ("Code", "code"), ("Where", "where"),
                                          ("Message", "message"), ("Hint", "hint")])


#: Sheet name, what it holds (listed on the About sheet), and the function that builds it, in order.
SHEETS: list[tuple[str, str, Callable[[dict], Table]]] = [
    ("About", "this workbook", _about),
    ("At a glance", "the figures on the 'at a glance' page", _glance),
    ("Areas for enquiry", "each area for enquiry with its evidence, then the checks that found nothing",
     _enquiry),
    ("Indicators", "key indicators: counts, rates, change, peer position, control chart reading", _indicators),
    ("Population", "population and capacity by month (population chart)", _population),
    ("Incidents by month", "the disclosure-controlled incident table, as shown (incidents chart)",
     _incidents_by_month),
    ("Incidents, 12 months", "each incident category's 12-month counts and rates", _incident_totals),
    ("Control charts", "every control chart point with its type, mean and limits", _control_charts),
    ("Funnels", "every point of every funnel plot", _funnels),
    ("Funnel limits", "the control limits drawn on the funnel plots", _funnel_limits),
    ("Surveys", "survey results by wave and question", _surveys),
    ("Survey comparisons", "the latest wave against the previous wave and peers (survey charts)",
     _survey_comparisons),
    ("Equality", "equality monitoring by practice and characteristic (equality charts)", _equality),
    ("Early days", "incidents early in people's time in custody", _early_days),
    ("Culture", "staff and detainee views compared", _culture),
    ("Comments", "redacted free-text comments by theme", _comments),
    ("Recommendations", "outstanding recommendations, longest overdue first", _recommendations),
    ("Recommendation status", "recommendations by status (recommendations chart)", _rec_status),
    ("Population profile", "the people held by group, at the latest count", _profile),
    ("Measures", "regime and resettlement measures the place reports", _measures),
    ("Visits", "past visits and their ratings", _visits),
    ("Sources", "the files behind the pack, with their SHA-256", _sources),
    ("Data quality", "problems found in this facility's data", _data_quality),
]


# -- the workbook -------------------------------------------------------------------------------

def sheet_name(name: str, taken: set[str]) -> str:
    """``name`` made a valid, unique sheet name: no ``[]:*?/\\``, no edge apostrophes, at most 31 characters."""
    base = _BAD_SHEET_CHARS.sub(" ", ILLEGAL_CHARACTERS_RE.sub("", name)).strip(" '")[:31] or "Sheet"
    candidate, n = base, 2
    while candidate.lower() in taken:  # Excel compares sheet names case-insensitively
        suffix = f" ({n})"
        candidate, n = base[:31 - len(suffix)].rstrip(" '") + suffix, n + 1
    taken.add(candidate.lower())
    return candidate


def _header_footer_text(text: str) -> str:
    # "&" starts a header/footer code in Excel; Excel caps a section at 255 characters.
    return text.replace("&", "&&")[:250]


def _fill(ws, head: list[str], rows: Iterable[Row], first_row: int) -> None:
    widths = [len(h) for h in head]
    for col, title in enumerate(head, 1):
        cell = ws.cell(first_row, col)
        _put(cell, title)
        cell.font = _BOLD
    last = first_row
    for last, row in enumerate(rows, first_row + 1):
        for col, item in enumerate(row, 1):
            _put(ws.cell(last, col), item)
            widths[col - 1] = max(widths[col - 1], len(_shown(item)))
    for col, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(col)].width = min(max(width + 2, _WIDTH_MIN), _WIDTH_MAX)
    ws.freeze_panes = ws.cell(first_row + 1, 1).coordinate
    ws.auto_filter.ref = f"A{first_row}:{get_column_letter(len(head))}{last}"
    ws.print_title_rows = f"{first_row}:{first_row}"


def render_xlsx(context: dict[str, Any]) -> bytes:
    """A facility's ``data.xlsx`` as bytes: one sheet per table behind the pack (see ``SHEETS``)."""
    marking = context["project"]["marking"] or ""
    built = dt.datetime.fromisoformat(context["built_at"]["iso"]).replace(tzinfo=None)
    wb = Workbook()
    wb.remove(wb.active)
    taken: set[str] = set()
    for name, _, build in SHEETS:
        ws = wb.create_sheet(sheet_name(name, taken))
        head, rows = build(context)
        first_row = 1
        if build is _about:  # the marking leads the workbook, above the About table
            _put(ws.cell(1, 1), marking)
            ws.cell(1, 1).font = Font(bold=True, size=14)
            first_row = 2
        _fill(ws, head, rows, first_row)
        ws.oddHeader.center.text = _header_footer_text(marking)
        ws.oddFooter.center.text = _header_footer_text(marking)
        ws.oddFooter.left.text = _header_footer_text(context["facility"]["name"] or "")
        ws.oddFooter.right.text = "Page &P of &N"
    props = wb.properties
    props.creator, props.lastModifiedBy = "datapack", None
    props.title = ILLEGAL_CHARACTERS_RE.sub("", f"{context['facility']['name']}: data behind the pack")
    props.created = props.modified = built  # built time, not now: same context, same bytes
    buffer = io.BytesIO()
    # ExcelWriter directly: openpyxl's save_workbook would stamp "modified" with the current time.
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).write_data()
    return normalise_zip(buffer.getvalue())
