"""Qualtrics response exports (CSV, TSV or XLSX; choice text or numeric values).

Row 1 holds short names (``Q2``, ``Q3_1``), row 2 the question text, and row
3, in current exports, ``{"ImportId":"QID3"}`` cells, which are skipped.
A multiple-answer question comes either as one column per choice (``Q3_1``,
``Q3_2`` ...; text ``question - choice``; a ticked cell holds the choice or 1)
or, by default, as one column of comma-separated choices: such a column
cannot be told from text, so name it under ``multi:``. Qualtrics writes -99
for "seen but not answered" when asked to: that is no answer, or for a
multi-select, an answer with nothing selected. Preview, test and spam
responses are left out and counted in ``meta["excluded"]``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from datapack.adapters import register
from datapack.adapters.base import RawTable
from datapack.adapters.survey_common import (Question, as_text, check_options, data_rows, flag, header_index,
                                             headings, is_personal, multi, names, read_grid, single, submitted, table)
from datapack.adapters.survey_common import drop_personal
from datapack.problems import InputError, Problem

METADATA = {"startdate", "enddate", "status", "progress", "duration (in seconds)", "finished", "recordeddate",
            "responseid", "distributionchannel", "userlanguage"}
PERSONAL = {"ipaddress", "recipientlastname", "recipientfirstname", "recipientemail", "externalreference",
            "externaldatareference", "locationlatitude", "locationlongitude", "q_url"}
#: Display order and timing columns Qualtrics adds after a question.
_SYSTEM = re.compile(r"_(DO|First Click|Last Click|Page Submit|Click Count)$|^Q_", re.IGNORECASE)
_CHOICE = re.compile(r"^(.+)_(\d+)$")
_NOT_ANSWERED = "-99"
_IMPORT_ID = re.compile(r'^\{\s*"ImportId"\s*:\s*"([^"]*)"')
#: Status values (text or numeric code) of responses that are not real ones.
_NOT_REAL = re.compile(r"preview|test|spam|^(1|2|8|9|12|17)$", re.IGNORECASE)


def _split_text(text: str) -> tuple[str, str]:
    """(question, choice) from row-2 text such as ``Which? - Selected Choice - Library``."""
    parts = [p for p in text.split(" - ") if p.strip() != "Selected Choice"]
    return (" - ".join(parts[:-1]), parts[-1]) if len(parts) > 1 else (text, text)


def _answer(cell: Any) -> Any:
    return None if as_text(cell) == _NOT_ANSWERED else cell


def _questions(cols: list[tuple[int, str, str, str]], records: list, declared: set[str]) -> list[Question]:
    """Questions from (column index, short name, text, ImportId), choice columns collapsed where they are ticks."""
    out: list[Question] = []
    i = 0
    while i < len(cols):
        name, text = cols[i][1], cols[i][2]
        base = m.group(1) if (m := _CHOICE.match(name)) else None
        group = []
        while base and i + len(group) < len(cols) and (
                (m := _CHOICE.match(cols[i + len(group)][1])) and m.group(1) == base):
            group.append(cols[i + len(group)])
        values = {c[0]: [as_text(cells[c[0]]) for _, cells in records] for c in group}
        labels = {c[0]: _split_text(c[2])[1] for c in group}
        ticks = all(v in (None, labels[c], "1", "0", _NOT_ANSWERED) for c in values for v in values[c])
        filled = any(v not in (None, "0", _NOT_ANSWERED) for c in values for v in values[c])
        if group and (base in declared or (ticks and filled)):
            lists = []
            for r in range(len(records)):
                seen = [c for c, *_ in group if values[c][r] is not None]
                lists.append([labels[c] for c in seen if values[c][r] not in ("0", _NOT_ANSWERED)] if seen else None)
            out.append(multi(base, _split_text(text)[0], lists, [labels[c] for c, *_ in group]))
            i += len(group)
            continue
        for j, name, text, import_id in group or [cols[i]]:  # matrix rows or plain questions: one question per column
            answers = [cells[j] for _, cells in records]
            wording = text.replace(" - Selected Choice", "")
            if name in declared:
                lists = [None if (t := as_text(a)) is None else [] if t == _NOT_ANSWERED
                         else [p.strip() for p in t.split(",") if p.strip()] for a in answers]
                out.append(multi(name, wording, lists))
            else:
                # Text-entry questions and "other, please say" boxes end in _TEXT.
                kind = "text" if name.upper().endswith("_TEXT") or import_id.upper().endswith("_TEXT") else None
                out.append(single(name, wording, [_answer(a) for a in answers], kind))
        i += len(group) or 1
    return out


@register
class QualtricsAdapter:
    """Qualtrics export with short names in row 1 and question text in row 2."""

    name = "qualtrics"
    description = "Qualtrics export: short names (Q2, Q3_1) in row 1, text in row 2, ImportId row 3 skipped."
    extensions = ()
    options = {
        "multi": "Short names of multiple-answer questions exported as one comma-separated column (list).",
        "include_previews": "true: keep survey previews, test and spam responses.",
    }

    def read(self, path: Path, source: Any) -> list[RawTable]:
        opts = check_options(source, self.options, "qualtrics")
        grid = read_grid(path, source, "Qualtrics")
        top = header_index(source)
        heads = headings(grid, top)
        low = [h.lower() for h in heads]
        texts = [as_text(c) or "" for c in (grid.rows[top + 1] if top + 1 < len(grid.rows) else [])]
        texts += [""] * (len(heads) - len(texts))
        if "responseid" not in low or (texts[low.index("responseid")] or "").startswith("R_"):
            problem = ("row 1 has no 'ResponseId' column" if "responseid" not in low
                       else "row 2 should hold the question text but holds a response")
            raise InputError([Problem("survey-layout", f"this does not look like a Qualtrics export: {problem}",
                                      file=grid.file, sheet=grid.sheet, row=top + 1,
                                      hint="export CSV with 'Download all fields' (not legacy format); check format:")])
        third = grid.rows[top + 2] if top + 2 < len(grid.rows) else []
        import_ids = [m.group(1) if (m := _IMPORT_ID.match(str(c or "").strip())) else "" for c in third]
        records = data_rows(grid, top + (3 if any(import_ids) else 2), len(heads))
        import_ids += [""] * (len(heads) - len(import_ids))
        left_out: dict[str, list[str]] = {"metadata_columns": [], "personal_columns_dropped": []}
        cols = []
        for j, head in enumerate(heads):
            # A question (QID...) is never dropped for its name; embedded data named like contact details is.
            question = import_ids[j].startswith("QID") or (not any(import_ids) and re.match(r"Q\d", head))
            if low[j] in PERSONAL or (not question and is_personal(head)):
                drop_personal(left_out, head, [cells[j] for _, cells in records])
            elif low[j] in METADATA or _SYSTEM.search(head):
                left_out["metadata_columns"].append(head)
            else:
                cols.append((j, head, texts[j] or head, import_ids[j]))
        rid = low.index("responseid")
        end = next((low.index(c) for c in ("enddate", "recordeddate") if c in low), None)
        status = low.index("status") if "status" in low else None
        not_real = set() if flag(opts, "include_previews", source) or status is None else {
            i for i, (_, cells) in enumerate(records) if _NOT_REAL.search(as_text(cells[status]) or "")}
        questions = _questions(cols, records, names(opts, "multi"))
        meta = {"tool": "qualtrics", **left_out, "excluded": {"preview, test or spam": len(not_real)} if not_real else {}}
        return [table(grid, [r for r, _ in records], [as_text(cells[rid]) for _, cells in records],
                      [None if end is None else submitted(cells[end]) for _, cells in records], questions,
                      keep=lambda i: i not in not_real, meta=meta)]
