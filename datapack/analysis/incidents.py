"""Incidents of one facility: the last window (``analysis.window_months``, 12 by default) against the one before.

The two windows end with the latest month of incident data held
for the whole estate, so every facility is compared over the same months
(a facility with no rows in a window had no incidents recorded there).

The period x category table of each window goes through ``Control.table``
(see :func:`suppressed_table`). The window counts in the summary are
exactly that table's total row, so neither they nor any table total can be
used to work back a hidden cell. The chart is drawn from the same cells,
so it can show nothing the table hides. Rates come from
:func:`datapack.analysis.figures.rate_of`, as every other rate does.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from datapack.analysis.figures import rate_label, rate_of, window_label
from datapack.analysis.population import average_base
from datapack.analysis.text import CATEGORY_LABELS, change, figure, month_key, month_label, no_data, span_label
import numpy as np

from datapack.disclosure import Control, equal, protect
from datapack.tables import schemas

#: The window's length in months when no ``analysis.window_months`` is given.
WINDOW = 12
#: Above this share of non-zero monthly cells hidden, the table (and chart) use quarters instead.
QUARTERS_ABOVE = 0.25
#: A rise (in rate, or count where there is no rate) at least this large is named in the summary.
RISE = 0.10


def window_end(incidents: pd.DataFrame) -> pd.Period | None:
    """The latest month with incident data anywhere in the estate."""
    if incidents.empty or incidents["occurred"].dropna().empty:
        return None
    return pd.Timestamp(incidents["occurred"].max()).to_period("M")


def monthly_counts(frame: pd.DataFrame, first: pd.Period, last: pd.Period) -> pd.DataFrame:
    """Incidents per month (rows) and category (columns), zero-filled; rows count 1 when ``count`` is blank."""
    months = pd.period_range(first, last, freq="M")
    if frame.empty:
        return pd.DataFrame(index=months)
    data = frame.assign(_period=pd.to_datetime(frame["occurred"]).dt.to_period("M"),
                        _n=pd.to_numeric(frame["count"], errors="coerce").fillna(1) if "count" in frame else 1)
    data = data[(data["_period"] >= first) & (data["_period"] <= last)]
    table = data.pivot_table(index="_period", columns="category", values="_n", aggfunc="sum", fill_value=0)
    order = [c for c in schemas.INCIDENT_CATEGORIES if c in table.columns]
    order += sorted(c for c in table.columns if c not in order)
    table = table.reindex(index=months, columns=order, fill_value=0)
    return table.loc[:, table.sum(axis=0) > 0].astype(float)


def _periods(first: pd.Period, quarters: bool, months: int = WINDOW) -> list[tuple[pd.Period, pd.Period]]:
    """The ``months`` from ``first`` as months, or as runs of 3 months (the last run shorter if need be)."""
    step = 3 if quarters else 1
    return [(first + i, first + min(i + step, months) - 1) for i in range(0, months, step)]


def suppressed_table(control: Control, counts: pd.DataFrame,
                     seed: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A period x category table with a ``Total`` row (as text), and which interior cells are hidden.

    Primary suppression, then secondary suppression by the integer audit
    (:func:`datapack.disclosure.protect`) against the totals the table shows:
    each category's count for the window. The total across categories is not
    shown: incident kinds overlap (an assault on staff is also an assault), so
    that total would mislead. A total is hidden only when small; the pack audit
    (:mod:`datapack.analysis.pack_audit`) then audits this table together with
    the charts and period counts of the same incidents.
    """
    values = counts.to_numpy(dtype=float, na_value=0.0)
    rows, cols = values.shape
    full = np.vstack([values, values.sum(axis=0)])
    hidden = np.vectorize(control.is_small)(full)
    if seed is not None:
        hidden[:rows] |= seed.to_numpy(dtype=bool)
    at = lambda i, j: i * cols + j  # noqa: E731
    relations = [equal(at(rows, j), [at(i, j) for i in range(rows)]) for j in range(cols)]
    movable = np.arange(full.size) < rows * cols  # the totals stay as shown unless small
    hidden = protect(full.ravel(), hidden.ravel(), relations, movable=movable).reshape(full.shape)
    shown = pd.DataFrame([[control.count(full[i, j], bool(hidden[i, j])).text for j in range(cols)]
                          for i in range(rows + 1)], index=[*counts.index, "Total"], columns=counts.columns)
    mask = pd.DataFrame(hidden[:rows], index=counts.index, columns=counts.columns)
    return shown, mask


def _block(control: Control, counts: pd.DataFrame, spans: list[tuple[pd.Period, pd.Period]],
           name: str, label: str, extra: set | frozenset = frozenset()) -> dict[str, Any]:
    """One window's period x category table as figures, with each category's total for the window.

    ``extra``: (window, period key, category) cells hidden for the sake of other figures of the pack.
    """
    grouped = pd.DataFrame([counts.loc[a:b].sum(axis=0) for a, b in spans], columns=counts.columns)
    keys = [month_key(a) if a == b else f"{month_key(a)}/{month_key(b)}" for a, b in spans]
    grouped.index = keys
    seed = pd.DataFrame([[(name, k, c) in extra for c in counts.columns] for k in keys], index=keys,
                        columns=counts.columns)
    shown, mask = suppressed_table(control, grouped, seed)
    rows = []
    for key, (a, b) in zip(keys, spans):
        rows.append({"key": key, "label": span_label(a, b), "is_total": False,
                     "cells": [_cell(control, shown.at[key, c], grouped.at[key, c], bool(mask.at[key, c]))
                               for c in counts.columns]})
    totals = grouped.sum(axis=0)
    rows.append({"key": "total", "label": "Total", "is_total": True,
                 "cells": [_cell(control, shown.at["Total", c], totals[c], False) for c in counts.columns]})
    return {"name": name, "label": label, "rows": rows}


