"""An attacker that works hidden counts back from what the packs show, by integer programming.

Written apart from the suppression code (it never imports ``datapack.disclosure``): it reads
only the outputs (each facility's pack.json and the estate's comparison.json) and the public
indicator definitions, and writes down every relation it can find between shown and hidden
figures:

* the incidents table: each cell is the sum of its months, each block total the sum of its cells,
  and the category figures listed under the table are those block totals;
* each indicator's control chart: a month's count (a rate times the base the pack shows that
  month) is the sum of its categories' cells in the table that month, or at most that sum for a
  part of them (a sub-category, hospital attendances, serious ones, distinct people);
* sub-categories of one category (planned, spontaneous) add up to at most the whole;
* each indicator's last-12-month, previous-12-month and latest-quarter counts are the sums of
  their months (for distinct people: at least the largest month, at most the sum);
* the same indicator's count in comparison.json is the pack's last-12-month count;
* "then and now": the count over the window before the last visit is the sum of its months.

Every count is a whole number and never negative. For each hidden figure the attacker solves
for its smallest and largest possible value with :func:`scipy.optimize.milp`; a hidden figure
whose smallest and largest value agree has been worked back.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse import csr_array

DEFINITIONS = Path(__file__).resolve().parents[1] / "datapack" / "defaults" / "indicators.yaml"
MONTHS = {m: i + 1 for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split())}


def definitions(path: Path = DEFINITIONS) -> dict[str, dict[str, Any]]:
    """The public indicator definitions: id -> categories, sub-categories and what is counted."""
    out = {}
    for ind in yaml.safe_load(path.read_text(encoding="utf-8"))["indicators"]:
        num = ind.get("numerator") or {}
        out[ind["id"]] = {"categories": tuple(num.get("categories") or ()),
                          "subcategories": tuple(num.get("subcategories") or ()),
                          "count": num.get("count", "events"), "unit": ind.get("unit", "events"),
                          "kind": ind.get("kind", "incidents")}
    return out


@dataclass
class Model:
    """Unknowns (whole numbers >= 0, or fixed where shown) and linear relations lo <= sum(c * x) <= hi."""

    names: dict[Any, int] = field(default_factory=dict)
    fixed: dict[int, float] = field(default_factory=dict)
    targets: set[int] = field(default_factory=set)  # hidden figures the attacker wants
    rows: list[tuple[dict[int, float], float, float]] = field(default_factory=list)

    def var(self, name: Any) -> int:
        return self.names.setdefault(name, len(self.names))

    def figure(self, name: Any, fig: dict[str, Any] | None) -> int | None:
        """A shown figure is fixed at its value, a hidden one is a target; 'no data' is left out."""
        if not fig:
            return None
        if fig.get("hidden"):
            k = self.var(name)
            self.targets.add(k)
            return k
        if fig.get("value") is None:
            return None
        k = self.var(name)
        self.fixed[k] = float(fig["value"])
        return k

    def show(self, name: Any, value: float) -> None:
        self.fixed[self.var(name)] = float(value)

    def equal(self, whole: Any, parts: list[Any]) -> None:
        row = {self.var(p): 1.0 for p in parts}
        row[self.var(whole)] = row.get(self.var(whole), 0.0) - 1.0
        self.rows.append((row, 0.0, 0.0))

    def at_most(self, parts: list[Any], whole: list[Any]) -> None:
        """sum(parts) <= sum(whole)."""
        row: dict[int, float] = {}
        for p in parts:
            row[self.var(p)] = row.get(self.var(p), 0.0) + 1.0
        for w in whole:
            row[self.var(w)] = row.get(self.var(w), 0.0) - 1.0
        self.rows.append((row, -math.inf, 0.0))


def _month(text: str) -> tuple[int, int]:
    y, m = text.split("-")
    return int(y), int(m)


def _add(month: tuple[int, int], n: int) -> tuple[int, int]:
    k = month[0] * 12 + month[1] - 1 + n
    return k // 12, k % 12 + 1


def _key(month: tuple[int, int]) -> str:
    return f"{month[0]:04d}-{month[1]:02d}"


def _window_end(label: str) -> tuple[int, int] | None:
    """The last month of a period label such as 'Oct 2025–Sep 2026' (None for other labels)."""
    found = re.findall(r"([A-Z][a-z]{2}) (\d{4})$", label or "")
    return (int(found[0][1]), MONTHS[found[0][0]]) if found and found[0][0] in MONTHS else None


def _span(label: str) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """First and last month of a label such as 'Sep 2024–Aug 2025' (None for other labels)."""
    found = re.findall(r"([A-Z][a-z]{2}) (\d{4})", label or "")
    if len(found) != 2 or any(f[0] not in MONTHS for f in found):
        return None
    return (int(found[0][1]), MONTHS[found[0][0]]), (int(found[1][1]), MONTHS[found[1][0]])


def pack_model(pack: dict[str, Any], compared: dict[str, Any] | None = None,
               defs: dict[str, dict[str, Any]] | None = None) -> Model:
    """Every relation between the figures of one facility's pack (and its row of comparison.json)."""
    defs = defs or definitions()
    m = Model()
    table_months: set[str] = set()
    columns: list[str] = []
    incidents = pack.get("incidents") or {}
    table = incidents.get("table")
    if table:
        columns = [c["category"] for c in table["columns"]]
        for block in table["blocks"]:
            cells_of: dict[str, list[Any]] = {c: [] for c in columns}
            for row in block["rows"]:
                if row["is_total"]:
                    for c, fig in zip(columns, row["cells"]):
                        m.figure(("total", c, block["name"]), fig)
                        m.equal(("total", c, block["name"]), cells_of[c])
                    continue
                first, _, last = row["key"].partition("/")
                span = [first]
                while last and span[-1] != last:
                    span.append(_key(_add(_month(span[-1]), 1)))
                table_months |= set(span)
                for c, fig in zip(columns, row["cells"]):
                    m.figure(("cell", c, row["key"]), fig)
                    m.equal(("cell", c, row["key"]), [("atom", c, s) for s in span])
                    cells_of[c].append(("cell", c, row["key"]))
        for cat in incidents.get("categories", []):
            for name in ("last", "previous"):
                if cat.get(name) is not None and ("total", cat["category"], name) in m.names:
                    m.figure(("listed", cat["category"], name), cat[name])
                    m.equal(("listed", cat["category"], name), [("total", cat["category"], name)])
    bases = {row["month"]: row for row in (pack.get("population") or {}).get("months", [])}
    rows = {r["id"]: r for r in pack.get("indicators", [])}
    compared_counts = {c["id"]: c["count"] for c in (compared or {}).get("indicators", []) if c.get("count")}
    for ind, row in rows.items():
        d = defs.get(ind)
        if d is None or d["kind"] != "incidents" or d["unit"] in ("hours", "percent"):
            continue  # hours are not whole counts; shares are not counts
        months: set[str] = set(table_months)
        chart = (pack.get("spc") or {}).get(ind)
        for point in (chart or {}).get("points", []):
            months.add(point["period"])
            value = point["value"]
            if point["hidden"]:
                m.targets.add(m.var(("x", ind, point["period"])))
            elif value is not None:
                if chart["measure"] == "rate":
                    base = (bases.get(point["period"]) or {}).get(row["basis"]) or {}
                    if base.get("value") is None:
                        continue
                    count = value * base["value"] / 1000
                    if abs(count - round(count)) > 0.05:
                        continue  # not recovered exactly: leave the month unknown
                    value = round(count)
                m.show(("x", ind, point["period"]), value)
        # the indicator's months and its categories' cells in the table
        parts = [c for c in d["categories"] if c in columns]
        exact = d["count"] == "events" and not d["subcategories"]
        for month in sorted(table_months):
            atoms = [("atom", c, month) for c in parts]
            if exact:
                m.equal(("x", ind, month), atoms)
            else:
                m.at_most([("x", ind, month)], atoms)
        # the indicator's period counts and their months
        end = _window_end((row.get("periods") or {}).get("last", ""))
        if end is None:
            continue
        spans = {"last": (11, 0), "prev": (23, 12), "quarter": (2, 0)}
        for name, (back, upto) in spans.items():
            k = m.figure(("period", ind, name), row.get(name))
            if name == "last" and ind in compared_counts:
                m.figure(("compared", ind), compared_counts[ind])
                m.equal(("compared", ind), [("period", ind, name)])
            if k is None:
                continue
            window = [("x", ind, _key(_add(end, -n))) for n in range(upto, back + 1)]
            if d["count"] == "individuals":  # distinct people: at least any month, at most all months
                m.at_most([("period", ind, name)], window)
                for w in window:
                    m.at_most([w], [("period", ind, name)])
            else:
                m.equal(("period", ind, name), window)
        # "then and now": the count over the window before the last visit is the sum of its months
        then = row.get("then") or {}
        span = _span(then.get("period", ""))
        if span and d["count"] == "events" and m.figure(("then", ind), then.get("count")) is not None:
            first, last = span
            window = [first]
            while window[-1] != last:
                window.append(_add(window[-1], 1))
            m.equal(("then", ind), [("x", ind, _key(w)) for w in window])
    # parts of one category that cannot overlap (planned and spontaneous) add up to at most the whole:
    # the category's cells in the table, and the chart of the indicator counting the whole category
    by_categories: dict[tuple, list[str]] = {}
    wholes: dict[tuple, str] = {}
    for ind, d in defs.items():
        if ind in rows and d["count"] == "events":
            if d["subcategories"]:
                by_categories.setdefault(tuple(sorted(d["categories"])), []).append(ind)
            else:
                wholes[tuple(sorted(d["categories"]))] = ind
    for cats, parts in by_categories.items():
        for month in sorted({n[2] for n in m.names if n[0] == "x" and n[1] in parts}):
            mine = [("x", p, month) for p in parts]
            if cats in wholes:
                m.at_most(mine, [("x", wholes[cats], month)])
            if month in table_months:
                m.at_most(mine, [("atom", c, month) for c in cats if c in columns])
    return m


