"""KoboToolbox exports: XLSX (the default, repeat groups on other sheets) or CSV.

Columns are question paths with groups joined by ``/`` (``about_you/age``),
as XML names or, in a "Labels" export, as labels. A select-multiple question
is a space-separated column ``q`` followed by ``q/option`` columns of 1/0,
all empty when the question was not asked; the 1/0 columns are trusted first
because only they tell "not asked" (all empty) from "nothing selected" (all 0).

Repeat groups: each repeat sheet has many rows per respondent (one per
household member, say), so its rows are not answers to count per respondent.
They are left out and listed in ``meta["repeats_ignored"]`` (sheet -> rows);
with ``repeats: true`` each is returned after the main table as its own
table, titled with the sheet name and linked by ``_respondent``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from python_calamine import CalamineWorkbook

from datapack.adapters import register
from datapack.adapters.base import RawTable
from datapack.adapters.cells import normalise_label
from datapack.adapters.survey_common import (BOOK_SUFFIXES, Question, as_text, check_options, data_rows, flag,
                                             header_index, headings, humanise, is_location, is_personal, multi,
                                             names, option_columns, read_grid, selected, single, submitted, table)
from datapack.adapters.survey_common import drop_personal
from datapack.problems import InputError, Problem

#: Metadata question types and export fields that are not questions.
META = {"start", "end", "today", "__version__", "audit"}
#: Fields that identify a person or device, or say where someone was: dropped.
PERSONAL = {"deviceid", "subscriberid", "simserial", "phonenumber", "username", "email", "_submitted_by",
            "_submission__submitted_by", "_geolocation", "_notes", "_tags", "_attachments", "meta/instancename",
            "start-geopoint", "background-geopoint"}


def _is_meta(head: str) -> bool:
    return head.startswith(("_", "meta/", "formhub/")) or head.lower() in META


def _is_personal(head: str) -> bool:
    return head.lower() in PERSONAL or (_is_meta(head) and is_personal(head.replace("_", " ")))


def read_questions(heads: list[str], records: list, strip: bool, declared: set[str],
                   left_out: dict[str, list[str]]) -> list[Question]:
    """Question columns of one sheet, select-multiples collapsed to lists.

    Metadata and personal headings are added to ``left_out`` and skipped.
    """
    out: list[Question] = []
    # A "Labels" export has spaces in its headings; an XML-values one never has.
    xml_values = not any(" " in h for h in heads)
    i = 0
    while i < len(heads):
        head = heads[i]
        answers = [cells[i] for _, cells in records]
        if _is_personal(head) or (not _is_meta(head) and is_location(answers)):
            drop_personal(left_out, head, answers)
            i += 1
            continue
        if _is_meta(head):
            left_out["metadata_columns"].append(head)
            i += 1
            continue
        key = head.rsplit("/", 1)[-1] if strip else head
        text = humanise(head.rsplit("/", 1)[-1])
        subs = option_columns(heads, i, records)
        if subs or head in declared or key in declared:
            opts = [heads[j][len(head) + 1:] for j in subs]
            lists = []
            for _, cells in records:
                flags = [selected(cells[j]) for j in subs]
                summary = as_text(cells[i])
                if any(f is not None for f in flags):
                    lists.append([o for o, f in zip(opts, flags) if f])
                else:  # no 1/0 columns, or all empty: the space-separated column is all there is
                    lists.append(summary.split() if summary else None)
            out.append(multi(key, text, lists, opts))
        else:
            out.append(single(key, text, answers, spaces_mean_text=xml_values))
        i += 1 + len(subs)
    return out


@register
class KoboAdapter:
    """KoboToolbox data export (XLSX or CSV; XML names or labels as headings)."""

    name = "kobo"
    description = "KoboToolbox export: one row per submission, groups joined by '/', select-multiple as 1/0 columns."
    extensions = ()
    options = {
        "strip_groups": "true: key questions by their name only (age), not their group path (about_you/age).",
        "multi": "Questions that are select-multiple in an export without 1/0 columns (list of keys).",
        "include_not_approved": "true: keep submissions whose validation status is 'Not approved'.",
        "repeats": "true: return each repeat-group sheet as an extra table linked by _respondent.",
    }

    def read(self, path: Path, source: Any) -> list[RawTable]:
        opts = check_options(source, self.options, "kobo")
        strip, declared = flag(opts, "strip_groups", source), names(opts, "multi")
        grid = read_grid(path, source, "KoboToolbox")
        top = header_index(source)
        heads = headings(grid, top)
        records = data_rows(grid, top + 1, len(heads))
        id_col = next((c for c in ("_uuid", "_id") if c in heads), None)
        if id_col is None:
            raise InputError([Problem(
                "survey-layout", "this does not look like a KoboToolbox export: row 1 has no '_uuid' or '_id' column",
                file=grid.file, sheet=grid.sheet, row=top + 1,
                hint="check format: (ODK Central exports are 'odk'); export from Kobo with all metadata fields")])
        col = {h: heads.index(h) for h in heads}
        respondents = [as_text(cells[col[id_col]]) for _, cells in records]
        times = [submitted(cells[col["_submission_time"]]) if "_submission_time" in col else None
                 for _, cells in records]
        status = [normalise_label(cells[col["_validation_status"]]) if "_validation_status" in col else ""
                  for _, cells in records]
        # Kobo's "Not approved" marks a submission the project set aside (a test, a duplicate).
        rejected = {i for i, s in enumerate(status) if "not approved" in s or "not_approved" in s}
        if flag(opts, "include_not_approved", source):
            rejected = set()
        left_out: dict[str, list[str]] = {"metadata_columns": [], "personal_columns_dropped": []}
        questions = read_questions(heads, records, strip, declared, left_out)
        meta = {"tool": "kobo", **left_out, "excluded": {"not approved": len(rejected)} if rejected else {}}
        main = table(grid, [r for r, _ in records], respondents, times, questions,
                     keep=lambda i: i not in rejected, meta=meta)
        if path.suffix.lower() not in BOOK_SUFFIXES:
            return [main]  # Kobo's CSV export has no repeat groups
        index = {as_text(cells[col["_index"]]): respondents[i] for i, (_, cells) in enumerate(records)
                 if "_index" in col}
        kept = dict(zip(main.frame["_respondent"], main.frame["_submitted"]))
        repeats = self._repeats(path, grid.sheet, index, id_col, kept, strip, declared)
        if flag(opts, "repeats", source):
            return [main, *repeats]
        main.meta["repeats_ignored"] = {t.title: len(t.frame) for t in repeats}
        return [main]

    def _repeats(self, path: Path, main_sheet: str | None, index: dict, id_col: str, kept: dict,
                 strip: bool, declared: set[str]) -> list[RawTable]:
        """Repeat-group sheets, in workbook order, each row linked to its respondent."""
        out = []
        indexes = {main_sheet: index}
        for name in CalamineWorkbook.from_path(str(path)).sheet_names:
            if name == main_sheet:
                continue
            grid = read_grid(path, _Plain(), "KoboToolbox", sheet=name)
            heads = headings(grid, 0)
            if "_parent_index" not in heads and f"_submission_{id_col}" not in heads:
                continue  # a sheet someone added, not a repeat group
            records = data_rows(grid, 1, len(heads))
            col = {h: heads.index(h) for h in heads}
            owners = []
            for _, cells in records:
                if f"_submission_{id_col}" in col:
                    owners.append(as_text(cells[col[f"_submission_{id_col}"]]))
                    continue
                # Sheet names are cut to Excel's 31 characters; parent table names are not.
                parent = as_text(cells[col["_parent_table_name"]]) if "_parent_table_name" in col else None
                sheet = next((s for s in indexes if s and parent and s[:31] == parent[:31]), main_sheet)
                owners.append(indexes[sheet].get(as_text(cells[col["_parent_index"]])))
            if "_index" in col:
                indexes[name] = {as_text(cells[col["_index"]]): o for (_, cells), o in zip(records, owners)}
            left_out: dict[str, list[str]] = {"metadata_columns": [], "personal_columns_dropped": []}
            questions = read_questions(heads, records, strip, declared, left_out)
            out.append(table(grid, [r for r, _ in records], owners, [kept.get(o) for o in owners], questions,
                             keep=lambda i, o=owners: o[i] in kept, title=name,
                             meta={"tool": "kobo", "repeat": True, **left_out}))
        return out


class _Plain:
    """Reading settings for a repeat sheet: none of the main source's apply."""

    sheet = header_row = encoding = delimiter = None
