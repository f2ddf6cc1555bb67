"""From raw cells to a canonical table: one place for mapping, cleaning and checking.

Every adapter's output passes through :func:`to_canonical`. It finds the
configured headings, turns wide tables long, maps values, parses numbers,
dates and flags, and resolves facility names, collecting a
:class:`~datapack.problems.Problem` (file, sheet, row, column, what to do)
for every cell it cannot use rather than stopping at the first.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

import numpy as np
import pandas as pd

from datapack.adapters.base import ROW, RawTable
from datapack.config import SourceConfig
from datapack.problems import Problem
from datapack.tables import schemas
from datapack.tables.cells import is_blank, normalise_label, parse_date, parse_number
from datapack.tables.survey_long import survey_to_long

_TRUE = {"y", "yes", "true", "1", "t", "x"}
_FALSE = {"n", "no", "false", "0", "f"}
#: Canonical columns that hold a facility as written in the file.
FACILITY_KEYS = ("facility", "facility_id")


class _Collector:
    """Problems for one raw table, each located in the file."""

    def __init__(self, raw: RawTable, source: SourceConfig):
        self.raw, self.source, self.items = raw, source, []

    def add(self, code: str, message: str, row: Any = None, column: str | None = None,
            hint: str | None = None, severity: str = "error") -> None:
        self.items.append(Problem(code, message, file=self.raw.file, sheet=self.raw.sheet,
                                  row=None if row is None or pd.isna(row) else int(row), column=column,
                                  hint=hint, severity=severity, source=self.source.name))


def map_unique(series: pd.Series, fn: Any) -> pd.Series:
    """``series.map(fn)``, calling ``fn`` once per distinct value (exports repeat values a lot)."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    results = np.empty(len(uniques) + 1, dtype=object)
    results[:-1] = [fn(u) for u in uniques]
    results[-1] = fn(None)
    return pd.Series(results[codes], index=series.index, dtype=object)


def _heading_lookup(frame: pd.DataFrame) -> dict[str, str]:
    return {normalise_label(c): c for c in frame.columns if c != ROW}


def _unpivot(frame: pd.DataFrame, source: SourceConfig, out: _Collector) -> pd.DataFrame:
    spec = source.unpivot
    headings = [c for c in frame.columns if c != ROW]
    if spec.columns:
        lookup = _heading_lookup(frame)
        wide = [lookup[normalise_label(c)] for c in spec.columns if normalise_label(c) in lookup]
        missing = [c for c in spec.columns if normalise_label(c) not in lookup]
        for c in missing:
            out.add("column-missing", f"unpivot column {c!r} is not in the file", column=c,
                    hint=f"headings are: {', '.join(headings)}")
    else:
        wide = [c for c in headings if re.search(spec.pattern, str(c))]
        if not wide:
            out.add("column-missing", f"no heading matches unpivot pattern {spec.pattern!r}",
                    hint=f"headings are: {', '.join(headings)}")
    keep = [c for c in frame.columns if c not in wide]
    return frame.melt(id_vars=keep, value_vars=wide, var_name=spec.names_to, value_name=spec.values_to)


