"""What the survey adapters share: reading the grid, options, answers, and the respondent table.

Every survey adapter returns the same shape (see :class:`RawTable`): one row
per respondent with ``_respondent``, ``_submitted`` and ``_row``, then one
column per question. Multi-select answers are Python lists: ``None`` when the
question was not asked, not shown or not answered, ``[]`` when it was answered
with nothing selected. Metadata columns never reach the frame, and columns
holding contact details (names, email, IP address, location) are dropped
before anything else looks at them: only their headings are kept, in
``meta["personal_columns_dropped"]``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import pandas as pd

from datapack.adapters.base import ROW, QuestionInfo, RawTable
from datapack.adapters.cells import is_blank, normalise_label, parse_date
from datapack.adapters.csv_text import decode, read_rows, sniff_delimiter
from datapack.adapters.layout import unique_headings
from datapack.adapters.spreadsheet import open_sheet
from datapack.problems import InputError, Problem

TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
BOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")

#: Words that mark a metadata heading as contact or location data (dropped, never read).
_PERSONAL = re.compile(r"e ?mail|first ?name|last ?name|full ?name|phone|ip ?address|latitude|longitude|"
                       r"location|geolocation|geopoint")
_NUMBER = re.compile(r"^[-+]?\d+(\.\d+)?$")
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}")
_GEOPOINT = re.compile(r"^-?\d{1,2}\.\d+ -?\d{1,3}\.\d+( -?\d+(\.\d+)?){0,2}$")
_FLAGS = {"0", "1", "true", "false", "yes", "no"}


@dataclass
class Grid:
    """The cells of one sheet or text file, and how they were read."""

    rows: list[list[Any]]
    file: str
    sheet: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


def text_grid(data: bytes, name: str, source: Any) -> Grid:
    """Rows of delimited text: encoding and delimiter detected unless configured."""
    text, encoding = decode(data, Path(name), source.encoding)
    delimiter = source.delimiter or ("\t" if name.lower().endswith(".tsv") else sniff_delimiter(text))
    rows = read_rows(text, delimiter, name)
    return Grid(rows, name, None, {"encoding": encoding, "delimiter": delimiter})


def read_grid(path: Path, source: Any, tool: str, sheet: str | int | None = None) -> Grid:
    """The export as rows of cells, from CSV/TSV or a workbook sheet."""
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        grid = text_grid(path.read_bytes(), path.name, source)
    elif suffix in BOOK_SUFFIXES:
        name, rows = open_sheet(path, source.sheet if sheet is None else sheet)
        grid = Grid(rows, path.name, name)
    else:
        raise InputError([Problem("survey-file-type", f"a {tool} export cannot be read from a {suffix or 'bare'} file",
                                  file=path.name, hint="export the responses as CSV or XLSX")])
    if not grid.rows:
        raise InputError([Problem("empty-file", "the file has no rows", file=grid.file, sheet=grid.sheet,
                                  hint="check the export finished; re-export it")])
    return grid


def header_index(source: Any) -> int:
    """0-based index of the (first) header row: row 1 unless ``header_row`` says otherwise."""
    return source.header_row - 1 if source.header_row else 0


def headings(grid: Grid, index: int) -> list[str]:
    """Header cells as unique text (blank headings named ``column_N``)."""
    if index >= len(grid.rows):
        raise InputError([Problem("survey-header", f"there is no row {index + 1} to read headings from",
                                  file=grid.file, sheet=grid.sheet, hint="check 'header_row'")])
    return unique_headings(grid.rows[index])


def data_rows(grid: Grid, first: int, width: int) -> list[tuple[int, list[Any]]]:
    """(row number as a person sees it, cells) for every non-blank row from index ``first``."""
    out = []
    for index in range(first, len(grid.rows)):
        cells = [clean(c) for c in grid.rows[index][:width]]
        cells += [None] * (width - len(cells))
        if any(c is not None for c in cells):
            out.append((index + 1, cells))
    return out


def clean(cell: Any) -> Any:
    """None for blank cells, stripped text, anything else as read."""
    if is_blank(cell):
        return None
    return cell.strip() if isinstance(cell, str) else cell


def as_text(cell: Any) -> str | None:
    """A cell as text; whole numbers from workbooks lose their ``.0`` (ids, option codes)."""
    cell = clean(cell)
    if cell is None:
        return None
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return cell.isoformat() if isinstance(cell, (dt.date, dt.datetime)) else str(cell)


def drop_personal(left_out: dict, head: str, answers: list[Any]) -> None:
    """Note a contact column as dropped; its values go to ``left_out["personal_values"]``.

    Those values are for the leak gate only: the reader takes them out of the
    table's ``meta`` before anything else sees it and never caches the table.
    Location columns and single words (a first name alone) are not kept.
    """
    left_out["personal_columns_dropped"].append(head)
    if is_location(answers) or re.search(r"(?i)geo|latitude|longitude|location|gps", head):
        return
    kind = "email" if re.search(r"(?i)e.?mail", head) else "personal"
    values = [str(a).strip() for a in answers if not is_blank(a)]
    left_out.setdefault("personal_values", []).extend(
        (kind, v) for v in values if len(v.split()) > 1 or any(c.isdigit() or c == "@" for c in v))


def is_personal(heading: str) -> bool:
    """True when a metadata heading names contact or location data."""
    return bool(_PERSONAL.search(normalise_label(heading)))


def is_location(values: Sequence[Any]) -> bool:
    """True when every answer is a GPS point ("lat lon alt accuracy"): location, so dropped."""
    seen = [as_text(v) for v in values if v is not None]
    return bool(seen) and all(_GEOPOINT.match(v) for v in seen)


def option_columns(heads: Sequence[str], i: int, records: Sequence[tuple[int, list[Any]]]) -> list[int]:
    """Indexes of the 1/0 columns ``q/option`` right after question ``q`` at ``heads[i]``.

    Group paths also use ``/``; what tells option columns apart is that they
    follow their question directly and hold nothing but 1/0 flags.
    """
    prefix, j = heads[i] + "/", i + 1
    while j < len(heads) and heads[j].startswith(prefix):
        j += 1
    flags = all((t := as_text(cells[k])) is None or t.lower() in _FLAGS for _, cells in records for k in range(i + 1, j))
    return list(range(i + 1, j)) if flags else []


def humanise(segment: str) -> str:
    """``about_you`` -> ``About you``; text that is already a label is left alone."""
    if re.fullmatch(r"[A-Za-z_][\w.]*", segment):
        words = segment.replace("_", " ").replace(".", " ").strip()
        return words[:1].upper() + words[1:]
    return segment


def infer_kind(values: Sequence[Any], spaces_mean_text: bool = False) -> str:
    """A best guess at ``number``, ``text`` or ``single`` from the answers given.

    ``spaces_mean_text`` is for exports of XML values (Kobo, ODK), where a
    choice is a name without spaces, so an answer with a space was typed.
    """
    seen = [v for v in values if v is not None]
    if not seen:
        return "single"
    if all((isinstance(v, (int, float)) and not isinstance(v, bool)) or _NUMBER.match(str(v)) for v in seen):
        return "number"
    texts = {str(v) for v in seen}
    # Free text must not be listed as answer options: it may identify someone.
    if spaces_mean_text and any(" " in t for t in texts):
        return "text"
    if any(len(t) > 60 or len(t.split()) >= 8 for t in texts) or len(texts) > 30:
        return "text"
    if len(seen) >= 20 and len(texts) > 0.6 * len(seen):
        return "text"
    if all(isinstance(v, (dt.date, dt.datetime)) or _ISO_DAY.match(str(v)) for v in seen):
        return "text"
    return "single"


def check_options(source: Any, known: dict[str, str], tool: str) -> dict[str, Any]:
    """The source's options, refusing any this adapter does not know."""
    given = dict(getattr(source, "options", None) or {})
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise InputError([Problem("option-unknown", f"{tool} does not take the option(s) {', '.join(unknown)}",
                                  column=f"sources.{source.name}.options",
                                  hint=f"use: {', '.join(known) or 'no options'}")])
    return given


