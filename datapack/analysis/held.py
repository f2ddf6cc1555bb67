"""What a pack cannot show because the data is not held, and what would fill it.

Absent data is a state, not an error: each section of a pack with nothing to show says so in one
line, naming the table (and, for a column, the source setting) that would fill it, for example
"No incident log is held: add a source for the incidents table". The lines are worked out here,
once, from the estate and the facility's rows; templates only place them.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from datapack.analysis.text import TYPE_LABELS
from datapack.tables.schemas import THROUGHPUT_TYPES

#: Optional columns whose absence takes something out of a pack, and what it takes.
COLUMN_USES: dict[tuple[str, str], str] = {
    ("facilities", "function"): "peer groups (places of the same type are compared instead)",
    ("facilities", "capacity"): "the capacity on the cover",
    ("population", "population"): "rates per 1,000 population and crowding",
    ("population", "in_use_cna"): "crowding (population against in-use capacity)",
    ("population", "throughput"): "rates per 1,000 detentions for short-stay places",
    ("incidents", "subcategory"): "kinds of force and restraint, and causes of death",
    ("incidents", "serious"): "serious assaults",
    ("incidents", "hospital"): "self-harm needing hospital attendance",
    ("incidents", "duration_hours"): "hours in segregation",
    ("incidents", "person_ref"): "people who self-harmed, and practices by group counted by person",
    ("incidents", "ethnicity"): "practices by ethnic group",
    ("incidents", "arrival_date"): "incidents soon after arrival",
    ("survey_questions", "positive"): "survey summaries (the share giving a positive answer)",
    ("survey_questions", "theme"): "staff and detained people compared on the same themes",
    ("recommendations", "due"): "overdue recommendations",
    ("recommendations", "repeats_ref"): "repeated recommendations",
    ("recommendations", "theme"): "recommendations by theme",
    ("visits", "rating_safety"): "ratings from past visits",
}


def _rows(frames: dict[str, pd.DataFrame], table: str) -> bool:
    frame = frames.get(table)
    return frame is not None and not frame.empty


def held_section(estate: Any, frames: dict[str, pd.DataFrame], facility: dict[str, Any],
                 indicators: list[dict[str, Any]], funnels: dict[str, Any], analysed: bool = True) -> dict[str, Any]:
    """The ``held`` key of a facility's context: one line per section with nothing held (else None)."""
    lines: dict[str, str | None] = {
        "register": _register(estate, facility),
        "population": _line(estate, frames, "population", "No population or capacity figures are held",
                            "add a source for the population table (population, capacity or detentions by month) "
                            "to show crowding and rates", "no population source has rows for this facility"),
        "incidents": _incidents(estate, frames),
        "indicators": None if indicators else (
            "No indicator can be worked out for this facility: no incidents, published counts or population "
            "figures are held for it (add a source for the incidents or incident_counts table)." if analysed else
            "The indicators could not be worked out: the analysis failed (see the build report)."),
        "funnels": _funnels(estate, frames, indicators, funnels),
        "surveys": _surveys(estate, frames),
        "recommendations": _line(estate, frames, "recommendations", "No recommendations from past visits are held",
                                 "add a source for the recommendations table (a tracker)",
                                 "the tracker has none for this facility"),
        "visits": _line(estate, frames, "visits", "No record of past visits is held",
                        "add a source for the visits table", "none is recorded for this facility"),
        "mix": _line(estate, frames, "context", "No population mix by group is held",
                     "add a source for the context table (the people held by ethnicity, religion, age ...) to "
                     "compare practices by group", "none is held for this facility"),
        "profile": _profile(estate, frames),
    }
    columns = missing_columns(estate)
    return {**lines, "columns": columns,
            "lines": [text for text in lines.values() if text] + [c["text"] for c in columns]}


def _profile(estate: Any, frames: dict[str, pd.DataFrame]) -> str | None:
    what = ("No population profile is held (the people held by age, legal status, nationality ...): add a source "
            "for the context table whose factor reads '<characteristic>: <group>' (e.g. 'Age band: 18-20')")
    if not estate.held("context"):
        return what + "."
    frame = frames.get("context")
    if frame is None or frame.empty or not frame["factor"].astype(str).str.contains(":", regex=False).any():
        return "No population profile is held for this facility: no context source has people by group for it."
    return None


def _line(estate: Any, frames: dict[str, pd.DataFrame], table: str, what: str, fill: str, here: str) -> str | None:
    if not estate.held(table):
        return f"{what}: {fill}."
    if not _rows(frames, table):
        return f"{what} for this facility: {here}."
    return None


def _register(estate: Any, facility: dict[str, Any]) -> str | None:
    if any(s.table == "facilities" for s in estate.config.sources):
        return None
    kind = TYPE_LABELS.get(facility["type"], facility["type"]).lower()
    kind = ("an " if kind[:1] in "aeiou" else "a ") + kind
    return (f"No facility register is held: {facility['name']} was found in the data and is taken to be {kind} "
            "(facilities: default_type); add a source for the facilities table to give its name, type and peer group.")


def _incidents(estate: Any, frames: dict[str, pd.DataFrame]) -> str | None:
    counts = " The published counts held are shown with the indicators." if _rows(frames, "incident_counts") else ""
    if not estate.held("incidents"):
        return "No incident log is held: add a source for the incidents table to show incidents month by month." + counts
    if not _rows(frames, "incidents"):
        return "No incident log rows are held for this facility: no incident source has rows for it." + counts
    return None


def _funnels(estate: Any, frames: dict[str, pd.DataFrame], indicators: list[dict[str, Any]],
             funnels: dict[str, Any]) -> str | None:
    if funnels or not indicators:
        return None
    if not _rows(frames, "population"):
        return ("No rates are compared with peers: no population or detentions are held for this facility "
                "(add a source for the population table).")
    return ("No funnel plot is drawn: too few comparable places have figures for the same period, or this "
            "facility's own figures are not known.")


def _surveys(estate: Any, frames: dict[str, pd.DataFrame]) -> str | None:
    if not estate.held("survey_responses") and not estate.held("survey_results"):
        return ("No survey is held: add a source for the survey_responses table (answers) or the survey_results "
                "table (published results).")
    if not _rows(frames, "survey_responses") and not _rows(frames, "survey_results"):
        return "No survey is held for this facility: no survey source has answers from it."
    return None


def missing_columns(estate: Any) -> list[dict[str, str]]:
    """Optional columns of held tables that no row fills, where that takes something out of the packs."""
    out = []
    kinds = set(estate.facilities["facility_type"].dropna())
    for (table, column), use in COLUMN_USES.items():
        frame = estate.table(table)
        if frame.empty or column not in frame or frame[column].notna().any():
            continue
        short_stay = bool(kinds & set(THROUGHPUT_TYPES))
        if (column == "throughput" and not short_stay) or (column in ("population", "in_use_cna")
                                                             and not kinds - set(THROUGHPUT_TYPES)):
            continue  # only where some place is measured that way
        out.append({"table": table, "column": column,
                    "text": f"The {table} table has no {column.replace('_', ' ')} column filled, so {use} cannot "
                            f"be shown (map '{column}' under 'columns:' in a {table} source)."})
    return out
