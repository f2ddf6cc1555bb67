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
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from datapack.adapters.base import ROW, RawTable
from datapack.adapters.cells import (EXCEL, from_serial, is_blank, normalise_label, parse_date, parse_number,
                                     serial_number, whole_number)
from datapack.problems import Problem
from datapack.tables import compose, schemas
from datapack.tables import periods as periods_column
from datapack.tables.checks.plausible import drop_non_finite, unparsed_formats
from datapack.tables.checks.totals import drop_totals, with_total_rows
from datapack.tables.checks.vocabulary import drop_unknown
from datapack.tables.survey_long import survey_to_long

if TYPE_CHECKING:  # the configuration is passed in; tables never import it (the import rules in pyproject.toml)
    from datapack.config import Checks, SourceConfig

_TRUE = {"y", "yes", "true", "1", "t", "x"}
_FALSE = {"n", "no", "false", "0", "f"}
#: Canonical columns that hold a facility as written in the file.
FACILITY_KEYS = ("facility", "facility_id")


class _Collector:
    """Problems for one raw table, each located in the file."""

    def __init__(self, raw: RawTable, source: SourceConfig):
        self.raw, self.source, self.items = raw, source, []
        self.covered: set[tuple[int, str]] = set()  # (row, heading) of cells already reported another way

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


def _take(option: str, frame: pd.DataFrame, lookup: dict[str, str], raw: RawTable,
          path_match: re.Match | None) -> Any:
    """The cells one heading option names (a column, '@key' or 'path:NAME'), or None when it is not there."""
    if option.startswith("@"):
        return raw.meta.get(option[1:])
    if option.startswith("path:"):
        return path_match.groupdict().get(option[5:]) if path_match else None
    if option in frame.columns or normalise_label(option) in lookup:
        return frame[option if option in frame.columns else lookup[normalise_label(option)]]
    return None


def _missing(canonical: str, options: list[str], frame: pd.DataFrame, raw: RawTable, out: _Collector,
             what: str = "is mapped to") -> None:
    available = [c for c in frame.columns if c != ROW]
    close = difflib.get_close_matches(options[0], available, n=3, cutoff=0.5)
    hint = (f"did you mean {', '.join(map(repr, close))}? " if close else "") + \
        f"headings found: {', '.join(map(str, available[:25]))}"
    if options[0].startswith("@"):
        hint = f"values found around the table: {', '.join(raw.meta) or 'none'}"
    out.add("column-missing", f"{canonical!r} {what} {' or '.join(map(repr, options))}, "
            "which is not in this file", column=options[0], hint=hint)


def _select(frame: pd.DataFrame, raw: RawTable, source: SourceConfig, out: _Collector) -> pd.DataFrame:
    """Canonical columns taken from headings, table meta, the file name and constants."""
    lookup = _heading_lookup(frame)
    result = pd.DataFrame(index=frame.index)
    path_match = re.search(source.path_pattern, raw.file) if source.path_pattern else None
    if source.path_pattern and not path_match:
        out.add("path-pattern", f"file name does not match path_pattern {source.path_pattern!r}",
                hint="rename the file or correct path_pattern")
    unpivoted = {source.unpivot.names_to, source.unpivot.values_to} if source.unpivot else set()

    def first(canonical: str, options: list[str], what: str = "is mapped to") -> tuple[Any, str | None]:
        for option in options:
            if (cells := _take(option, frame, lookup, raw, path_match)) is not None:
                return cells, option
        _missing(canonical, options, frame, raw, out, what)
        return None, None

    for canonical, wanted in source.columns.items():
        cells, _ = first(canonical, [wanted] if isinstance(wanted, str) else list(wanted))
        if cells is not None:
            result[canonical] = cells
    for canonical, spec in source.date_parts.items():
        found = {part: first(canonical, options, f"takes its {part} from") for part, options in spec.headings().items()}
        if all(cells is not None for cells, _ in found.values()):
            parts = {p: cells if isinstance(cells, pd.Series) else pd.Series(cells, index=frame.index, dtype=object)
                     for p, (cells, _) in found.items()}
            kind = next(c.kind for c in schemas.columns(source.table) if c.name == canonical)
            result[canonical] = compose.combine_date(parts, {p: h for p, (_, h) in found.items()}, kind,
                                                     source.dates.get(canonical), source.dayfirst, frame[ROW], out.add)
    for canonical, headings in source.sums.items():
        found = [first(canonical, [h] if isinstance(h, str) else list(h), "adds up") for h in headings]
        if all(cells is not None for cells, _ in found):
            parts = [c if isinstance(c, pd.Series) else pd.Series(c, index=frame.index, dtype=object) for c, _ in found]
            result[canonical] = compose.sum_columns(parts, [h for _, h in found], frame[ROW], out.add)
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
            # A blank cell is matched as empty text, so '^$' leaves out rows whose cell is blank.
            text = frame[column].astype("string").fillna("")
            keep &= ~text.str.contains(pattern, case=False, regex=True, na=False)
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
    for name in set(periods_column.PERIOD_COLUMNS) & set(result.columns):
        _warn_serials(result[name], source.dates.get(name), _heading_of(source, name), out)
    done = periods_column.coerce_periods(result, table, source, out.add, _heading_of)
    for col in schemas.columns(table):
        if col.name not in result.columns or col.name in done:
            continue
        series = result[col.name]
        if col.name in source.values or col.allowed:
            series = _map_values(series, source.values.get(col.name, {}), col.allowed)
        heading = _heading_of(source, col.name)
        bad: list[tuple[Any, Any]] = []
        if col.kind in ("str", "status"):
            parsed = map_unique(series, lambda c: None if is_blank(c) else _text(c))
        elif col.kind in ("float", "int"):
            if col.words:  # scores written as words: 'reasonably good' is 3
                words = {normalise_label(w): v for w, v in col.words}
                series = map_unique(series, lambda c: words.get(normalise_label(c), c) if isinstance(c, str) else c)

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
                too_big = parsed.abs() >= 2 ** 53  # no whole number a table holds is this large (1e308)
                if too_big.any():
                    bad.extend(series[too_big].tolist())
                    parsed = parsed.where(~too_big)
                parsed = parsed.round().astype("Int64")
        elif col.kind in ("date", "datetime", "month"):
            formats = source.dates.get(col.name)
            parsed = map_unique(series, lambda c: _date_or_bad(c, formats, source.dayfirst, bad))
            _warn_serials(series, formats, heading, out)
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
            parsed = drop_unknown(parsed, col.allowed, col.name, heading, result[ROW], out, out.covered)
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