def flag(options: dict[str, Any], name: str, source: Any) -> bool:
    """A true/false option (false when absent)."""
    value = options.get(name, False)
    if not isinstance(value, bool):
        raise InputError([Problem("option-type", f"option {name!r} must be true or false, not {value!r}",
                                  column=f"sources.{source.name}.options.{name}", hint=f"write '{name}: true'")])
    return value


def names(options: dict[str, Any], name: str) -> set[str]:
    """A list-of-names option (one name is accepted too)."""
    value = options.get(name) or []
    return {str(v) for v in ([value] if isinstance(value, str) else value)}


def selected(cell: Any) -> bool | None:
    """A 1/0 option cell: True, False, or None when blank."""
    text = as_text(cell)
    if text is None:
        return None
    return text.lower() in ("1", "true", "yes")


def submitted(cell: Any, formats: list[str] | None = None, dayfirst: bool = True) -> pd.Timestamp | None:
    """A submission time as a Timestamp, or None when blank or unreadable."""
    return parse_date(cell, formats, dayfirst)


@dataclass
class Question:
    """A question column under construction: its description and one answer per data row."""

    info: QuestionInfo
    answers: list[Any]


def single(key: str, text: str, answers: list[Any], kind: str | None = None, spaces_mean_text: bool = False) -> Question:
    """A one-answer question; kind guessed from the answers unless given."""
    return Question(QuestionInfo(key, text, kind or infer_kind(answers, spaces_mean_text)), answers)


