"""Duplicate keys: one thing recorded twice is reported and counted once, or not at all, never twice.

* A keyed table (population by facility and month, published counts,
  population mix, survey results) holding one key twice: when the rows
  agree they are counted once; when they disagree both are left out,
  since either may be the wrong one (two establishments folded into one
  code give two populations for one month).
* Incidents: the same id, facility, category and person twice (one source
  re-exported, or two sources overlapping) is counted once; so is the same
  facility, time, category and person in two files where the ids do not
  say so. An id reused for another facility in one source is reported.
  Sources that still both hold one kind of incident at one facility in the
  same months are reported as overlapping.
* Visits: one visit id twice is counted once when the rows agree, and
  reported either way.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from datapack.tables.checks.rows import RowProblems

#: Tables with one row per key.
KEYED = {
    # Several counts in a month (a weekly series) are kept apart by their count date; the analysis takes the latest.
    "population": ("facility_id", "month", "count_date"),
    "incident_counts": ("facility_id", "period_start", "period_end", "measure"),
    "context": ("facility_id", "period_start", "factor"),
    "survey_results": ("facility_id", "survey", "wave", "question", "group"),
}


def check_duplicates(tables: dict[str, pd.DataFrame], out: RowProblems) -> dict[str, pd.DataFrame]:
    """Every table with repeated rows counted once and conflicting keyed rows left out."""
    result = dict(tables)
    for name, key in KEYED.items():
        if name in result and not result[name].empty:
            result[name] = _keyed(result[name], [k for k in key if k in result[name].columns], name, out)
    if "incidents" in result and not result["incidents"].empty:
        result["incidents"] = _incidents(result["incidents"], out)
    if "visits" in result and not result["visits"].empty:
        result["visits"] = _visits(result["visits"], out)
    return result


def _at(row: Any) -> str:
    return f"{row['_file']} row {row['_row']}" if not pd.isna(row["_row"]) else str(row["_file"])


def _show(value: Any) -> str:
    if isinstance(value, pd.Timestamp):
        return f"{value:%Y-%m-%d}" if value == value.normalize() else f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, float) and value.is_integer():
        return f"{value:,.0f}"
    return str(value)


def _first_of(frame: pd.DataFrame, key: list[str]) -> pd.Series:
    """For each row, the index label of the first row with the same key."""
    labels = pd.Series(frame.index, index=frame.index)
    return labels.groupby([frame[k] for k in key], dropna=False, sort=False).transform("first")


def _keyed(frame: pd.DataFrame, key: list[str], table: str, out: RowProblems) -> pd.DataFrame:
    repeated = frame.duplicated(key, keep=False)
    if not repeated.any():
        return frame
    part = frame[repeated]
    values = [c for c in frame.columns if c not in key and not c.startswith("_")]
    groups = part.groupby([part[k] for k in key], dropna=False, sort=False)
    disagree = (groups[values].transform(lambda s: s.nunique(dropna=True) > 1).any(axis=1) if values
                else pd.Series(False, index=part.index))
    first = _first_of(part, key)
    what = " and ".join(k.replace("_id", "").replace("_", " ") for k in key)

    def differences(row: dict) -> str:
        other = frame.loc[first[row["_index"]]]
        shown = [f"{c.replace('_', ' ')} {_show(row[c])} here, {_show(other[c])} there" for c in values
                 if not pd.isna(row[c]) and not pd.isna(other[c]) and row[c] != other[c]]
        return "; ".join(shown)

    later = part[first != part.index].assign(_index=lambda f: f.index)
    conflicting = later[disagree[later.index]]
    out.add_frame(conflicting, "duplicate-key", lambda r: (
        f"{table}: {_describe(r, key)} is also given at {_at(frame.loc[first[r['_index']]])} with other figures "
        f"({differences(r)}); both rows are left out"), key[0],
        hint="if these are two places, give each its own entry in the register; if one row corrects the other, "
             "remove the wrong one")
    agreeing = later[~disagree[later.index]]
    out.add_frame(agreeing, "duplicate-key", lambda r: (
        f"{table}: {_describe(r, key)} repeats {_at(frame.loc[first[r['_index']]])} with the same figures; "
        "counted once"), key[0], hint=f"give each {what} one row: remove the repeat, or the copy of the file")
    # Agreeing repeats may each fill a different column: the first row keeps every figure given.
    kept = frame.drop(index=part.index[disagree | (first != part.index)])
    if values:
        filled = groups[values].transform("first")
        survivors = kept.index.intersection(part.index)
        kept.loc[survivors, values] = filled.loc[survivors, values]
    return kept


def _describe(row: dict, key: list[str]) -> str:
    return ", ".join(f"{k.replace('_', ' ')} {_show(row[k])}" for k in key if not pd.isna(row[k]))


def _incidents(frame: pd.DataFrame, out: RowProblems) -> pd.DataFrame:
    who = ["person_ref"] if "person_ref" in frame.columns else []
    if "incident_id" in frame.columns and frame["incident_id"].notna().any():
        frame = _same_id(frame, who, out)
    frame = _same_content(frame, who, out)
    _overlap(frame, out)
    return frame


def _same_id(frame: pd.DataFrame, who: list[str], out: RowProblems) -> pd.DataFrame:
    """The same id, facility, category and person twice is one incident; an id reused elsewhere is reported."""
    has_id = frame["incident_id"].notna()
    key = ["incident_id", "facility_id", "category", *who]
    ided = frame[has_id]
    repeat = ided.duplicated(key, keep="first")
    if repeat.any():
        first = _first_of(ided, key)
        later = ided[repeat]
        out.add_frame(later.assign(_first=first[later.index]), "duplicate-incident", lambda r: (
            f"incident {r['incident_id']} repeats {_at(frame.loc[r['_first']])} (same id, facility, category"
            f"{' and person' if who else ''}); counted once"), "incident_id",
            hint="each incident once: remove the repeated rows, or the overlapping part of one export")
        frame = frame.drop(index=later.index)
        ided = frame[frame["incident_id"].notna()]
    one_place = ided.drop_duplicates(["_source", "incident_id", "facility_id"])
    reused = one_place.duplicated(["_source", "incident_id"], keep="first")
    if reused.any():
        first = _first_of(one_place, ["_source", "incident_id"])
        later = one_place[reused]
        out.add_frame(later.assign(_first=first[later.index]), "duplicate-incident", lambda r: (
            f"incident id {r['incident_id']} is also used at {_at(frame.loc[r['_first']])} for another facility "
            f"({frame.loc[r['_first'], 'facility_id']}); both kept"), "incident_id",
            hint="check which facility the incident belongs to; ids should be unique within one export")
    return frame


def _same_content(frame: pd.DataFrame, who: list[str], out: RowProblems) -> pd.DataFrame:
    """Rows in two files (or sources) with the same facility, time, category and person: one incident, counted once.

    Only where the rows say when to the minute or who: two deaths at one
    prison dated only by month may well be two deaths.
    """
    when = pd.to_datetime(frame["occurred"])
    specific = when.ne(when.dt.normalize())
    if who:
        specific |= frame["person_ref"].notna()
    key = ["facility_id", "occurred", "category", *who]
    part = frame[specific]
    repeat = part.duplicated(key, keep=False)
    if not repeat.any():
        return frame
    part = part[repeat]
    first = _first_of(part, key)
    where = part["_source"].astype(str) + "\0" + part["_file"].astype(str)
    origin = where.groupby([part[k] for k in key], dropna=False, sort=False).transform("first")
    later = part[(first != part.index) & (where != origin)]   # another file, or the same file read by another source
    if "incident_id" in frame.columns:  # distinct ids in one source are distinct incidents
        first_rows = frame.loc[first[later.index]]
        same_source_other_id = ((first_rows["_source"].to_numpy() == later["_source"].to_numpy())
                                & (first_rows["incident_id"].to_numpy() != later["incident_id"].to_numpy())
                                & later["incident_id"].notna().to_numpy())
        later = later[~same_source_other_id]
    if later.empty:
        return frame
    out.add_frame(later.assign(_first=first[later.index]), "duplicate-incident", lambda r: (
        f"the same incident as {_at(frame.loc[r['_first']])} (same facility, time, category"
        f"{' and person' if who else ''}, another file or source); counted once"), "occurred",
        hint="each incident from one export only: narrow one source's path or dates, or drop the overlapping rows")
    return frame.drop(index=later.index)


def _overlap(frame: pd.DataFrame, out: RowProblems) -> None:
    """Two sources holding one kind of incident at one facility in the same months (warning)."""
    if frame["_source"].nunique() < 2:
        return
    month = pd.to_datetime(frame["occurred"]).dt.to_period("M")
    cells = frame.assign(_month=month).drop_duplicates(["_source", "facility_id", "category", "_month"])
    shared = cells[cells.duplicated(["facility_id", "category", "_month"], keep=False)]
    if shared.empty:
        return
    sources = shared.groupby(["facility_id", "category", "_month"])["_source"].transform(
        lambda s: ", ".join(sorted(s.unique())))
    shared = shared.assign(_sources=sources)
    spans = shared.groupby(["_sources", "facility_id", "category"])["_month"].agg(["min", "max", "nunique"])
    for (names, facility, category), span in spans.iterrows():
        row = shared[(shared["_sources"] == names) & (shared["facility_id"] == facility)
                     & (shared["category"] == category)].iloc[-1]
        out.add(row, "sources-overlap", f"sources {names} both hold {category.replace('_', ' ')} at {facility} "
                f"for {span['nunique']} month(s), {span['min']} to {span['max']}: rows that describe the same "
                "incidents without the same id, or time and person, are counted twice", "occurred",
                hint="let each source cover its own months or kinds of incident (path, skip_rows), or map the "
                     "incident ids so that repeats are found", severity="warning")


def _visits(frame: pd.DataFrame, out: RowProblems) -> pd.DataFrame:
    repeated = frame.duplicated(["visit_id"], keep="first")
    if not repeated.any():
        return frame
    first = _first_of(frame, ["visit_id"])
    later = frame[repeated].assign(_first=first[repeated])
    same = [frame.loc[r["_first"], "facility_id"] == r["facility_id"] and frame.loc[r["_first"], "start"] == r["start"]
            for r in later.to_dict("records")]
    same = pd.Series(same, index=later.index, dtype=bool)
    out.add_frame(later[same], "duplicate-visit", lambda r: (
        f"visit {r['visit_id']} repeats {_at(frame.loc[r['_first']])}; counted once"), "visit_id",
        hint="give each visit one row")
    out.add_frame(later[~same], "duplicate-visit", lambda r: (
        f"visit id {r['visit_id']} is also used at {_at(frame.loc[r['_first']])} for another visit "
        f"({frame.loc[r['_first'], 'facility_id']}, {_show(frame.loc[r['_first'], 'start'])}); both kept, and "
        "recommendations made under this id cannot be told apart"), "visit_id",
        hint="give each visit its own id")
    return frame.drop(index=later.index[same])