def _select(frame: pd.DataFrame, raw: RawTable, source: SourceConfig, out: _Collector) -> pd.DataFrame:
    """Canonical columns taken from headings, table meta, the file name and constants."""
    lookup = _heading_lookup(frame)
    result = pd.DataFrame(index=frame.index)
    path_match = re.search(source.path_pattern, raw.file) if source.path_pattern else None
    if source.path_pattern and not path_match:
        out.add("path-pattern", f"file name does not match path_pattern {source.path_pattern!r}",
                hint="rename the file or correct path_pattern")
    unpivoted = {source.unpivot.names_to, source.unpivot.values_to} if source.unpivot else set()
    for canonical, wanted in source.columns.items():
        options = [wanted] if isinstance(wanted, str) else list(wanted)
        for option in options:
            if option.startswith("@"):
                key = option[1:]
                if key in raw.meta and raw.meta[key] is not None:
                    result[canonical] = raw.meta[key]
                    break
            elif option.startswith("path:"):
                if path_match and path_match.groupdict().get(option[5:]) is not None:
                    result[canonical] = path_match.group(option[5:])
                    break
            elif option in frame.columns or normalise_label(option) in lookup:
                result[canonical] = frame[option if option in frame.columns else lookup[normalise_label(option)]]
                break
        else:
            available = [c for c in frame.columns if c != ROW]
            close = difflib.get_close_matches(options[0], available, n=3, cutoff=0.5)
            hint = (f"did you mean {', '.join(map(repr, close))}? " if close else "") + \
                f"headings found: {', '.join(map(str, available[:25]))}"
            if options[0].startswith("@"):
                hint = f"values found around the table: {', '.join(raw.meta) or 'none'}"
            out.add("column-missing", f"{canonical!r} is mapped to {' or '.join(map(repr, options))}, "
                    "which is not in this file", column=options[0], hint=hint)
    for canonical in unpivoted:
        result[canonical] = frame[canonical]
    for canonical, value in source.constants.items():
        result[canonical] = value
    result[ROW] = frame[ROW]
    return result


def _skip_rows(frame: pd.DataFrame, source: SourceConfig) -> pd.DataFrame:
    lookup = _heading_lookup(frame)
    keep = pd.Series(True, index=frame.index)
    for heading, pattern in source.skip_rows.items():
        column = lookup.get(normalise_label(heading))
        if column is not None:
            keep &= ~frame[column].astype("string").str.contains(pattern, case=False, regex=True, na=False)
    return frame[keep]


def _map_values(series: pd.Series, mapping: dict[str, Any], allowed: tuple[str, ...] | None) -> pd.Series:
    """Configured value mapping, then vocabulary matching ('Self Harm' -> 'self_harm')."""
    table = {normalise_label(k): v for k, v in mapping.items()}
    vocab = {normalise_label(a): a for a in allowed or ()}

    def one(cell: Any) -> Any:
        if is_blank(cell):
            return None
        key = normalise_label(cell)
        if key in table:
            return table[key]
        if key in vocab:
            return vocab[key]
        return cell
    return map_unique(series, one)


def _coerce(frame: pd.DataFrame, table: str, source: SourceConfig, out: _Collector) -> pd.DataFrame:
    """Each canonical column parsed to its kind; unreadable cells reported with their row."""
    result = frame.copy()
    for col in schemas.columns(table):
        if col.name not in result.columns:
            continue
        series = result[col.name]
        if col.name in source.values or col.allowed:
            series = _map_values(series, source.values.get(col.name, {}), col.allowed)
        heading = _heading_of(source, col.name)
        bad: list[tuple[Any, Any]] = []
        if col.kind in ("str", "status"):
            parsed = map_unique(series, lambda c: None if is_blank(c) else _text(c))
        elif col.kind in ("float", "int"):
            def num(c: Any, _bad=bad) -> Any:
                n = parse_number(c)
                if n is None:
                    _bad.append(c)
                    return np.nan
                return np.nan if n.value is None else n.value
            parsed = map_unique(series, num).astype("float64")
            if table == "incident_counts" and col.name == "count":
                statuses = map_unique(series, lambda c: (parse_number(c) or parse_number(None)).status)
                if "status" not in result.columns:
                    result["status"] = statuses
                if "symbol" not in result.columns:  # what the publisher printed instead of a count
                    result["symbol"] = map_unique(series, lambda c: None if is_blank(c) or parse_number(c) is None
                                                  or parse_number(c).status == "value" else _text(c))
            if col.kind == "int":
                parsed = parsed.round().astype("Int64")
        elif col.kind in ("date", "datetime", "month"):
            formats = source.dates.get(col.name)
            formats = [formats] if isinstance(formats, str) else formats
            parsed = map_unique(series, lambda c: _date_or_bad(c, formats, source.dayfirst, bad))
            parsed = pd.to_datetime(parsed.where(parsed.notna(), None))
            parsed = parsed.astype("datetime64[ns]")
            if col.kind == "month":
                parsed = parsed.dt.to_period("M").dt.to_timestamp()
            elif col.kind == "date":
                parsed = parsed.dt.normalize()
        elif col.kind == "bool":
            def flag(c: Any, _bad=bad) -> Any:
                if is_blank(c):
                    return pd.NA
                key = normalise_label(c)
                if key in _TRUE:
                    return True
                if key in _FALSE:
                    return False
                _bad.append(c)
                return pd.NA
            parsed = map_unique(series, flag).astype("boolean")
        else:  # pragma: no cover - every kind is handled above
            raise AssertionError(col.kind)
        if bad:
            _report_bad(series, bad, col, heading, result[ROW], out)
        if col.allowed:
            outside = parsed.notna() & ~parsed.isin(col.allowed)
            for row, value in zip(result.loc[outside, ROW].head(20), parsed[outside].head(20)):
                out.add("value-unknown", f"{value!r} is not a known {col.name.replace('_', ' ')}", row, heading,
                        hint=f"map it under 'values: {col.name}:' in the configuration to one of: "
                             f"{', '.join(col.allowed)}")
            _summarise_more(outside.sum(), 20, col, heading, out)
            parsed = parsed.where(~outside, None)
        result[col.name] = parsed
    return result