def multi(key: str, text: str, answers: list[list[str] | None], options: Sequence[str] = ()) -> Question:
    """A multi-select question; options seen in answers are added after the declared ones."""
    found = list(dict.fromkeys(options))
    for answer in answers:
        found += [o for o in answer or [] if o not in found]
    return Question(QuestionInfo(key, text, "multi", found), answers)


def table(grid: Grid, rows: list[int], respondents: list[str | None], times: list[Any],
          questions: list[Question], keep: Callable[[int], bool] = lambda i: True,
          title: str | None = None, meta: dict[str, Any] | None = None) -> RawTable:
    """The respondent table: kept rows only, single-choice options filled in, problems noted.

    A ``title`` marks a repeat-group table, where one respondent has many rows.
    """
    problems: list[Problem] = []
    kept = [i for i in range(len(rows)) if keep(i)]
    ids = []
    for i in kept:
        if respondents[i] is None:
            # A response id is the only link between a respondent's answers; make a stable one.
            problems.append(Problem("respondent-missing", "the response has no id; its row number is used instead",
                                    file=grid.file, sheet=grid.sheet, row=rows[i], severity="warning",
                                    hint="re-export with the response id column included"))
        ids.append(respondents[i] or f"row {rows[i]}")
    for dup in sorted(r for r, n in Counter(ids).items() if n > 1 and title is None):
        problems.append(Problem("respondent-duplicate", f"response id {dup!r} appears more than once",
                                file=grid.file, sheet=grid.sheet, row=rows[kept[ids.index(dup)]],
                                severity="warning", hint="check for a duplicated export or re-submission"))
    clash = sorted(k for k, n in Counter(q.info.key for q in questions).items() if n > 1)
    if clash:
        raise InputError([Problem("question-duplicate", f"two columns give the question key {clash[0]!r}",
                                  file=grid.file, sheet=grid.sheet, column=clash[0],
                                  hint="rename one question in the form, or turn off 'strip_groups'")])
    data: dict[str, Any] = {"_respondent": ids, "_submitted": [times[i] for i in kept]}
    for q in questions:
        answers = [q.answers[i] for i in kept]
        if q.info.kind == "single" and not q.info.options:
            q.info.options = list(dict.fromkeys(t for a in answers if (t := as_text(a)) is not None))
        data[q.info.key] = answers
    frame = pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in data.items()}, dtype=object)
    frame.insert(2, ROW, pd.array([rows[i] for i in kept], dtype="Int64"))
    return RawTable(frame, file=grid.file, sheet=grid.sheet, meta={**grid.meta, **(meta or {})},
                    questions=[q.info for q in questions], problems=problems, title=title)
