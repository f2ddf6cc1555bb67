"""Survey exports (one row per respondent) to long rows (respondent x question).

Multi-select questions become one yes/no question per option, keyed
``question/option``, so every answer can be counted the same way. Three
states stay apart: ``selected``, ``not selected``, and blank (not asked,
not shown or not answered).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from datapack.adapters.base import ROW, RawTable
from datapack.adapters.cells import normalise_label

SELECTED, NOT_SELECTED = "selected", "not selected"
_RESERVED = {"respondent": "_respondent", "submitted": "_submitted", "question": "_question", "answer": "_answer"}


def _lookup(frame: pd.DataFrame, heading: str) -> str | None:
    if heading in frame.columns:
        return heading
    wanted = normalise_label(heading)
    return next((c for c in frame.columns if normalise_label(c) == wanted), None)


def survey_to_long(raw: RawTable, columns: dict[str, Any]) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Long rows, and the column mapping to use on them.

    Questions named in ``columns`` (facility, characteristics) become columns
    repeated on each of the respondent's rows and are not themselves counted
    as questions.
    """
    frame = raw.frame
    carried: dict[str, str] = {}
    mapping: dict[str, Any] = dict(_RESERVED)
    for canonical, wanted in columns.items():
        options = [wanted] if isinstance(wanted, str) else list(wanted)
        heading = next((h for o in options if not o.startswith(("@", "path:")) and (h := _lookup(frame, o))), None)
        if heading is not None:
            carried[canonical] = heading
            mapping[canonical] = canonical
        else:
            mapping[canonical] = wanted
    used = set(carried.values())
    base = pd.DataFrame({"_respondent": frame["_respondent"].astype("string"),
                         "_submitted": frame.get("_submitted"), ROW: frame[ROW]})
    for canonical, heading in carried.items():
        base[canonical] = frame[heading]
    parts = []
    for q in raw.questions:
        if q.key in used or q.key not in frame.columns or q.kind == "meta":
            continue
        cells = frame[q.key]
        if q.kind == "multi":
            for option in q.options:
                answer = cells.map(lambda v, o=option: None if v is None or (isinstance(v, float) and v != v)
                                   else (SELECTED if o in v else NOT_SELECTED))
                parts.append(base.assign(_question=f"{q.key}/{option}", _answer=answer))
        else:
            parts.append(base.assign(_question=q.key, _answer=cells.map(
                lambda v: None if v is None or (isinstance(v, float) and v != v) or str(v).strip() == ""
                else str(v).strip())))
    if not parts:
        return base.assign(_question=pd.Series(dtype=object), _answer=pd.Series(dtype=object)).iloc[0:0], mapping
    return pd.concat(parts, ignore_index=True), mapping


def codebook_rows(raw: RawTable, survey: str, skip: set[str]) -> list[dict[str, Any]]:
    """Question texts and options as the export gives them, for the ``survey_questions`` table."""
    rows = []
    for q in raw.questions:
        if q.key in skip or q.kind == "meta":
            continue
        if q.kind == "multi":
            for option in q.options:
                rows.append({"survey": survey, "question": f"{q.key}/{option}", "text": f"{q.text}: {option}",
                             "options": f"{SELECTED};{NOT_SELECTED}", "positive": None, "theme": None,
                             "good_direction": None})
        else:
            rows.append({"survey": survey, "question": q.key, "text": q.text,
                         "options": ";".join(map(str, q.options)) or None, "positive": None, "theme": None,
                         "good_direction": None})
    return rows
