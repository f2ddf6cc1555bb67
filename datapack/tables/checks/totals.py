"""Total rows: recognised by their label, kept out of the tables, and checked against their rows.

Exports and published tables mix totals into the data: ``Total``, ``Sub
total``, ``Sub-total``, ``Grand total``, ``All establishments``, ``England
and Wales``, ``National``. Read as a facility, such a row doubles a
population (a ``Sub total`` once turned 82,538 people into 164,586). Every
source's facility column is therefore checked against one vocabulary of
total labels, compared ignoring case and punctuation, and a total row is
left out. Where a table has one, its figures are checked against the sum
of the facility rows: a mismatch means a row was lost or read twice, or
that the total measures something else, which a footnote marker on the
total (``88688**``) usually says; that case is a warning, not an error.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, Iterable

import numpy as np
import pandas as pd

from datapack.adapters.base import ROW, RawTable
from datapack.adapters.cells import is_blank, normalise_label, parse_number
from datapack.adapters.layout import TOTAL_LABEL, is_total_label  # noqa: F401  (the vocabulary is read by adapters too)
from datapack.problems import Problem
from datapack.tables.checks.rows import heading

#: Columns of each table that add up over facilities, so that a total row can be checked.
ADDITIVE = {
    "population": ("population", "baseline_cna", "in_use_cna", "operational_capacity", "throughput"),
    "incident_counts": ("count", "individuals"),
    "survey_results": ("n_answering", "n_positive"),
    "facilities": ("capacity",),
}
#: Columns a total is taken within (one total a month, a measure, a question ...).
KEYS = {
    "population": ("month",),
    "incident_counts": ("period_start", "period_end", "measure"),
    "survey_results": ("survey", "wave", "question", "group"),
    "facilities": (),
}
#: Columns that name the facility a row is about, by table.
LABEL_COLUMNS = ("facility", "facility_id", "name")


def with_total_rows(frame: pd.DataFrame, raw: RawTable) -> pd.DataFrame:
    """The data rows plus the total rows an adapter set aside (``meta["total_rows"]``), in file order."""
    rows = raw.meta.get("total_rows")
    if not rows:
        return frame
    extra = pd.DataFrame(rows, dtype=object).reindex(columns=frame.columns)
    extra[ROW] = pd.array([r[ROW] for r in rows], dtype="Int64")
    both = pd.concat([frame, extra], ignore_index=True)
    return both.sort_values(ROW, kind="stable").reset_index(drop=True)


def total_mask(frame: pd.DataFrame, raw: RawTable, extra: Iterable[str] = (), index: Any = None,
               register: bool = False) -> pd.Series:
    """Rows of a mapped table that are totals: set aside by the adapter, or labelled as one.

    A label that names a place in the register (``index``) is that place, not
    a total: a body may hold the whole estate as a unit of its own (a national
    series). In the register itself only an explicit total (``Total``,
    ``Sub total``, ``Grand total``) is taken as a total row.
    """
    marked = {int(r[ROW]) for r in raw.meta.get("total_rows") or ()}
    mask = frame[ROW].isin(marked) if marked else pd.Series(False, index=frame.index)
    extra = list(extra)

    def total(value: Any) -> bool:
        if register:
            return bool(_EXPLICIT_TOTAL.search(normalise_label(value))) or is_total_label(value, extra) and \
                any(normalise_label(value) == normalise_label(e) for e in extra)
        return is_total_label(value, extra) and not (index is not None and index.resolve(value))

    for column in LABEL_COLUMNS:
        if column in frame.columns:
            labels = {v: total(v) for v in pd.unique(frame[column].dropna())}
            mask |= frame[column].map(lambda v: labels.get(v, False)).astype(bool)
    return mask


#: In the register, only a row that says it is a total is one.
_EXPLICIT_TOTAL = re.compile(r"^(?:grand |sub |overall )?totals?$|^subtotals?$")


def drop_totals(selected: pd.DataFrame, coerced: pd.DataFrame, raw: RawTable, source: Any, settings: Any,
                out: Any, index: Any = None) -> pd.DataFrame:
    """``coerced`` without its total rows, each checked against the sum of its facility rows.

    ``selected`` holds the same rows' cells before parsing (to see a
    footnote marker on a total); ``out`` collects problems (mapping's
    collector); ``settings`` is the configuration's ``checks`` section.
    """
    if settings.totals == "keep" or raw.meta.get("keep_totals") or coerced.empty:
        return coerced
    mask = total_mask(coerced, raw, settings.total_labels, index, register=source.table == "facilities")
    if mask.any():
        check_sums(selected, coerced, mask, source, settings.total_tolerance, out)
    return coerced[~mask]


def check_sums(selected: pd.DataFrame, coerced: pd.DataFrame, mask: pd.Series, source: Any, tolerance: float,
               out: Any) -> None:
    """Each total row's figures against the sum of the facility rows it can stand for."""
    additive = [c for c in ADDITIVE.get(source.table, ()) if c in coerced.columns]
    if not additive:
        return
    keys = [c for c in KEYS.get(source.table, ()) if c in coerced.columns]
    frame = coerced.assign(_total=mask).sort_values(ROW, kind="stable")
    groups = frame.groupby(keys, dropna=False, sort=False) if keys else [((), frame)]
    for key, group in groups:
        totals = np.flatnonzero(group["_total"].to_numpy())
        for column in additive:
            values = pd.to_numeric(group[column], errors="coerce").to_numpy(dtype=float)
            for pos in totals:
                stated = values[pos]
                if np.isnan(stated):
                    continue
                spans = _spans(totals, pos, len(group))
                if not spans or any(_agrees(values[s], stated, tolerance) for s in spans):
                    continue
                index = group.index[pos]
                cell = selected.at[index, column] if column in selected.columns else None
                # Report the span nearest the total: for a regional total, its region rather than the nation.
                nearest = min(spans, key=lambda span: abs(np.nansum(values[span]) - stated))
                _report(out, group.loc[index], column, heading(source, column), cell, stated, values[nearest],
                        key, keys)