def _text(cell: Any) -> str:
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def _date_or_bad(cell: Any, formats: list[str] | None, dayfirst: bool, bad: list) -> Any:
    if is_blank(cell):
        return None
    stamp = parse_date(cell, formats, dayfirst)
    if stamp is None:
        bad.append(cell)
    return stamp


def _heading_of(source: SourceConfig, canonical: str) -> str:
    wanted = source.columns.get(canonical, canonical)
    return wanted if isinstance(wanted, str) else wanted[0]


def _report_bad(series: pd.Series, bad: list, col: schemas.Col, heading: str, rows: pd.Series,
                out: _Collector, limit: int = 20) -> None:
    what = {"float": "a number", "int": "a whole number", "date": "a date", "datetime": "a date and time",
            "month": "a month", "bool": "yes or no"}[col.kind]
    bad_set = {repr(b) for b in bad}
    mask = series.map(lambda c: repr(c) in bad_set)
    for row, value in zip(rows[mask].head(limit), series[mask].head(limit)):
        hint = "correct the cell, or add its format under 'dates:'" if "date" in col.kind or col.kind == "month" \
            else "correct the cell; symbols such as [c], [x], .. are understood"
        out.add("not-" + col.kind, f"{value!r} is not {what}", row, heading, hint=hint)
    _summarise_more(int(mask.sum()), limit, col, heading, out)


def _summarise_more(count: int, limit: int, col: schemas.Col, heading: str, out: _Collector) -> None:
    if count > limit:
        out.add("more", f"{count - limit} more cells like these in this column", column=heading,
                hint="fix the first ones shown; the rest are probably the same")


def _resolve_facilities(frame: pd.DataFrame, index: Any, on_unknown: str, out: _Collector,
                        heading: str, added: dict[str, str]) -> pd.DataFrame:
    if "facility" not in frame.columns and "facility_id" not in frame.columns:
        return frame
    written = frame["facility"] if "facility" in frame.columns else frame["facility_id"]
    ids = map_unique(written, lambda t: index.resolve(t) or added.get(str(t)))
    unknown = ids.isna() & written.map(lambda t: not is_blank(t))
    for text in pd.unique(written[unknown]):
        rows = frame.loc[written == text, ROW]
        if (known := index.resolve(text)) is not None:  # added a moment ago under another spelling
            ids[written == text] = known
            continue
        nearest = index.nearest(text)
        if on_unknown == "add":
            new_id = re.sub(r"[^a-z0-9]+", "-", normalise_label(text)).strip("-")
            added[str(text)] = new_id
            index.add(new_id, str(text))
            ids[written == text] = new_id
            out.add("facility-added", f"{text!r} is not in the register; added as {new_id!r}", rows.iloc[0],
                    heading, severity="warning", hint="add it to the register with its type and peer group")
            continue
        out.add("facility-unknown", f"{text!r} is not in the facility register ({len(rows)} rows)", rows.iloc[0],
                heading, severity="error" if on_unknown == "error" else "warning",
                hint=(f"nearest known: {', '.join(nearest)}; " if nearest else "") +
                "add the name to that facility's aliases in the register, or correct the file")
    frame = frame.drop(columns=[c for c in ("facility",) if c in frame.columns])
    frame["facility_id"] = ids
    return frame


