"""ODK Central (and Briefcase) exports: ``form.csv``, or the ``.csv.zip`` Central downloads.

The first column is ``SubmissionDate``; group paths are joined by ``-``
(``about_you-age``) and turned into ``/`` here so keys read like Kobo's;
``KEY``, ``SubmitterID``, ``ReviewState`` ... close the row. A select-multiple
question is one space-separated column, followed by ``q/option`` columns of
1/0 when "split select multiples" was ticked. ODK stores "answered, nothing
selected" exactly like "not asked" (an empty value), so an empty answer is
always ``None``. Without the 1/0 columns a select-multiple looks like text:
list it under ``multi:``.

Repeat groups come as other files (``form-repeat.csv``) linked by
``PARENT_KEY``. Their rows are many per respondent, so they are left out and
listed in ``meta["repeats_ignored"]``; ``repeats: true`` returns each after
the main table, titled with the repeat name and linked by ``_respondent``.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

from datapack.adapters import guard, register
from datapack.adapters.base import RawTable
from datapack.adapters.survey_common import (Grid, Question, as_text, check_options, data_rows, flag, header_index,
                                             headings, humanise, is_location, multi, names, option_columns,
                                             read_grid, single, submitted, table, text_grid)
from datapack.adapters.survey_common import drop_personal
from datapack.problems import InputError, Problem

META = {"submissiondate", "key", "parent_key", "attachmentspresent", "attachmentsexpected", "status", "reviewstate",
        "edits", "formversion", "start", "end", "today", "instanceid", "audit"}
PERSONAL = {"submitterid", "submittername", "deviceid", "subscriberid", "simserial", "phonenumber", "username",
            "email", "meta-instancename", "instancename"}
_GEO_PART = re.compile(r"-(Latitude|Longitude|Altitude|Accuracy)$")


def _grids(path: Path, source: Any) -> tuple[Grid, list[tuple[str, Grid]]]:
    """The main table and the repeat tables (name, grid) beside it or inside the zip."""
    if path.suffix.lower() == ".zip":
        guard.check_archive(path)  # sizes first: a zip can unpack to far more than it holds
        try:
            with zipfile.ZipFile(path) as archive:
                grids = [text_grid(archive.read(n), Path(n).name, source)
                         for n in archive.namelist() if n.lower().endswith(".csv")]
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
            raise InputError([Problem("unreadable", f"the zip cannot be unpacked ({exc})", file=path.name,
                                      hint="download the export from ODK Central again")]) from None
        mains = [g for g in grids if g.rows and "PARENT_KEY" not in g.rows[0]]
        if len(mains) != 1:
            raise InputError([Problem("survey-layout", f"the zip holds {len(mains)} main tables, expected one",
                                      file=path.name, hint="point 'path' at the form's own .csv inside the zip")])
        stem = Path(mains[0].file).stem
        repeats = [g for g in grids if g is not mains[0]]
        return mains[0], [(Path(g.file).stem.removeprefix(stem + "-"), g) for g in repeats]
    main = read_grid(path, source, "ODK")
    siblings = sorted(path.parent.glob(f"{glob_escape(path.stem)}-*.csv"))
    for sibling in siblings:
        guard.check_file(sibling)
    repeats = [(p.stem.removeprefix(path.stem + "-"), text_grid(p.read_bytes(), p.name, source)) for p in siblings]
    return main, [(n, g) for n, g in repeats if g.rows and "PARENT_KEY" in g.rows[0]]


def glob_escape(text: str) -> str:
    """``text`` with glob wildcards taken literally (form ids may hold brackets)."""
    return re.sub(r"([*?\[])", r"[\1]", text)


def read_questions(heads: list[str], records: list, strip: bool, declared: set[str],
                   left_out: dict[str, list[str]]) -> list[Question]:
    """Question columns of one table: metadata and personal columns skipped, keys with ``/``."""
    out: list[Question] = []
    # A "Labels" export has spaces in its headings; an XML-values one never has.
    xml_values = not any(" " in h for h in heads)
    i = 0
    while i < len(heads):
        head, low = heads[i], heads[i].lower()
        answers = [cells[i] for _, cells in records]
        if low in PERSONAL or low.startswith("meta-instancename") or _GEO_PART.search(head) or is_location(answers):
            drop_personal(left_out, head, answers)
            i += 1
            continue
        if low in META or low.startswith("meta-"):
            left_out["metadata_columns"].append(head)
            i += 1
            continue
        path = head.replace("-", "/")
        key = path.rsplit("/", 1)[-1] if strip else path
        text = humanise(path.rsplit("/", 1)[-1])
        subs = option_columns(heads, i, records)
        if subs or key in declared or path in declared:
            # Central fills the 1/0 columns with 0 even when unanswered: the value column decides.
            lists = [(as_text(v) or "").split() or None for v in answers]
            out.append(multi(key, text, lists, [heads[j][len(head) + 1:] for j in subs]))
        else:
            out.append(single(key, text, answers, spaces_mean_text=xml_values))
        i += 1 + len(subs)
    return out


@register
class OdkAdapter:
    """ODK Central or Briefcase CSV export (or Central's zip with repeat files)."""

    name = "odk"
    description = "ODK Central export (.csv or .csv.zip): groups joined by '-', repeats in files linked by PARENT_KEY."
    extensions = ()
    options = {
        "strip_groups": "true: key questions by their name only (age), not their group path (about_you/age).",
        "multi": "Select-multiple questions, needed when the export has no 1/0 columns (list of keys).",
        "include_rejected": "true: keep submissions whose review state is 'rejected'.",
        "repeats": "true: return each repeat group's file as an extra table linked by _respondent.",
    }

    def read(self, path: Path, source: Any) -> list[RawTable]:
        opts = check_options(source, self.options, "odk")
        strip, declared = flag(opts, "strip_groups", source), names(opts, "multi")
        grid, repeat_grids = _grids(path, source)
        top = header_index(source)
        heads = headings(grid, top)
        if "KEY" not in heads or "PARENT_KEY" in heads:
            found = "a repeat-group file" if "PARENT_KEY" in heads else "not an ODK export"
            raise InputError([Problem(
                "survey-layout", f"this is {found}: row {top + 1} has no 'KEY' column",
                file=grid.file, sheet=grid.sheet, row=top + 1,
                hint="point 'path' at the form's main .csv (or the .csv.zip); check format:")])
        col = {h: heads.index(h) for h in heads}
        records = data_rows(grid, top + 1, len(heads))
        respondents = [as_text(cells[col["KEY"]]) for _, cells in records]
        times = [submitted(cells[col["SubmissionDate"]]) if "SubmissionDate" in col else None for _, cells in records]
        excluded: dict[int, str] = {}
        for i, (_, cells) in enumerate(records):
            review = (as_text(cells[col["ReviewState"]]) or "") if "ReviewState" in col else ""
            status = as_text(cells[col["Status"]]) if "Status" in col else None
            if status:  # "not decrypted", "missing encrypted form data": no answers to read
                excluded[i] = "no data"
            elif review.lower() == "rejected" and not flag(opts, "include_rejected", source):
                excluded[i] = "rejected"
        left_out: dict[str, list[str]] = {"metadata_columns": [], "personal_columns_dropped": []}
        questions = read_questions(heads, records, strip, declared, left_out)
        counts = {r: list(excluded.values()).count(r) for r in set(excluded.values())}
        main = table(grid, [r for r, _ in records], respondents, times, questions, keep=lambda i: i not in excluded,
                     meta={"tool": "odk", **left_out, "excluded": counts})
        kept = dict(zip(main.frame["_respondent"], main.frame["_submitted"]))
        repeats = [self._repeat(name, g, kept, strip, declared) for name, g in repeat_grids]
        if flag(opts, "repeats", source):
            return [main, *repeats]
        main.meta["repeats_ignored"] = {t.title: len(t.frame) for t in repeats}
        return [main]

    def _repeat(self, name: str, grid: Grid, kept: dict, strip: bool, declared: set[str]) -> RawTable:
        heads = headings(grid, 0)
        records = data_rows(grid, 1, len(heads))
        parent = heads.index("PARENT_KEY")
        # PARENT_KEY is the submission's KEY, or a parent repeat's "uuid:.../outer[1]": the root is before "/".
        owners = [(as_text(cells[parent]) or "").split("/")[0] or None for _, cells in records]
        left_out: dict[str, list[str]] = {"metadata_columns": [], "personal_columns_dropped": []}
        questions = read_questions(heads, records, strip, declared, left_out)
        return table(grid, [r for r, _ in records], owners, [kept.get(o) for o in owners], questions,
                     keep=lambda i: owners[i] in kept, title=name, meta={"tool": "odk", "repeat": True, **left_out})
