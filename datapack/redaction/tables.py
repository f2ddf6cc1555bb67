"""Every free-text column of the canonical tables redacted once, at read time; the identifiers held collected.

:func:`protect` runs in :func:`datapack.ingest.load_estate`, after the tables
are checked and before anything reads them, so no later step (analysis,
contexts, charts, workbooks, the exchange export) ever sees an unredacted
comment, recommendation, owner or visit note. It first collects the
identifiers the inputs hold (:data:`IDENTIFIER_COLUMNS`, the contact values
survey adapters dropped), then redacts with them, adding every name the
redactor finds; the result is kept in memory only, for the leak gate.
"""

from __future__ import annotations

from typing import Iterable

import pandas as pd

from datapack.adapters.cells import is_blank
from datapack.redaction.known import KnownIdentifiers
from datapack.redaction.rules import owner_role, redact

#: Columns holding a reference to a person or to a record about one: collected, never shown.
IDENTIFIER_COLUMNS = {"incidents": ("person_ref", "incident_id"), "survey_responses": ("respondent",)}
#: Free text, redacted in full.
FREE_TEXT = {"recommendations": ("text", "response"), "incidents": ("location",)}
#: Short labels, often in Title Case: names found by cue and by the list of names, not by shape.
LABELS = {"recommendations": ("theme", "priority", "status_raw", "body"), "visits": ("visit_type", "body"),
          "incidents": ("subcategory",), "context": ("unit",)}
#: Document references: redacted without the rule for references (``NGT-202402`` stays).
REFERENCES = {"recommendations": ("ref", "visit_id", "repeats_ref"), "visits": ("visit_id",)}
#: Who is responsible: a role, never a person's name.
ROLES = {"recommendations": ("owner",)}
#: Text of the estate itself (names of places, questions): never taken for an identifier.
OWN_WORDS = {"facilities": ("facility_id", "name", "aliases", "function", "operator", "region", "body"),
             "survey_questions": ("survey", "question", "text", "theme", "options", "positive")}


def free_text_questions(codebook: pd.DataFrame) -> set[tuple[str, str]]:
    """``(survey, question)`` of questions answered in words: no options and no positive answers listed."""
    if codebook is None or codebook.empty or "options" not in codebook:
        return set()
    positive = codebook["positive"] if "positive" in codebook else pd.Series(None, index=codebook.index)
    free = codebook[codebook["options"].map(is_blank) & positive.map(is_blank)]
    return set(zip(free["survey"].astype(str), free["question"].astype(str)))


def protect(tables: dict[str, pd.DataFrame], personal: Iterable[tuple[str, str]] = ()) -> KnownIdentifiers:
    """Redact ``tables`` in place and return the identifiers they (and ``personal``) hold.

    ``personal`` is ``(kind, value)`` pairs from contact columns the survey
    adapters dropped (names, e-mails).
    """
    known = KnownIdentifiers()
    for table, cols in IDENTIFIER_COLUMNS.items():
        frame = tables.get(table)
        for col in cols if frame is not None else ():
            if col in frame:
                known.update(frame[col].dropna().unique(), col)
    for kind, value in personal:
        known.add(value, kind)
    found: list[str] = []

    def each(frame: pd.DataFrame, col: str, fn, rows=None) -> None:
        # One call per distinct value: incident locations repeat thousands of times.
        target = frame[col] if rows is None else frame.loc[rows, col]
        done = {v: fn(v) for v in target.dropna().unique()}
        frame.loc[target.index, col] = target.map(lambda v: done.get(v, v) if not is_blank(v) else v)

    for spec, fn in ((FREE_TEXT, lambda v: redact(v, known, found=found)),
                     (LABELS, lambda v: redact(v, known, found=found, shapes=False)),
                     (REFERENCES, lambda v: redact(v, known, references=False, found=found, shapes=False)),
                     (ROLES, lambda v: owner_role(v, known, found=found))):
        for table, cols in spec.items():
            frame = tables.get(table)
            for col in cols if frame is not None else ():
                if col in frame and frame[col].notna().any():
                    frame[col] = frame[col].astype(object)
                    each(frame, col, fn)
    responses = tables.get("survey_responses")
    free = free_text_questions(tables.get("survey_questions"))
    if responses is not None and not responses.empty and free:
        keys = pd.MultiIndex.from_tuples(sorted(free))
        rows = pd.MultiIndex.from_arrays([responses["survey"].astype(str), responses["question"].astype(str)]).isin(keys)
        if rows.any():
            responses["answer"] = responses["answer"].astype(object)
            each(responses, "answer", lambda v: redact(v, known, found=found), rows)
    known.update(found, "name")
    known.discard_found_in(_own_words(tables))
    return known


def _own_words(tables: dict[str, pd.DataFrame]) -> list[str]:
    out: list[str] = []
    for table, cols in OWN_WORDS.items():
        frame = tables.get(table)
        for col in cols if frame is not None else ():
            if col in frame:
                out += [str(v) for v in frame[col].dropna().unique()]
    return out
