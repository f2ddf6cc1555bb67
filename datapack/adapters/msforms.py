"""Microsoft Forms response workbooks (XLSX as downloaded, or saved as CSV).

Columns: ``ID``, ``Start time``, ``Completion time``, ``Email``, ``Name``
(and ``Last modified time`` in newer exports), then one column per question
headed by its text; quizzes add ``Total points``, ``Points - <question>``
and ``Feedback - <question>``. A multiple-answer question holds the chosen
options in one cell, each followed by ``;`` (``Gym;Library;``): a column is
read as multi-select when every filled cell ends with ``;``, or when it is
named under ``multi:``. A blank cell is "not shown or not answered" (None);
Forms cannot record "answered, nothing selected".
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from datapack.adapters import register
from datapack.adapters.base import RawTable
from datapack.adapters.cells import normalise_label
from datapack.adapters.survey_common import (as_text, check_options, data_rows, header_index, headings, is_personal,
                                             multi, names, read_grid, single, submitted, table)
from datapack.adapters.survey_common import drop_personal
from datapack.problems import InputError, Problem

METADATA = {"id", "start time", "completion time", "last modified time", "total points", "quiz feedback",
            "grade posted time"}
PERSONAL = {"email", "name"}
_QUIZ = re.compile(r"^(points|feedback) - ", re.IGNORECASE)


def split_answers(cell: Any) -> list[str] | None:
    """``"Gym;Library;"`` -> ``["Gym", "Library"]``; blank -> None."""
    text = as_text(cell)
    return None if text is None else [p.strip() for p in text.split(";") if p.strip()]


@register
class MsFormsAdapter:
    """Microsoft Forms responses workbook: metadata columns, then one column per question."""

    name = "msforms"
    description = "Microsoft Forms export: ID, Start time, Completion time, Email, Name, then questions."
    extensions = ()
    options = {"multi": "Questions (headings) to read as multiple answers even without a trailing ';' (list)."}

    def read(self, path: Path, source: Any) -> list[RawTable]:
        opts = check_options(source, self.options, "msforms")
        declared = names(opts, "multi")
        grid = read_grid(path, source, "Microsoft Forms")
        top = header_index(source)
        heads = headings(grid, top)
        norm = [normalise_label(h) for h in heads]
        if "id" not in norm or "completion time" not in norm:
            raise InputError([Problem(
                "survey-layout", "this does not look like a Microsoft Forms export: row 1 should start "
                "'ID', 'Start time', 'Completion time'", file=grid.file, sheet=grid.sheet, row=top + 1,
                hint="download the responses with 'Open in Excel'; check format: or 'header_row'")])
        records = data_rows(grid, top + 1, len(heads))
        left_out: dict[str, list[str]] = {"metadata_columns": [], "personal_columns_dropped": []}
        questions = []
        for j, head in enumerate(heads):
            answers = [cells[j] for _, cells in records]
            if norm[j] in PERSONAL or (norm[j] in METADATA and is_personal(head)):
                drop_personal(left_out, head, answers)
            elif norm[j] in METADATA or _QUIZ.match(head):
                left_out["metadata_columns"].append(head)
            elif head in declared or (any(a is not None for a in answers)
                                      and all(str(a).endswith(";") for a in answers if a is not None)):
                questions.append(multi(head, head, [split_answers(a) for a in answers]))
            else:
                questions.append(single(head, head, answers))
        rid, end = norm.index("id"), norm.index("completion time")
        dayfirst = getattr(source, "dayfirst", True)
        return [table(grid, [r for r, _ in records], [as_text(cells[rid]) for _, cells in records],
                      [submitted(cells[end], None, dayfirst) for _, cells in records], questions,
                      meta={"tool": "msforms", **left_out})]
