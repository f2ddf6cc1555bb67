"""Where a facility's figures come from: source files, problems found in them, and the disclosure rule.

Problems are matched to the facility through the ``_file`` / ``_row``
provenance of its rows. Messages are cleaned of identifiers first: a check
on a person-reference column may quote the value it failed on.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from datapack.analysis.followup import records_control
from datapack.analysis.text import date_label, figure, month_label
from datapack.disclosure import Control
from datapack.problems import Problem
from datapack.tables.coverage import DATE_COLUMN

#: Canonical columns that identify a person, a respondent or a record about one: never shown.
IDENTIFIERS = ("person_ref", "respondent", "incident_id")
#: Tables with a row per person or event: their row counts are disclosure-controlled.
PERSON_TABLES = ("incidents", "survey_responses")
#: Tables this version of the pack draws figures from (a file feeding another table is not listed).
USED_TABLES = ("facilities", "population", "incidents", "survey_questions", "survey_responses", "survey_results",
               "recommendations", "visits")
#: Tables whose date is a month (stored as its first day).
MONTHLY_TABLES = ("population",)
_REDACTED = "[identifier removed]"


def _file_rows(estate, frames: dict[str, pd.DataFrame]):
    """Each source file that supplied rows for this facility: (file, its name, its rows, their dates)."""
    for sf in estate.files:
        name = Path(sf.path).name
        frame = frames.get(sf.table)
        if sf.table not in USED_TABLES or frame is None or frame.empty:
            continue
        rows = frame[(frame["_source"] == sf.source) & (frame["_file"] == name)]
        if rows.empty:
            continue
        column = DATE_COLUMN.get(sf.table)
        dates = pd.to_datetime(rows[column], errors="coerce").dropna() if column in rows else pd.Series(dtype=object)
        yield sf, name, rows, dates


def _guarded(table: str, control: Control) -> bool:
    """Under a small-number threshold a file's row count of people or events, and the exact day of its first
    and last event, would tell what the hidden counts are (one file a month, one death on a day): the row
    count is hidden and the dates are given as months."""
    return table in PERSON_TABLES and control.threshold > 1


def _span(dates: pd.Series, table: str, guarded: bool) -> tuple[str | None, str | None]:
    if dates.empty:
        return None, None
    when = "month" if guarded or table in MONTHLY_TABLES else "day"
    return _when(dates.min(), when), _when(dates.max(), when)


def sources_section(estate, frames: dict[str, pd.DataFrame], control: Control) -> list[dict[str, Any]]:
    """The ``sources`` key: each file that supplied rows for this facility, with its SHA-256."""
    records = records_control(control)
    out = []
    for sf, name, rows, dates in _file_rows(estate, frames):
        guarded = _guarded(sf.table, control)
        counter = control if sf.table in PERSON_TABLES else records
        first, last = _span(dates, sf.table, guarded)
        out.append({"source": sf.source, "table": sf.table, "file": name, "sha256": sf.sha256,
                    "format": sf.adapter, "rows": figure(counter.count(float(len(rows)), hidden=guarded)),
                    "first": first, "last": last})
    return sorted(out, key=lambda s: (s["table"], s["source"], s["file"]))


def source_groups_section(estate, frames: dict[str, pd.DataFrame], control: Control) -> list[dict[str, Any]]:
    """The ``source_groups`` key: the files of :func:`sources_section` one row per source and table.

    What a printed pack lists (a monthly bulletin is 36 files, one source):
    the number of files, the first and last file's names, the rows of all
    of them and the span of their dates, under the same rules as each file.
    """
    records = records_control(control)
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for sf, name, rows, dates in _file_rows(estate, frames):
        g = groups.setdefault((sf.table, sf.source), {"files": [], "rows": 0, "dates": []})
        g["files"].append(name)
        g["rows"] += len(rows)
        if not dates.empty:
            g["dates"].append(dates)
    out = []
    for (table, source), g in sorted(groups.items()):
        guarded = _guarded(table, control)
        counter = control if table in PERSON_TABLES else records
        dates = pd.concat(g["dates"]) if g["dates"] else pd.Series(dtype=object)
        first, last = _span(dates, table, guarded)
        names = sorted(g["files"])
        out.append({"source": source, "table": table, "files": len(names),
                    "names": names[0] if len(names) == 1 else f"{names[0]} ... {names[-1]}",
                    "rows": figure(counter.count(float(g["rows"]), hidden=guarded)), "first": first, "last": last})
    return out


def _when(value: pd.Timestamp, grain: str) -> str | None:
    # Monthly tables hold the first of the month: "December 2024" says what they mean.
    return month_label(value.to_period("M")) if grain == "month" else date_label(value)


def _identifier_headings(estate) -> set[str]:
    """Canonical identifier names plus the headings sources map to them."""
    names = set(IDENTIFIERS)
    for source in estate.config.sources:
        for canonical in IDENTIFIERS:
            heading = source.columns.get(canonical)
            names.update([heading] if isinstance(heading, str) else heading or [])
    return names


def _identifier_values(frames: dict[str, pd.DataFrame]) -> list[str]:
    values: set[str] = set()
    for frame in frames.values():
        for col in IDENTIFIERS:
            if col in frame.columns:
                values.update(str(v) for v in frame[col].dropna().unique() if len(str(v)) >= 2)
    return sorted(values, key=len, reverse=True)


def data_quality_section(estate, facility: dict[str, Any], frames: dict[str, pd.DataFrame],
                         sources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ``data_quality`` key: problems in this facility's files and rows, as plain text."""
    files = {s["file"] for s in sources}
    rows = {(name, int(r)) for frame in frames.values() if not frame.empty
            for name, r in zip(frame["_file"], frame["_row"]) if pd.notna(r)}
    mentions = [f"'{facility['id']}'", f"'{facility['name']}'"]
    wanted = []
    for p in estate.report.problems:
        name = Path(p.file).name if p.file else None
        about_rows = name in files and (p.row is None or (name, int(p.row)) in rows)
        if about_rows or any(m in p.message for m in mentions):
            wanted.append(p)
    if not wanted:
        return []
    headings = _identifier_headings(estate)
    values = _identifier_values(frames)
    pattern = re.compile("|".join(re.escape(v) for v in values)) if values else None
    return [_describe(p, headings, pattern) for p in wanted]


