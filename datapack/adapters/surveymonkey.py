"""SurveyMonkey "all individual responses" exports (CSV or XLSX, expanded layout).

Two header rows. Row 1 holds the question text, once, above the first of the
question's columns (blank above the rest); row 2 says what each column holds:
``Response``, ``Open-Ended Response``, a choice label, a matrix row label, or
``Other (please specify)``. Question keys are the row-1 text; columns that
are questions of their own (matrix rows, "other" text) get ``text / label``.

A checkbox (multi-select) column holds its own label when ticked and nothing
otherwise, so a question is multi-select when every filled cell equals its
row-2 label. A respondent who filled none of a question's columns was not
shown it or skipped it: ``None``; one who ticked some has a list of them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from datapack.adapters import register
from datapack.adapters.base import RawTable
from datapack.adapters.cells import normalise_label
from datapack.adapters.survey_common import (Question, as_text, check_options, data_rows, flag, header_index,
                                             headings, is_personal, multi, read_grid, single, submitted, table)
from datapack.adapters.survey_common import drop_personal
from datapack.problems import InputError, Problem

METADATA = {"respondent id", "collector id", "start date", "end date"}
PERSONAL = {"ip address", "email address", "first name", "last name"}
#: SurveyMonkey writes times month first with AM/PM, whatever the account's country.
TIME_FORMATS = ["%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p"]
_OTHER = re.compile(r"^other\b", re.IGNORECASE)


def _spans(row1: list[Any], row2: list[Any], first: int) -> list[tuple[str, list[tuple[int, str]]]]:
    """(question text, [(column index, row-2 label)]) with row-1 text carried across blank cells."""
    spans: list[tuple[str, list[tuple[int, str]]]] = []
    for j in range(first, len(row1)):
        text, label = as_text(row1[j]), as_text(row2[j]) if j < len(row2) else None
        if text is not None or not spans:
            spans.append((text or f"column {j + 1}", []))
        spans[-1][1].append((j, label or ""))
    return spans


def _questions(text: str, cols: list[tuple[int, str]], records: list) -> list[Question]:
    """The question(s) one row-1 heading stands for."""
    answers = {j: [cells[j] for _, cells in records] for j, _ in cols}
    labels = dict(cols)
    if len(cols) == 1:
        j, label = cols[0]
        return [single(text, text, answers[j], "text" if label.lower() == "open-ended response" else None)]
    ticks = [j for j, label in cols if all(as_text(v) in (None, label) for v in answers[j])]
    others = [j for j, label in cols if j not in ticks]
    if all(_OTHER.match(labels[j]) for j in others) and "response" not in {label.lower() for _, label in cols}:
        lists = []
        for i in range(len(records)):
            chosen = [labels[j] for j in ticks if answers[j][i] is not None]
            chosen += [labels[j] for j in others if answers[j][i] is not None]  # wrote in "other": chose it
            touched = any(answers[j][i] is not None for j, _ in cols)
            lists.append(chosen if touched else None)
        out = [multi(text, text, lists, [labels[j] for j, _ in cols])]
        return out + [single(f"{text} / {labels[j]}", f"{text}: {labels[j]}", answers[j], "text") for j in others]
    # Matrix rows, several text boxes, or a single choice with an "other" box: one question per column.
    out = []
    for j, label in cols:
        if label.lower() == "response":
            out.append(single(text, text, answers[j]))
        else:
            kind = "text" if _OTHER.match(label) or label.lower() == "open-ended response" else None
            out.append(single(f"{text} / {label}", f"{text}: {label}", answers[j], kind))
    return out


@register
class SurveyMonkeyAdapter:
    """SurveyMonkey export of all individual responses (expanded: one column per choice)."""

    name = "surveymonkey"
    description = "SurveyMonkey export: question text in row 1, 'Response' or choice labels in row 2."
    extensions = ()
    options = {"dayfirst": "true: read start/end dates written as text day first (03/04/2024 = 3 April)."}

    def read(self, path: Path, source: Any) -> list[RawTable]:
        opts = check_options(source, self.options, "surveymonkey")
        dayfirst = flag(opts, "dayfirst", source)
        grid = read_grid(path, source, "SurveyMonkey")
        top = header_index(source)
        headings(grid, top)  # refuses a header_row past the end of the file, saying so
        row1 = grid.rows[top]
        row2 = grid.rows[top + 1] if top + 1 < len(grid.rows) else []
        norm = [normalise_label(c) for c in row1]
        if "respondent id" not in norm:
            raise InputError([Problem("survey-layout",
                                      "this does not look like a SurveyMonkey export: row 1 has no 'Respondent ID'",
                                      file=grid.file, sheet=grid.sheet, row=top + 1,
                                      hint="check format:, or 'header_row' if rows were added above")])
        rid = norm.index("respondent id")
        first = next((j for j, c in enumerate(row2) if as_text(c) is not None), None)
        if first is None or as_text(row2[rid]) is not None:
            raise InputError([Problem(
                "survey-layout", "this does not look like a SurveyMonkey export: row 2 should hold 'Response' / "
                "choice labels under each question", file=grid.file, sheet=grid.sheet, row=top + 2,
                hint="export 'All individual responses' with columns 'Expanded'; check format:")])
        records = data_rows(grid, top + 2, len(row1))
        left_out: dict[str, list[str]] = {"metadata_columns": [], "personal_columns_dropped": []}
        custom = []
        for j in range(first):
            name = as_text(row1[j]) or f"column {j + 1}"
            if norm[j] in METADATA:
                left_out["metadata_columns"].append(name)
            elif norm[j] in PERSONAL or norm[j].startswith("custom data") or is_personal(name):
                drop_personal(left_out, name, [cells[j] for _, cells in records])
            else:  # a custom variable (e.g. the prison a link was sent for): kept as an answer
                custom.append(single(name, name, [cells[j] for _, cells in records]))
        questions = custom + [q for text, cols in _spans(row1, row2, first) for q in _questions(text, cols, records)]
        end = norm.index("end date") if "end date" in norm else None
        formats = [f.replace("%m/%d", "%d/%m") for f in TIME_FORMATS] if dayfirst else TIME_FORMATS
        times = [None if end is None else submitted(cells[end], formats, dayfirst) for _, cells in records]
        return [table(grid, [r for r, _ in records], [as_text(cells[rid]) for _, cells in records], times,
                      questions, meta={"tool": "surveymonkey", **left_out})]