def _warn_serials(series: pd.Series, formats: Any, heading: str, out: _Collector) -> None:
    """One warning per column whose numbers were read as Excel serial day numbers without being told to."""
    if EXCEL in [f.strip().lower() for f in ([formats] if isinstance(formats, str) else formats or [])]:
        return
    serials = [c for c in pd.unique(series.dropna()) if serial_number(c) is not None]
    if serials:
        example = serials[0]
        out.add("excel-serial", f"{len(serials)} numbers were read as Excel serial dates "
                f"({example!r} is {from_serial(serial_number(example)):%d %B %Y})", column=heading,
                severity="warning", hint=f"if that is right, add '{EXCEL}' under 'dates:' for this column "
                "to say so; if not, correct the column mapping")


def _headings_of(source: SourceConfig, canonical: str) -> list[str]:
    """Every heading a canonical column is read from (several for date_parts and sums)."""
    if canonical in source.date_parts:
        return [h[0] for h in source.date_parts[canonical].headings().values()]
    if canonical in source.sums:
        return [h if isinstance(h, str) else h[0] for h in source.sums[canonical]]
    wanted = source.columns.get(canonical, canonical)
    return [wanted if isinstance(wanted, str) else wanted[0]]


def _heading_of(source: SourceConfig, canonical: str) -> str:
    """The heading named in messages about a canonical column: the first it is read from."""
    return _headings_of(source, canonical)[0]


def _report_bad(series: pd.Series, bad: list, col: schemas.Col, heading: str, rows: pd.Series,
                out: _Collector, limit: int = 20) -> None:
    what = {"float": "a number", "int": "a whole number", "date": "a date", "datetime": "a date and time",
            "month": "a month", "bool": "yes or no"}[col.kind]
    bad_set = {repr(b) for b in bad}
    mask = series.map(lambda c: repr(c) in bad_set)
    for row, value in zip(rows[mask].head(limit), series[mask].head(limit)):
        hint = "correct the cell, or add its format under 'dates:'" if "date" in col.kind or col.kind == "month" \
            else "correct the cell; symbols such as [c], [x], .. are understood"
        if "date" in col.kind and (year := whole_number(value)) is not None and 1000 <= year <= 9999:
            hint = ("a number like this is a year, never read as a date: put the date together from its year and "
                    "month columns with 'date_parts'")
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
        if len(candidates := index.candidates(text)) > 1:  # never merged, never added as a third place
            out.add("facility-ambiguous", f"{text!r} matches {len(candidates)} facilities of the register: "
                    f"{', '.join(f'{index.names[c]} ({c})' for c in sorted(candidates))} ({len(rows)} rows left out)",
                    rows.iloc[0], heading, hint="write the name in full in the file, or give each facility an alias "
                    "that only it has")
            out.covered.update((int(r), heading) for r in rows.dropna())
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
        headings = _headings_of(source, "facility" if col.name == "facility_id" else col.name)
        heading = headings[0]
        already = {(p.row, p.column) for p in out.items} | out.covered
        for row in frame.loc[missing, ROW].head(20):
            if not any((int(row), h) in already for h in headings):
                out.add("value-missing", f"no {col.name.replace('_', ' ')} given", row, heading,
                        hint="fill the cell, or remove the row if it is not a record")
        keep &= ~missing
    return keep


def to_canonical(raw: RawTable, source: SourceConfig, index: Any = None, on_unknown: str = "error",
                 added: dict[str, str] | None = None, *,
                 checks: Checks) -> tuple[pd.DataFrame, list[Problem]]:
    """One raw table as rows of ``source.table``, with every problem found.

    Rows with an unusable required value are left out (and reported); the
    rest are kept, so one bad row never stops a whole file. Total rows are
    left out and checked against their rows (``checks``, the configuration's
    section, :attr:`datapack.config.Config.checks`).
    """
    out = _Collector(raw, source)
    table = source.table
    frame = raw.frame
    if table == "survey_responses" and raw.questions:
        frame, survey_columns = survey_to_long(raw, source.columns)
        source = source.model_copy(update={"columns": survey_columns})
    frame = _skip_rows(with_total_rows(frame, raw), source)
    if source.unpivot:
        frame = _unpivot(frame, source, out)
    selected = _select(frame, raw, source, out)
    unparsed_formats(selected, source, out)
    selected = drop_non_finite(selected, source, out)
    coerced = _coerce(selected, table, source, out)
    coerced = drop_totals(selected, coerced, raw, source, checks, out, index)
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
