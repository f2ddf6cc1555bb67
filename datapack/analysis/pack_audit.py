"""One facility's incident figures audited together, as whole numbers: the table, the charts and the totals.

A pack shows the same incidents several ways: the period x category table with each category's
12-month totals, a control chart a month for each indicator (a category, several categories added
up, or a part of one), and each indicator's last-12-month, previous-12-month and latest-quarter
counts. Each way is safe on its own; together they are more equations on the same hidden counts
(a month as a 12-month total less the shown months less the latest quarter's remainder). Here they
are written down as one set of relations and passed to :func:`datapack.disclosure.protect`, which
hides more table cells and chart months until no hidden count can be worked back from all of them.
The period totals themselves stay as shown (they feed rates, funnels and the comparison pack);
a small one is hidden by primary suppression, and audited here like any hidden count.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from datapack.disclosure import at_most, equal, protect

PERIODS = ("last", "prev", "quarter")


class _Figures:
    def __init__(self) -> None:
        self.index: dict[Any, int] = {}
        self.values: list[float] = []
        self.hidden: list[bool] = []
        self.movable: list[bool] = []
        self.relations: list = []

    def add(self, key: Any, value: float, hidden: bool, movable: bool) -> int:
        if key not in self.index:
            self.index[key] = len(self.values)
            self.values.append(0.0 if value is None or pd.isna(value) else float(value))
            self.hidden.append(bool(hidden))
            self.movable.append(bool(movable))
        return self.index[key]


def audit(analysis: Any, facility_id: str, table: dict[str, Any], counts: pd.DataFrame,
          charts: dict[str, list[bool]]) -> tuple[set[tuple[str, str, str]], dict[str, list[bool]]]:
    """Table cells (window, period key, category) and chart months (per indicator) to hide.

    ``table`` is the facility's ``incidents`` section as it stands, ``counts`` its month x category
    counts over both windows, ``charts`` each indicator's chart mask as it stands.
    """
    f = _Figures()
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
    mine = series[series["facility_id"] == facility_id]
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
        for name in PERIODS:
            value = p.get(f"{name}_count")
            if value is None or pd.isna(value):
                continue
            first, last = windows.span(name)
            inside = [str(m) for m in pd.period_range(first, last, freq="M")]
            for m in inside:
                if m not in x:
                    x[m] = f.add(("x", ind.id, m), by_month.get(m), True, False)
            k = f.add(("period", ind.id, name), value, control.is_small(value), False)
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
    done = protect(values, hidden, f.relations, guard=guard, movable=np.array(f.movable))
    cells = {key[1:] for key, i in f.index.items() if key[0] == "cell" and done[i]}
    shut = {ind: [bool(done[f.index[("x", ind, str(m))]]) if ("x", ind, str(m)) in f.index else bool(v)
                  for m, v in zip(analysis.signals.spc[(facility_id, ind)].periods, mask)]
            for ind, mask in charts.items() if (facility_id, ind) in analysis.signals.spc}
    return cells, shut



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
