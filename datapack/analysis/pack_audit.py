"""One facility's incident figures audited together, as whole numbers: the table, the charts and the totals.

A pack shows the same incidents several ways: the period x category table with each category's
12-month totals, a control chart a month for each indicator (a category, several categories added
up, or a part of one), and each indicator's last-12-month, previous-12-month and latest-quarter
counts. Each way is safe on its own; together they are more equations on the same hidden counts
(a month as a 12-month total less the shown months less the latest quarter's remainder). Here they
are written down as one set of relations and passed to :func:`datapack.disclosure.protect`, which
hides more table cells and chart months until no hidden count can be worked back from all of them.
A period count (the last and previous windows, the latest quarter, the window before the last visit)
is hidden by primary suppression when small; it is hidden for another figure's sake only where no
table cell or chart month would do, since it feeds rates, funnels and the comparison pack: a
quarter count or the window before the visit first, then the previous window, the last window last
(:data:`RANK`). A fight total of 4 at a place whose assaults are staff 13, detainees 12 and fights
is the assaults count less the others: only hiding the assaults count, or another part of it, stops
that.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from datapack.analysis.facility_rows import rows_of
from datapack.disclosure import at_most, equal, protect

PERIODS = ("last", "prev", "quarter")
#: Which figures the audit hides first for another's sake (lowest first): table cells and chart months,
#: then a quarter's count or the window before the last visit, the previous window, the last window.
RANK = {"cell": 0, "x": 0, "quarter": 1, "then": 1, "prev": 2, "last": 3}


class _Figures:
    def __init__(self) -> None:
        self.index: dict[Any, int] = {}
        self.values: list[float] = []
        self.hidden: list[bool] = []
        self.movable: list[bool] = []
        self.rank: list[int] = []
        self.relations: list = []

    def add(self, key: Any, value: float, hidden: bool, movable: bool, rank: int = 0) -> int:
        if key not in self.index:
            self.index[key] = len(self.values)
            self.values.append(0.0 if value is None or pd.isna(value) else float(value))
            self.hidden.append(bool(hidden))
            self.movable.append(bool(movable))
            self.rank.append(rank)
        return self.index[key]


def audit(analysis: Any, facility_id: str, table: dict[str, Any], counts: pd.DataFrame,
          charts: dict[str, list[bool]]) -> tuple[set[tuple[str, str, str]], dict[str, list[bool]],
                                                  set[tuple[str, str]]]:
    """Table cells (window, period key, category), chart months (per indicator) and period counts
    ((indicator, period), small ones included) to hide.

    ``table`` is the facility's ``incidents`` section as it stands, ``counts`` its month x category
    counts over both windows, ``charts`` each indicator's chart mask as it stands.
    """
    from datapack.analysis.figures import before_window, latest_visit_start

    f = _Figures()
    visit_start = latest_visit_start(analysis, facility_id)
    months: list[str] = []
    columns = [c["category"] for c in (table.get("table") or {}).get("columns", [])]
    for block in (table.get("table") or {}).get("blocks", []):
        in_block = {c: [] for c in columns}
        for row in block["rows"]:
            if row["is_total"]:
                for c, cell in zip(columns, row["cells"]):
                    k = f.add(("total", block["name"], c), sum(f.values[i] for i in in_block[c]), cell["hidden"], False)
                    f.relations.append(equal(k, in_block[c]))
                continue
            first, _, last = row["key"].partition("/")
            span = [str(p) for p in pd.period_range(first, last or first, freq="M")]
            months += span
            for c, cell in zip(columns, row["cells"]):
                atoms = [f.add(("atom", c, m), counts.at[pd.Period(m, freq="M"), c], True, False) for m in span]
                if len(span) == 1:
                    k = atoms[0]
                    f.hidden[k], f.movable[k] = bool(cell["hidden"]), True
                    f.index[("cell", block["name"], row["key"], c)] = k
                else:
                    k = f.add(("cell", block["name"], row["key"], c), counts.loc[first:last, c].sum(),
                              cell["hidden"], True)
                    f.relations.append(equal(k, atoms))
                in_block[c].append(k)
    series = analysis.results.series
    mine = rows_of(series, facility_id)
    for ind in analysis.definitions.indicators:
        if ind.kind != "incidents" or ind.unit in ("hours", "percent") or analysis.published(facility_id, ind.id):
            continue
        p = analysis.period(facility_id, ind.id)
        result = analysis.signals.spc.get((facility_id, ind.id))
        if not p and result is None:
            continue
        rows = mine[mine["indicator"] == ind.id]
        by_month = dict(zip(rows["month"].astype(str), rows["count"]))
        mask = dict(zip(map(str, result.periods), charts.get(ind.id, []))) if result is not None else {}
        x = {}
        for m in sorted(set(mask) | set(months)):
            x[m] = f.add(("x", ind.id, m), by_month.get(m), mask.get(m, True), m in mask)
        parts = [c for c in ind.numerator.categories if c in columns]
        exact = ind.numerator.count == "events" and not ind.numerator.subcategories
        for m in months:
            atoms = [f.index[("atom", c, m)] for c in parts]
            f.relations.append(equal(x[m], atoms) if exact else at_most([x[m]], atoms))
        windows = analysis.results.window(ind.id)
        if not p or windows is None:
            continue
        control = analysis.control_for(facility_id, ind.id)
        spans = {name: windows.span(name) for name in PERIODS if not pd.isna(p.get(f"{name}_count", np.nan))}
        given = {name: p.get(f"{name}_count") for name in spans}
        then = before_window(analysis, facility_id, ind, visit_start)
        if then is not None:  # "then and now": the window before the last visit, its count as shown
            spans["then"] = then
            given["then"] = sum(by_month.get(str(m)) or 0.0 for m in pd.period_range(*then, freq="M"))
        for name, (first, last) in spans.items():
            value = given[name]
            inside = [str(m) for m in pd.period_range(first, last, freq="M")]
            for m in inside:
                if m not in x:
                    x[m] = f.add(("x", ind.id, m), by_month.get(m), True, False)
            k = f.add(("period", ind.id, name), value, control.is_small(value), True, RANK[name])
            if ind.numerator.count == "individuals":  # distinct people: at least any month, at most all
                f.relations.append(at_most([k], [x[m] for m in inside]))
                f.relations += [at_most([x[m]], [k]) for m in inside]
            else:
                f.relations.append(equal(k, [x[m] for m in inside]))
    _siblings(analysis, f)
    values = np.array(f.values)
    hidden = np.array(f.hidden)
    # the months of a quarter table and months not charted are unknowns, but no figure the pack hides
    guard = np.ones(len(values), dtype=bool)
    for key, i in f.index.items():
        if key[0] in ("atom", "x") and not f.movable[i]:
            guard[i] = False
    done = protect(values, hidden, f.relations, guard=guard, movable=np.array(f.movable), rank=np.array(f.rank))
    cells = {key[1:] for key, i in f.index.items() if key[0] == "cell" and done[i]}
    periods = {key[1:] for key, i in f.index.items() if key[0] == "period" and done[i]}
    shut = {ind: [bool(done[f.index[("x", ind, str(m))]]) if ("x", ind, str(m)) in f.index else bool(v)
                  for m, v in zip(analysis.signals.spc[(facility_id, ind)].periods, mask)]
            for ind, mask in charts.items() if (facility_id, ind) in analysis.signals.spc}
    return cells, shut, periods



def _siblings(analysis: Any, f: _Figures) -> None:
    """Parts of one category that cannot overlap (planned, spontaneous) add up to at most the whole."""
    by_categories: dict[tuple, list[str]] = {}
    wholes: dict[tuple, str] = {}
    for ind in analysis.definitions.indicators:
        if ind.numerator.count != "events":
            continue
        key = tuple(sorted(ind.numerator.categories))
        if ind.numerator.subcategories:
            by_categories.setdefault(key, []).append(ind.id)
        else:
            wholes[key] = ind.id
    for key, parts in by_categories.items():
        months = sorted({k[2] for k in f.index if k[0] == "x" and k[1] in parts})
        for m in months:
            mine = [f.index[("x", p, m)] for p in parts if ("x", p, m) in f.index]
            whole = [f.index[("atom", c, m)] for c in key if ("atom", c, m) in f.index]
            if key in wholes and ("x", wholes[key], m) in f.index:
                f.relations.append(at_most(mine, [f.index[("x", wholes[key], m)]]))
            if whole:
                f.relations.append(at_most(mine, whole))