def _describe(p: Problem, headings: set[str], pattern: re.Pattern | None) -> dict[str, Any]:
    message = p.message
    if p.column in headings:
        message = f"a value in column '{p.column}' could not be used ({p.code})"
    if pattern is not None:
        message = pattern.sub(_REDACTED, message)
    where = ", ".join(x for x in (
        Path(p.file).name if p.file else None, f"sheet '{p.sheet}'" if p.sheet else None,
        f"row {p.row}" if p.row is not None else None, f"column '{p.column}'" if p.column else None) if x)
    text = f"{where or 'configuration'}: {message}" + (f" (to fix: {p.hint})" if p.hint else "")
    return {"severity": p.severity, "code": p.code, "where": where or None, "message": message,
            "hint": p.hint, "text": text}


def disclosure_section(control: Control) -> dict[str, Any]:
    """The ``disclosure`` key: the audience, the settings and the rule in plain words."""
    s = control.settings
    people = (f"No group of fewer than {control.min_people} people is described: a survey percentage where "
              f"fewer than {control.min_people} people answered is not shown, and subgroups and equality "
              f"comparisons need at least {control.min_people} people. " if control.min_people > 1 else "")
    if not control.suppresses:
        rule = ("This pack is for the visiting team: counts and rates are shown as they are. What it protects is "
                "people. " + people)
    else:
        rule = (f"Counts from 1 to {s.threshold - 1} are hidden and shown as {s.symbol}; zero is shown. "
                "Further figures are hidden so that a hidden count cannot be worked out from totals, other "
                "periods or differences. Rates and percentages built on a hidden count are hidden too. " + people)
    if s.rounding:
        rule += f"Counts shown are rounded to the nearest {s.rounding}. "
    rule += ("Counts of recommendations, visits and days describe documents and dates, not people, "
             "and are shown in full. No person-level identifier appears in the pack.")
    return {"audience": s.audience, "threshold": control.threshold, "min_people": control.min_people,
            "symbol": s.symbol, "rounding": s.rounding, "rule": rule}