def _derive(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Columns that follow from others: days since arrival, from the arrival date."""
    if table == "incidents" and "arrival_date" in frame.columns and "occurred" in frame.columns:
        days = (frame["occurred"] - frame["arrival_date"]).dt.total_seconds() / 86400
        days = days.where(days >= 0)  # an arrival after the incident is a data error, not a negative stay
        if "days_since_arrival" in frame.columns:
            frame["days_since_arrival"] = frame["days_since_arrival"].fillna(days)
        else:
            frame["days_since_arrival"] = days
    return frame


def _check_required(frame: pd.DataFrame, table: str, source: SourceConfig, out: _Collector) -> pd.Series:
    """Rows missing a required value are reported and left out."""
    keep = pd.Series(True, index=frame.index)
    for col in schemas.columns(table):
        if not col.required:
            continue
        if col.name not in frame.columns:
            out.add("column-unmapped", f"the {table} table needs {col.name!r}, and it is not mapped",
                    hint=f"add '{col.name}: <heading>' under 'columns:' (or 'constants:') for this source")
            keep[:] = False
            continue
        missing = frame[col.name].isna()
        heading = _heading_of(source, "facility" if col.name == "facility_id" else col.name)
        already = {(p.row, p.column) for p in out.items}
        for row in frame.loc[missing, ROW].head(20):
            if (int(row), heading) not in already:
                out.add("value-missing", f"no {col.name.replace('_', ' ')} given", row, heading,
                        hint="fill the cell, or remove the row if it is not a record")
        keep &= ~missing
    return keep


def to_canonical(raw: RawTable, source: SourceConfig, index: Any = None, on_unknown: str = "error",
                 added: dict[str, str] | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    """One raw table as rows of ``source.table``, with every problem found.

    Rows with an unusable required value are left out (and reported); the
    rest are kept, so one bad row never stops a whole file.
    """
    out = _Collector(raw, source)
    table = source.table
    frame = raw.frame
    if table == "survey_responses" and raw.questions:
        frame, survey_columns = survey_to_long(raw, source.columns)
        source = source.model_copy(update={"columns": survey_columns})
    frame = _skip_rows(frame, source)
    if source.unpivot:
        frame = _unpivot(frame, source, out)
    selected = _select(frame, raw, source, out)
    coerced = _coerce(selected, table, source, out)
    if index is not None and table != "facilities":
        coerced = _resolve_facilities(coerced, index, on_unknown, out,
                                      _heading_of(source, "facility" if "facility" in source.columns else "facility_id"),
                                      {} if added is None else added)
    coerced = _derive(coerced, table)
    keep = _check_required(coerced, table, source, out)
    result = coerced[keep].copy()
    result["_source"] = source.name
    result["_file"] = raw.file
    result["_sheet"] = raw.sheet
    ordered = [c.name for c in schemas.columns(table) if c.name in result.columns]
    extra = [c for c in result.columns if c not in ordered and c not in schemas.PROVENANCE
             and c not in FACILITY_KEYS]
    for c in extra:
        out.add("column-ignored", f"{c!r} is not a column of the {table} table and is ignored", column=c,
                severity="warning", hint=f"columns of {table}: {', '.join(schemas.column_names(table))}")
    return result[ordered + list(schemas.PROVENANCE)].reset_index(drop=True), out.items