def intervals(m: Model) -> dict[Any, tuple[float, float]]:
    """Smallest and largest whole value of every hidden figure, given everything shown.

    Fixed figures are folded into the relations' bounds; the rest split into groups that share
    no relation, and each group is solved on its own: the linear relaxation first (its bounds
    hold the whole-number ones, so a relaxation that pins a figure settles it), then
    :func:`scipy.optimize.milp`.
    """
    free = [k for k in range(len(m.names)) if k not in m.fixed]
    index = {k: i for i, k in enumerate(free)}
    parent = list(range(len(free)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    reduced = []
    for row, lo, hi in m.rows:
        shift = sum(c * m.fixed[k] for k, c in row.items() if k in m.fixed)
        rest = {index[k]: c for k, c in row.items() if k not in m.fixed and c != 0}
        if not rest:
            assert lo - 1e-6 <= shift <= hi + 1e-6, "the attacker's relations contradict what is shown"
            continue
        reduced.append((rest, lo - shift, hi - shift))
        first = next(iter(rest))
        for j in rest:
            parent[find(j)] = find(first)
    groups: dict[int, list[int]] = {}
    for i in range(len(free)):
        groups.setdefault(find(i), []).append(i)
    rows_of: dict[int, list[int]] = {}
    for r, (rest, _, _) in enumerate(reduced):
        rows_of.setdefault(find(next(iter(rest))), []).append(r)
    names = {v: k for k, v in m.names.items()}
    out: dict[Any, tuple[float, float]] = {}
    for root, members in groups.items():
        wanted = [i for i in members if free[i] in m.targets]
        if not wanted:
            continue
        local = {i: n for n, i in enumerate(members)}
        data, ri, ci, lo, hi = [], [], [], [], []
        for n, r in enumerate(rows_of.get(root, [])):
            rest, a, b = reduced[r]
            for j, c in rest.items():
                data.append(c)
                ri.append(n)
                ci.append(local[j])
            lo.append(a)
            hi.append(b)
        size = len(members)
        if not lo:  # nothing bounds these figures at all
            for i in wanted:
                out[names[free[i]]] = (0.0, math.inf)
            continue
        a = csr_array((data, (ri, ci)), shape=(len(lo), size))
        lo_a, hi_a = np.array(lo), np.array(hi)
        for i in wanted:
            out[names[free[i]]] = _bounds(a, lo_a, hi_a, size, local[i])
    return out


def _bounds(a: csr_array, lo: np.ndarray, hi: np.ndarray, size: int, target: int) -> tuple[float, float]:
    result = []
    for sign in (1.0, -1.0):
        c = np.zeros(size)
        c[target] = sign
        eq = lo == hi
        ub_rows = ~eq
        a_ub = np.vstack([a[ub_rows].toarray(), -a[ub_rows].toarray()]) if ub_rows.any() else None
        b_ub = np.concatenate([hi[ub_rows], -lo[ub_rows]]) if ub_rows.any() else None
        if a_ub is not None:
            keep = np.isfinite(b_ub)
            a_ub, b_ub = (a_ub[keep], b_ub[keep]) if keep.any() else (None, None)
        lp = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a[eq].toarray() if eq.any() else None,
                     b_eq=lo[eq] if eq.any() else None, bounds=(0, None), method="highs")
        if lp.status == 3:  # unbounded
            result.append(math.inf * sign)
            continue
        assert lp.status == 0, lp.message
        result.append(sign * lp.fun)
    low, high = math.ceil(result[0] - 1e-6), math.floor(result[1] + 1e-6) if math.isfinite(result[1]) else math.inf
    if high - low < 1:
        return float(low), float(low)  # the relaxation pins it: so does the whole-number problem
    out = []
    for sign in (1.0, -1.0):
        c = np.zeros(size)
        c[target] = sign
        res = milp(c, constraints=LinearConstraint(a, lo, hi), integrality=np.ones(size),
                   bounds=Bounds(0, np.inf))
        if res.status != 0:
            out.append(math.inf * sign)
            continue
        out.append(round(sign * res.fun))
    return float(out[0]), float(out[1])


# -- the public outputs ------------------------------------------------------------------------------------
#
# The public summaries (output/public/) are read as a reader sees them: the tables of every HTML page
# and every Word file, nothing else. Each figure is named by its place, measure and period; a figure
# shown in one file and hidden in another is simply known. The relations written down:
#
# * a count and its rate share the place's base for that period (rate = count / base x 1,000): every
#   shown pair gives the base within its rounding, and a rate shown beside a hidden count would give
#   the count within the base's width;
# * the change in the rate ("up 12%", "about the same": under 5%) ties the two periods' rates, so a
#   hidden period's rate (and then its count) would follow from the other's;
# * a total printed beside its parts (the recommendations made at past visits and their statuses) is
#   their sum, as is any row or column headed "Total".

from html.parser import HTMLParser  # noqa: E402

_NUMBER = re.compile(r"^-?[\d,]+(?:\.\d+)?$")


class _Tables(HTMLParser):
    """Every table of a page (caption, rows of cell texts) and the text of its h1 and paragraphs."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict[str, Any]] = []
        self.h1 = ""
        self.paragraphs: list[str] = []
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._text: list[str] | None = None
        self._tag = ""

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "table":
            self.tables.append({"caption": "", "rows": []})
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
        elif tag in ("h1", "p", "caption"):
            self._text, self._tag = [], tag

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self.tables:
            self.tables[-1]["rows"].append(self._row)
            self._row = None
        elif tag == self._tag and self._text is not None:
            text = " ".join("".join(self._text).split())
            if tag == "h1":
                self.h1 = text
            elif tag == "caption" and self.tables:
                self.tables[-1]["caption"] = text
            else:
                self.paragraphs.append(text)
            self._text = None

    def handle_data(self, data: str) -> None:
        for part in (self._cell, self._text):
            if part is not None:
                part.append(data)


def _docx_tables(path: Path) -> tuple[list[str], list[list[list[str]]]]:
    """Paragraph texts and tables (rows of cell texts) of a Word file, read from its XML."""
    import zipfile
    from xml.etree import ElementTree

    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    with zipfile.ZipFile(path) as archive:
        root = ElementTree.fromstring(archive.read("word/document.xml"))
    body = root.find(f"{w}body")
    paragraphs, tables = [], []
    for child in body:
        if child.tag == f"{w}p":
            paragraphs.append("".join(t.text or "" for t in child.iter(f"{w}t")))
        elif child.tag == f"{w}tbl":
            tables.append([[" ".join("".join(t.text or "" for t in c.iter(f"{w}t")).split())
                            for c in row.findall(f"{w}tc")] for row in child.findall(f"{w}tr")])
    return paragraphs, tables


@dataclass
class Shown:
    """What the public outputs show: figure name -> value (None where hidden), and the rate pairs."""

    values: dict[Any, float | None] = field(default_factory=dict)
    hidden: set = field(default_factory=set)
    changes: dict[Any, str] = field(default_factory=dict)       # (place, measure) -> change text
    per: dict[Any, str] = field(default_factory=dict)           # (place, measure) -> the rate's base
    totals: list[tuple[Any, list[Any]]] = field(default_factory=list)
    files: int = 0

    def put(self, name: Any, text: str, symbol: str) -> None:
        text = text.strip()
        if text.split(" ")[0] == symbol:
            self.hidden.add(name)
            self.values.setdefault(name, None)
            return
        number = text.split(" ")[0].rstrip("%")
        if not _NUMBER.match(number):
            return  # "not held", "not a count": no figure
        value = float(number.replace(",", ""))
        known = self.values.get(name)
        assert known is None or abs(known - value) < 1e-9, f"{name} shown as {known} and as {value}"
        self.values[name] = value


def _symbol(paragraphs: list[str]) -> str:
    for p in paragraphs:
        found = re.search(r"(\S+) means the number is not shown", p)
        if found:
            return found.group(1)
    return "[c]"


def _summary_table(shown: Shown, place: str, rows: list[list[str]], symbol: str) -> None:
    head, body = rows[0], rows[1:]
    col = {h: i for i, h in enumerate(head)}
    for row in body:
        measure = row[0]
        for period, count, rate in (("last", "Last 12 months", "Rate, last 12 months"),
                                    ("prev", "12 months before", "Rate, 12 months before")):
            shown.put(("count", place, measure, period), row[col[count]], symbol)
            shown.put(("rate", place, measure, period), row[col[rate]], symbol)
        rate_text = row[col["Rate, last 12 months"]]
        if " per " in rate_text:
            shown.per[(place, measure)] = rate_text.split(" per ", 1)[1]
        shown.changes[(place, measure)] = row[col["Change in the rate"]]


def _recommendations(shown: Shown, place: str, paragraphs: list[str], rows: list[list[str]], symbol: str) -> None:
    statuses = []
    for label, count in rows[1:]:
        shown.put(("recommendations", place, label), count, symbol)
        statuses.append(("recommendations", place, label))
    for p in paragraphs:
        made = re.search(r"inspectors made ([\d,]+) recommendations", p)
        if made:
            shown.put(("recommendations", place, "all"), made.group(1), symbol)
            shown.totals.append((("recommendations", place, "all"), statuses))


def _total_rows(shown: Shown, caption: str, rows: list[list[str]], symbol: str) -> None:
    """Any table with a 'Total' row or column: each total is the sum of the cells beside it."""
    head = rows[0]
    if "Total" in head[1:]:
        t = head.index("Total")
        for row in rows[1:]:
            names = [("cell", caption, row[0], head[j]) for j in range(1, len(row))]
            for name, text in zip(names, row[1:]):
                shown.put(name, text, symbol)
            shown.totals.append((names[t - 1], [n for j, n in enumerate(names, 1) if j != t]))
    labels = [r[0] for r in rows[1:]]
    if "Total" in labels:
        total = rows[1:][labels.index("Total")]
        for j in range(1, len(head)):
            parts = [("cell", caption, r[0], head[j]) for r in rows[1:] if r[0] != "Total"]
            for r in rows[1:]:
                shown.put(("cell", caption, r[0], head[j]), r[j], symbol)
            shown.totals.append((("cell", caption, "Total", head[j]), parts))


def read_public(folder: Path) -> Shown:
    """Every figure the public outputs in ``folder`` show, HTML and Word together."""
    shown = Shown()
    places: dict[str, str] = {}
    for path in sorted(folder.glob("*.html")):
        page = _Tables()
        page.feed(path.read_text(encoding="utf-8"))
        shown.files += 1
        symbol = _symbol(page.paragraphs)
        if path.name.endswith("-summary.html") and path.name != "estate-summary.html":
            place = page.h1.removesuffix(": public summary")
            places[path.name.removesuffix("-summary.html")] = place
            for table in page.tables:
                rows = table["rows"]
                if rows and rows[0][:2] == ["Measure", "Last 12 months"]:
                    _summary_table(shown, place, rows, symbol)
                elif rows and rows[0][0] == "Status":
                    _recommendations(shown, place, page.paragraphs, rows, symbol)
                else:
                    _total_rows(shown, table["caption"], rows, symbol)
        elif path.name == "estate-summary.html":
            for table in page.tables:
                rows = table["rows"]
                if not rows or rows[0][0] != "Place":
                    _total_rows(shown, table["caption"], rows, symbol)
                    continue
                _estate_rows(shown, rows, symbol)
    for path in sorted(folder.glob("*.docx")):
        paragraphs, tables = _docx_tables(path)
        shown.files += 1
        symbol = _symbol(paragraphs)
        slug = path.name.removesuffix("-summary.docx")
        for rows in tables:
            if rows and rows[0][:2] == ["Measure", "Last 12 months"]:
                _summary_table(shown, places[slug], rows, symbol)
            elif rows and rows[0][0] == "Status":
                _recommendations(shown, places[slug], paragraphs, rows, symbol)
            elif rows and rows[0][0] == "Place":
                _estate_rows(shown, rows, symbol)
            elif rows:
                _total_rows(shown, "word", rows, symbol)
    return shown


def _estate_rows(shown: Shown, rows: list[list[str]], symbol: str) -> None:
    head = rows[0]
    for row in rows[1:]:
        place = row[0]
        for measure, text in zip(head[2:], row[2:]):
            found = re.match(r"^(.*?) \(rate (.*?)\s*\)$", text)
            if found:
                shown.put(("count", place, measure, "last"), found.group(1), symbol)
                shown.put(("rate", place, measure, "last"), found.group(2), symbol)
            else:  # a rate alone (crowding)
                shown.put(("rate", place, measure, "last"), text, symbol)


def public_model(shown: Shown) -> Model:
    """Every relation between the hidden counts and what the public outputs show (see the notes above)."""
    m = Model()
    for name, value in shown.values.items():
        if name[0] == "rate":
            continue  # rates are not whole numbers: used through the bases below
        if value is None:
            m.targets.add(m.var(name))
        else:
            m.show(name, value)
    for total, parts in shown.totals:
        m.equal(total, parts)
    # each place's base for a period, from every count shown with its rate (rates to 1 decimal place)
    bases: dict[Any, list[float]] = {}
    for name, value in shown.values.items():
        if name[0] != "count" or value is None or value <= 0:
            continue
        rate = shown.values.get(("rate",) + name[1:])
        if rate is None or rate <= 0:
            continue
        key = (name[1], shown.per.get((name[1], name[2]), ""), name[3])
        lo, hi = value * 1000 / (rate + 0.05), value * 1000 / max(rate - 0.05, 1e-9)
        was = bases.get(key, [0.0, math.inf])
        bases[key] = [max(was[0], lo), min(was[1], hi)]

    def rate_bounds(place: str, measure: str, period: str) -> tuple[float, float] | None:
        rate = shown.values.get(("rate", place, measure, period))
        if rate is not None:
            return rate - 0.05, rate + 0.05
        other = "prev" if period == "last" else "last"
        known = shown.values.get(("rate", place, measure, other))
        change = shown.changes.get((place, measure), "")
        found = re.match(r"^(up|down) (\d+)%", change)
        if known is None or not (found or change.startswith("about the same")):
            return None
        if found:
            pct = int(found.group(2)) / 100 * (1 if found.group(1) == "up" else -1)
            ratio = (1 + pct - 0.005, 1 + pct + 0.005)
        else:
            ratio = (0.95, 1.05)
        if period == "last":  # last = prev x ratio
            return (known - 0.05) * ratio[0], (known + 0.05) * ratio[1]
        return (known - 0.05) / ratio[1], (known + 0.05) / max(ratio[0], 1e-9)

    for name in list(shown.hidden):
        if name[0] != "count":
            continue
        place, measure, period = name[1:]
        rates = rate_bounds(place, measure, period)
        base = bases.get((place, shown.per.get((place, measure), ""), period))
        if rates is None or base is None:
            continue
        lo, hi = max(rates[0], 0) * base[0] / 1000, rates[1] * base[1] / 1000
        k = m.var(name)
        m.rows.append(({k: 1.0}, lo, hi))
    return m