def _cell(control: Control, text: str, raw: float, hidden: bool) -> dict[str, Any]:
    """A cell as a figure whose text is exactly ``Control.table``'s."""
    fig = figure(control.count(float(raw), hidden=hidden))
    if str(text) != fig["text"]:  # Control.table and Control.count disagree: trust the table, show nothing
        fig = {"text": str(text), "value": None, "hidden": str(text) == control.settings.symbol}
    return fig


def incidents_section(frame: pd.DataFrame, end: pd.Period | None, months: pd.DataFrame, basis: str,
                      control: Control, window_months: int = WINDOW,
                      extra: set | frozenset = frozenset()) -> dict[str, Any]:
    """The ``incidents`` key of the context (see docs/context.md), over windows of ``window_months``;
    ``extra`` as in :func:`_block`."""
    per = rate_label(basis)
    base_label = "throughput (detentions)" if basis == "throughput" else "average population"
    n = int(window_months)
    length = {"months": n, "window": window_label(n)}
    if end is None:
        return {"available": False, "summary": "No incident data is held.", "rate_label": per,
                "base_label": base_label, **length, "categories": [], "table": None, "windows": None,
                "base": None}
    first_prev, first_last = end - (2 * n - 1), end - (n - 1)
    windows = {"previous": {"first": month_key(first_prev), "last": month_key(first_last - 1),
                            "label": span_label(first_prev, first_last - 1, short=False)},
               "last": {"first": month_key(first_last), "last": month_key(end),
                        "label": span_label(first_last, end, short=False)}}
    base, raw_base = {}, {}
    spans = {"previous": (first_prev, first_last - 1), "last": (first_last, end)}
    for name, (a, b) in spans.items():
        value, n_months = average_base(months, a, b, basis)
        base[name] = {**(figure(control.count(value)) if value is not None else no_data()), "months": n_months}
        raw_base[name] = value if base[name]["value"] is not None else None  # no rate on a base not shown
    counts = monthly_counts(frame, first_prev, end)
    section = {"available": True, "rate_label": per, "base_label": base_label, **length, "windows": windows,
               "base": base, "categories": [], "table": None}
    if counts.shape[1] == 0:
        section["summary"] = (f"No incidents are recorded in the {window_label(2 * n)} from {month_label(first_prev)} "
                              f"to {month_label(end)}.")
        return section
    quarters = _hidden_share(control, counts) > QUARTERS_ABOVE
    blocks = []
    for name, first in (("previous", first_prev), ("last", first_last)):
        label = f"{'Previous' if name == 'previous' else 'Last'} {window_label(n)} ({windows[name]['label']})"
        blocks.append(_block(control, counts, _periods(first, quarters, n), name, label, extra))
    section["table"] = {"period": "quarter" if quarters else "month",
                        "columns": [{"category": c, "label": CATEGORY_LABELS.get(c, c)} for c in counts.columns],
                        "blocks": blocks}
    raw = {name: counts.loc[a:b].sum(axis=0) for name, (a, b) in spans.items()}
    section["categories"] = [_category(control, c, i, blocks, raw, raw_base, basis, n)
                             for i, c in enumerate(counts.columns)]
    section["summary"] = _summary(section["categories"], windows, n)
    return section


def _hidden_share(control: Control, counts: pd.DataFrame) -> float:
    values = counts.to_numpy().ravel()
    nonzero = values[values > 0]
    return 0.0 if nonzero.size == 0 else float(sum(control.is_small(v) for v in nonzero)) / nonzero.size


def _category(control: Control, category: str, index: int, blocks: list[dict], raw: dict[str, pd.Series],
              base: dict[str, float | None], basis: str, months: int) -> dict[str, Any]:
    """Counts (the window totals of the suppressed table), rates and change for one category.

    ``raw`` holds each window's raw totals by category and ``base`` its raw base: the rate is
    :func:`rate_of` the raw count, hidden where the table hides the count.
    """
    out: dict[str, Any] = {"category": category, "label": CATEGORY_LABELS.get(category, category)}
    for block in blocks:
        count = block["rows"][-1]["cells"][index]
        out[block["name"]] = count
        denominator = base[block["name"]]
        rate = rate_of(control, float(raw[block["name"]][category]), denominator, basis=basis, months=months,
                       count_hidden=count["hidden"])
        out[f"rate_{block['name']}"] = rate.rate_figure() if denominator else no_data()
    if out["rate_last"]["value"] is not None and out["rate_previous"]["value"] is not None:
        out["change"] = change(out["rate_last"], out["rate_previous"])
    else:
        out["change"] = change(out["last"], out["previous"])
    return out


def _summary(categories: list[dict[str, Any]], windows: dict[str, Any], months: int = WINDOW) -> str:
    """A plain sentence naming the categories that rose by a tenth or more, from shown figures only."""
    risen = [c["label"].lower() for c in categories
             if c["change"]["direction"] == "up" and (c["change"]["value"] is None or c["change"]["value"] >= RISE)]
    if not risen:
        return (f"No category of incident rose by {round(RISE * 100)}% or more in {windows['last']['label']} "
                f"against the {window_label(months)} before.")
    listed = ", ".join(risen[:-1]) + (" and " if len(risen) > 1 else "") + risen[-1]
    return (f"Up by {round(RISE * 100)}% or more in {windows['last']['label']} against the "
            f"{window_label(months)} before: "
            f"{listed}. Worth exploring why.")