def _spans(totals: np.ndarray, pos: int, length: int) -> list[np.ndarray]:
    """Positions of facility rows a total at ``pos`` may add up: its section above or below, or the whole table."""
    facility = np.setdiff1d(np.arange(length), totals)
    before = totals[totals < pos]
    after = totals[totals > pos]
    start = before.max() if len(before) else -1
    end = after.min() if len(after) else length
    section = facility[(facility > start) & (facility < pos)]
    below = facility[(facility > pos) & (facility < end)]   # some tables put the total above its rows
    return [s for s in (facility, section, below) if len(s)]


def _agrees(values: np.ndarray, stated: float, tolerance: float) -> bool:
    allowed = max(0.5, tolerance * abs(stated))
    known = values[~np.isnan(values)]
    if len(known) < len(values):  # suppressed or missing rows: the known ones can only be smaller
        return known.sum() <= stated + allowed
    return abs(known.sum() - stated) <= allowed


def _report(out: Any, row: pd.Series, column: str, shown: str | None, cell: Any, stated: float, rows: np.ndarray,
            key: Any, keys: list[str]) -> None:
    number = parse_number(cell)
    footnoted = bool(number and number.footnote)
    known = rows[~np.isnan(rows)]
    within = ""
    if keys:
        parts = key if isinstance(key, tuple) else (key,)
        within = " for " + ", ".join(_show(p) for p in parts if not is_blank(p))
    rows_add = f"its {len(rows)} row adds" if len(rows) == 1 else f"its {len(rows)} rows add"
    message = (f"the total row gives {column.replace('_', ' ')} {_show(cell if cell is not None else stated)}"
               f"{within}, but {rows_add} up to {_show(known.sum())}")
    if footnoted:
        out.add("total-mismatch", message + "; the total carries a footnote marker, so it may be a different "
                "measure (the rows are used)", row[ROW], shown, severity="warning",
                hint="read the footnote under the table; nothing to do if it describes another measure")
    else:
        out.add("total-mismatch", message + "; a facility row may be missing or read twice", row[ROW], shown,
                hint="check the rows of the table: a row left out by skip_rows, a facility written twice, or a "
                "row that is itself a total (add its label to 'checks.total_labels'); for figures rounded before "
                "summing, set 'checks.total_tolerance'")


def _show(value: Any) -> str:
    if isinstance(value, (int, float, np.floating)) and not isinstance(value, bool):
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return str(value)


def fold_footnoted(problems: list[Problem]) -> list[Problem]:
    """Footnoted totals that differ in every file of a source (a monthly series) as one warning, not one a file."""
    groups: dict[tuple, list[Problem]] = {}
    for p in problems:
        if p.code == "total-mismatch" and p.severity == "warning":
            groups.setdefault((p.source, p.column), []).append(p)
    out = []
    for p in problems:
        group = groups.get((p.source, p.column))
        if group is None or not (p.code == "total-mismatch" and p.severity == "warning"):
            out.append(p)
        elif p is group[0]:
            more = sorted({q.file for q in group[1:] if q.file and q.file != p.file})
            out.append(p if not more else replace(p, message=p.message + f"; likewise in {len(more)} more file(s): "
                                                  + ", ".join(more[:3]) + (" ..." if len(more) > 3 else "")))
    return out
